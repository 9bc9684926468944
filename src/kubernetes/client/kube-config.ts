/**
 * Cluster credentials loaded as client-node loads them (a named file; or $KUBECONFIG,
 * ~/.kube/config, then the pod's service account), with token files read again while the
 * process runs. client-node reads a kubeconfig's token file once, at load time, and only under
 * its own key `token-file`, not client-go's `tokenFile` that kubectl writes; its in-cluster
 * token file is re-read every minute but never sooner after a 401. Every such user is given
 * our token-file auth provider (credentials.ts) instead, which client-node's Watch and our
 * REST client both apply per request.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { KubeConfig, type User } from '#kubernetes-client';
import { parse } from 'yaml';
import { TOKEN_FILE_PROVIDER, tokenFileAuthenticator } from './credentials.ts';

/** Throws as client-node does when a file cannot be read or parsed. */
export function readKubeConfig(file?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (file === undefined) kubeConfig.loadFromDefault();
  else kubeConfig.loadFromFile(file);
  rereadTokenFiles(kubeConfig, file === undefined ? defaultFiles() : [file]);
  return kubeConfig;
}

/** The files KubeConfig.loadFromDefault reads, in its order. */
function defaultFiles(): string[] {
  const env = process.env['KUBECONFIG'];
  if (env) return env.split(delimiter).filter((f) => f !== '');
  const home = join(homedir(), '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

/** user name → token file (absolute), from the kubeconfig files themselves: the first file
 * naming a user wins, as in kubectl's merge; relative paths are relative to the file. */
function tokenFilesIn(files: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of files) {
    const doc = parse(readFileSync(file, 'utf8')) as {
      users?: { name?: unknown; user?: Record<string, unknown> | null }[] | null;
    } | null;
    for (const entry of doc?.users ?? []) {
      const path = entry.user?.['tokenFile'] ?? entry.user?.['token-file'];
      if (typeof entry.name !== 'string' || typeof path !== 'string' || path === '') continue;
      if (!found.has(entry.name)) found.set(entry.name, resolve(dirname(file), path));
    }
  }
  return found;
}

/**
 * Gives every user whose token lives in a file (named in `kubeconfigFiles`, or client-node's
 * in-cluster `tokenFile` provider) our token-file provider. A user with an exec plugin or
 * another auth provider keeps it; a file wins over a static token, as in client-go, which
 * reads the file again and again.
 */
export function rereadTokenFiles(
  kubeConfig: KubeConfig,
  kubeconfigFiles: readonly string[] = [],
): void {
  const named = tokenFilesIn(kubeconfigFiles);
  kubeConfig.users = kubeConfig.users.map((user): User => {
    if (user.exec) return user;
    const provider = user.authProvider as { config?: { tokenFile?: unknown } } | null | undefined;
    const inCluster = provider?.config?.tokenFile;
    const path = provider
      ? typeof inCluster === 'string'
        ? inCluster
        : undefined
      : named.get(user.name);
    if (path === undefined) return user;
    const rest = Object.fromEntries(
      Object.entries(user).filter(([k]) => k !== 'token' && k !== 'authProvider'),
    ) as User;
    return { ...rest, authProvider: { name: TOKEN_FILE_PROVIDER, config: { path } } };
  });
  kubeConfig.addAuthenticator(tokenFileAuthenticator);
}
