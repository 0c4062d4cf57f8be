import type { ActiveFaultOf, BaseFaultSpec } from '@issuing-bridge/provider-sandbox';
import {
  FaultRegistry,
  parseFaultHead,
  parseCommonFaultKinds,
} from '@issuing-bridge/provider-sandbox';
import { invalidRequest } from './errors';

export type FaultKind = 'latency' | 'http_error' | 'timeout' | 'drop' | 'error';
const KINDS: readonly FaultKind[] = ['latency', 'http_error', 'timeout', 'drop', 'error'];

/**
 * One injected fault. `count` limits it to the next N matching calls, else it stays until cleared.
 * `endpoint` restricts it to one endpoint name ('token', 'card.activate', 'card.retrieve', 'card.status.update').
 * `phase` 'after' (mutating endpoints) processes and stores the request first, then fails the answer:
 * the case where UQPAY acted but the caller never heard. An http_error is answered with an api_error body.
 */
export interface FaultSpec extends BaseFaultSpec<FaultKind> {
  phase?: 'before' | 'after';
  /** error: the answer to give — HTTP status and envelope fields */
  error?: { status: number; type?: string; code?: string | number; message: string };
}

export type ActiveFault = ActiveFaultOf<FaultSpec>;

export function parseFaultSpec(input: unknown): FaultSpec {
  const { o, spec } = parseFaultHead(input, KINDS, invalidRequest);
  const fault: FaultSpec = spec;
  if (o.phase !== undefined) {
    if (o.phase !== 'before' && o.phase !== 'after')
      throw invalidRequest('phase', 'must be before or after');
    fault.phase = o.phase;
  }
  parseCommonFaultKinds(o, fault, invalidRequest);
  if (fault.kind === 'error') {
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
    fault.error = {
      status: e.status as number,
      type: e.type as string | undefined,
      code: e.code as string | number | undefined,
      message: e.message,
    };
  }
  return fault;
}

export class FaultInjector extends FaultRegistry<FaultSpec> {
  constructor() {
    super(parseFaultSpec);
  }

  /** Adds a checked copy of `spec`; returns a copy (later hits are seen through list()). */
  override add(spec: FaultSpec): ActiveFault {
    return { ...super.add(spec) };
  }

  /** The first fault for this endpoint and phase; exhausted faults are dropped. */
  pick(endpoint: string, phase: 'before' | 'after'): ActiveFault | undefined {
    return this.pickFirst(
      (fault) =>
        (fault.endpoint === undefined || fault.endpoint === endpoint) &&
        (fault.phase ?? 'before') === phase,
    );
  }
}
