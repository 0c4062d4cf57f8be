import {
  FaultRegistry,
  parseCommonFaultKinds,
  parseFaultHead,
  type ActiveFaultOf,
  type BaseFaultSpec,
} from './faults';

const invalid = (field: string, rule: string) => new Error(`${field} ${rule}`);
type Spec = BaseFaultSpec<'latency' | 'http_error' | 'drop'>;
const KINDS = ['latency', 'http_error', 'drop'] as const;

function parse(input: unknown): Spec {
  const { o, spec } = parseFaultHead(input, KINDS, invalid);
  parseCommonFaultKinds(o, spec, invalid);
  return spec;
}

class Registry extends FaultRegistry<Spec> {
  constructor() {
    super(parse);
  }
  pick(endpoint: string): ActiveFaultOf<Spec> | undefined {
    return this.pickFirst((f) => f.endpoint === undefined || f.endpoint === endpoint);
  }
}

describe('parseFaultHead / parseCommonFaultKinds', () => {
  it.each([
    [null, /^body must be a JSON object$/],
    [{ kind: 'explode' }, /^kind must be one of latency, http_error, drop$/],
    [{ kind: 'drop', endpoint: '' }, /^endpoint must be a string$/],
    [{ kind: 'drop', count: 0 }, /^count must be an integer ≥ 1$/],
    [{ kind: 'drop', count: 1.5 }, /^count must be an integer ≥ 1$/],
    [{ kind: 'latency' }, /^latencyMs must be a number ≥ 0$/],
    [{ kind: 'http_error', status: 404 }, /^status must be an HTTP 5xx status$/],
  ])('refuses %j through the sandbox’s own error', (input, message) => {
    expect(() => parse(input)).toThrow(message);
  });

  it('checks the shared head before the common kinds', () => {
    expect(() => parse({ kind: 'latency', count: 0 })).toThrow(/^count /);
  });

  it('keeps only the known fields and defaults an http_error to 503', () => {
    expect(parse({ kind: 'http_error', endpoint: 'card.apply', count: 2, extra: 1 })).toEqual({
      kind: 'http_error',
      endpoint: 'card.apply',
      count: 2,
      status: 503,
    });
    expect(parse({ kind: 'latency', latencyMs: 0 })).toEqual({ kind: 'latency', latencyMs: 0 });
  });
});

describe('FaultRegistry', () => {
  it('numbers faults, counts hits and drops a fault when its count is used up', () => {
    const r = new Registry();
    const first = r.add({ kind: 'drop', endpoint: 'a', count: 2 });
    const second = r.add({ kind: 'latency', latencyMs: 5 });
    expect([first.id, second.id]).toEqual([1, 2]);
    expect(r.pick('a')).toMatchObject({ id: 1, hits: 1 });
    expect(r.pick('a')).toMatchObject({ id: 1, hits: 2 });
    expect(r.pick('a')).toMatchObject({ id: 2, hits: 1 });
    expect(r.list().map((f) => f.id)).toEqual([2]);
  });

  it('passes over faults the predicate refuses and answers undefined when none fires', () => {
    const r = new Registry();
    r.add({ kind: 'drop', endpoint: 'a' });
    expect(r.pick('b')).toBeUndefined();
    expect(r.list()).toEqual([expect.objectContaining({ hits: 0 })]);
  });

  it('add returns the stored fault (its hits go on counting); list and pick return copies', () => {
    const r = new Registry();
    const added = r.add({ kind: 'drop' });
    const picked = r.pick('x');
    expect(added.hits).toBe(1);
    picked!.hits = 99;
    r.list()[0].hits = 42;
    expect(r.list()[0].hits).toBe(1);
  });

  it('checks the spec with the sandbox’s parser and clear() forgets everything', () => {
    const r = new Registry();
    expect(() => r.add({ kind: 'nope' } as never)).toThrow(/^kind /);
    r.add({ kind: 'drop' });
    r.clear();
    expect(r.list()).toEqual([]);
    expect(r.pick('x')).toBeUndefined();
  });
});
