/**
 * Without a mount namespace, a container's paths cannot be where its spec says; each volume
 * mount is a host folder instead. The agent rewrites absolute paths under a mountPath in the
 * command, args, env values and workingDir to the folder behind it (longest mountPath first),
 * so `--ServerApp.root_dir=/home/jovyan/work` still lands in the user's volume. Pure.
 */
export interface MountedFolder {
  readonly mountPath: string;
  readonly hostPath: string;
}

export function translatePath(path: string, mounts: readonly MountedFolder[]): string | undefined {
  const sorted = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  for (const m of sorted) {
    const base = m.mountPath.replace(/\/+$/, '');
    if (path === base || path === m.mountPath) return m.hostPath;
    if (path.startsWith(`${base}/`)) return m.hostPath + path.slice(base.length);
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rewrites every mountPath that appears as a path in `text`: the whole word (`/a/b`), an
 * option's value (`--dir=/a/b`), or a path inside a shell script (`echo x > /a/b/c`). A
 * mountPath counts only at a path boundary, so `/data` does not touch `/database`.
 */
export function translateWord(text: string, mounts: readonly MountedFolder[]): string {
  const sorted = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  if (sorted.length === 0) return text;
  const alternatives = sorted.map((m) => escapeRegExp(m.mountPath.replace(/\/+$/, '') || '/'));
  const pattern = new RegExp(
    `(^|[\\s='"(:,;>|&])(${alternatives.join('|')})(?=$|[/\\s'"):,;|&])`,
    'g',
  );
  return text.replace(pattern, (_match, before: string, path: string) => {
    return before + (translatePath(path, sorted) ?? path);
  });
}
