// Drives per-key scripts of commands through Kafka and the gateway's HTTP API. Each step is sent after
// the previous step's result event; freeze + unfreeze are fired back to back because keeping them in
// order is the engine's job (one lane per key).
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import {
  COMMAND_TYPES,
  EVENT_TYPES,
  createCommand,
  loadDevKeyPair,
  partitionKeyOf,
  sealSecret,
  topicForCommand,
  type CommandType,
} from '@issuing-bridge/contracts';
import type { RecordedMessage } from './topic-recorder';

/** Result events that end a command (card.status_changed / kyc_status_changed are not results). */
export const TERMINAL_TYPES = new Set<string>([
  EVENT_TYPES.cardholderKycApplied,
  EVENT_TYPES.cardholderKycApplyFailed,
  EVENT_TYPES.cardApplied,
  EVENT_TYPES.cardApplyFailed,
  EVENT_TYPES.cardActivated,
  EVENT_TYPES.cardActivateFailed,
  EVENT_TYPES.cardStatusUpdated,
  EVENT_TYPES.cardStatusUpdateFailed,
  EVENT_TYPES.cardPinSetSucceeded,
  EVENT_TYPES.cardPinSetFailed,
  EVENT_TYPES.commandRejected,
]);
const SUCCESS_TYPES = new Set<string>([
  EVENT_TYPES.cardholderKycApplied,
  EVENT_TYPES.cardApplied,
  EVENT_TYPES.cardActivated,
  EVENT_TYPES.cardStatusUpdated,
  EVENT_TYPES.cardPinSetSucceeded,
]);

export interface SentCommand {
  id: string;
  type: CommandType;
  key: string;
  via: 'kafka' | 'http';
  sentAt: number;
}

export interface DriverStats {
  sent: SentCommand[];
  kafkaDuplicates: number;
  httpReplays: number;
  httpReplayMismatches: number;
  httpRefused: { path: string; status: number; body: string }[];
  stalledChains: string[];
  secrets: { cvv: Set<string>; pin: Set<string> };
}

/** A small seeded PRNG (mulberry32): the same --seed gives the same scripts. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isWeakPin(pin: string): boolean {
  for (let i = 0; i + 2 < pin.length; i++) {
    const [a, b, c] = [pin[i], pin[i + 1], pin[i + 2]].map(Number);
    if (a === b && b === c) return true;
    if (b - a === 1 && c - b === 1) return true;
    if (a - b === 1 && b - c === 1) return true;
  }
  return false;
}

/** Sends through a producer that is rebuilt after repeated failures (a broker restart can leave an
 * idempotent kafkajs producer stuck on stale sequence numbers). */
export class ResilientProducer {
  private producer?: Producer;
  failures = 0;
  rebuilt = 0;
  constructor(private readonly make: () => Producer) {}

  private async current(): Promise<Producer> {
    if (!this.producer) {
      const p = this.make();
      await p.connect();
      this.producer = p;
    }
    return this.producer;
  }

  async send(topic: string, key: string, value: string, headers: Record<string, string> = {}): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const p = await this.current();
        await p.send({ topic, acks: -1, messages: [{ key, value, headers }] });
        return;
      } catch (error) {
        this.failures += 1;
        if (attempt > 300) throw error;
        if (attempt % 5 === 0) {
          const old = this.producer;
          this.producer = undefined;
          this.rebuilt += 1;
          await old?.disconnect().catch(() => undefined);
        }
        await sleep(500);
      }
    }
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
  }
}

export interface DriverOptions {
  run: string;
  producer: ResilientProducer;
  gatewayUrl: string;
  gatewayApiKey: string;
  sandboxUrl: string;
  random: () => number;
  httpShare: number;
  duplicateShare: number;
  stepTimeoutMs: number;
  log: (line: string) => void;
}

