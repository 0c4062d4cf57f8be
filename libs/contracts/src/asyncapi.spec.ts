import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { ASYNCAPI_PATH, SCHEMAS_DIR, buildContractFiles } from './asyncapi';
import { COMMAND_TYPE_LIST } from './commands';
import { EVENT_TYPE_LIST } from './events';
import { TOPICS } from './topics';

const repoRoot = resolve(__dirname, '../../..');
const files = buildContractFiles();

describe('generated contract documents', () => {
  it.each([...files.keys()])('%s is up to date (run npm run contracts:generate)', (path) => {
    expect(readFileSync(resolve(repoRoot, path), 'utf8')).toBe(files.get(path));
  });

  it('docs/schemas holds exactly one schema per message type', () => {
    const committed = readdirSync(resolve(repoRoot, SCHEMAS_DIR))
      .filter((n) => n.endsWith('.json'))
      .sort();
    const expected = [...COMMAND_TYPE_LIST, ...EVENT_TYPE_LIST].map((t) => `${t}.json`).sort();
    expect(committed).toEqual(expected);
  });

  it('the AsyncAPI document validates and lists every topic and message type', async () => {
    const { document, diagnostics } = await new Parser().parse(files.get(ASYNCAPI_PATH) as string);
    // Spectral severity 0 = error (1 warning, 2 info, 3 hint).
    expect(
      diagnostics.filter((d) => d.severity === 0).map((d) => `${d.code}: ${d.message}`),
    ).toEqual([]);
    expect(document).toBeDefined();
    const addresses = document!
      .channels()
      .all()
      .map((c) => c.address());
    expect(addresses.sort()).toEqual(Object.values(TOPICS).sort());
    const messageNames = new Set(
      document!
        .messages()
        .all()
        .map((m) => m.name()),
    );
    for (const type of [...COMMAND_TYPE_LIST, ...EVENT_TYPE_LIST])
      expect(messageNames).toContain(type);
    const actions = document!
      .operations()
      .all()
      .map((o) => `${o.action()} ${o.channels().all()[0]?.address()}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        `receive ${TOPICS.cardCommands}`,
        `send ${TOPICS.cardEvents}`,
        `send ${TOPICS.cardCommandsDlq}`,
      ]),
    );
  }, 60_000);

  it('message payloads carry the field rules (strict, sealed secrets, one-of)', () => {
    const schema = JSON.parse(files.get(`${SCHEMAS_DIR}/card.activate.v1.json`) as string);
    expect(schema.additionalProperties).toBe(false);
    // card.activate.v1 data became a one-of of two strict variants when UQPAY activation was added
    // (KeySecure: `provider` optional; UQPAY: `provider: 'uqpay'` required); both refuse extra fields.
    const [keysecure, uqpay] = schema.properties.data.oneOf as {
      additionalProperties: boolean;
      properties: Record<string, unknown>;
      required: string[];
    }[];
    expect(keysecure.additionalProperties).toBe(false);
    expect(Object.keys(keysecure.properties)).toEqual([
      'provider',
      'card_unique_no',
      'card_last_no',
      'cvv_jwe',
    ]);
    expect(keysecure.required).toEqual(['card_unique_no', 'card_last_no', 'cvv_jwe']);
    expect(uqpay.additionalProperties).toBe(false);
    expect(Object.keys(uqpay.properties)).toEqual([
      'provider',
      'card_unique_no',
      'card_id',
      'activation_code',
      'pin_jwe',
      'no_pin_payment_amount',
    ]);
    expect(JSON.stringify(schema.properties.data)).not.toMatch(/"(cvv|pin)"/);
    const apply = JSON.parse(files.get(`${SCHEMAS_DIR}/card.apply.v1.json`) as string);
    expect(JSON.stringify(apply.properties.data.allOf)).toContain('package_no');
  });
});
