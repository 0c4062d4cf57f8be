import { createHash, randomUUID } from 'node:crypto';
import {
  COMMAND_TYPES,
  createEvent,
  EVENT_TYPES,
  TOPICS,
  type EventData,
  type EventType,
} from '@issuing-bridge/contracts';
import { queryDatabase, waitFor, type ServiceProcess } from '../../../test/support';
import { StackRig } from './stack-rig';
import { call, type JsonResponse } from './support/http';
import { publishRaw, type TappedRecord } from './support/topic-tap';

// The HTTP API over a spawned gateway (main.ts as deployed) against real Kafka and Postgres.
const stack = new StackRig('api');
const { run, tap } = stack;
const KEYS = {
  erp: 'erp-key-0001-secret',
  crm: 'crm-key-0002-secret', // configured only as its SHA-256
  old: 'old-key-0003-secret', // configured, then disabled
  burst: 'burst-key-0004-secret',
};
const RATE_LIMIT = 150;
// Distinctive plaintexts, searched for in every place they must never reach.
const CVV = '739';
const PIN = '580316';

const erp = { authorization: `Bearer ${KEYS.erp}` };
const crm = { 'x-api-key': KEYS.crm };
let seq = 0;
const unique = (prefix: string) => `${prefix}-${run}-${++seq}`;

const virtualCard = (cardUniqueNo: string) => ({
  card_unique_no: cardUniqueNo,
  cardholder_no: 'KSCH0001',
  card_type: 'Virtual',
  package_no: 'PKG_VIRTUAL_001',
});

