import type { ActiveFaultOf, BaseFaultSpec } from '@issuing-bridge/provider-sandbox';
import {
  FaultRegistry,
  parseFaultHead,
  parseCommonFaultKinds,
} from '@issuing-bridge/provider-sandbox';
import { invalidParameter } from './errors';

export type FaultKind = 'latency' | 'http_error' | 'timeout' | 'drop' | 'error_code';
const KINDS: readonly FaultKind[] = ['latency', 'http_error', 'timeout', 'drop', 'error_code'];

/**
 * One injected fault. `count` limits it to the next N matching calls; `rate` (0..1) applies it to that share of
 * matching calls; with neither it applies to every matching call until cleared. `endpoint` restricts it to one
 * endpoint name (e.g. `card.apply`) or request path.
 */
export interface FaultSpec extends BaseFaultSpec<FaultKind> {
  rate?: number;
  /** error_code: envelope code answered with HTTP 200 */
  code?: number;
  msg?: string;
}

export type ActiveFault = ActiveFaultOf<FaultSpec>;

export function parseFaultSpec(input: unknown): FaultSpec {
  const { o, spec } = parseFaultHead(input, KINDS, invalidParameter);
  const fault: FaultSpec = spec;
  if (o.rate !== undefined) {
    if (typeof o.rate !== 'number' || o.rate < 0 || o.rate > 1)
      throw invalidParameter('rate', 'must be from 0 to 1');
    fault.rate = o.rate;
  }
  parseCommonFaultKinds(o, fault, invalidParameter);
  if (fault.kind === 'error_code') {
    if (!Number.isInteger(o.code) || o.code === 0)
      throw invalidParameter('code', 'must be a non-zero integer');
    fault.code = o.code as number;
  }
  if (o.msg !== undefined) {
    if (typeof o.msg !== 'string') throw invalidParameter('msg', 'must be a string');
    fault.msg = o.msg;
  }
  return fault;
}

export class FaultInjector extends FaultRegistry<FaultSpec> {
  constructor(private readonly random: () => number = Math.random) {
    super(parseFaultSpec);
  }

  /** The first fault that matches this call and fires (count left, rate drawn); exhausted faults are dropped. */
  pick(endpoint: string, path: string): ActiveFault | undefined {
    return this.pickFirst(
      (fault) =>
        (fault.endpoint === undefined || fault.endpoint === endpoint || fault.endpoint === path) &&
        (fault.rate === undefined || this.random() < fault.rate),
    );
  }
}
