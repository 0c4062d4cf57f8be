import fc from 'fast-check';
import { PartitionOffsets } from './partition-offsets';

describe('PartitionOffsets', () => {
  it('commits only up to the lowest unfinished offset', () => {
    const p = new PartitionOffsets();
    ['10', '11', '12', '13'].forEach((o) => p.begin(o));
    p.finish('11');
    p.finish('13');
    expect(p.toCommit()).toBe('10');
    p.finish('10');
    expect(p.toCommit()).toBe('12');
    p.finish('12');
    expect(p.toCommit()).toBe('14');
  });

  it('returns null when the committed position would not move', () => {
    const p = new PartitionOffsets();
    expect(p.toCommit()).toBeNull();
    p.begin('5');
    p.markCommitted(p.toCommit()!);
    expect(p.toCommit()).toBeNull();
    p.finish('5');
    expect(p.toCommit()).toBe('6');
  });

  it('ignores redeliveries of offsets already seen (in flight or done)', () => {
    const p = new PartitionOffsets();
    expect(p.begin('1')).toBe(true);
    expect(p.begin('2')).toBe(true);
    p.finish('2');
    expect(p.begin('1')).toBe(false);
    expect(p.begin('2')).toBe(false);
    expect(p.inFlight).toBe(1);
    expect(p.begin('3')).toBe(true);
  });

  it('never commits past an unfinished offset, whatever the finishing order (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.nat(), { minLength: 40, maxLength: 40 }), (n, order) => {
        const p = new PartitionOffsets();
        const offsets = Array.from({ length: n }, (_, i) => 100 + i);
        offsets.forEach((o) => p.begin(String(o)));
        const remaining = new Set(offsets);
        let committed: number | null = null;
        const finishOrder = [...offsets].sort((a, b) => order[a % 40]! - order[b % 40]! || a - b);
        for (const o of finishOrder) {
          p.finish(String(o));
          remaining.delete(o);
          const c = p.toCommit();
          if (c !== null) {
            p.markCommitted(c);
            committed = Number(c);
          }
          // The committed position is exactly the lowest unfinished offset: never past it, never behind.
          expect(committed).toBe(remaining.size ? Math.min(...remaining) : 100 + n);
        }
      }),
    );
  });
});