describe('gateway HTTP API', () => {
  let gateway: ServiceProcess;
  const api = <T = Record<string, unknown>>(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<JsonResponse<T>> => call<T>(gateway.baseUrl, method, path, { headers, body });
  const commandRecords = (id: string) => (r: TappedRecord) =>
    (r.topic === TOPICS.cardCommands || r.topic === TOPICS.cardholderCommands) && r.json.id === id;

  beforeAll(async () => {
    await stack.setUp([TOPICS.cardCommands, TOPICS.cardholderCommands]);
    const crmDigest = createHash('sha256').update(KEYS.crm).digest('hex');
    gateway = await stack.start('gateway', {
      LOG_LEVEL: 'debug',
      GATEWAY_API_KEYS: `erp:${KEYS.erp},crm:sha256:${crmDigest},old:${KEYS.old},burst:${KEYS.burst}`,
      GATEWAY_DISABLED_API_CLIENTS: 'old',
      GATEWAY_RATE_LIMIT: String(RATE_LIMIT),
    });
  });

  afterAll(() => stack.tearDown('SIGKILL'));

  describe('authentication', () => {
    it('answers 401 without a key or with a wrong one, 403 for a disabled key, and accepts Bearer, X-Api-Key and hashed keys', async () => {
      const path = `/v1/cards/${unique('c')}`;
      const missing = await api('GET', path, {});
      expect(missing.status).toBe(401);
      expect(missing.body.message).toMatch(/Authorization/);
      expect((await api('GET', path, { authorization: 'Bearer not-a-key-at-all' })).status).toBe(
        401,
      );
      expect((await api('GET', path, { 'x-api-key': `${KEYS.erp}x` })).status).toBe(401);
      expect((await api('GET', path, { authorization: `Basic ${KEYS.erp}` })).status).toBe(401);
      const disabled = await api('GET', path, { 'x-api-key': KEYS.old });
      expect(disabled.status).toBe(403);
      expect(disabled.body.message).toMatch(/disabled/);
      // Authenticated: the card is unknown, so 404 (not 401/403).
      expect((await api('GET', path, erp)).status).toBe(404);
      expect((await api('GET', path, { 'x-api-key': KEYS.erp })).status).toBe(404);
      expect((await api('GET', path, crm)).status).toBe(404);
      expect((await api('GET', path, { authorization: `Bearer ${KEYS.crm}` })).status).toBe(404);
      // The digest itself is not a key.
      const digest = createHash('sha256').update(KEYS.crm).digest('hex');
      expect((await api('GET', path, { 'x-api-key': digest })).status).toBe(401);
    });

    it('publishes nothing for an unauthenticated command', async () => {
      const cardUniqueNo = unique('unauth');
      expect((await api('POST', '/v1/cards', {}, virtualCard(cardUniqueNo))).status).toBe(401);
      expect(
        (await api('POST', '/v1/cards', { 'x-api-key': KEYS.old }, virtualCard(cardUniqueNo)))
          .status,
      ).toBe(403);
      // A later accepted command on the same key (same partition) shows the earlier ones are absent.
      const accepted = await api('POST', '/v1/cards', erp, virtualCard(cardUniqueNo));
      await tap.waitForRecords(commandRecords(accepted.body.command_id as string));
      expect(tap.matching((r) => r.key === cardUniqueNo)).toHaveLength(1);
    });
  });

  describe('commands', () => {
    it('publishes the command on its topic with the entity key, type and CloudEvents envelope', async () => {
      const cardholderUniqueNo = unique('h');
      const body = {
        cardholder_unique_no: cardholderUniqueNo,
        sumsub_share_token: 'sumsub-share-token',
      };
      const response = await api('POST', '/v1/cardholders', erp, body);
      expect(response.status).toBe(202);
      const commandId = response.body.command_id as string;
      expect(response.body).toEqual({
        command_id: commandId,
        status_url: `/v1/commands/${commandId}`,
      });
      expect(response.headers.get('location')).toBe(`/v1/commands/${commandId}`);
      const [record] = await tap.waitForRecords(commandRecords(commandId));
      expect(record.topic).toBe(TOPICS.cardholderCommands);
      expect(record.key).toBe(cardholderUniqueNo);
      expect(record.headers['content-type']).toBe('application/cloudevents+json');
      expect(record.json).toMatchObject({
        specversion: '1.0',
        id: commandId,
        type: COMMAND_TYPES.cardholderKycApply,
        source: 'urn:issuing-bridge:gateway',
        subject: cardholderUniqueNo,
        data: body,
        correlationid: response.headers.get('x-request-id'),
      });

      const cardUniqueNo = unique('c');
      const freeze = await api('POST', `/v1/cards/${cardUniqueNo}/status`, erp, {
        action: 'freeze',
      });
      expect(freeze.status).toBe(202);
      const [status] = await tap.waitForRecords(commandRecords(freeze.body.command_id as string));
      expect(status.topic).toBe(TOPICS.cardCommands);
      expect(status.key).toBe(cardUniqueNo);
      expect(status.json).toMatchObject({
        type: COMMAND_TYPES.cardStatusUpdate,
        data: { card_unique_no: cardUniqueNo, action: 'freeze' },
      });

      const pending = await api('GET', `/v1/commands/${commandId}`, erp);
      expect(pending.status).toBe(200);
      expect(pending.body).toMatchObject({
        command_id: commandId,
        command_type: COMMAND_TYPES.cardholderKycApply,
        status: 'pending',
      });
    });

    it('Idempotency-Key: a retry returns the same command, a different body 409, keys are per client', async () => {
      const cardUniqueNo = unique('idem');
      const key = `order-${run}`;
      const first = await api(
        'POST',
        '/v1/cards',
        { ...erp, 'idempotency-key': key },
        virtualCard(cardUniqueNo),
      );
      expect(first.status).toBe(202);
      const commandId = first.body.command_id as string;

      const retry = await api(
        'POST',
        '/v1/cards',
        { ...erp, 'idempotency-key': key },
        virtualCard(cardUniqueNo),
      );
      expect(retry.status).toBe(202);
      expect(retry.body.command_id).toBe(commandId);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');

      // Two retries at once: both get the same command.
      const concurrent = await Promise.all(
        [1, 2].map(() =>
          api('POST', '/v1/cards', { ...erp, 'idempotency-key': key }, virtualCard(cardUniqueNo)),
        ),
      );
      expect(concurrent.map((r) => r.body.command_id)).toEqual([commandId, commandId]);

      const changed = await api(
        'POST',
        '/v1/cards',
        { ...erp, 'idempotency-key': key },
        {
          ...virtualCard(cardUniqueNo),
          package_no: 'PKG_VIRTUAL_002',
        },
      );
      expect(changed.status).toBe(409);
      expect(changed.body.message).toMatch(/Idempotency-Key/);

      // The same key on another endpoint is a different request too.
      const otherRoute = await api(
        'POST',
        `/v1/cards/${cardUniqueNo}/status`,
        { ...erp, 'idempotency-key': key },
        { action: 'freeze' },
      );
      expect(otherRoute.status).toBe(409);

      // Another calling system may use the same key for its own request.
      const otherClient = await api(
        'POST',
        '/v1/cards',
        { ...crm, 'idempotency-key': key },
        virtualCard(cardUniqueNo),
      );
      expect(otherClient.status).toBe(202);
      expect(otherClient.body.command_id).not.toBe(commandId);

      // Exactly one record per accepted command (the crm one comes last on the same partition).
      await tap.waitForRecords(commandRecords(otherClient.body.command_id as string));
      expect(tap.matching(commandRecords(commandId))).toHaveLength(1);
      expect(tap.matching((r) => r.key === cardUniqueNo)).toHaveLength(2);

      const badKey = await api(
        'POST',
        '/v1/cards',
        { ...erp, 'idempotency-key': 'has space' },
        virtualCard(cardUniqueNo),
      );
      expect(badKey.status).toBe(400);
      expect(badKey.body.violations).toEqual([
        expect.objectContaining({ field: 'Idempotency-Key' }),
      ]);
    });

    it('answers 400 naming each field and rule, with the command schemas, and publishes nothing', async () => {
      const cardUniqueNo = unique('bad');
      const physical = await api('POST', '/v1/cards', erp, {
        card_unique_no: cardUniqueNo,
        card_type: 'Physical',
        package_no: 'PKG_PHYSICAL_001',
        address_info: {
          first_name: 'Ada',
          last_name: 'Lovelace',
          phone_code: '+44',
          phone: '2079460000',
          postal_code: 'EC1A 1BB',
          country: 'gb',
          state: 'London',
          city: 'London',
          address_line1: '1 Main Street',
        },
      });
      expect(physical.status).toBe(400);
      expect(physical.body.code).toBe('validation_failed');
      expect(physical.body.violations).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'cardholder_no', rule: 'required' }),
          expect.objectContaining({ field: 'address_info.phone_code', rule: 'digits_only' }),
          expect.objectContaining({ field: 'address_info.country', rule: 'iso_country' }),
        ]),
      );
      expect(physical.body.message).toMatch(/address_info\.phone_code: digits_only/);

      const both = await api('POST', '/v1/cards', erp, {
        ...virtualCard(cardUniqueNo),
        card_bin_no: 'BIN001',
      });
      expect(both.body.violations).toEqual([
        expect.objectContaining({ field: 'card_bin_no', rule: 'exactly_one_of' }),
      ]);

      const activation = await api('POST', `/v1/cards/${'x'.repeat(65)}/activation`, erp, {
        cvv: '12',
        card_last_no: '12345',
      });
      expect(activation.status).toBe(400);
      expect(activation.body.violations).toEqual([
        expect.objectContaining({ field: 'card_unique_no', rule: 'max_length' }),
        expect.objectContaining({ field: 'cvv', rule: 'three_digits' }),
        expect.objectContaining({ field: 'card_last_no', rule: 'four_digits' }),
      ]);

      const status = await api('POST', `/v1/cards/${cardUniqueNo}/status`, erp, {
        action: 'explode',
      });
      expect(status.body.violations).toEqual([
        expect.objectContaining({ field: 'action', rule: 'enum' }),
      ]);

      const pin = await api('POST', `/v1/cards/${cardUniqueNo}/pin`, erp, {
        pin: '12345',
        extra: 1,
      });
      expect(pin.body.violations).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'pin', rule: 'six_digits' }),
          expect.objectContaining({ field: 'extra', rule: 'unknown_field' }),
        ]),
      );

      const sealedFieldSent = await api('POST', '/v1/cardholders', erp, {
        cardholder_unique_no: unique('h'),
        sumsub_share_token: 't',
        pin: '123456',
      });
      expect(sealedFieldSent.body.violations).toEqual([
        expect.objectContaining({ field: 'pin', rule: 'plaintext_not_accepted' }),
      ]);

      const notJson = await call(gateway.baseUrl, 'POST', '/v1/cards', {
        headers: erp,
        rawBody: '{"card_unique_no": ',
      });
      expect(notJson.status).toBe(400);
      expect(notJson.body).toMatchObject({ violations: [{ field: '$', rule: 'type' }] });

      const accepted = await api('POST', '/v1/cards', erp, virtualCard(cardUniqueNo));
      await tap.waitForRecords(commandRecords(accepted.body.command_id as string));
      expect(tap.matching((r) => r.key === cardUniqueNo)).toHaveLength(1);
    });

    it('seals CVV and PIN on receipt: the plaintext is in no Kafka record, table, log line or error', async () => {
      const cardUniqueNo = unique('secret');
      const activation = await api(
        'POST',
        `/v1/cards/${cardUniqueNo}/activation`,
        { ...erp, 'idempotency-key': unique('k') },
        { cvv: CVV, card_last_no: '4821' },
      );
      expect(activation.status).toBe(202);
      const pin = await api('POST', `/v1/cards/${cardUniqueNo}/pin`, erp, { pin: PIN });
      expect(pin.status).toBe(202);
      // Error paths with the secret in the request: invalid sibling field, broken JSON.
      const invalid = await api('POST', `/v1/cards/${cardUniqueNo}/activation`, erp, {
        cvv: CVV,
        card_last_no: 'abcd',
      });
      expect(invalid.status).toBe(400);
      const broken = await call(gateway.baseUrl, 'POST', `/v1/cards/${cardUniqueNo}/pin`, {
        headers: erp,
        rawBody: `{"pin": ${PIN}x}`,
      });
      expect(broken.status).toBe(400);
      for (const response of [activation, pin, invalid, broken]) {
        expect(response.text).not.toContain(CVV);
        expect(response.text).not.toContain(PIN);
      }

      const [activate] = await tap.waitForRecords(
        commandRecords(activation.body.command_id as string),
      );
      const [pinSet] = await tap.waitForRecords(commandRecords(pin.body.command_id as string));
      expect(activate.json).toMatchObject({
        type: COMMAND_TYPES.cardActivate,
        data: { card_last_no: '4821' },
      });
      expect(pinSet.json).toMatchObject({ type: COMMAND_TYPES.cardPinSet });
      const jwes = [
        (activate.json.data as { cvv_jwe: string }).cvv_jwe,
        (pinSet.json.data as { pin_jwe: string }).pin_jwe,
      ];
      for (const jwe of jwes) {
        expect(jwe.split('.')).toHaveLength(5);
        expect(JSON.parse(Buffer.from(jwe.split('.')[0], 'base64url').toString())).toEqual({
          alg: 'RSA-OAEP-256',
          enc: 'A256GCM',
        });
      }
      for (const record of tap.matching((r) => r.key === cardUniqueNo)) {
        expect(record.value).not.toMatch(/"(cvv|pin)"/);
        // A JWE has no quotes or colons, so a plaintext can only appear as a JSON value or number.
        expect(record.value).not.toMatch(new RegExp(`["':](${CVV}|${PIN})\\b`));
        const dataWithoutJwe = {
          ...(record.json.data as object),
          cvv_jwe: undefined,
          pin_jwe: undefined,
        };
        expect(JSON.stringify(dataWithoutJwe)).not.toMatch(new RegExp(`${CVV}|${PIN}`));
      }

      const rows = await queryDatabase(
        `SELECT row_to_json(c)::text AS row FROM gateway.commands c WHERE subject = $1
         UNION ALL SELECT row_to_json(i)::text FROM gateway.idempotency_keys i WHERE command_id = $2`,
        [cardUniqueNo, activation.body.command_id],
      );
      expect(rows).toHaveLength(3);
      for (const { row } of rows as { row: string }[]) {
        expect(row).not.toMatch(new RegExp(`\\b(${CVV}|${PIN})\\b`));
        expect(row).not.toMatch(/jwe/);
      }

      const { stdout, stderr } = gateway.output();
      const logs = `${stdout}\n${stderr}`;
      const lines = logs.split('\n').filter((l) => l.includes(cardUniqueNo));
      expect(lines.length).toBeGreaterThanOrEqual(4); // the requests were logged, with their URLs
      expect(logs).not.toMatch(new RegExp(`["':=](${CVV}|${PIN})\\b`));
      expect(logs).not.toMatch(/"(cvv|pin|cvv_jwe|pin_jwe)":"(?!\[REDACTED\])/);
      expect(logs).not.toContain(KEYS.erp);
    });

    it('rate-limits per API key (429), without affecting other keys', async () => {
      const burst = { 'x-api-key': KEYS.burst };
      const path = `/v1/cards/${unique('rate')}`;
      const statuses: number[] = [];
      for (let i = 0; i <= RATE_LIMIT; i += 1)
        statuses.push((await api('GET', path, burst)).status);
      expect(statuses.slice(0, RATE_LIMIT).every((s) => s === 404)).toBe(true);
      expect(statuses[RATE_LIMIT]).toBe(429);
      expect((await api('GET', path, erp)).status).toBe(404);
    });
  });

  describe('read model (GET) from cardholder.events.v1 and card.events.v1', () => {
    async function emit<T extends EventType>(
      type: T,
      subject: string,
      data: EventData<T>,
      causationid?: string,
    ) {
      const event = createEvent({
        type,
        source: 'urn:issuing-bridge:card-svc',
        subject,
        data,
        causationid,
      });
      const topic = type.startsWith('cardholder.') ? TOPICS.cardholderEvents : TOPICS.cardEvents;
      await publishRaw(topic, subject, event);
    }
    const poll = <T>(probe: () => Promise<T | undefined>, description: string) =>
      waitFor(probe, { timeoutMs: 30000, intervalMs: 300, description });
    const commandWithStatus = (id: string, status: string, headers = erp) =>
      poll(async () => {
        const r = await api('GET', `/v1/commands/${id}`, headers);
        return r.body.status === status ? r.body : undefined;
      }, `command ${id} ${status}`);

    it('follows a cardholder: apply succeeded, KYC Pending → Approved', async () => {
      const cardholderUniqueNo = unique('h');
      const submitted = await api('POST', '/v1/cardholders', erp, {
        cardholder_unique_no: cardholderUniqueNo,
        sumsub_share_token: 't',
      });
      const commandId = submitted.body.command_id as string;
      await emit(
        EVENT_TYPES.cardholderKycApplied,
        cardholderUniqueNo,
        {
          cardholder_unique_no: cardholderUniqueNo,
          cardholder_no: `KSCH${run}`,
          operation: 'create',
          status: 'Pending',
        },
        commandId,
      );
      const done = await commandWithStatus(commandId, 'succeeded');
      expect(done).toMatchObject({
        command_type: COMMAND_TYPES.cardholderKycApply,
        result: { cardholder_no: `KSCH${run}`, status: 'Pending' },
      });
      expect(done.error).toBeUndefined();
      expect((await api('GET', `/v1/cardholders/${cardholderUniqueNo}`, erp)).body).toMatchObject({
        cardholder_unique_no: cardholderUniqueNo,
        cardholder_no: `KSCH${run}`,
        kyc_status: 'Pending',
      });
      await emit(EVENT_TYPES.cardholderKycStatusChanged, cardholderUniqueNo, {
        cardholder_unique_no: cardholderUniqueNo,
        cardholder_no: `KSCH${run}`,
        before: 'Pending',
        after: 'Approved',
        fail_reason: null,
        source: 'poll',
        time: new Date().toISOString(),
      });
      const approved = await poll(async () => {
        const r = await api('GET', `/v1/cardholders/${cardholderUniqueNo}`, erp);
        return r.body.kyc_status === 'Approved' ? r.body : undefined;
      }, 'cardholder Approved');
      expect(approved.cardholder_no).toBe(`KSCH${run}`);
    });

    it('follows a card and its commands: succeeded, failed (code, message), rejected (violations)', async () => {
      const cardUniqueNo = unique('card');
      const cardNo = `KSC${run}`;
      const apply = await api('POST', '/v1/cards', erp, virtualCard(cardUniqueNo));
      const applyId = apply.body.command_id as string;
      await emit(
        EVENT_TYPES.cardApplied,
        cardUniqueNo,
        {
          card_unique_no: cardUniqueNo,
          card_no: cardNo,
          cardholder_no: 'KSCH0001',
          card_type: 'Virtual',
          status: 'Pending',
        },
        applyId,
      );
      expect(await commandWithStatus(applyId, 'succeeded')).toMatchObject({
        result: { card_no: cardNo },
      });
      expect((await api('GET', `/v1/cards/${cardUniqueNo}`, erp)).body).toMatchObject({
        card_no: cardNo,
        card_type: 'Virtual',
        status: 'Pending',
      });

      await emit(EVENT_TYPES.cardStatusChanged, cardUniqueNo, {
        card_unique_no: cardUniqueNo,
        card_no: cardNo,
        before: 'Pending',
        after: 'Activated',
        source: 'callback',
        reason: 'issued',
        time: new Date().toISOString(),
      });
      await poll(async () => {
        const r = await api('GET', `/v1/cards/${cardUniqueNo}`, erp);
        return r.body.status === 'Activated' ? r.body : undefined;
      }, 'card Activated');

      const pin = await api('POST', `/v1/cards/${cardUniqueNo}/pin`, erp, { pin: '580316' });
      const pinId = pin.body.command_id as string;
      await emit(
        EVENT_TYPES.cardPinSetFailed,
        cardUniqueNo,
        {
          card_unique_no: cardUniqueNo,
          card_no: cardNo,
          code: 4016,
          msg: 'PIN is too weak',
        },
        pinId,
      );
      expect(await commandWithStatus(pinId, 'failed')).toMatchObject({
        command_type: COMMAND_TYPES.cardPinSet,
        error: { code: '4016', message: 'PIN is too weak' },
      });

      const freeze = await api('POST', `/v1/cards/${cardUniqueNo}/status`, erp, {
        action: 'freeze',
      });
      const freezeId = freeze.body.command_id as string;
      await emit(EVENT_TYPES.commandRejected, cardUniqueNo, {
        command_id: freezeId,
        command_type: COMMAND_TYPES.cardStatusUpdate,
        violations: [
          {
            field: 'data.action',
            rule: 'enum',
            message: 'data.action must be one of freeze, unfreeze, cancel',
          },
        ],
      });
      expect(await commandWithStatus(freezeId, 'rejected')).toMatchObject({
        error: {
          code: 'validation_failed',
          message: 'data.action: enum',
          violations: [{ field: 'data.action', rule: 'enum' }],
        },
      });
      // The card's state was not touched by the failed / rejected commands.
      expect((await api('GET', `/v1/cards/${cardUniqueNo}`, erp)).body.status).toBe('Activated');

      // Another calling system does not see erp's commands.
      expect((await api('GET', `/v1/commands/${applyId}`, crm)).status).toBe(404);
      expect((await api('GET', `/v1/commands/${randomUUID()}`, erp)).status).toBe(404);
      const notUuid = await api('GET', '/v1/commands/not-a-uuid', erp);
      expect(notUuid.status).toBe(400);
      expect(notUuid.body.violations).toEqual([
        expect.objectContaining({ field: 'command_id', rule: 'uuid' }),
      ]);
    });
  });

  it('serves the OpenAPI document at /docs', async () => {
    const html = await call(gateway.baseUrl, 'GET', '/docs');
    expect(html.status).toBe(200);
    expect(html.text).toContain('swagger');
    const json = await call<{ paths: Record<string, unknown> }>(
      gateway.baseUrl,
      'GET',
      '/docs-json',
    );
    expect(Object.keys(json.body.paths)).toContain('/v1/cards/{card_unique_no}/activation');
  });
});