/** Follows the live record stream: results per command id, latest statuses per key. */
export class Observations {
  readonly results = new Map<string, RecordedMessage[]>();
  readonly kycStatus = new Map<string, string>();
  readonly cardStatus = new Map<string, string>();
  readonly cardholderNo = new Map<string, string>();
  lastTerminalAt = 0;
  private waiters: (() => void)[] = [];
  private readonly eventIds = new Set<string>();

  /** Whether the live stream delivered this event (for diagnosing a stalled script). */
  sawEvent(id: string): boolean {
    return this.eventIds.has(id);
  }

  accept(r: RecordedMessage): void {
    const type = r.json.type as string | undefined;
    if (!type) return;
    // The relay is at-least-once: a copy re-published after a crash can arrive after newer events of
    // its key. Like every consumer, dedupe by event id, or "latest status" would go back in time.
    if (typeof r.json.id === 'string' && !r.topic.includes('commands')) {
      if (this.eventIds.has(r.json.id)) return;
      this.eventIds.add(r.json.id);
    }
    if (TERMINAL_TYPES.has(type)) {
      const id = (type === EVENT_TYPES.commandRejected ? r.json.data?.command_id : r.json.causationid) ?? `key:${r.key}`;
      const list = this.results.get(id) ?? [];
      list.push(r);
      this.results.set(id, list);
      this.lastTerminalAt = Math.max(this.lastTerminalAt, r.timestamp);
    }
    if (type === EVENT_TYPES.cardholderKycApplied) this.cardholderNo.set(r.json.data.cardholder_unique_no, r.json.data.cardholder_no);
    if (type === EVENT_TYPES.cardholderKycStatusChanged) this.kycStatus.set(r.json.data.cardholder_unique_no, r.json.data.after);
    if (type === EVENT_TYPES.cardStatusChanged) this.cardStatus.set(r.json.data.card_unique_no, r.json.data.after);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  async until<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

class StalledChain extends Error {}

export class CommandDriver {
  readonly stats: DriverStats = {
    sent: [],
    kafkaDuplicates: 0,
    httpReplays: 0,
    httpReplayMismatches: 0,
    httpRefused: [],
    stalledChains: [],
    secrets: { cvv: new Set(), pin: new Set() },
  };
  private readonly publicKey = loadDevKeyPair().publicKeyPem;
  /** What each running script waits for, for progress lines. */
  readonly waiting = new Map<string, string>();
  private cardLastNos = new Map<string, string>();

  constructor(
    private readonly o: DriverOptions,
    readonly seen: Observations,
  ) {}

  // --- sending -------------------------------------------------------------------------------------

  private async publish(command: { id: string; type: string }, value: string, key: string): Promise<void> {
    // Broker away: the very same record (same id) is sent again, as any producer would.
    await this.o.producer.send(topicForCommand(command.type as CommandType), key, value, {
      'content-type': 'application/cloudevents+json',
    });
  }

  private async sendKafka(type: CommandType, data: Record<string, unknown>): Promise<string> {
    const command = createCommand({ type, source: 'urn:issuing-bridge:faults', data: data as never });
    const key = partitionKeyOf(command);
    const value = JSON.stringify(command);
    this.stats.sent.push({ id: command.id, type, key, via: 'kafka', sentAt: Date.now() });
    await this.publish(command, value, key);
    if (this.o.random() < this.o.duplicateShare) {
      this.stats.kafkaDuplicates += 1;
      const delay = Math.floor(this.o.random() * 1500);
      void sleep(delay).then(() => this.publish(command, value, key));
    }
    return command.id;
  }

  private async post(path: string, body: unknown, idempotencyKey: string) {
    const response = await fetch(`${this.o.gatewayUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${this.o.gatewayApiKey}`,
        'idempotency-key': idempotencyKey,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    return { status: response.status, text: await response.text() };
  }

  /** POST until 202 with one Idempotency-Key (a 5xx or a dropped answer is retried, as a client would). */
  private async sendHttp(type: CommandType, key: string, path: string, body: unknown): Promise<string | undefined> {
    const idempotencyKey = randomUUID();
    const sentAt = Date.now();
    this.waiting.set(idempotencyKey, `${key} POST ${path}`);
    try {
      return await this.postUntilAccepted(type, key, path, body, idempotencyKey, sentAt);
    } finally {
      this.waiting.delete(idempotencyKey);
    }
  }

  private async postUntilAccepted(
    type: CommandType,
    key: string,
    path: string,
    body: unknown,
    idempotencyKey: string,
    sentAt: number,
  ): Promise<string | undefined> {
    for (let attempt = 0; attempt < 240; attempt++) {
      const res = await this.post(path, body, idempotencyKey).catch((e: Error) => ({ status: 0, text: e.message }));
      if (res.status === 202) {
        const id = JSON.parse(res.text).command_id as string;
        this.stats.sent.push({ id, type, key, via: 'http', sentAt });
        if (this.o.random() < this.o.duplicateShare * 2) {
          this.stats.httpReplays += 1;
          const again = await this.post(path, body, idempotencyKey).catch(() => undefined);
          if (again && again.status === 202 && JSON.parse(again.text).command_id !== id) {
            this.stats.httpReplayMismatches += 1;
          }
        }
        return id;
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408) {
        this.stats.httpRefused.push({ path, status: res.status, body: res.text.slice(0, 300) });
        return undefined;
      }
      await sleep(500);
    }
    this.stats.httpRefused.push({ path, status: -1, body: 'gave up after 240 attempts' });
    return undefined;
  }

  private async send(type: CommandType, data: Record<string, any>, http: () => [string, unknown]): Promise<string | undefined> {
    if (this.o.random() < this.o.httpShare) {
      const [path, body] = http();
      return this.sendHttp(type, String(data.card_unique_no ?? data.cardholder_unique_no), path, body);
    }
    return this.sendKafka(type, data);
  }

  private async result(commandId: string | undefined, what: string): Promise<RecordedMessage | undefined> {
    if (!commandId) return undefined;
    this.waiting.set(commandId, what);
    const found = await this.seen.until(() => this.seen.results.get(commandId)?.[0], this.o.stepTimeoutMs);
    this.waiting.delete(commandId);
    if (!found) throw new StalledChain(`${what}: no result for command ${commandId}`);
    return found;
  }

  private async state<T>(what: string, probe: () => T | undefined): Promise<T | undefined> {
    this.waiting.set(what, what);
    try {
      return await this.seen.until(probe, this.o.stepTimeoutMs);
    } finally {
      this.waiting.delete(what);
    }
  }

  private async succeeded(commandId: string | undefined, what: string): Promise<boolean> {
    const r = await this.result(commandId, what);
    return !!r && SUCCESS_TYPES.has(r.json.type);
  }

  // --- scripts -------------------------------------------------------------------------------------

  /** One cardholder: KYC, then (once Approved) one or two cards, each with its own script. */
  async cardholderScript(index: number): Promise<void> {
    const r = this.o.random;
    const holder = `FH${this.o.run}${index}`;
    const rejected = r() < 0.08;
    const token = rejected ? `share-token-reject-${index}` : `share-token-${index}`;
    try {
      const applied = await this.send(
        COMMAND_TYPES.cardholderKycApply,
        { cardholder_unique_no: holder, sumsub_share_token: token },
        () => ['/v1/cardholders', { cardholder_unique_no: holder, sumsub_share_token: token }],
      );
      if (!(await this.succeeded(applied, `${holder} kyc apply`))) return;
      if (rejected) return;
      const cardholderNo = this.seen.cardholderNo.get(holder)!;
      const approved = await this.state(`${holder} Approved`, () =>
        this.seen.kycStatus.get(holder) === 'Approved' ? true : undefined,
      );
      if (!approved) throw new StalledChain(`${holder}: never Approved`);
      const cards = r() < 0.5 ? 2 : 1;
      await Promise.all(
        Array.from({ length: cards }, (_, c) =>
          this.cardScript(`FC${this.o.run}${index}x${c}`, cardholderNo, r() < 0.5 ? 'Physical' : 'Virtual'),
        ),
      );
    } catch (error) {
      if (!(error instanceof StalledChain)) throw error;
      this.stats.stalledChains.push(`${error.message} (given up at ${new Date().toISOString().slice(11, 23)})`);
    }
  }

  private async cardScript(card: string, cardholderNo: string, type: 'Physical' | 'Virtual'): Promise<void> {
    const r = this.o.random;
    const mode = r() < 0.5 ? { package_no: type === 'Physical' ? 'PKG_PHYSICAL_001' : 'PKG_VIRTUAL_001' } : { card_bin_no: type === 'Physical' ? 'BIN_MC_001' : 'BIN_VISA_001' };
    const address = {
      first_name: 'Ada', last_name: 'Lovelace', phone_code: '44', phone: '2079460000',
      postal_code: 'EC1A 1BB', country: 'GB', state: 'London', city: 'London', address_line1: '1 Main Street',
    };
    const apply = { card_unique_no: card, cardholder_no: cardholderNo, card_type: type, ...mode, ...(type === 'Physical' ? { address_info: address } : {}) };
    const applied = await this.send(COMMAND_TYPES.cardApply, apply, () => ['/v1/cards', apply]);
    if (!(await this.succeeded(applied, `${card} apply`))) return;

    const issued = type === 'Physical' ? 'ToActivate' : 'Activated';
    const ready = await this.state(`${card} ${issued}`, () => {
      const s = this.seen.cardStatus.get(card);
      return s === issued || s === 'Fail' ? s : undefined;
    });
    if (!ready) throw new StalledChain(`${card}: never ${issued}`);
    if (ready === 'Fail') return;

    if (type === 'Physical') {
      const cvv = String(100 + Math.floor(r() * 900));
      this.stats.secrets.cvv.add(cvv);
      const lastNo = await this.cardLastNo(card);
      const activated = await this.send(
        COMMAND_TYPES.cardActivate,
        { card_unique_no: card, card_last_no: lastNo, cvv_jwe: await sealSecret(cvv, this.publicKey) },
        () => [`/v1/cards/${card}/activation`, { cvv, card_last_no: lastNo }],
      );
      if (!(await this.succeeded(activated, `${card} activate`))) return;
      let pin = '';
      do pin = String(Math.floor(r() * 1_000_000)).padStart(6, '0');
      while (isWeakPin(pin));
      this.stats.secrets.pin.add(pin);
      const pinSet = await this.send(
        COMMAND_TYPES.cardPinSet,
        { card_unique_no: card, pin_jwe: await sealSecret(pin, this.publicKey) },
        () => [`/v1/cards/${card}/pin`, { pin }],
      );
      await this.result(pinSet, `${card} pin`);
    }
    // Fired ahead: the engine must run them in order for this key.
    const status = (action: string) =>
      this.send(COMMAND_TYPES.cardStatusUpdate, { card_unique_no: card, action }, () => [`/v1/cards/${card}/status`, { action }]);
    const freeze = await status('freeze');
    const unfreeze = await status('unfreeze');
    await this.result(freeze, `${card} freeze`);
    await this.result(unfreeze, `${card} unfreeze`);
    if (r() < 0.5) await this.result(await status('cancel'), `${card} cancel`);
  }

  private async cardLastNo(card: string): Promise<string> {
    const known = this.cardLastNos.get(card);
    if (known) return known;
    const state = (await (await fetch(`${this.o.sandboxUrl}/__admin/state`)).json()) as any;
    const cards: any[] = state.data?.cards ?? state.cards ?? [];
    for (const c of cards) this.cardLastNos.set(c.card_unique_no, c.card_last_no);
    const found = this.cardLastNos.get(card);
    if (!found) throw new StalledChain(`${card}: not at the sandbox`);
    return found;
  }
}
