import { invalidRequest } from './errors';

export type FaultKind = 'latency' | 'http_error' | 'timeout' | 'drop' | 'error';
const KINDS: readonly FaultKind[] = ['latency', 'http_error', 'timeout', 'drop', 'error'];

/**
 * One injected fault. `count` limits it to the next N matching calls, else it stays until cleared.
 * `endpoint` restricts it to one endpoint name ('token', 'card.activate', 'card.retrieve', 'card.status.update').
 * `phase` 'after' (mutating endpoints) processes and stores the request first, then fails the answer:
 * the case where UQPAY acted but the caller never heard.
 */
export interface FaultSpec {
  kind: FaultKind;
  endpoint?: string;
  count?: number;
  phase?: 'before' | 'after';
  /** latency: delay before the normal answer */
  latencyMs?: number;
  /** http_error: 5xx status, answered with an api_error body (default 503) */
  status?: number;
  /** error: the answer to give — HTTP status and envelope fields */
  error?: { status: number; type?: string; code?: string | number; message: string };
}

export interface ActiveFault extends FaultSpec {
  id: number;
  hits: number;
}

export function parseFaultSpec(input: unknown): FaultSpec {
  if (typeof input !== 'object' || input === null)
    throw invalidRequest('body', 'must be a JSON object');
  const o = input as Record<string, unknown>;
  if (!KINDS.includes(o.kind as FaultKind))
    throw invalidRequest('kind', `must be one of ${KINDS.join(', ')}`);
  const spec: FaultSpec = { kind: o.kind as FaultKind };
  if (o.endpoint !== undefined) {
    if (typeof o.endpoint !== 'string' || o.endpoint === '')
      throw invalidRequest('endpoint', 'must be a string');
    spec.endpoint = o.endpoint;
  }
  if (o.count !== undefined) {
    if (!Number.isInteger(o.count) || (o.count as number) < 1)
      throw invalidRequest('count', 'must be an integer ≥ 1');
    spec.count = o.count as number;
  }
  if (o.phase !== undefined) {
    if (o.phase !== 'before' && o.phase !== 'after')
      throw invalidRequest('phase', 'must be before or after');
    spec.phase = o.phase;
  }
  if (spec.kind === 'latency') {
    if (typeof o.latencyMs !== 'number' || o.latencyMs < 0)
      throw invalidRequest('latencyMs', 'must be a number ≥ 0');
    spec.latencyMs = o.latencyMs;
  }
  if (spec.kind === 'http_error') {
    const status = o.status ?? 503;
    if (!Number.isInteger(status) || (status as number) < 500 || (status as number) > 599) {
      throw invalidRequest('status', 'must be an HTTP 5xx status');
    }
    spec.status = status as number;
  }
  if (spec.kind === 'error') {
    const e = o.error as Record<string, unknown> | undefined;
    if (!e || typeof e !== 'object')
      throw invalidRequest('error', 'is required: {status, type?, code?, message}');
    if (!Number.isInteger(e.status) || (e.status as number) < 400 || (e.status as number) > 599) {
      throw invalidRequest('error.status', 'must be an HTTP status 400-599');
    }
    if (typeof e.message !== 'string') throw invalidRequest('error.message', 'must be a string');
    if (e.type !== undefined && typeof e.type !== 'string')
      throw invalidRequest('error.type', 'must be a string');
    if (e.code !== undefined && typeof e.code !== 'string' && typeof e.code !== 'number') {
      throw invalidRequest('error.code', 'must be a string or number');
    }
    spec.error = {
      status: e.status as number,
      type: e.type as string | undefined,
      code: e.code as string | number | undefined,
      message: e.message,
    };
  }
  return spec;
}

export class FaultInjector {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): ActiveFault {
    const fault: ActiveFault = { ...parseFaultSpec(spec), id: this.nextId++, hits: 0 };
    this.faults.push(fault);
    return { ...fault };
  }

  clear(): void {
    this.faults = [];
  }

  list(): ActiveFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** The first fault for this endpoint and phase; exhausted faults are dropped. */
  pick(endpoint: string, phase: 'before' | 'after'): ActiveFault | undefined {
    for (const fault of this.faults) {
      if (fault.endpoint !== undefined && fault.endpoint !== endpoint) continue;
      if ((fault.phase ?? 'before') !== phase) continue;
      fault.hits += 1;
      if (fault.count !== undefined && fault.hits >= fault.count)
        this.faults = this.faults.filter((f) => f !== fault);
      return { ...fault };
    }
    return undefined;
  }
}
