/**
 * Images → local commands. There is no container runtime here: an image names a rule, and
 * the rule says which local program plays the image's entrypoint. Pure functions.
 *
 * Resolution, following Docker's ENTRYPOINT/CMD semantics as Kubernetes maps them
 * (https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/#notes):
 * - `command` set: its first word is looked up in `commands` (an unknown word is an error, as
 *   an image without that program would fail), the rest and `args` follow.
 * - no `command`, `args` whose first word is a known command: the image's CMD is replaced by
 *   `args` (e.g. `args: [start-notebook.py, --ServerApp.base_url=/x]`).
 * - otherwise `defaultCommand` followed by `args` (the image's entrypoint and CMD).
 */
export interface ImageRule {
  /** Glob over the full image reference; `*` matches any run of characters, `?` one. */
  readonly pattern: string;
  /** Program names inside the image → a local executable, or an argv prefix. */
  readonly commands: Readonly<Record<string, string | readonly string[]>>;
  /** What runs when the container sets no command (the image's ENTRYPOINT + CMD). */
  readonly defaultCommand: readonly string[];
  /** The image's own ENV; the container's env overrides it. */
  readonly env?: Readonly<Record<string, string>>;
  /** The image's USER, used when the pod sets no runAsUser/runAsGroup. Default 0:0 (root). */
  readonly user?: { readonly uid: number; readonly gid: number };
}

export type ResolvedCommand =
  | {
      readonly ok: true;
      readonly argv: readonly [string, ...string[]];
      readonly rule: ImageRule;
      /**
       * How many leading words of argv the rule supplied (host paths such as the venv's
       * jupyter): those are never rewritten as container paths, wherever the repo lives.
       */
      readonly fromRule: number;
    }
  | {
      readonly ok: false;
      readonly reason: 'ErrImagePull' | 'RunContainerError';
      readonly message: string;
    };

export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function findImageRule(rules: readonly ImageRule[], image: string): ImageRule | undefined {
  return rules.find((rule) => globToRegExp(rule.pattern).test(image));
}

export function resolveCommand(
  rules: readonly ImageRule[],
  container: { image?: string; command?: readonly string[]; args?: readonly string[] },
): ResolvedCommand {
  const image = container.image ?? '';
  const rule = findImageRule(rules, image);
  if (!rule) {
    return {
      ok: false,
      reason: 'ErrImagePull',
      message: `failed to pull image "${image}": no image rule of the test node agent matches it`,
    };
  }
  const args = container.args ?? [];
  const command = container.command ?? [];
  const lookup = (word: string): readonly string[] | undefined => {
    const target = rule.commands[word];
    if (target === undefined) return undefined;
    return typeof target === 'string' ? [target] : target;
  };
  let argv: string[];
  let fromRule: number;
  if (command.length > 0) {
    const [first, ...rest] = command as [string, ...string[]];
    const mapped = lookup(first);
    if (!mapped) {
      return {
        ok: false,
        reason: 'RunContainerError',
        message: `exec: "${first}": executable file not found in $PATH (image ${image})`,
      };
    }
    argv = [...mapped, ...rest, ...args];
    fromRule = mapped.length;
  } else if (args.length > 0 && lookup(args[0] ?? '')) {
    const [first, ...rest] = args as [string, ...string[]];
    const mapped = lookup(first) ?? [];
    argv = [...mapped, ...rest];
    fromRule = mapped.length;
  } else {
    argv = [...rule.defaultCommand, ...args];
    fromRule = rule.defaultCommand.length;
  }
  if (argv.length === 0) {
    return { ok: false, reason: 'RunContainerError', message: `image ${image} has no command` };
  }
  return { ok: true, argv: argv as [string, ...string[]], rule, fromRule };
}
