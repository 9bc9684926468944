/** One CLI subcommand. Each lives in `commands/<name>.ts` and is listed, with its one-line
 * summary, in `commands/index.ts` (which loads it only when it runs). */
export interface CliCommand {
  readonly name: string;
  /** Full usage text for `ganymede <name> --help`. */
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: readonly string[]): Promise<number>;
}
