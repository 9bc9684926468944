/** One CLI subcommand. Each lives in `commands/<name>.ts` and is listed in `commands/index.ts`. */
export interface CliCommand {
  readonly name: string;
  /** One line for `ganymede --help`. */
  readonly summary: string;
  /** Full usage text for `ganymede <name> --help`. */
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: readonly string[]): Promise<number>;
}
