/**
 * The image rules a harness uses unless told otherwise: Jupyter's docker-stacks images play
 * the test environment's `jupyter`; two tiny images exist for the harness's own tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImageRule } from './images.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const httpServerScript = fileURLToPath(new URL('../images/http-server.ts', import.meta.url));

/** GANYMEDE_JUPYTER, else what scripts/ensure-jupyter.sh prints (it creates .venv once). */
export function jupyterCommand(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['GANYMEDE_JUPYTER'];
  if (fromEnv) return fromEnv;
  return execFileSync('bash', [join(repoRoot, 'scripts/ensure-jupyter.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/**
 * Writes the equivalent of docker-stacks' /etc/jupyter/jupyter_server_config.py (listen on
 * all addresses of the pod, port from JUPYTER_PORT, no browser) and returns its folder, to be
 * put on JUPYTER_CONFIG_PATH by the image rule's env.
 * https://github.com/jupyter/docker-stacks/blob/main/images/base-notebook/jupyter_server_config.py
 */
export function writeJupyterImageConfig(dir: string): string {
  const configDir = join(dir, 'images', 'jupyter', 'etc', 'jupyter');
  mkdirSync(configDir, { recursive: true, mode: 0o755 });
  writeFileSync(
    join(configDir, 'jupyter_server_config.py'),
    [
      'import os',
      'c = get_config()  # noqa: F821',
      'c.ServerApp.ip = "0.0.0.0"',
      'c.ServerApp.open_browser = False',
      'c.ServerApp.port = int(os.getenv("JUPYTER_PORT", "8888"))',
      'c.FileContentsManager.delete_to_trash = False',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  return configDir;
}

/** The ENV of Jupyter's docker-stacks images. */
function dockerStacksEnv(jupyterConfigDir: string): Record<string, string> {
  return {
    JUPYTER_PORT: '8888',
    JUPYTER_CONFIG_PATH: jupyterConfigDir,
    NB_USER: 'jovyan',
    NB_UID: '1000',
    NB_GID: '100',
    HOME: '/home/jovyan',
    SHELL: '/bin/bash',
  };
}

export function defaultImageRules(input: {
  jupyter: string;
  jupyterConfigDir: string;
}): ImageRule[] {
  const lab = [input.jupyter, 'lab'];
  return [
    {
      pattern: 'quay.io/jupyter/*',
      commands: {
        jupyter: input.jupyter,
        'jupyter-lab': lab,
        'start-notebook.py': lab,
        'start-notebook.sh': lab,
        'start.sh': lab,
      },
      defaultCommand: lab,
      env: dockerStacksEnv(input.jupyterConfigDir),
      // docker-stacks images run as jovyan (1000) in group users (100).
      user: { uid: 1000, gid: 100 },
    },
    {
      pattern: 'ganymede.test/http-server*',
      commands: { 'http-server': [process.execPath, httpServerScript], node: process.execPath },
      defaultCommand: [process.execPath, httpServerScript],
    },
    {
      pattern: 'ganymede.test/shell*',
      commands: {
        sh: '/bin/sh',
        bash: '/bin/bash',
        sleep: '/bin/sleep',
        cat: '/bin/cat',
        true: '/bin/true',
        false: '/bin/false',
      },
      defaultCommand: ['/bin/sh'],
    },
  ];
}

/**
 * JupyterHub's single-user images (KubeSpawner's default `quay.io/jupyterhub/singleuser`, the
 * Helm chart's `quay.io/jupyterhub/k8s-singleuser-sample`) played by a local
 * `jupyterhub-singleuser`, with the same image ENV and user as the docker-stacks rule (those
 * images are built on docker-stacks). Not among the defaults: the spawn benchmark
 * (bench/spawn) adds it for its JupyterHub + KubeSpawner anchor.
 */
export function jupyterhubSingleuserImageRule(input: {
  singleuser: string;
  jupyterConfigDir: string;
}): ImageRule {
  return {
    pattern: 'quay.io/jupyterhub/*',
    commands: { 'jupyterhub-singleuser': input.singleuser },
    defaultCommand: [input.singleuser],
    env: dockerStacksEnv(input.jupyterConfigDir),
    user: { uid: 1000, gid: 100 },
  };
}
