import type { FastifyReply, FastifyRequest } from 'fastify';
import { sleep, type InvalidField } from './http';

/** The part of a fault spec every sandbox understands; each sandbox adds its own kinds and fields. */
export interface BaseFaultSpec<K extends string = string> {
  kind: K;
  /** Restricts the fault to one endpoint name (each sandbox says which names it uses). */
  endpoint?: string;
  /** Limits the fault to the next N matching calls; without it the fault stays until cleared. */
  count?: number;
  /** latency: delay before the normal answer */
  latencyMs?: number;
  /** http_error: HTTP 5xx status (default 503) */
  status?: number;
}

export type ActiveFaultOf<S> = S & {
  id: number;
  /** how many calls it has hit */
  hits: number;
};

/**
 * Checks the fields every sandbox shares, in this order: the body is an object, `kind` is one of `kinds`,
 * `endpoint`, `count`. Returns the raw object for the sandbox's own fields. Errors come from `invalid`.
 */
export function parseFaultHead<K extends string>(
  input: unknown,
  kinds: readonly K[],
  invalid: InvalidField,
): { o: Record<string, unknown>; spec: BaseFaultSpec<K> } {
  if (typeof input !== 'object' || input === null) throw invalid('body', 'must be a JSON object');
  const o = input as Record<string, unknown>;
  if (!kinds.includes(o.kind as K)) throw invalid('kind', `must be one of ${kinds.join(', ')}`);
  const spec: BaseFaultSpec<K> = { kind: o.kind as K };
  if (o.endpoint !== undefined) {
    if (typeof o.endpoint !== 'string' || o.endpoint === '')
      throw invalid('endpoint', 'must be a string');
    spec.endpoint = o.endpoint;
  }
  if (o.count !== undefined) {
    if (!Number.isInteger(o.count) || (o.count as number) < 1)
      throw invalid('count', 'must be an integer ≥ 1');
    spec.count = o.count as number;
  }
  return { o, spec };
}

/**
 * The fields of the kinds every sandbox has: `latencyMs` of a `latency` fault and `status` (default 503) of an
 * `http_error` fault.
 */
export function parseCommonFaultKinds(
  o: Record<string, unknown>,
  spec: BaseFaultSpec,
  invalid: InvalidField,
): void {
  if (spec.kind === 'latency') {
    if (typeof o.latencyMs !== 'number' || o.latencyMs < 0)
      throw invalid('latencyMs', 'must be a number ≥ 0');
    spec.latencyMs = o.latencyMs;
  }
  if (spec.kind === 'http_error') {
    const status = o.status ?? 503;
    if (!Number.isInteger(status) || (status as number) < 500 || (status as number) > 599) {
      throw invalid('status', 'must be an HTTP 5xx status');
    }
    spec.status = status as number;
  }
}

/**
 * The injected faults of one sandbox: ids, hit counts and `count` exhaustion. A sandbox's FaultInjector extends
 * it with its `parse` (spec check) and a `pick` that says which call a fault matches (via `pickFirst`).
 */
export class FaultRegistry<S extends { count?: number }> {
  private faults: ActiveFaultOf<S>[] = [];
  private nextId = 1;

  constructor(private readonly parse: (input: unknown) => S) {}

  /** Adds a checked copy of `spec`; returns the stored fault itself (its `hits` go on counting). */
  add(spec: S): ActiveFaultOf<S> {
    const fault = { ...this.parse(spec), id: this.nextId++, hits: 0 } as ActiveFaultOf<S>;
    this.faults.push(fault);
    return fault;
  }

  clear(): void {
    this.faults = [];
  }

  list(): ActiveFaultOf<S>[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** A copy of the first fault `fires` accepts, counted as hit; exhausted faults are dropped. */
  protected pickFirst(fires: (fault: ActiveFaultOf<S>) => boolean): ActiveFaultOf<S> | undefined {
    for (const fault of this.faults) {
      if (!fires(fault)) continue;
      fault.hits += 1;
      if (fault.count !== undefined && fault.hits >= fault.count) {
        this.faults = this.faults.filter((f) => f !== fault);
      }
      return { ...fault };
    }
    return undefined;
  }
}

/**
 * Applies the faults that look the same at every provider: `latency` (waits, then the normal answer goes on:
 * returns false), `timeout` (never answers) and `drop` (closes the socket). Returns undefined for any other
 * kind, which the sandbox answers in its provider's shape.
 */
export async function applyConnectionFault(
  fault: { kind: string; latencyMs?: number },
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<boolean | undefined> {
  switch (fault.kind) {
    case 'latency':
      await sleep(fault.latencyMs ?? 0);
      return false;
    case 'timeout':
      // Never answer: the socket stays open until the client gives up or the sandbox closes.
      reply.hijack();
      return true;
    case 'drop':
      reply.hijack();
      req.raw.socket.destroy();
      return true;
    default:
      return undefined;
  }
}
