/**
 * UQPAY Card Issuance stand-in (Fastify): token endpoint, card retrieve/activate/status, idempotency replay,
 * signed webhooks, fault injection and an admin API. Independent of libs/uqpay on purpose (it checks the
 * client, so it must not share its code). Rules and choices: README.md.
 */
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import {
  applyConnectionFault,
  createSandboxServer,
  defaultSandboxServerOptions,
  header,
  parseJsonObjectBody,
  sleep,
  type SandboxServerOptions,
} from '@issuing-bridge/provider-sandbox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  apiError,
  cardError,
  invalidRequest,
  tokenRejected,
  unauthorized,
  UqpayApiFailure,
} from './errors';
import { FaultInjector, type ActiveFault, type FaultSpec } from './faults';
import {
  CARD_STATUSES,
  SandboxState,
  type CardRecord,
  type CardStatus,
  type SandboxSnapshot,
} from './state';
import { WebhookDispatcher } from './webhooks';

/** Development credentials of the sandbox (valid nowhere else). */
export const UQPAY_SANDBOX_CLIENT_ID = 'uqpay_sandbox_client';
export const UQPAY_SANDBOX_API_KEY = 'uqpay_sandbox_api_key';
export const UQPAY_SANDBOX_WEBHOOK_SECRET = 'uqpay_sandbox_webhook_secret';
/** A seeded physical card awaiting activation (when `seed` is on), for manual runs. */
export const UQPAY_SEED_CARD_ID = '5135e6cc-28b6-4889-81dc-3b86a09e1395';
export const UQPAY_SEED_ACTIVATION_CODE = '12345678';

/** `clock` is the server clock (Unix ms): token expiry, idempotency retention, times. */
export interface UqpaySandboxOptions extends SandboxServerOptions {
  clientId: string;
  apiKey: string;
  /** Lifetime of an access token (production: 30 min). */
  tokenTtlMs: number;
  /** A new token invalidates the earlier ones (the stricter rule of the Card Issuance FAQ). */
  singleActiveToken: boolean;
  /** How long a stored idempotent answer is replayed (24 h). */
  idempotencyTtlMs: number;
  /** Sub-account ids accepted in x-on-behalf-of. */
  subAccounts: string[];
  /** Where webhooks go; none are sent when unset. */
  webhookUrl?: string;
  /** Empty = unsigned webhooks. */
  webhookSecret: string;
  webhookTimestampUnit: 'ms' | 's';
  webhookRetryBaseMs: number;
  webhookRetryMaxMs: number;
  /** Infinity = until acknowledged with 2xx */
  webhookMaxAttempts: number;
  webhookTimeoutMs: number;
  /** Delay between an accepted status order and the status change (and PRE_CANCEL → CANCELLED). */
  statusChangeDelayMs: number;
  /** Seed one physical PENDING card (UQPAY_SEED_CARD_ID / UQPAY_SEED_ACTIVATION_CODE) at start and reset. */
  seed: boolean;
}

export const defaultUqpaySandboxOptions: UqpaySandboxOptions = {
  ...defaultSandboxServerOptions,
  clientId: UQPAY_SANDBOX_CLIENT_ID,
  apiKey: UQPAY_SANDBOX_API_KEY,
  tokenTtlMs: 30 * 60 * 1000,
  singleActiveToken: true,
  idempotencyTtlMs: 24 * 60 * 60 * 1000,
  subAccounts: [],
  webhookUrl: undefined,
  webhookSecret: UQPAY_SANDBOX_WEBHOOK_SECRET,
  webhookTimestampUnit: 'ms',
  webhookRetryBaseMs: 500,
  webhookRetryMaxMs: 30_000,
  webhookMaxAttempts: Number.POSITIVE_INFINITY,
  webhookTimeoutMs: 5_000,
  statusChangeDelayMs: 50,
  seed: false,
};

export interface CreateCardInput {
  card_id?: string;
  form_factor?: 'PHYSICAL' | 'VIRTUAL';
  card_status?: CardStatus;
  activation_code?: string;
  card_currency?: 'USD' | 'SGD';
  cardholder_id?: string;
  account_id?: string;
}

