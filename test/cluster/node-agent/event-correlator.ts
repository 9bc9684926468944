/**
 * The kubelet's way of writing v1 Events, mirrored from client-go's EventCorrelator
 * (k8s.io/client-go/tools/record/events_cache.go, and recordToSink/recordEvent in event.go,
 * v0.36). A real kubelet never creates one Event per occurrence: a readiness probe failing every
 * period while Jupyter starts becomes one `Unhealthy` Event whose `count` grows, and a pod that
 * keeps complaining is throttled. Writing one object per occurrence (as this stand-in once did)
 * loaded the control plane with Event creations and watch notifications a real kubelet does not
 * cause, which made benchmarks of pods with probes unfair. So, in client-go's order:
 *
 * 1. Aggregation (EventAggregator): similar events (same source, object, type and reason; any
 *    message) seen with `aggregateMaxEvents` (10) distinct messages, each within
 *    `aggregateIntervalMs` (10 min) of the previous one, are folded into one Event whose message
 *    is prefixed "(combined from similar events): ".
 * 2. Dedupe (eventLogger): an event identical to an earlier one (same source, object including
 *    fieldPath, type, reason and message) is not created again: the existing Event is patched
 *    with count + 1, the new lastTimestamp (and message). If the patch finds the Event gone
 *    (the API server's event TTL), it is created again under its old name.
 * 3. Spam filter (EventSourceObjectSpamFilter): a token bucket per source + object + type,
 *    burst 25, refilled by one token every 300 s; an event without a token is not written at
 *    all (its occurrence still counts towards the next patch's `count`, as in client-go).
 *
 * State is three LRU caches of 4096 entries each, like client-go's. Everything about one
 * involved object is correlated and written in order (client-go uses one goroutine for all), so
 * a patch never overtakes the create it follows.
 */

import { randomUUID } from 'node:crypto';

/** How a v1 Event names the object it is about. */
export interface ObjectReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly fieldPath?: string | undefined;
}

export interface EventSource {
  readonly component: string;
  readonly host: string;
}

/** One occurrence, as a caller of the kubelet's EventRecorder gives it. */
export interface EventInput {
  readonly involvedObject: ObjectReference;
  readonly source: EventSource;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** The v1 Event to create. */
export interface EventObject {
  readonly apiVersion: 'v1';
  readonly kind: 'Event';
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly involvedObject: ObjectReference;
  readonly source: EventSource;
  readonly reportingComponent: string;
  readonly reportingInstance: string;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
  readonly count: number;
}

/** What changes when an Event is seen again (client-go's two-way patch holds exactly these). */
export interface EventPatch {
  readonly count: number;
  readonly lastTimestamp: string;
  readonly message: string;
}

export type Correlation =
  | { readonly dropped: true }
  | {
      readonly dropped: false;
      /** The key the observation is kept under; give it back to `updateState`. */
      readonly key: string;
      /** The whole Event: to create, or to create again if the patch finds it gone. */
      readonly event: EventObject;
      /** Set when the Event exists already (count > 1): patch it by name instead. */
      readonly patch?: EventPatch;
    };

/** What the API server returned for a written Event. */
export interface WrittenEvent {
  readonly name: string;
  readonly count: number;
}

export interface CorrelatorOptions {
  /** Milliseconds since the epoch; injected for tests. */
  readonly now?: () => number;
  /** Entries per cache (client-go: maxLruCacheEntries = 4096). */
  readonly cacheSize?: number;
  /** Events per source + object + type before throttling (defaultSpamBurst = 25). */
  readonly spamBurst?: number;
  /** One more allowed per this many ms (defaultSpamQPS = 1/300 s). */
  readonly spamRefillMs?: number;
  /** Distinct messages before aggregating (defaultAggregateMaxEvents = 10). */
  readonly aggregateMaxEvents?: number;
  /** A similar event later than this starts afresh (defaultAggregateIntervalInSeconds = 600). */
  readonly aggregateIntervalMs?: number;
}

/** k8s.io/utils/lru: `get` and `set` both make an entry the most recent; the oldest goes first. */
class Lru<V> {
  readonly #max: number;
  readonly #map = new Map<string, V>();

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: string): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
  }
}

