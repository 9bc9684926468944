import { parseArgs } from 'node:util';
import type { KubeConfig } from '#kubernetes-client';
import { maxStartingSchema } from '../../config/schema.ts';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import { readKubeConfig } from '../../kubernetes/client/kube-config.ts';
import { startOperator } from '../../kubernetes/operator/operator.ts';
import { defaultBuildSettings } from '../../kubernetes/resources/settings.ts';
import { createLogger } from '../../logging/logger.ts';
import type { CliCommand } from '../command.ts';

const usage = `Usage: ganymede operator [--kubeconfig FILE] [--namespace NS] [--leader-elect]

Runs the JupyterNotebook operator: turns each JupyterNotebook resource into its Secret,
volume claim, Deployment, Service, NetworkPolicy and Ingress, and reports its status.
Stops cleanly on SIGTERM or SIGINT.

Options:
      --kubeconfig FILE      cluster credentials (default: in-cluster, else $KUBECONFIG or ~/.kube/config)
  -n, --namespace NS         manage notebooks in NS only (default: all namespaces)
      --leader-elect         run as one of several replicas, leading through a Lease
      --lease-namespace NS   namespace of the Lease (default: $POD_NAMESPACE, else "default")
      --identity ID          this replica's name in the Lease (default: <hostname>_<pid>)
      --workers N            notebooks reconciled at once (default 4)
      --max-starting N|auto  servers starting at once; the rest wait their turn (default auto:
                             two per CPU of the nodes; 0: no limit)
      --hub-namespace NS     namespace of the hub, admitted by each notebook's NetworkPolicy
                             (default: the notebook's own namespace)
      --start-timeout S      a server the hub started that is not ready S seconds after its
                             start (or its turn) is reported failed (default 300; 0: never)
      --node-lost S          a server the hub started whose node has not reported for S
                             seconds is reported stopped, files kept (default 60; needs
                             list on nodes)`;

export const operatorCommand: CliCommand = {
  name: 'operator',
  usage,
  async run(args) {
    const { values } = parseArgs({
      args: [...args],
      strict: true,
      options: {
        kubeconfig: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        'leader-elect': { type: 'boolean', default: false },
        'lease-namespace': { type: 'string' },
        identity: { type: 'string' },
        workers: { type: 'string', default: '4' },
        'max-starting': { type: 'string', default: 'auto' },
        'hub-namespace': { type: 'string' },
        'start-timeout': { type: 'string', default: '300' },
        'node-lost': { type: 'string', default: '60' },
      },
    });
    const startTimeout = Number(values['start-timeout']);
    if (!Number.isInteger(startTimeout) || startTimeout < 0 || startTimeout > 86_400) {
      throw new GanymedeError(
        'bad_request',
        '--start-timeout must be a whole number of seconds from 0 (never) to 86400.',
        { field: 'start-timeout' },
      );
    }
    const nodeLost = Number(values['node-lost']);
    if (!Number.isInteger(nodeLost) || nodeLost < 5 || nodeLost > 86_400) {
      throw new GanymedeError(
        'bad_request',
        '--node-lost must be a whole number of seconds from 5 to 86400.',
        { field: 'node-lost' },
      );
    }
    const workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
      throw new GanymedeError('bad_request', '--workers must be a whole number from 1 to 64.', {
        field: 'workers',
      });
    }
    const maxStartingText = values['max-starting'];
    const maxStarting = maxStartingSchema.safeParse(
      maxStartingText === 'auto' ? maxStartingText : Number(maxStartingText),
    );
    if (!maxStarting.success) {
      throw new GanymedeError(
        'bad_request',
        '--max-starting must be "auto" or a whole number from 0 (no limit) up.',
        { field: 'max-starting' },
      );
    }
    let kubeConfig: KubeConfig;
    try {
      // Token files (the pod's rotated service-account token) are read again while it runs.
      kubeConfig = readKubeConfig(values.kubeconfig);
    } catch (e) {
      throw new GanymedeError('bad_request', 'Cannot read the cluster credentials.', {
        field: 'kubeconfig',
        detail: (e as Error).message,
      });
    }
    const log = createLogger({ name: 'ganymede-operator' });
    let exitCode = 0;
    let wake: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (wake = resolve));
    const operator = startOperator({
      kubeConfig,
      namespace: values.namespace,
      workers,
      maxStarting: maxStarting.data,
      startTimeoutMs: startTimeout * 1000,
      nodeLostAfterMs: nodeLost * 1000,
      settings: { ...defaultBuildSettings, hubNamespace: values['hub-namespace'] },
      leaderElection: values['leader-elect']
        ? {
            namespace: values['lease-namespace'] ?? process.env['POD_NAMESPACE'] ?? 'default',
            ...(values.identity === undefined ? {} : { identity: values.identity }),
          }
        : undefined,
      onLostLeadership: () => {
        exitCode = 1;
        wake();
      },
      log,
    });
    const onSignal = (): void => {
      wake();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    operator.ready.catch((e: unknown) => {
      log.error({ err: e }, 'operator could not start');
      exitCode = 1;
      wake();
    });
    await finished;
    await operator.stop();
    return exitCode;
  },
};
