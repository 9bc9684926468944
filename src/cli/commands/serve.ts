import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Backend } from '../../backends/types.ts';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import { createLogger, type Logger } from '../../logging/logger.ts';
import { openStore } from '../../store/open-store.ts';
import type { CliCommand } from '../command.ts';

const usage = `Usage: ganymede serve [--config FILE] [--port N] [--host ADDR] [--data-dir DIR]

Runs the hub: portal, REST API and proxy. Without a config file it runs in local mode:
notebooks are Jupyter processes on this machine, files under the data directory.

Options:
  -c, --config FILE    YAML configuration (default: $GANYMEDE_CONFIG, else none)
  -p, --port N         port to listen on (overrides hub.port; default 8000)
      --host ADDR      address to listen on (overrides hub.host; default 127.0.0.1)
      --data-dir DIR   where the store and users' files live (overrides hub.dataDir)

Environment:
  GANYMEDE_ADMIN_PASSWORD  password for the first admin account (else one is printed once)
  GANYMEDE_METRICS_TOKEN   a token that opens /metrics and nothing else (for Prometheus)
  GANYMEDE_STORE_URL       overrides store.url (the Helm chart passes it from a Secret)
  GANYMEDE_JUPYTER         the jupyter command for local mode (else jupyter on PATH)
  POD_NAME, POD_NAMESPACE  Kubernetes: this replica's name in the hub Lease, and the
                           namespace admitted by notebooks' NetworkPolicies`;

/** An environment variable, with empty counting as unset (an optional Secret key the chart
 * left out arrives as nothing, but a hand-written `VAR=` must not mean an empty password). */
function nonEmptyEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The jupyter command for local mode: config, then $GANYMEDE_JUPYTER, then PATH. */
function findJupyter(config: Config): string {
  const candidate = config.backend.local.jupyter ?? process.env['GANYMEDE_JUPYTER'] ?? 'jupyter';
  try {
    execFileSync(candidate, ['lab', '--version'], { stdio: 'ignore', timeout: 60_000 });
    return candidate;
  } catch {
    throw new GanymedeError('bad_request', `Cannot run "${candidate} lab --version".`, {
      field: 'backend.local.jupyter',
      detail:
        'Install JupyterLab (npm start does it for you), or set backend.local.jupyter or GANYMEDE_JUPYTER.',
    });
  }
}

interface BackendParts {
  readonly backend: Backend;
  /** Several replicas (Kubernetes): whether this one runs the culler (and the operator). */
  readonly isLeader?: () => boolean;
  /** Stops what runs beside the backend (the operator, the Lease); after the hub closed. */
  readonly close?: () => Promise<void>;
}

// Each backend is loaded only when configured: the Kubernetes one brings the Kubernetes
// client (~900 modules), which a local hub would otherwise keep in memory for nothing.
async function createBackend(config: Config, log: Logger): Promise<BackendParts> {
  if (config.backend.type === 'local') {
    const { createLocalBackend } = await import('../../backends/local/index.ts');
    return {
      backend: createLocalBackend({
        dataDir: resolve(config.hub.dataDir),
        jupyter: findJupyter(config),
        startTimeoutMs: config.backend.local.startTimeoutSeconds * 1000,
        stopGraceMs: config.backend.local.stopGraceSeconds * 1000,
        log,
      }),
    };
  }
  const { startKubernetesHubParts } = await import('../../backends/kubernetes/in-hub.ts');
  return startKubernetesHubParts({
    config: config.backend.kubernetes,
    log,
    ...(config.ingressRouting ? { ingress: config.ingressRouting } : {}),
  });
}

/**
 * The store, the backend and the hub's own modules, made at the same time, so the Kubernetes
 * backend's first lists (notebooks and their Secrets) are in flight while the rest of the hub
 * loads: those two were most of what a restarted hub did before it served again (bench/scale,
 * restart re-adoption). The backend goes first so its requests leave first. If one part
 * fails, the others are closed, so nothing is left running behind the error.
 */
async function startParts(config: Config, log: Logger) {
  const backend = createBackend(config, log);
  const hubModule = import('../../hub/hub.ts');
  const store = openStore(config.store.url, resolve(config.hub.dataDir));
  const [parts, hub, opened] = await Promise.allSettled([backend, hubModule, store]);
  if (parts.status === 'fulfilled' && hub.status === 'fulfilled' && opened.status === 'fulfilled') {
    return { parts: parts.value, startHub: hub.value.startHub, store: opened.value };
  }
  await Promise.allSettled([
    parts.status === 'fulfilled' ? closeParts(parts.value) : undefined,
    opened.status === 'fulfilled' ? opened.value.close() : undefined,
  ]);
  const failures = [parts, hub, opened].flatMap((r) =>
    r.status === 'rejected' ? [r.reason as unknown] : [],
  );
  throw failures[0];
}

async function closeParts(parts: BackendParts): Promise<void> {
  await parts.backend.close();
  await parts.close?.();
}

export const serveCommand: CliCommand = {
  name: 'serve',
  usage,
  async run(args) {
    let values;
    try {
      ({ values } = parseArgs({
        args: [...args],
        options: {
          config: { type: 'string', short: 'c' },
          port: { type: 'string', short: 'p' },
          host: { type: 'string' },
          'data-dir': { type: 'string' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (e) {
      throw new GanymedeError('bad_request', (e as Error).message, {
        detail: 'See ganymede serve --help.',
      });
    }
    const config = loadConfig(values.config ?? process.env['GANYMEDE_CONFIG']);
    if (values.port !== undefined) {
      const port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new GanymedeError(
          'bad_request',
          `--port: "${values.port}" is not a port number (example: 8000)`,
          {
            field: 'port',
          },
        );
      }
      config.hub.port = port;
    }
    if (values.host !== undefined) config.hub.host = values.host;
    if (values['data-dir'] !== undefined) config.hub.dataDir = values['data-dir'];
    // A PostgreSQL URL holds a password, so it may come from a Secret rather than the file.
    const storeUrl = process.env['GANYMEDE_STORE_URL'];
    if (storeUrl) config.store.url = storeUrl;

    const log = createLogger();
    const { store, parts, startHub } = await startParts(config, log);
    const hub = await startHub({
      config,
      store,
      backend: parts.backend,
      log,
      ...(parts.isLeader ? { isLeader: parts.isLeader } : {}),
      adminPassword: nonEmptyEnv('GANYMEDE_ADMIN_PASSWORD'),
      metricsScrapeToken: nonEmptyEnv('GANYMEDE_METRICS_TOKEN'),
      onAdminCreated: (name, password) => {
        if (password) {
          process.stderr.write(
            `\n  First run: created the administrator account.\n    user name: ${name}\n    password:  ${password}\n  This password is shown only once.\n\n`,
          );
        }
      },
    });
    process.stderr.write(
      `\n  Ganymede is running: open ${hub.url.replace('127.0.0.1', 'localhost')}/hub/login\n\n`,
    );
    await new Promise<void>((done) => {
      const stop = () => {
        log.info('shutting down; running notebooks keep running');
        void hub
          .close()
          .then(() => parts.close?.())
          .then(done);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
