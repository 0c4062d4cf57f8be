/**
 * cardholder-svc end to end: the service runs as a child process (so it can be SIGKILLed) against the
 * shared broker and Postgres and an in-process KeySecure sandbox with short KYC steps. Every assertion
 * filters records by this file's command ids / unique numbers: other tests share the topics and tables.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Producer } from 'kafkajs';
import { EVENT_TYPES } from '@issuing-bridge/contracts';
import { startKeySecureSandbox, type RunningSandbox } from '../../keysecure-sandbox/src/sandbox';
import { ensureDatabase, queryDatabase, startService, type ServiceProcess } from '../../../test/support';
import {
  collectEvents,
  connectProducer,
  createTopics,
  deleteTopics,
  kycApply,
  sendCommands,
  sleep,
  startGroupAtEnd,
  until,
  runTopics,
  type Received,
} from './fixtures';

jest.setTimeout(120_000);

const run = randomUUID().slice(0, 8);
const uniqueNo = (name: string) => `it-${run}-${name}`;
const CRASH_KEY = uniqueNo('crash');
const GROUP_ID = `cardholder-svc-it-${run}`;
const COMMAND_DEADLINE_MS = 5_000;
const topics = runTopics(run);
// Its own database: the KYC poller works through the whole cardholder table, and another
// cardholder-svc on the shared database would poll this run's rows against another sandbox.
const DATABASE_URL = (() => {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/issuing_bridge');
  url.pathname = `${url.pathname}_cardholder_it`;
  return url.toString();
})();

let sandbox: RunningSandbox;
let service: ServiceProcess;
let producer: Producer;
let collector: { consumer: Consumer; received: Received[] };
const applyCalls: Array<{ start: number; end: number }> = [];

const serviceEnv = (extra: Record<string, string | undefined> = {}) => ({
  KEYSECURE_BASE_URL: sandbox.url,
  DATABASE_URL,
  CARDHOLDER_COMMANDS_TOPIC: topics.commands,
  CARDHOLDER_EVENTS_TOPIC: topics.events,
  CARDHOLDER_COMMANDS_DLQ_TOPIC: topics.dlq,
  CARDHOLDER_SVC_GROUP_ID: GROUP_ID,
  CARDHOLDER_COMMAND_DEADLINE_MS: String(COMMAND_DEADLINE_MS),
  CARDHOLDER_COMMAND_RETRY_MAX_MS: '300',
  CARDHOLDER_CONSUMER_SESSION_TIMEOUT_MS: '6000', // the killed instance's partitions come back sooner
  KYC_POLL_INITIAL_MS: '150',
  KYC_POLL_MAX_MS: '400',
  KYC_POLL_TICK_MS: '100',
  KYC_POLL_LEASE_MS: '10000',
  LOG_LEVEL: 'warn',
  ...extra,
});

const events = () => collector.received.filter((r) => r.topic === topics.events);
const causedBy = (commandId: string) => events().filter((r) => r.value.causationid === commandId);
const resultOf = (commandId: string) =>
  causedBy(commandId).find((r) =>
    [EVENT_TYPES.cardholderKycApplied, EVENT_TYPES.cardholderKycApplyFailed].includes(r.value.type),
  );
const statusEvents = (key: string) =>
  events().filter((r) => r.value.type === EVENT_TYPES.cardholderKycStatusChanged && r.value.subject === key);
const dlqCopies = (commandId: string) =>
  collector.received.filter((r) => r.topic === topics.dlq && r.value.id === commandId);
const applyCallCount = () => sandbox.state.calls['cardholder.apply'] ?? 0;
const transitions = (key: string) => statusEvents(key).map((r) => `${r.value.data.before}->${r.value.data.after}`);

async function waitForResult(commandId: string, timeoutMs = 30_000): Promise<Received> {
  return until(() => resultOf(commandId), timeoutMs, `result event of command ${commandId}`);
}

async function rowsOf(key: string) {
  return queryDatabase<{ cardholder_no: string; kyc_status: string; fail_reason: string | null; version: number }>(
    `SELECT cardholder_no, kyc_status, fail_reason, version FROM cardholder.cardholders WHERE cardholder_unique_no = $1`,
    [key],
    DATABASE_URL,
  );
}

beforeAll(async () => {
  sandbox = await startKeySecureSandbox({
    kycStepDelayMs: 1_200,
    log: (event, fields) => {
      if (event === 'call' && fields.endpoint === 'cardholder.apply' && typeof fields.ms === 'number') {
        applyCalls.push({ start: Date.now() - fields.ms, end: Date.now() });
      }
    },
  });
  // Committed offsets exist before the crash test kills the service mid-command, so the restarted
  // consumer resumes from them rather than from "latest".
  await createTopics(topics);
  await ensureDatabase(DATABASE_URL);
  // Earlier runs' cardholders belong to sandboxes that are gone: stop following them.
  await queryDatabase(
    `DO $$ BEGIN
       IF to_regclass('cardholder.cardholders') IS NOT NULL THEN
         UPDATE cardholder.cardholders SET next_poll_at = NULL WHERE next_poll_at IS NOT NULL;
       END IF;
     END $$`,
    [],
    DATABASE_URL,
  );
  await startGroupAtEnd(GROUP_ID, [topics.commands]);
  collector = await collectEvents([topics.events, topics.dlq]);
  producer = await connectProducer();
  service = await startService('cardholder-svc', { env: serviceEnv({ CARDHOLDER_TEST_CRASH_AFTER_PROVIDER_CALL: CRASH_KEY }) });
});

afterAll(async () => {
  await service?.stop('SIGTERM');
  await producer?.disconnect();
  await collector?.consumer.disconnect();
  await sandbox?.close();
  await deleteTopics(topics);
});

describe('cardholder.kyc.apply.v1 through Kafka', () => {
  it('creates and updates cardholders; each KYC status change (Pending → In_progress → Approved / Rejected) is one event', async () => {
    const approvedKey = uniqueNo('approved');
    const rejectedKey = uniqueNo('rejected');
    const createApproved = kycApply(approvedKey, 'share-token-ok');
    const createRejected = kycApply(rejectedKey, 'share-token-reject-me');
    await sendCommands(producer, topics.commands, [
      { key: approvedKey, value: createApproved },
      { key: rejectedKey, value: createRejected },
    ]);

    const applied = await waitForResult(createApproved.id);
    expect(applied.value).toMatchObject({
      type: EVENT_TYPES.cardholderKycApplied,
      subject: approvedKey,
      causationid: createApproved.id,
      data: { cardholder_unique_no: approvedKey, operation: 'create', status: 'Pending' },
    });
    const rejectedApplied = await waitForResult(createRejected.id);
    expect(rejectedApplied.value).toMatchObject({ type: EVENT_TYPES.cardholderKycApplied, causationid: createRejected.id });
    const rejectedNo: string = rejectedApplied.value.data.cardholder_no;

    await until(() => transitions(approvedKey).includes('In_progress->Approved'), 20_000, 'Approved');
    await until(() => transitions(rejectedKey).includes('In_progress->Rejected'), 20_000, 'Rejected');
    const rejected = statusEvents(rejectedKey).find((r) => r.value.data.after === 'Rejected')!;
    expect(rejected.value.data.fail_reason).toEqual(expect.any(String));

    // Re-submit KYC of the rejected cardholder with a good token: an update.
    const update = kycApply(rejectedKey, 'share-token-second-try', rejectedNo);
    await sendCommands(producer, topics.commands, [{ key: rejectedKey, value: update }]);
    expect((await waitForResult(update.id)).value).toMatchObject({
      type: EVENT_TYPES.cardholderKycApplied,
      causationid: update.id,
      data: { cardholder_no: rejectedNo, operation: 'update', status: 'Pending' },
    });
    await until(() => transitions(rejectedKey).includes('In_progress->Approved'), 20_000, 'Approved after update');

    // An update whose cardholder_no is not the stored one for this unique number fails.
    const mismatch = kycApply(approvedKey, 'share-token-x', 'U000000000000');
    await sendCommands(producer, topics.commands, [{ key: approvedKey, value: mismatch }]);
    expect((await waitForResult(mismatch.id)).value).toMatchObject({
      type: EVENT_TYPES.cardholderKycApplyFailed,
      causationid: mismatch.id,
      data: { operation: 'update', code: 'cardholder_mismatch' },
    });

    await sleep(1_500); // more polls happen meanwhile: they must not repeat an event
    expect(transitions(approvedKey)).toEqual(['null->Pending', 'Pending->In_progress', 'In_progress->Approved']);
    expect(transitions(rejectedKey)).toEqual([
      'null->Pending',
      'Pending->In_progress',
      'In_progress->Rejected',
      'Rejected->Pending',
      'Pending->In_progress',
      'In_progress->Approved',
    ]);
    expect(statusEvents(approvedKey).map((r) => r.value.data.source)).toEqual(['command', 'poll', 'poll']);
    expect(statusEvents(approvedKey)[0]!.value.causationid).toBe(createApproved.id);
    expect(causedBy(createApproved.id).filter((r) => r.value.type === EVENT_TYPES.cardholderKycApplied)).toHaveLength(1);
    expect(await rowsOf(approvedKey)).toEqual([
      expect.objectContaining({ cardholder_no: applied.value.data.cardholder_no, kyc_status: 'Approved', fail_reason: null }),
    ]);
    expect(await rowsOf(rejectedKey)).toEqual([expect.objectContaining({ kyc_status: 'Approved' })]);

    const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/cardholder_kyc_polls_total\{outcome="changed"\} [1-9]/);
    expect(metrics).toMatch(/cardholder_kyc_status_changes_total\{after="Approved",source="poll"\} [1-9]/);
    expect(metrics).toMatch(/keysecure_call_seconds_count\{endpoint="cardholder.info",code="0"\} [1-9]/);
    // The applicants' share tokens and the API secret stay out of the logs.
    const { stdout, stderr } = service.output();
    for (const secret of ['share-token-reject-me', 'share-token-second-try', sandbox.options.apiSecret]) {
      expect(stdout + stderr).not.toContain(secret);
    }
  });

  it('rejects an invalid command once, naming the field, copies it to the DLQ, and does nothing else', async () => {
    const key = uniqueNo('invalid');
    const id = randomUUID();
    const invalid = {
      specversion: '1.0',
      id,
      source: 'urn:issuing-bridge:cardholder-svc-it',
      type: 'cardholder.kyc.apply.v1',
      subject: key,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: { cardholder_unique_no: key },
    };
    const callsBefore = applyCallCount();
    await sendCommands(producer, topics.commands, [{ key, value: invalid }]);
    const rejection = await until(
      () => events().find((r) => r.value.type === EVENT_TYPES.commandRejected && r.value.data?.command_id === id),
      30_000,
      'command.rejected',
    );
    expect(rejection.value.data.violations).toEqual([
      expect.objectContaining({ field: 'data.sumsub_share_token', rule: 'required' }),
    ]);
    await until(() => dlqCopies(id).length > 0, 10_000, 'DLQ copy');
    await sleep(1_000);
    expect(events().filter((r) => r.value.data?.command_id === id || r.value.causationid === id)).toHaveLength(1);
    expect(dlqCopies(id)).toHaveLength(1);
    expect(events().filter((r) => r.key === key)).toHaveLength(1);
    expect(applyCallCount()).toBe(callsBefore);
    expect(await rowsOf(key)).toEqual([]);
  });

  it('handles a command delivered twice once: one provider call, one result event', async () => {
    const key = uniqueNo('twice');
    const command = kycApply(key, 'share-token-ok');
    const callsBefore = applyCallCount();
    await sendCommands(producer, topics.commands, [
      { key, value: command },
      { key, value: command },
    ]);
    // A later command of the same key is handled after both copies (one key = one lane, in order).
    const sentinel = kycApply(key, 'share-token-ok', 'U000000000000');
    await sendCommands(producer, topics.commands, [{ key, value: sentinel }]);
    await waitForResult(sentinel.id);
    expect(causedBy(command.id).filter((r) => r.value.type === EVENT_TYPES.cardholderKycApplied)).toHaveLength(1);
    expect(applyCallCount() - callsBefore).toBe(1);
    expect(await rowsOf(key)).toHaveLength(1);
  });

  it('a service SIGKILLed between the provider call and the commit completes the redelivered command with the existing cardholder', async () => {
    const command = kycApply(CRASH_KEY, 'share-token-ok');
    const callsBefore = applyCallCount();
    await sendCommands(producer, topics.commands, [{ key: CRASH_KEY, value: command }]);
    // The test hook kills the process right after KeySecure created the cardholder.
    expect(await service.exited).toBe('SIGKILL');
    expect(sandbox.snapshot().cardholders.filter((c) => c.cardholder_unique_no === CRASH_KEY)).toHaveLength(1);
    expect(await rowsOf(CRASH_KEY)).toEqual([]);
    expect(resultOf(command.id)).toBeUndefined();

    service = await startService('cardholder-svc', { env: serviceEnv() });
    const result = await waitForResult(command.id, 60_000);
    expect(result.value).toMatchObject({ type: EVENT_TYPES.cardholderKycApplied, data: { operation: 'create' } });
    const atProvider = sandbox.snapshot().cardholders.filter((c) => c.cardholder_unique_no === CRASH_KEY);
    expect(atProvider).toHaveLength(1);
    expect(result.value.data.cardholder_no).toBe(atProvider[0]!.cardholder_no);
    // the first call created it, the redelivered one was refused as a duplicate
    expect(applyCallCount() - callsBefore).toBe(2);
    await sleep(1_000);
    expect(causedBy(command.id).filter((r) => r.value.type === EVENT_TYPES.cardholderKycApplied)).toHaveLength(1);
    expect(await rowsOf(CRASH_KEY)).toEqual([expect.objectContaining({ cardholder_no: atProvider[0]!.cardholder_no })]);
  });

  it('keeps per-key order for 200 commands over 20 keys while keys run in parallel', async () => {
    const latencyMs = 100;
    const fault = sandbox.addFault({ kind: 'latency', endpoint: 'cardholder.apply', latencyMs });
    try {
      const keys = Array.from({ length: 20 }, (_, i) => uniqueNo(`order-${i}`));
      const sent = new Map<string, string[]>(keys.map((k) => [k, []]));
      const batch: Array<{ key: string; value: unknown }> = [];
      for (let round = 0; round < 10; round++) {
        for (const key of keys) {
          // The first creates the cardholder, the next nine meet "already exists" and adopt it.
          const command = kycApply(key, `share-token-${round}`);
          sent.get(key)!.push(command.id);
          batch.push({ key, value: command });
        }
      }
      applyCalls.length = 0;
      await sendCommands(producer, topics.commands, batch);
      const allIds = [...sent.values()].flat();
      await until(() => allIds.every((id) => resultOf(id)), 90_000, '200 result events');

      for (const key of keys) {
        const order = events()
          .filter((r) => r.key === key && r.value.type === EVENT_TYPES.cardholderKycApplied)
          .map((r) => r.value.causationid);
        expect(order).toEqual(sent.get(key));
      }
      expect(allIds.every((id) => resultOf(id)!.value.type === EVENT_TYPES.cardholderKycApplied)).toBe(true);
      // Parallel: provider calls of different keys overlapped (proven by the sandbox's own call log,
      // not by wall-clock time, which a loaded machine makes meaningless).
      let maxOverlap = 0;
      for (const call of applyCalls) {
        maxOverlap = Math.max(maxOverlap, applyCalls.filter((c) => c.start < call.end && c.end > call.start).length);
      }
      expect(maxOverlap).toBeGreaterThan(4);
      for (const key of keys) {
        expect(sandbox.snapshot().cardholders.filter((c) => c.cardholder_unique_no === key)).toHaveLength(1);
      }
    } finally {
      sandbox.clearFaults();
      void fault;
    }
  });

  it('retries through a temporary 5xx and succeeds once it clears', async () => {
    const key = uniqueNo('transient');
    sandbox.addFault({ kind: 'http_error', status: 503, endpoint: 'cardholder.apply', count: 3 });
    const callsBefore = applyCallCount();
    const command = kycApply(key, 'share-token-ok');
    await sendCommands(producer, topics.commands, [{ key, value: command }]);
    const result = await waitForResult(command.id);
    expect(result.value.type).toBe(EVENT_TYPES.cardholderKycApplied);
    expect(applyCallCount() - callsBefore).toBe(4);
    expect(causedBy(command.id).filter((r) => r.value.type !== EVENT_TYPES.cardholderKycStatusChanged)).toHaveLength(1);
    expect(dlqCopies(command.id)).toHaveLength(0);
    sandbox.clearFaults();
  });

  it('fails a command with an event and a DLQ copy when 5xx lasts past the deadline; other keys are not held back', async () => {
    const doomedKey = uniqueNo('doomed');
    const otherKeys = [uniqueNo('other-1'), uniqueNo('other-2')];
    sandbox.addFault({ kind: 'http_error', status: 503, endpoint: 'cardholder.apply' });
    try {
      const doomed = kycApply(doomedKey, 'share-token-ok');
      const started = Date.now();
      await sendCommands(producer, topics.commands, [{ key: doomedKey, value: doomed }]);
      await sleep(COMMAND_DEADLINE_MS * 0.6);
      const others = otherKeys.map((k) => kycApply(k, 'share-token-ok'));
      await sendCommands(producer, topics.commands, others.map((c) => ({ key: c.data.cardholder_unique_no, value: c })));

      const failed = await waitForResult(doomed.id, COMMAND_DEADLINE_MS * 4);
      expect(Date.now() - started).toBeGreaterThanOrEqual(COMMAND_DEADLINE_MS - 500);
      sandbox.clearFaults();
      expect(failed.value).toMatchObject({
        type: EVENT_TYPES.cardholderKycApplyFailed,
        causationid: doomed.id,
        data: { cardholder_unique_no: doomedKey, cardholder_no: null, operation: 'create', code: 'provider_unavailable' },
      });
      await until(() => dlqCopies(doomed.id).length > 0, 10_000, 'DLQ copy');
      // The other keys were still inside their own deadlines, retrying beside the doomed one.
      for (const other of others) {
        expect((await waitForResult(other.id, COMMAND_DEADLINE_MS * 2)).value.type).toBe(EVENT_TYPES.cardholderKycApplied);
      }
      await sleep(1_000);
      expect(dlqCopies(doomed.id)).toHaveLength(1);
      expect(causedBy(doomed.id)).toHaveLength(1);
      for (const other of others) expect(dlqCopies(other.id)).toHaveLength(0);
      expect(await rowsOf(doomedKey)).toEqual([]);
    } finally {
      sandbox.clearFaults();
    }
  });

  it('stops gracefully on SIGTERM (exit code 0)', async () => {
    expect(await service.stop('SIGTERM')).toBe(0);
  });
});