export interface RunningUqpaySandbox {
  /** http://host:port — admin routes live under `${url}/__admin`. */
  url: string;
  /** `${url}/api`: the client's baseUrl. */
  apiBaseUrl: string;
  port: number;
  options: UqpaySandboxOptions;
  state: SandboxState;
  close(): Promise<void>;
  /** Creates a card; returns it including its activation_code. */
  createCard(input?: CreateCardInput): CardRecord;
  /** Sets a status as UQPAY would (e.g. BLOCKED) and sends card.status.update.succeeded. */
  setCardStatus(cardId: string, status: CardStatus, reason?: string): CardRecord;
  addFault(spec: FaultSpec): ActiveFault;
  clearFaults(): void;
  faults(): ActiveFault[];
  snapshot(): SandboxSnapshot;
  /** Every issued token becomes invalid (next call → 401 token expired). */
  expireTokens(): void;
  /** Forget cards, tokens, idempotency keys, counts, webhooks and faults. */
  reset(): void;
}

type Body = Record<string, unknown>;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MUTATING = new Set(['card.activate', 'card.status.update']);
/** No-PIN amount ranges by currency (Docs v1.6 guide/pin-and-no-pin-payments). */
const NO_PIN_MAX: Record<string, number> = { USD: 2000, SGD: 2600 };

/** HTTP status a fault answers with; 0 when it withholds the answer or drops the connection. */
function faultStatus(fault: ActiveFault): number {
  if (fault.kind === 'http_error') return fault.status ?? 503;
  if (fault.kind === 'error') return fault.error?.status ?? 0;
  return 0;
}

const parseBody = (raw: unknown): Body => parseJsonObjectBody(raw, invalidRequest);

