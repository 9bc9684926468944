/**
 * Everything a hub replica runs against Kubernetes: the backend (in every replica), and one
 * Lease that elects the single replica that runs the operator (when `runOperator`) and the
 * culler. Leader election follows client-go's rules (src/kubernetes/operator/leader-election.ts);
 * the operator reconciles only while this replica holds the Lease, and the culler asks the
 * same elector at every round, so both act in exactly one replica at a time.
 */
import { hostname } from 'node:os';
import type { KubeConfig } from '#kubernetes-client';
import type { KubernetesBackendConfig } from '../../config/schema.ts';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import { createKubeApi } from '../../kubernetes/client/kube-api.ts';
import { readKubeConfig } from '../../kubernetes/client/kube-config.ts';
import {
  startLeaderElection,
  type LeaderElectionTiming,
} from '../../kubernetes/operator/leader-election.ts';
import { createInformers } from '../../kubernetes/operator/informers.ts';
import { startOperator, type RunningOperator } from '../../kubernetes/operator/operator.ts';
import { defaultBuildSettings } from '../../kubernetes/resources/settings.ts';
import type { Logger } from '../../logging/logger.ts';
import type { Backend } from '../types.ts';
import { VIEW_KINDS } from './cluster-view.ts';
import { createKubernetesBackend } from './kubernetes-backend.ts';
import type { KubernetesBackendOptions } from './options.ts';

/**
 * How long after the hub's own kinds are listed the operator's start listing. The first
 * requests after a restart (every open notebook reconnecting at once) want the CPU the hub
 * runs on; the operator, paused over a restart anyway, loses this much more.
 */
const OPERATOR_KINDS_AFTER_MS = 2000;

export interface KubernetesHubParts {
  readonly backend: Backend;
  /** True while this replica holds the Lease (runs the operator, if asked, and the culler). */
  readonly isLeader: () => boolean;
  /** The name this replica writes into the Lease. */
  readonly identity: string;
  /** Stops the operator and hands the Lease back; the backend is closed by the hub. */
  readonly close: () => Promise<void>;
}

/** In-cluster credentials when no file is named (KubeConfig.loadFromDefault tries
 * $KUBECONFIG, then ~/.kube/config, then the service account); token files are read again
 * while the hub runs (readKubeConfig). */
export function loadKubeConfig(file: string | undefined): KubeConfig {
  let kubeConfig: KubeConfig;
  try {
    kubeConfig = readKubeConfig(file);
  } catch (e) {
    throw new GanymedeError('bad_request', 'Cannot read the cluster credentials.', {
      field: 'backend.kubernetes.kubeconfig',
      detail: (e as Error).message,
    });
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new GanymedeError('bad_request', 'The cluster credentials name no cluster.', {
      field: 'backend.kubernetes.kubeconfig',
      detail: 'Set backend.kubernetes.kubeconfig, or run the hub inside the cluster.',
    });
  }
  return kubeConfig;
}

export async function startKubernetesHubParts(input: {
  readonly config: KubernetesBackendConfig;
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** Ingress routing mode (config `ingressRouting`): a host per server. */
  readonly ingress?: KubernetesBackendOptions['ingress'];
}): Promise<KubernetesHubParts> {
  const { config, log } = input;
  const env = input.env ?? process.env;
  const kubeConfig = loadKubeConfig(config.kubeconfig);
  const le = config.leaderElection;
  const identity = le.identity ?? env['POD_NAME'] ?? `${hostname()}_${process.pid}`;
  const leaseNamespace = le.leaseNamespace ?? config.namespace;
  const timing: LeaderElectionTiming = {
    leaseDurationMs: le.leaseDurationSeconds * 1000,
    renewDeadlineMs: le.renewDeadlineSeconds * 1000,
    retryPeriodMs: le.retryPeriodSeconds * 1000,
  };
  // One set of watches for the whole process: with the operator inside, the backend and the
  // culler read the operator's caches (every replica keeps them warm, so a new leader reconciles
  // at once instead of listing everything first); without it, the backend watches notebooks and
  // their Secrets only.
  const api = await createKubeApi(kubeConfig);
  const informers = config.runOperator
    ? createInformers({
        kubeConfig,
        api,
        namespace: config.namespace,
        onError: (kind, err) => {
          log.warn({ kind, err }, 'watch failed; re-listing');
        },
        // Routine for a quiet kind (no bookmark for a while), a stalled connection otherwise.
        onSilent: (kind) => {
          log.debug({ kind }, 'watch silent too long; watching again from its last version');
        },
        // What the hub's routes need is listed first; the operator's other kinds after it.
        first: VIEW_KINDS,
        restAfterMs: OPERATOR_KINDS_AFTER_MS,
      })
    : undefined;
  const backend = await createKubernetesBackend({
    kubeConfig,
    namespace: config.namespace,
    startTimeoutMs: config.startTimeoutSeconds * 1000,
    ...(input.ingress ? { ingress: input.ingress } : {}),
    ...(informers ? { informers } : {}),
    log,
  });

  if (config.runOperator && informers) {
    const operator: RunningOperator = startOperator({
      kubeConfig,
      namespace: config.namespace,
      informers,
      startTimeoutMs: config.startTimeoutSeconds * 1000,
      settings: { ...defaultBuildSettings, hubNamespace: env['POD_NAMESPACE'] },
      maxStarting: config.maxStartingServers,
      nodeLostAfterMs: config.nodeLostSeconds * 1000,
      leaderElection: { namespace: leaseNamespace, leaseName: le.leaseName, identity, timing },
      // The elector keeps campaigning: this replica may lead again later.
      onLostLeadership: () => {
        log.warn({ identity }, 'lost the hub lease: operator and culler paused');
      },
      log,
    });
    operator.ready.catch((e: unknown) => {
      log.error({ err: e }, 'the in-hub operator could not start');
    });
    log.info(
      { identity, lease: `${leaseNamespace}/${le.leaseName}` },
      'campaigning for the hub lease (operator and culler)',
    );
    return {
      backend,
      identity,
      isLeader: () => operator.isLeader(),
      close: async () => {
        await operator.stop();
        await informers.stop();
        api.close();
      },
    };
  }

  // No operator here (it runs as its own Deployment): the Lease still elects the culler.
  const elector = startLeaderElection({
    api,
    namespace: leaseNamespace,
    name: le.leaseName,
    identity,
    timing,
    onStartedLeading: () => {
      log.info({ identity }, 'leading: this replica runs the culler');
    },
    onStoppedLeading: () => {
      log.warn({ identity }, 'lost the hub lease: culler paused');
    },
    onError: (err) => {
      log.warn({ err }, 'leader election');
    },
  });
  log.info(
    { identity, lease: `${leaseNamespace}/${le.leaseName}` },
    'campaigning for the hub lease (culler)',
  );
  return {
    backend,
    identity,
    isLeader: () => elector.isLeader(),
    async close() {
      await elector.stop();
      api.close();
    },
  };
}
