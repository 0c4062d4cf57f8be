import { invalidParameter } from './errors';

export type FaultKind = 'latency' | 'http_error' | 'timeout' | 'drop' | 'error_code';
const KINDS: readonly FaultKind[] = ['latency', 'http_error', 'timeout', 'drop', 'error_code'];

/**
 * One injected fault. `count` limits it to the next N matching calls; `rate` (0..1) applies it to that share of
 * matching calls; with neither it applies to every matching call until cleared. `endpoint` restricts it to one
 * endpoint name (e.g. `card.apply`) or request path.
 */
export interface FaultSpec {
  kind: FaultKind;
  endpoint?: string;
  count?: number;
  rate?: number;
  /** latency: added delay before the normal answer */
  latencyMs?: number;
  /** http_error: HTTP status (default 503) */
  status?: number;
  /** error_code: envelope code answered with HTTP 200 */
  code?: number;
  msg?: string;
}

export interface ActiveFault extends FaultSpec {
  id: number;
  /** how many calls it has hit */
  hits: number;
}

export function parseFaultSpec(input: unknown): FaultSpec {
  if (typeof input !== 'object' || input === null)
    throw invalidParameter('body', 'must be a JSON object');
  const o = input as Record<string, unknown>;
  if (!KINDS.includes(o.kind as FaultKind))
    throw invalidParameter('kind', `must be one of ${KINDS.join(', ')}`);
  const spec: FaultSpec = { kind: o.kind as FaultKind };
  if (o.endpoint !== undefined) {
    if (typeof o.endpoint !== 'string' || o.endpoint === '')
      throw invalidParameter('endpoint', 'must be a string');
    spec.endpoint = o.endpoint;
  }
  if (o.count !== undefined) {
    if (!Number.isInteger(o.count) || (o.count as number) < 1)
      throw invalidParameter('count', 'must be an integer ≥ 1');
    spec.count = o.count as number;
  }
  if (o.rate !== undefined) {
    if (typeof o.rate !== 'number' || o.rate < 0 || o.rate > 1)
      throw invalidParameter('rate', 'must be from 0 to 1');
    spec.rate = o.rate;
  }
  if (spec.kind === 'latency') {
    if (typeof o.latencyMs !== 'number' || o.latencyMs < 0)
      throw invalidParameter('latencyMs', 'must be a number ≥ 0');
    spec.latencyMs = o.latencyMs;
  }
  if (spec.kind === 'http_error') {
    const status = o.status ?? 503;
    if (!Number.isInteger(status) || (status as number) < 500 || (status as number) > 599) {
      throw invalidParameter('status', 'must be an HTTP 5xx status');
    }
    spec.status = status as number;
  }
  if (spec.kind === 'error_code') {
    if (!Number.isInteger(o.code) || o.code === 0)
      throw invalidParameter('code', 'must be a non-zero integer');
    spec.code = o.code as number;
  }
  if (o.msg !== undefined) {
    if (typeof o.msg !== 'string') throw invalidParameter('msg', 'must be a string');
    spec.msg = o.msg;
  }
  return spec;
}

export class FaultInjector {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  constructor(private readonly random: () => number = Math.random) {}

  add(spec: FaultSpec): ActiveFault {
    const fault: ActiveFault = { ...parseFaultSpec(spec), id: this.nextId++, hits: 0 };
    this.faults.push(fault);
    return fault;
  }

  clear(): void {
    this.faults = [];
  }

  list(): ActiveFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** The first fault that matches this call and fires (count left, rate drawn); exhausted faults are dropped. */
  pick(endpoint: string, path: string): ActiveFault | undefined {
    for (const fault of this.faults) {
      if (fault.endpoint !== undefined && fault.endpoint !== endpoint && fault.endpoint !== path)
        continue;
      if (fault.rate !== undefined && this.random() >= fault.rate) continue;
      fault.hits += 1;
      if (fault.count !== undefined && fault.hits >= fault.count) {
        this.faults = this.faults.filter((f) => f !== fault);
      }
      return { ...fault };
    }
    return undefined;
  }
}
