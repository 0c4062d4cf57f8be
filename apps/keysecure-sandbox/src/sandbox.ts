import { randomBytes } from 'node:crypto';
import {
  applyConnectionFault,
  createSandboxServer,
  defaultSandboxServerOptions,
  header,
  parseJsonObjectBody,
  type SandboxServerOptions,
} from '@issuing-bridge/provider-sandbox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CallbackDispatcher } from './callbacks';
import { defaultMessages, invalidParameter, ProviderError, ResultCode } from './errors';
import { FaultInjector, type ActiveFault, type FaultSpec } from './faults';
import { IssuingPlatform } from './platform';
import {
  CARD_STATUSES,
  CARDHOLDER_STATUSES,
  recordHeaders,
  SandboxState,
  type CardholderRecord,
  type CardholderStatus,
  type CardRecord,
  type CardStatus,
  type SandboxSnapshot,
} from './state';
import { paginate, parsePage } from './time-window';

/** Development credentials of the sandbox (never valid anywhere else). The secret is 32 UTF-8 bytes → AES-256. */
export const SANDBOX_DEFAULT_API_KEY = 'ks_sandbox_api_key';
export const SANDBOX_DEFAULT_API_SECRET = 'ks_sandbox_secret_0123456789abcd';

/** `clock` is the server time in Unix ms: Timestamp window, token expiry, record times. */
export interface SandboxOptions extends SandboxServerOptions {
  apiKey: string;
  /** AES key for CVV/PIN and HMAC key for callbacks; 16, 24 or 32 UTF-8 bytes */
  apiSecret: string;
  /** `appId` of the callback signature; defaults to apiKey */
  appId: string;
  /** Api-Keys that exist but are not enabled (answered 1010) */
  disabledApiKeys: string[];
  /** Where Card_update callbacks go; none are sent when unset */
  callbackUrl?: string;
  /** Access token lifetime (the docs hint at 24 h) */
  tokenTtlMs: number;
  /** Pending → In_progress after one step, → Approved/Rejected after two */
  kycStepDelayMs: number;
  /** Pending → ToActivate/Activated/Fail */
  cardIssueDelayMs: number;
  /** Calls per second per Api-Key before 1009; unlimited when unset */
  rateLimitPerSecond?: number;
  /** Allowed Timestamp deviation (documented 60 s) */
  timestampToleranceMs: number;
  callbackRetryBaseMs: number;
  callbackRetryMaxMs: number;
  /** Infinity = until acknowledged */
  callbackMaxAttempts: number;
  callbackTimeoutMs: number;
  /** Random source for rate-based faults */
  random: () => number;
}

export const defaultSandboxOptions: SandboxOptions = {
  ...defaultSandboxServerOptions,
  apiKey: SANDBOX_DEFAULT_API_KEY,
  apiSecret: SANDBOX_DEFAULT_API_SECRET,
  appId: SANDBOX_DEFAULT_API_KEY,
  disabledApiKeys: [],
  callbackUrl: undefined,
  tokenTtlMs: 24 * 60 * 60 * 1000,
  kycStepDelayMs: 200,
  cardIssueDelayMs: 200,
  rateLimitPerSecond: undefined,
  timestampToleranceMs: 60_000,
  callbackRetryBaseMs: 500,
  callbackRetryMaxMs: 30_000,
  callbackMaxAttempts: Number.POSITIVE_INFINITY,
  callbackTimeoutMs: 5_000,
  random: Math.random,
};

export interface RunningSandbox {
  url: string;
  port: number;
  options: SandboxOptions;
  state: SandboxState;
  close(): Promise<void>;
  addFault(spec: FaultSpec): ActiveFault;
  clearFaults(): void;
  faults(): ActiveFault[];
  snapshot(): SandboxSnapshot;
  setCardStatus(
    cardNo: string,
    status: CardStatus,
    opts?: { reason?: string; callback?: boolean },
  ): CardRecord;
  setKycStatus(
    cardholderNo: string,
    status: CardholderStatus,
    failReason?: string,
  ): CardholderRecord;
  /** Every issued access token becomes invalid (next call → 1007). */
  expireTokens(): void;
  /** Forget cardholders, cards, tokens, counts, callbacks and faults. */
  reset(): void;
}

