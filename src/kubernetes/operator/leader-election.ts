/**
 * Leader election through a `coordination.k8s.io/v1` Lease, so that of several operator
 * replicas exactly one reconciles. Follows client-go's leaderelection package
 * (https://pkg.go.dev/k8s.io/client-go/tools/leaderelection): a candidate may take the Lease
 * only when it is free or its holder has not renewed it for `leaseDuration`, measured on the
 * candidate's own clock from when it last saw the record change (so clock skew between
 * machines does not matter); writes use the Lease's resourceVersion, so two candidates can
 * never both win. A leader that cannot renew within `renewDeadline` stops leading.
 * Written by hand: client-node has no leader election.
 */
import type { KubeApi } from '../client/kube-api.ts';
import { KubeApiError } from '../client/kube-api.ts';
import { objectPath, collectionPath } from '../client/resource-paths.ts';
import type { Lease } from '../plain.ts';

const leaseKind = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' } as const;

export interface LeaderElectionTiming {
  /** How long a lease is valid after its last renewal. Default 15 s (client-go's default). */
  readonly leaseDurationMs: number;
  /** A leader that cannot renew for this long gives up. Default 10 s. */
  readonly renewDeadlineMs: number;
  /** Time between attempts. Default 2 s. */
  readonly retryPeriodMs: number;
}

export const defaultTiming: LeaderElectionTiming = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** Lease times are MicroTime: RFC 3339 with six fractional digits. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export interface Observation {
  /** holder + renewTime + resourceVersion as last seen. */
  readonly record: string;
  /** Local time (ms) when `record` was first seen. */
  readonly seenAt: number;
}

export type Decision =
  | { readonly action: 'create' | 'update'; readonly lease: Lease }
  | { readonly action: 'wait'; readonly holder: string };

/** Pure: what a candidate does given the Lease it just read. */
export function decide(input: {
  readonly current: Lease | undefined;
  readonly observation: Observation | undefined;
  readonly identity: string;
  readonly namespace: string;
  readonly name: string;
  readonly nowMs: number;
  readonly timing: LeaderElectionTiming;
}): Decision {
  const { current, identity, nowMs, timing } = input;
  const now = microTime(new Date(nowMs));
  const durationSeconds = Math.ceil(timing.leaseDurationMs / 1000);
  if (!current) {
    return {
      action: 'create',
      lease: {
        apiVersion: leaseKind.apiVersion,
        kind: leaseKind.kind,
        metadata: { name: input.name, namespace: input.namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: 0,
        },
      },
    };
  }
  const spec = current.spec ?? {};
  const holder = spec.holderIdentity ?? '';
  const heldByOther = holder !== '' && holder !== identity;
  if (heldByOther) {
    const seenAt = input.observation?.seenAt ?? nowMs;
    const validFor = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (seenAt + validFor > nowMs) return { action: 'wait', holder };
  }
  const mine = holder === identity;
  return {
    action: 'update',
    lease: {
      ...current,
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: mine ? (spec.acquireTime ?? now) : now,
        renewTime: now,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
      },
    },
  };
}

export interface LeaderElectorOptions {
  readonly api: KubeApi;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly timing?: LeaderElectionTiming;
  readonly nowMs?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
  readonly onError?: (e: unknown) => void;
}

export interface LeaderElector {
  isLeader(): boolean;
  /** Stops campaigning; a leader hands the Lease back so a successor need not wait. */
  stop(): Promise<void>;
}

export function startLeaderElection(options: LeaderElectorOptions): LeaderElector {
  const timing = options.timing ?? defaultTiming;
  const nowMs = options.nowMs ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const path = objectPath(leaseKind, options.namespace, options.name);
  let observation: Observation | undefined;
  let leading = false;
  let lastRenewMs = 0;
  let stopped = false;
  // A function, not the variable: the loop reads it after awaits, when `stop` may have set it.
  const isStopped = (): boolean => stopped;

  async function attempt(): Promise<boolean> {
    const current = await options.api.get<Lease>(leaseKind, options.namespace, options.name);
    if (current) {
      const record = `${current.spec?.holderIdentity ?? ''}|${current.spec?.renewTime ?? ''}|${current.metadata?.resourceVersion ?? ''}`;
      if (observation?.record !== record) observation = { record, seenAt: nowMs() };
    }
    const d = decide({
      current,
      observation,
      identity: options.identity,
      namespace: options.namespace,
      name: options.name,
      nowMs: nowMs(),
      timing,
    });
    if (d.action === 'wait') return false;
    try {
      if (d.action === 'create') {
        await options.api.request({
          method: 'POST',
          path: collectionPath(leaseKind, options.namespace),
          body: d.lease,
        });
      } else {
        // PUT with the resourceVersion we read: a concurrent writer makes this fail with 409.
        await options.api.request({ method: 'PUT', path, body: d.lease });
      }
      return true;
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 409) return false;
      throw e;
    }
  }

  const loop = (async () => {
    while (!isStopped()) {
      let ok = false;
      try {
        ok = await attempt();
      } catch (e) {
        options.onError?.(e);
      }
      if (isStopped()) break;
      if (ok) {
        lastRenewMs = nowMs();
        if (!leading) {
          leading = true;
          options.onStartedLeading();
        }
      } else if (leading && nowMs() - lastRenewMs > timing.renewDeadlineMs) {
        leading = false;
        options.onStoppedLeading();
      }
      await sleep(timing.retryPeriodMs);
    }
  })();

  return {
    isLeader: () => leading,
    async stop() {
      stopped = true;
      await loop;
      if (!leading) return;
      leading = false;
      try {
        const current = await options.api.get<Lease>(leaseKind, options.namespace, options.name);
        if (current?.spec?.holderIdentity === options.identity) {
          const released: Lease = {
            ...current,
            spec: {
              ...current.spec,
              holderIdentity: '',
              leaseDurationSeconds: 1,
              renewTime: microTime(new Date(nowMs())),
            },
          };
          await options.api.request({ method: 'PUT', path, body: released });
        }
      } catch (e) {
        options.onError?.(e);
      }
    },
  };
}