interface AggregateRecord {
  /** Distinct messages seen, oldest first (client-go drops an arbitrary one; we drop the oldest). */
  readonly messages: Set<string>;
  lastSeen: number;
}

interface Observation {
  readonly count: number;
  readonly firstTimestamp: string;
  readonly name: string;
}

interface Bucket {
  credit: number;
  last: number;
}

const sep = '\u0000';

/** Source, involved object (without its field path) and type: the part all three keys share. */
function sourceAndObject(e: EventInput): string[] {
  const o = e.involvedObject;
  return [
    e.source.component,
    e.source.host,
    o.kind,
    o.namespace,
    o.name,
    o.uid,
    o.apiVersion,
    e.type,
  ];
}

/** getEventKey: everything that makes two occurrences the same Event. */
function eventKey(e: EventInput): string {
  const [component, host, kind, namespace, name, ...rest] = sourceAndObject(e);
  // client-go places fieldPath right after the object's name.
  return [
    component,
    host,
    kind,
    namespace,
    name,
    e.involvedObject.fieldPath ?? '',
    ...rest,
    e.reason,
    e.message,
  ].join(sep);
}

/** getSpamKey: one budget per source, object (not field) and type. */
function spamKey(e: EventInput): string {
  return sourceAndObject(e).join(sep);
}

/** EventAggregatorByReasonFunc: the group (reporting controller/instance = source here). */
function aggregateKey(e: EventInput): string {
  return [...sourceAndObject(e), e.reason, e.source.component, e.source.host].join(sep);
}

/** metav1.Time as the API server keeps it: RFC 3339, whole seconds. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export class EventCorrelator {
  readonly #now: () => number;
  readonly #burst: number;
  readonly #refillMs: number;
  readonly #maxEvents: number;
  readonly #intervalMs: number;
  readonly #aggregates: Lru<AggregateRecord>;
  readonly #observations: Lru<Observation>;
  readonly #buckets: Lru<Bucket>;
  #lastNano = 0n;

  constructor(options: CorrelatorOptions = {}) {
    this.#now = options.now ?? Date.now;
    const size = options.cacheSize ?? 4096;
    this.#burst = options.spamBurst ?? 25;
    this.#refillMs = options.spamRefillMs ?? 300_000;
    this.#maxEvents = options.aggregateMaxEvents ?? 10;
    this.#intervalMs = options.aggregateIntervalMs ?? 600_000;
    this.#aggregates = new Lru(size);
    this.#observations = new Lru(size);
    this.#buckets = new Lru(size);
  }

  /** Entries held per cache, for tests. */
  get stateSize(): { aggregates: number; observations: number; buckets: number } {
    return {
      aggregates: this.#aggregates.size,
      observations: this.#observations.size,
      buckets: this.#buckets.size,
    };
  }

  /** The injected clock. */
  now(): number {
    return this.#now();
  }

  /**
   * EventCorrelate: aggregate, observe (count), then filter spam. `now` is when it happened
   * (client-go stamps the Event when it is recorded, before it waits in the queue).
   */
  correlate(input: EventInput, now: number = this.#now()): Correlation {
    const { event: candidate, key } = this.#aggregate(input, now);
    const observed = this.#observe(candidate, key);
    if (!this.#allow(input, now)) return { dropped: true };
    return { dropped: false, key, ...observed };
  }

  /** UpdateState: what the API server returned for the Event kept under `key`. */
  updateState(key: string, written: WrittenEvent): void {
    const previous = this.#observations.get(key);
    this.#observations.set(key, {
      count: written.count,
      firstTimestamp: previous?.firstTimestamp ?? rfc3339(this.#now()),
      name: written.name,
    });
  }

  /** util.GenerateEventName: `<object>.<unix nanoseconds in hex>`, unique within this process. */
  #name(objectName: string, now: number): string {
    let nano = BigInt(Math.floor(now)) * 1_000_000n;
    if (nano <= this.#lastNano) nano = this.#lastNano + 1n;
    this.#lastNano = nano;
    const name = `${objectName}.${nano.toString(16)}`;
    return name.length <= 253 ? name : randomUUID();
  }

  #aggregate(input: EventInput, now: number): { event: EventObject; key: string } {
    const group = aggregateKey(input);
    let record = this.#aggregates.get(group);
    if (!record || now - record.lastSeen > this.#intervalMs) {
      record = { messages: new Set(), lastSeen: now };
    }
    record.messages.add(input.message);
    record.lastSeen = now;
    this.#aggregates.set(group, record);

    const o = input.involvedObject;
    const time = rfc3339(now);
    const base = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: this.#name(o.name, now), namespace: o.namespace || 'default' },
      involvedObject: o,
      source: input.source,
      reportingComponent: input.source.component,
      reportingInstance: input.source.host,
      type: input.type,
      reason: input.reason,
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    } as const;
    if (record.messages.size < this.#maxEvents) {
      return { event: { ...base, message: input.message }, key: eventKey(input) };
    }
    const oldest = record.messages.values().next();
    if (!oldest.done) record.messages.delete(oldest.value);
    return {
      event: { ...base, message: `(combined from similar events): ${input.message}` },
      key: group,
    };
  }

  /** eventObserve: a repeat takes the first one's name and first timestamp, with count + 1. */
  #observe(event: EventObject, key: string): { event: EventObject; patch?: EventPatch } {
    const last = this.#observations.get(key);
    if (!last || last.count <= 0) {
      this.#observations.set(key, {
        count: event.count,
        firstTimestamp: event.firstTimestamp,
        name: event.metadata.name,
      });
      return { event };
    }
    const repeat: EventObject = {
      ...event,
      metadata: { ...event.metadata, name: last.name },
      firstTimestamp: last.firstTimestamp,
      count: last.count + 1,
    };
    this.#observations.set(key, {
      count: repeat.count,
      firstTimestamp: repeat.firstTimestamp,
      name: repeat.metadata.name,
    });
    return {
      event: repeat,
      patch: { count: repeat.count, lastTimestamp: repeat.lastTimestamp, message: repeat.message },
    };
  }

  /**
   * A token bucket (golang.org/x/time/rate), starting full. Kept in milliseconds of credit
   * (a token is `spamRefillMs` of it) so that whole-millisecond clocks add up exactly.
   */
  #allow(input: EventInput, now: number): boolean {
    const key = spamKey(input);
    const full = this.#burst * this.#refillMs;
    const bucket = this.#buckets.get(key) ?? { credit: full, last: now };
    bucket.credit = Math.min(full, bucket.credit + Math.max(0, now - bucket.last));
    bucket.last = Math.max(bucket.last, now);
    const allowed = bucket.credit >= this.#refillMs;
    if (allowed) bucket.credit -= this.#refillMs;
    this.#buckets.set(key, bucket);
    return allowed;
  }
}