function fakeJwt(clientId: string, expiredAt: number): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ client_id: clientId, exp: expiredAt, jti: randomUUID() })}.${randomBytes(24).toString('base64url')}`;
}

export async function startUqpaySandbox(
  overrides: Partial<UqpaySandboxOptions> = {},
): Promise<RunningUqpaySandbox> {
  const options: UqpaySandboxOptions = { ...defaultUqpaySandboxOptions, ...overrides };
  const state = new SandboxState();
  const faults = new FaultInjector();
  const webhooks = new WebhookDispatcher(state, {
    url: options.webhookUrl,
    secret: options.webhookSecret,
    timestampUnit: options.webhookTimestampUnit,
    clock: options.clock,
    retryBaseMs: options.webhookRetryBaseMs,
    retryMaxMs: options.webhookRetryMaxMs,
    maxAttempts: options.webhookMaxAttempts,
    requestTimeoutMs: options.webhookTimeoutMs,
    log: options.log,
  });
  const timers = new Set<NodeJS.Timeout>();
  const later = (fn: () => void, ms: number) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const nowIso = () => new Date(options.clock()).toISOString();

  // ---- domain ------------------------------------------------------------------------------

  function createCard(input: CreateCardInput = {}): CardRecord {
    const cardId = input.card_id ?? randomUUID();
    if (!UUID_RE.test(cardId)) throw invalidRequest('card_id', 'must be a UUID');
    if (state.cards.has(cardId)) throw invalidRequest('card_id', 'already exists');
    const formFactor = input.form_factor ?? 'PHYSICAL';
    if (formFactor !== 'PHYSICAL' && formFactor !== 'VIRTUAL')
      throw invalidRequest('form_factor', 'must be PHYSICAL or VIRTUAL');
    const status = input.card_status ?? (formFactor === 'PHYSICAL' ? 'PENDING' : 'ACTIVE');
    if (!CARD_STATUSES.includes(status))
      throw invalidRequest('card_status', `must be one of ${CARD_STATUSES.join(', ')}`);
    const currency = input.card_currency ?? 'USD';
    if (currency !== 'USD' && currency !== 'SGD')
      throw invalidRequest('card_currency', 'must be USD or SGD');
    const code = input.activation_code ?? String(randomInt(0, 100_000_000)).padStart(8, '0');
    if (typeof code !== 'string' || code === '')
      throw invalidRequest('activation_code', 'must be a non-empty string');
    if (input.account_id !== undefined && !UUID_RE.test(input.account_id))
      throw invalidRequest('account_id', 'must be a UUID');
    const card: CardRecord = {
      card_id: cardId,
      card_number: `409636******${String(randomInt(0, 10_000)).padStart(4, '0')}`,
      form_factor: formFactor,
      mode_type: 'SINGLE',
      card_currency: currency,
      card_status: status,
      cardholder_id: input.cardholder_id ?? randomUUID(),
      account_id: input.account_id,
      activation_code: code,
      pin_set: false,
      no_pin_payment_amount: currency === 'SGD' ? 200 : 150,
      create_time: nowIso(),
      update_time: nowIso(),
    };
    state.cards.set(cardId, card);
    return card;
  }

  function publicCard(card: CardRecord): Body {
    const { activation_code: _c, pin_set: _p, account_id: _a, ...rest } = card;
    return { ...rest, cardholder: { cardholder_id: card.cardholder_id } };
  }

  function changeStatus(
    card: CardRecord,
    status: CardStatus,
    reason: string | undefined,
    sourceId: string,
  ): void {
    card.card_status = status;
    card.update_reason = reason;
    card.update_time = nowIso();
    webhooks.emit('card.status.update.succeeded', sourceId, card.card_id, status, {
      card_id: card.card_id,
      card_number: card.card_number,
      card_status: status,
      update_reason: reason,
      update_time: card.update_time,
    });
  }

  function findCard(cardId: unknown, accountId: string | undefined): CardRecord {
    const card = typeof cardId === 'string' ? state.cards.get(cardId) : undefined;
    if (!card || card.account_id !== accountId) throw cardError('card_not_found', 'card not found');
    return card;
  }

  function activate(body: Body, accountId: string | undefined): Body {
    if (typeof body.card_id !== 'string' || !UUID_RE.test(body.card_id))
      throw invalidRequest('card_id', 'is required and must be a UUID');
    if (typeof body.activation_code !== 'string' || body.activation_code === '') {
      throw invalidRequest('activation_code', 'is required (string)');
    }
    if (typeof body.pin !== 'string' || !/^\d{6}$/.test(body.pin))
      throw invalidRequest('pin', 'must be a 6-digit numeric value');
    const amount = body.no_pin_payment_amount;
    if (
      amount !== undefined &&
      (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0)
    ) {
      throw invalidRequest('no_pin_payment_amount', 'must be a number ≥ 0');
    }
    const card = findCard(body.card_id, accountId);
    if (card.form_factor !== 'PHYSICAL')
      throw cardError('card_not_physical', 'only physical cards can be activated');
    if (card.card_status !== 'PENDING') {
      throw cardError(
        'invalid_card_status',
        `card_status must be PENDING to activate, is ${card.card_status}`,
      );
    }
    if (body.activation_code !== card.activation_code)
      throw cardError('invalid_activation_code', 'activation_code does not match');
    if (typeof amount === 'number' && amount > NO_PIN_MAX[card.card_currency]) {
      throw invalidRequest(
        'no_pin_payment_amount',
        `must be at most ${NO_PIN_MAX[card.card_currency]} ${card.card_currency}`,
      );
    }
    card.pin_set = true; // the PIN itself is dropped here
    if (typeof amount === 'number') card.no_pin_payment_amount = amount;
    card.card_status = 'ACTIVE';
    card.update_time = nowIso();
    state.activations[card.card_id] = (state.activations[card.card_id] ?? 0) + 1;
    // Activation fires card.activation.status, not card.status.update (Docs v1.6 card-lifecycle).
    webhooks.emit('card.activation.status', card.card_id, card.card_id, 'Activated', {
      card_id: card.card_id,
      card_number: card.card_number,
      activation_status: 'Activated',
    });
    return { request_status: 'SUCCESS' };
  }

  function orderStatus(cardId: string, body: Body, accountId: string | undefined): Body {
    const target = body.card_status;
    if (target !== 'ACTIVE' && target !== 'FROZEN' && target !== 'CANCELLED') {
      throw invalidRequest('card_status', 'must be one of ACTIVE, FROZEN, CANCELLED');
    }
    if (body.update_reason !== undefined && typeof body.update_reason !== 'string') {
      throw invalidRequest('update_reason', 'must be a string');
    }
    const card = findCard(cardId, accountId);
    const allowed: Record<string, CardStatus[]> = {
      ACTIVE: ['FROZEN'],
      FROZEN: ['ACTIVE'],
      CANCELLED: ['ACTIVE', 'FROZEN'],
    };
    if (!allowed[target].includes(card.card_status)) {
      throw cardError(
        'invalid_card_status',
        `cannot change card_status from ${card.card_status} to ${target}`,
      );
    }
    const orderId = randomUUID();
    const reason = body.update_reason as string | undefined;
    later(() => {
      if (target !== 'CANCELLED') return changeStatus(card, target, reason, orderId);
      changeStatus(card, 'PRE_CANCEL', reason, orderId);
      later(() => changeStatus(card, 'CANCELLED', reason, orderId), options.statusChangeDelayMs);
    }, options.statusChangeDelayMs);
    return {
      card_id: card.card_id,
      card_order_id: orderId,
      order_status: 'PENDING',
      update_reason: reason,
    };
  }

  // ---- HTTP --------------------------------------------------------------------------------

  // Routes parse bodies themselves so bad JSON is answered in UQPAY's envelope and the raw text can be fingerprinted.
  const { app, listen } = createSandboxServer(options);

  function authenticate(req: FastifyRequest): void {
    const raw = header(req, 'x-auth-token');
    if (!raw) throw unauthorized('x-auth-token is required');
    const m = /^Bearer (\S+)$/.exec(raw);
    if (!m) throw unauthorized('x-auth-token must be "Bearer <token>"');
    const expiry = state.tokens.get(m[1]);
    if (expiry === undefined) throw tokenRejected('invalid token');
    if (expiry <= options.clock()) throw tokenRejected('token expired');
  }

  function onBehalfOf(req: FastifyRequest): string | undefined {
    const v = header(req, 'x-on-behalf-of');
    if (v === undefined || v === '') return undefined;
    if (!UUID_RE.test(v) || !options.subAccounts.includes(v)) {
      throw new UqpayApiFailure(400, {
        type: 'account_error',
        code: 'sub_account_not_found',
        message: 'x-on-behalf-of: sub-account not found',
      });
    }
    return v;
  }

  /** Returns true when the fault answered (or withheld) the reply. */
  async function applyFault(
    fault: ActiveFault,
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<boolean> {
    const applied = await applyConnectionFault(fault, req, reply);
    if (applied !== undefined) return applied;
    switch (fault.kind) {
      case 'http_error':
        await reply.code(fault.status ?? 503).send({
          type: 'api_error',
          code: 'service_unavailable',
          message: `injected HTTP ${fault.status ?? 503}`,
        });
        return true;
      case 'error': {
        const e = fault.error!;
        const body: Body = { message: e.message };
        if (e.type !== undefined) body.type = e.type;
        if (e.code !== undefined) body.code = e.code;
        await reply.code(e.status).send(body);
        return true;
      }
      default:
        return false;
    }
  }

  function route(
    method: 'GET' | 'POST',
    url: string,
    endpoint: string,
    handler: (ctx: {
      body: Body;
      params: Record<string, string>;
      req: FastifyRequest;
      accountId?: string;
    }) => Body,
  ): void {
    app.route({
      method,
      url: `/api${url}`,
      handler: async (req, reply) => {
        state.calls[endpoint] = (state.calls[endpoint] ?? 0) + 1;
        const started = Date.now();
        const sentKey = MUTATING.has(endpoint) ? header(req, 'x-idempotency-key') : undefined;
        const record = (status: number, replay?: boolean) =>
          state.logRequest({
            endpoint,
            idempotencyKey: sentKey,
            status,
            ...(replay ? { replay } : {}),
          });
        const before = faults.pick(endpoint, 'before');
        if (before && (await applyFault(before, req, reply))) {
          record(faultStatus(before));
          options.log('call', { endpoint, fault: before.kind, ms: Date.now() - started });
          return reply;
        }
        let status = 200;
        let payload: unknown;
        let idemKey: string | undefined;
        try {
          if (endpoint !== 'token') authenticate(req);
          const accountId = endpoint === 'token' ? undefined : onBehalfOf(req);
          if (MUTATING.has(endpoint)) {
            idemKey = header(req, 'x-idempotency-key');
            if (!idemKey)
              throw invalidRequest('x-idempotency-key', 'is required', 'missing_idempotency_key');
            if (!UUID_RE.test(idemKey)) throw invalidRequest('x-idempotency-key', 'must be a UUID');
            const scoped = `${options.clientId}|${accountId ?? ''}|${idemKey}`;
            const fingerprint = createHash('sha256')
              .update(`${method} ${req.url.split('?')[0]}\n${String(req.body ?? '')}`)
              .digest('hex');
            const entry = state.idempotency.get(scoped);
            if (entry && options.clock() - entry.storedAt < options.idempotencyTtlMs) {
              if (entry.fingerprint !== fingerprint) {
                throw new UqpayApiFailure(400, {
                  type: 'idempotency_error',
                  code: 'idempotency_key_mismatch',
                  message: 'x-idempotency-key was already used with a different request',
                });
              }
              // Identity Gateway quirk: in-flight duplicate → 400 legacy body whose code says 200.
              if (!entry.response)
                throw new UqpayApiFailure(400, { code: 200, message: 'request is processing' });
              record(entry.response.status, true);
              options.log('call', {
                endpoint,
                replay: true,
                status: entry.response.status,
                ms: Date.now() - started,
              });
              return reply
                .code(entry.response.status)
                .header('x-idempotent-replay', 'true')
                .send(entry.response.body);
            }
            const fresh = { fingerprint, storedAt: options.clock() } as {
              fingerprint: string;
              storedAt: number;
              response?: { status: number; body: unknown };
            };
            state.idempotency.set(scoped, fresh);
            const after = faults.pick(endpoint, 'after');
            try {
              if (after?.kind === 'latency') await sleep(after.latencyMs ?? 0);
              payload = handler({
                body: parseBody(req.body),
                params: req.params as Record<string, string>,
                req,
                accountId,
              });
            } catch (err) {
              if (!(err instanceof UqpayApiFailure) || err.httpStatus >= 500) {
                state.idempotency.delete(scoped); // 5xx: not stored, safe to retry with the same key
                throw err;
              }
              fresh.response = { status: err.httpStatus, body: err.body };
              throw err;
            }
            fresh.response = { status: 200, body: payload };
            if (after && after.kind !== 'latency' && (await applyFault(after, req, reply))) {
              record(faultStatus(after));
              options.log('call', {
                endpoint,
                fault: after.kind,
                phase: 'after',
                ms: Date.now() - started,
              });
              return reply;
            }
          } else {
            payload = handler({
              body: parseBody(req.body),
              params: req.params as Record<string, string>,
              req,
              accountId,
            });
          }
        } catch (err) {
          if (!(err instanceof UqpayApiFailure)) throw err;
          status = err.httpStatus;
          payload = err.body;
        }
        record(status);
        options.log('call', { endpoint, status, ms: Date.now() - started });
        return reply.code(status).send(payload);
      },
    });
  }

  route('POST', '/v1/connect/token', 'token', ({ req }) => {
    if (
      header(req, 'x-client-id') !== options.clientId ||
      header(req, 'x-api-key') !== options.apiKey
    ) {
      throw unauthorized('x-client-id or x-api-key is invalid');
    }
    if (options.singleActiveToken) state.tokens.clear();
    const expiredAtMs = options.clock() + options.tokenTtlMs;
    const expiredAt = Math.floor(expiredAtMs / 1000);
    const token = fakeJwt(options.clientId, expiredAt);
    state.tokens.set(token, expiredAtMs);
    state.tokensIssued += 1;
    return { auth_token: token, expired_at: expiredAt };
  });
  route('POST', '/v1/issuing/cards/activate', 'card.activate', ({ body, accountId }) =>
    activate(body, accountId),
  );
  route('GET', '/v1/issuing/cards/:id', 'card.retrieve', ({ params, accountId }) =>
    publicCard(findCard(params.id, accountId)),
  );
  route(
    'POST',
    '/v1/issuing/cards/:id/status',
    'card.status.update',
    ({ params, body, accountId }) => orderStatus(params.id, body, accountId),
  );

  // ---- admin (no auth, not counted, never faulted) -------------------------------------------
  const running: RunningUqpaySandbox = {
    url: '',
    apiBaseUrl: '',
    port: 0,
    options,
    state,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await webhooks.close();
      await app.close();
    },
    createCard: (input) => ({ ...createCard(input) }),
    setCardStatus: (cardId, status, reason) => {
      if (!CARD_STATUSES.includes(status))
        throw invalidRequest('card_status', `must be one of ${CARD_STATUSES.join(', ')}`);
      const card = state.cards.get(cardId);
      if (!card) throw cardError('card_not_found', 'card not found');
      changeStatus(card, status, reason ?? 'Status changed by UQPAY', randomUUID());
      return { ...card };
    },
    addFault: (spec) => faults.add(spec),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    snapshot: () => state.snapshot(),
    expireTokens: () => state.tokens.clear(),
    reset: () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      webhooks.cancelPending();
      faults.clear();
      state.reset();
      if (options.seed) seed();
    },
  };
  const seed = () =>
    createCard({ card_id: UQPAY_SEED_CARD_ID, activation_code: UQPAY_SEED_ACTIVATION_CODE });
  if (options.seed) seed();

  const admin =
    (fn: (body: Body, params: Record<string, string>) => unknown) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        return reply.send(fn(parseBody(req.body), req.params as Record<string, string>));
      } catch (err) {
        if (err instanceof UqpayApiFailure) return reply.code(err.httpStatus).send(err.body);
        throw err;
      }
    };
  app.post(
    '/__admin/cards',
    admin((body) => running.createCard(body as CreateCardInput)),
  );
  app.post(
    '/__admin/cards/:id/status',
    admin((body, params) => {
      if (body.reason !== undefined && typeof body.reason !== 'string')
        throw invalidRequest('reason', 'must be a string');
      const { activation_code: _c, ...card } = running.setCardStatus(
        params.id,
        body.card_status as CardStatus,
        body.reason as string | undefined,
      );
      return card;
    }),
  );
  app.post(
    '/__admin/faults',
    admin((body) => running.addFault(body as unknown as FaultSpec)),
  );
  app.get(
    '/__admin/faults',
    admin(() => running.faults()),
  );
  app.delete(
    '/__admin/faults',
    admin(() => (running.clearFaults(), { cleared: true })),
  );
  app.get(
    '/__admin/state',
    admin(() => ({ ...running.snapshot(), faults: running.faults() })),
  );
  app.post(
    '/__admin/tokens/expire',
    admin(() => (running.expireTokens(), { expired: true })),
  );
  app.post(
    '/__admin/reset',
    admin(() => (running.reset(), { reset: true })),
  );

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      type: 'invalid_request_error',
      code: 'not_found',
      message: `No such endpoint: ${req.method} ${req.url.split('?')[0]}`,
    }),
  );
  app.setErrorHandler((err, _req, reply) => {
    options.log('internal_error', { error: (err as Error).message });
    const failure = apiError();
    return reply.code(failure.httpStatus).send(failure.body);
  });

  Object.assign(running, await listen());
  running.apiBaseUrl = `${running.url}/api`;
  return running;
}
