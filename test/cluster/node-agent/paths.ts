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

/** Rewrites a word that is a path (`/a/b`) or an option with a path value (`--dir=/a/b`). */
export function translateWord(word: string, mounts: readonly MountedFolder[]): string {
  if (word.startsWith('/')) return translatePath(word, mounts) ?? word;
  const eq = word.indexOf('=');
  if (eq > 0 && word[eq + 1] === '/') {
    const translated = translatePath(word.slice(eq + 1), mounts);
    if (translated !== undefined) return word.slice(0, eq + 1) + translated;
  }
  return word;
}