/** client-go's EventSink, reduced to what the correlator needs. */
export interface EventSink {
  create(event: EventObject): Promise<WrittenEvent>;
  /** Resolves to undefined when the Event is gone (expired or deleted): it is created again. */
  patch(namespace: string, name: string, patch: EventPatch): Promise<WrittenEvent | undefined>;
}

/** recordToSink/recordEvent: correlate, then patch or create, in order per involved object. */
export class EventRecorder {
  readonly #sink: EventSink;
  readonly #correlator: EventCorrelator;
  readonly #queues = new Map<string, Promise<void>>();

  constructor(sink: EventSink, correlator: EventCorrelator = new EventCorrelator()) {
    this.#sink = sink;
    this.#correlator = correlator;
  }

  /** Resolves once written (or dropped by the spam filter); rejects if the API call failed. */
  record(input: EventInput): Promise<void> {
    const o = input.involvedObject;
    const queueKey = [o.kind, o.namespace, o.name, o.uid].join(sep);
    const previous = this.#queues.get(queueKey) ?? Promise.resolve();
    const at = this.#correlator.now();
    const run = previous.then(() => this.#write(input, at));
    const tail = run.catch(() => undefined);
    this.#queues.set(queueKey, tail);
    void tail.then(() => {
      if (this.#queues.get(queueKey) === tail) this.#queues.delete(queueKey);
    });
    return run;
  }

  async #write(input: EventInput, at: number): Promise<void> {
    const result = this.#correlator.correlate(input, at);
    if (result.dropped) return;
    const { event, patch, key } = result;
    let written: WrittenEvent | undefined;
    if (patch)
      written = await this.#sink.patch(event.metadata.namespace, event.metadata.name, patch);
    written ??= await this.#sink.create(event);
    this.#correlator.updateState(key, written);
  }
}