type Body = Record<string, unknown>;
type Handler = (ctx: {
  body: Body;
  params: Record<string, string>;
  req: FastifyRequest;
}) => unknown;

const parseBody = (raw: unknown): Body => parseJsonObjectBody(raw, invalidParameter);

export async function startKeySecureSandbox(
  overrides: Partial<SandboxOptions> = {},
): Promise<RunningSandbox> {
  const options: SandboxOptions = { ...defaultSandboxOptions, ...overrides };
  if (overrides.appId === undefined) options.appId = options.apiKey;
  const secretBytes = Buffer.byteLength(options.apiSecret, 'utf8');
  if (![16, 24, 32].includes(secretBytes)) {
    throw new Error(`apiSecret must be 16, 24 or 32 UTF-8 bytes (AES key), got ${secretBytes}`);
  }
  const state = new SandboxState();
  const faults = new FaultInjector(options.random);
  const callbacks = new CallbackDispatcher(state, {
    callbackUrl: options.callbackUrl,
    appId: options.appId,
    apiSecret: options.apiSecret,
    clock: options.clock,
    retryBaseMs: options.callbackRetryBaseMs,
    retryMaxMs: options.callbackRetryMaxMs,
    maxAttempts: options.callbackMaxAttempts,
    requestTimeoutMs: options.callbackTimeoutMs,
    log: options.log,
  });
  const platform = new IssuingPlatform(state, options, callbacks);
  const rateWindows = new Map<string, { second: number; count: number }>();

  // Bodies are parsed by the routes so that bad JSON is answered 1004 inside the envelope, as the provider does.
  const { app, listen } = createSandboxServer(options);

  function authenticate(req: FastifyRequest, needsToken: boolean): void {
    const apiKey = header(req, 'Api-Key');
    if (!apiKey) throw new ProviderError(ResultCode.ApiKeyRequired, 'Api-Key is required');
    if (options.disabledApiKeys.includes(apiKey)) {
      throw new ProviderError(
        ResultCode.ApiKeyDisabled,
        defaultMessages[ResultCode.ApiKeyDisabled],
      );
    }
    if (apiKey !== options.apiKey)
      throw new ProviderError(ResultCode.ApiKeyUnknown, defaultMessages[ResultCode.ApiKeyUnknown]);
    const now = options.clock();
    const ts = header(req, 'Timestamp');
    if (!ts || !/^\d{13}$/.test(ts)) {
      throw new ProviderError(
        ResultCode.TimestampInvalid,
        'Timestamp must be Unix time in milliseconds (13 digits)',
      );
    }
    const skew = now - Number(ts);
    if (skew < 0)
      throw new ProviderError(ResultCode.TimestampInvalid, 'Timestamp is in the future');
    if (skew > options.timestampToleranceMs) {
      throw new ProviderError(ResultCode.TimestampInvalid, 'Timestamp is more than 60 seconds old');
    }
    if (options.rateLimitPerSecond !== undefined) {
      const second = Math.floor(now / 1000);
      const w = rateWindows.get(apiKey);
      if (!w || w.second !== second) rateWindows.set(apiKey, { second, count: 1 });
      else if (++w.count > options.rateLimitPerSecond) {
        throw new ProviderError(ResultCode.TooFrequent, defaultMessages[ResultCode.TooFrequent]);
      }
    }
    if (!needsToken) return;
    const token = header(req, 'Access-Token');
    if (!token) throw new ProviderError(ResultCode.AccessTokenRequired, 'Access-Token is required');
    const expiry = state.tokens.get(token);
    if (expiry === undefined || expiry <= now) {
      throw new ProviderError(ResultCode.AccessTokenInvalid, 'Access-Token invalid or expired');
    }
  }

  /** Returns true when the fault already dealt with the reply. */
  async function applyFault(
    fault: ActiveFault,
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<boolean> {
    const applied = await applyConnectionFault(fault, req, reply);
    if (applied !== undefined) return applied;
    switch (fault.kind) {
      case 'http_error':
        await reply
          .code(fault.status ?? 503)
          .type('text/plain')
          .send(fault.msg ?? `injected HTTP ${fault.status ?? 503}`);
        return true;
      case 'error_code':
        await reply.send({
          code: fault.code,
          msg: fault.msg ?? defaultMessages[fault.code ?? 0] ?? 'Injected error',
        });
        return true;
      default:
        return false;
    }
  }

  function openApi(
    method: 'GET' | 'POST',
    path: string,
    endpoint: string,
    handler: Handler,
    needsToken = true,
  ): void {
    app.route({
      method,
      url: `/open-api/v1${path}`,
      handler: async (req, reply) => {
        state.calls[endpoint] = (state.calls[endpoint] ?? 0) + 1;
        state.lastHeaders[endpoint] = recordHeaders(req.headers);
        const started = Date.now();
        const fault = faults.pick(endpoint, req.url.split('?')[0]);
        if (fault && (await applyFault(fault, req, reply))) {
          options.log('call', { endpoint, fault: fault.kind, ms: Date.now() - started });
          return reply;
        }
        let envelope: { code: number; msg: string; data?: unknown };
        try {
          authenticate(req, needsToken);
          const data = handler({
            body: parseBody(req.body),
            params: req.params as Record<string, string>,
            req,
          });
          envelope = { code: ResultCode.Success, msg: 'Success', data };
        } catch (err) {
          if (!(err instanceof ProviderError)) throw err;
          envelope = { code: err.code, msg: err.message };
        }
        options.log('call', { endpoint, code: envelope.code, ms: Date.now() - started });
        return reply.code(200).send(envelope);
      },
    });
  }

  openApi(
    'GET',
    '/merchant/token',
    'token',
    () => {
      const token = randomBytes(24).toString('hex');
      const expiredTime = options.clock() + options.tokenTtlMs;
      state.tokens.set(token, expiredTime);
      return { access_token: token, expired_time: expiredTime };
    },
    false,
  );
  openApi('POST', '/cardholder/apply', 'cardholder.apply', ({ body }) =>
    platform.applyCardholder(body),
  );
  openApi('POST', '/cardholder/list', 'cardholder.list', ({ body, req }) =>
    platform.listCardholders(body, header(req, 'Timezone')),
  );
  openApi('GET', '/cardholder/:cardholder_no/info', 'cardholder.info', ({ params }) =>
    platform.cardholderInfo(params.cardholder_no),
  );
  openApi('POST', '/card/apply', 'card.apply', ({ body }) => platform.applyCard(body));
  openApi('POST', '/card/list', 'card.list', ({ body, req }) =>
    platform.listCards(body, header(req, 'Timezone')),
  );
  openApi('GET', '/card/:card_no/detail', 'card.detail', ({ params }) =>
    platform.cardDetail(params.card_no),
  );
  openApi('POST', '/card/active', 'card.active', ({ body }) => platform.activateCard(body));
  openApi('POST', '/card/status/update', 'card.status.update', ({ body }) =>
    platform.updateCardStatus(body),
  );
  openApi('POST', '/card/pin/set', 'card.pin.set', ({ body }) => platform.setPin(body));
  openApi('POST', '/card/package/list', 'card.package.list', ({ body }) => {
    const page = parsePage(body);
    const type = optionalFilter(body, 'type');
    const packageNo = optionalFilter(body, 'package_no');
    const rows = state.packages.filter(
      (p) =>
        (type === undefined || p.package_type === type) &&
        (packageNo === undefined || p.package_no === packageNo),
    );
    return { list: paginate(rows, page) };
  });
  openApi('POST', '/card/support/bins', 'card.support.bins', ({ body }) => {
    const page = parsePage(body);
    const binNo = optionalFilter(body, 'card_bin_no');
    const rows = state.bins.filter((b) => binNo === undefined || b.card_bin_no === binNo);
    return { list: paginate(rows, page) };
  });

  // ---- admin API (no auth, not counted, never faulted) ----
  const adminBody = (req: FastifyRequest): Body => parseBody(req.body);
  const adminError = (reply: FastifyReply, err: unknown) => {
    if (err instanceof ProviderError)
      return reply.code(400).send({ code: err.code, msg: err.message });
    throw err;
  };

  const running: RunningSandbox = {
    url: '',
    port: 0,
    options,
    state,
    close: async () => {
      platform.cancelTimers();
      await callbacks.close();
      await app.close();
    },
    addFault: (spec) => faults.add(spec),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    snapshot: () => state.snapshot(),
    setCardStatus: (cardNo, status, opts = {}) =>
      platform.forceCardStatus(
        cardNo,
        status,
        opts.reason ?? 'Status changed by the platform',
        opts.callback ?? true,
      ),
    setKycStatus: (cardholderNo, status, failReason) => {
      if (!CARDHOLDER_STATUSES.includes(status)) {
        throw invalidParameter('status', `must be one of ${CARDHOLDER_STATUSES.join(', ')}`);
      }
      return platform.forceKyc(cardholderNo, status, failReason);
    },
    expireTokens: () => state.tokens.clear(),
    reset: () => {
      platform.cancelTimers();
      callbacks.cancelPending();
      faults.clear();
      rateWindows.clear();
      state.reset();
    },
  };

  app.post('/__admin/faults', async (req, reply) => {
    try {
      return reply.send({
        code: 0,
        msg: 'Success',
        data: running.addFault(adminBody(req) as unknown as FaultSpec),
      });
    } catch (err) {
      return adminError(reply, err);
    }
  });
  app.get('/__admin/faults', async () => ({ code: 0, msg: 'Success', data: running.faults() }));
  app.delete('/__admin/faults', async () => {
    running.clearFaults();
    return { code: 0, msg: 'Success', data: { result: true } };
  });
  app.get('/__admin/state', async () => ({
    code: 0,
    msg: 'Success',
    data: { ...running.snapshot(), faults: running.faults() },
  }));
  app.post('/__admin/cards/:card_no/status', async (req, reply) => {
    try {
      const body = adminBody(req);
      if (!CARD_STATUSES.includes(body.status as CardStatus)) {
        throw invalidParameter('status', `must be one of ${CARD_STATUSES.join(', ')}`);
      }
      if (body.reason !== undefined && typeof body.reason !== 'string')
        throw invalidParameter('reason', 'must be a string');
      if (body.callback !== undefined && typeof body.callback !== 'boolean') {
        throw invalidParameter('callback', 'must be a boolean');
      }
      const card = running.setCardStatus(
        (req.params as { card_no: string }).card_no,
        body.status as CardStatus,
        {
          reason: body.reason as string | undefined,
          callback: body.callback as boolean | undefined,
        },
      );
      return reply.send({ code: 0, msg: 'Success', data: card });
    } catch (err) {
      return adminError(reply, err);
    }
  });
  app.post('/__admin/cardholders/:cardholder_no/kyc', async (req, reply) => {
    try {
      const body = adminBody(req);
      if (body.fail_reason !== undefined && typeof body.fail_reason !== 'string') {
        throw invalidParameter('fail_reason', 'must be a string');
      }
      const { kycOutcome: _k, ...holder } = running.setKycStatus(
        (req.params as { cardholder_no: string }).cardholder_no,
        body.status as CardholderStatus,
        body.fail_reason as string | undefined,
      );
      return reply.send({ code: 0, msg: 'Success', data: holder });
    } catch (err) {
      return adminError(reply, err);
    }
  });
  app.post('/__admin/tokens/expire', async () => {
    running.expireTokens();
    return { code: 0, msg: 'Success', data: { result: true } };
  });
  app.post('/__admin/reset', async () => {
    running.reset();
    return { code: 0, msg: 'Success', data: { result: true } };
  });

  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send({ code: 404, msg: `No such endpoint: ${req.method} ${req.url.split('?')[0]}` }),
  );
  app.setErrorHandler((err, _req, reply) => {
    options.log('internal_error', { error: (err as Error).message });
    return reply
      .code(500)
      .send({ code: ResultCode.SystemError, msg: defaultMessages[ResultCode.SystemError] });
  });

  Object.assign(running, await listen());
  return running;
}

function optionalFilter(body: Body, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw invalidParameter(field, 'must be a string');
  return v;
}
