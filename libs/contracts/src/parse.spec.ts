import fc from 'fast-check';
import { COMMAND_TYPE_LIST, COMMAND_TYPES } from './commands';
import { exampleCommandData } from './examples';
import { createCommand } from './factory';
import { parseCommand } from './parse';

const validCommand = (type: (typeof COMMAND_TYPE_LIST)[number]) =>
  JSON.parse(
    JSON.stringify(createCommand({ type, source: 'urn:test', data: exampleCommandData(type) })),
  ) as Record<string, unknown>;

function expectWellFormedRejection(raw: unknown) {
  const result = parseCommand(raw);
  if (result.ok) return;
  expect(result.violations.length).toBeGreaterThan(0);
  for (const v of result.violations) {
    expect(typeof v.field).toBe('string');
    expect(v.field.length).toBeGreaterThan(0);
    expect(v.rule).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(v.message.length).toBeGreaterThan(0);
  }
}

describe('parseCommand on arbitrary input (property)', () => {
  it('never throws and always explains a rejection with a field', () => {
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true }),
        (raw) => {
          expectWellFormedRejection(raw);
          expect(parseCommand(raw).ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects JSON-like junk with a known type, with violations that never echo a junk string', () => {
    const junkString = fc.string({ minLength: 6 }).map((s) => `JUNK${s}`);
    fc.assert(
      fc.property(
        fc.constantFrom(...COMMAND_TYPE_LIST),
        fc.dictionary(
          fc.string(),
          fc.oneof(junkString, fc.integer(), fc.constant(null), fc.array(junkString)),
        ),
        (type, data) => {
          const raw = { ...validCommand(type), data };
          const result = parseCommand(raw);
          expectWellFormedRejection(raw);
          if (!result.ok) {
            for (const value of Object.values(data).flat()) {
              if (typeof value === 'string')
                expect(JSON.stringify(result.violations)).not.toContain(value);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a valid command with one field replaced by junk is rejected on that field', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...COMMAND_TYPE_LIST),
        fc.oneof(
          fc.integer(),
          fc.boolean(),
          fc.constant(null),
          fc.array(fc.integer()),
          fc.object(),
        ),
        fc.nat(),
        (type, junk, pick) => {
          const raw = validCommand(type);
          const data = raw.data as Record<string, unknown>;
          const keys = Object.keys(data);
          const key = keys[pick % keys.length];
          data[key] = junk;
          const result = parseCommand(raw);
          expect(result.ok).toBe(false);
          if (!result.ok) {
            expect(
              result.violations.some(
                (v) => v.field === `data.${key}` || v.field.startsWith(`data.${key}.`),
              ),
            ).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('parseCommand basics', () => {
  it('rejects non-objects at the root', () => {
    for (const raw of [null, 42, 'text', [], undefined]) {
      expect(parseCommand(raw)).toMatchObject({
        ok: false,
        violations: [{ field: '$', rule: 'type' }],
      });
    }
  });

  it('round-trips every valid command through JSON', () => {
    for (const type of COMMAND_TYPE_LIST) expect(parseCommand(validCommand(type)).ok).toBe(true);
  });

  it('returns the typed command', () => {
    const result = parseCommand(validCommand(COMMAND_TYPES.cardActivate));
    expect(
      result.ok &&
        result.command.type === COMMAND_TYPES.cardActivate &&
        result.command.data.provider !== 'uqpay' &&
        result.command.data.card_last_no,
    ).toBe('1234');
  });
});
