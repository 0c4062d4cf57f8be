/**
 * KeySecure Open Platform client: plain TypeScript on undici. One request pipeline (`execute`):
 * validate → (encrypt) → token → Timestamp → send → envelope → classify → backoff retry under a deadline.
 */
import { performance } from 'node:perf_hooks';
import { backOff } from 'exponential-backoff';
import { Pool } from 'undici';
import {
  KeySecureCallEvent,
  KeySecureConfig,
  resolveKeySecureConfig,
  ResolvedKeySecureConfig,
} from './config';
import { KeySecureCipher } from './crypto';
import {
  KeySecureApiError,
  KeySecureError,
  KeySecureHttpError,
  KeySecureNetworkError,
  KeySecureTimeoutError,
} from './errors';
import { redactSensitive, scrubSecrets } from './redaction';
import { isRetryableHttpStatus, shouldRetry } from './retry-policy';
import * as rules from './rules';
import { KeySecureTokenManager } from './token-manager';
import {
  ActivateCardInput,
  ApplyCardholderRequest,
  ApplyCardholderResponse,
  ApplyCardRequest,
  ApplyCardResponse,
  CardBin,
  CardDetail,
  CardholderInfo,
  CardholderRow,
  CardPackage,
  CardPrivateInfo,
  CardRow,
  KeySecureCallOptions,
  KeySecureEnvelope,
  ListCardBinsRequest,
  ListCardholdersRequest,
  ListCardPackagesRequest,
  ListCardsRequest,
  ListResponse,
  ResultResponse,
  SetCardPinInput,
  TokenData,
  UpdateCardStatusRequest,
} from './types';

export const API_PREFIX = '/open-api/v1';

interface Endpoint {
  /** Stable name for metrics and errors. */
  name: string;
  method: 'GET' | 'POST';
  /** Sends Access-Token (all but Get Token). */
  auth: boolean;
  /** Sends the Timezone header (date-window list calls). */
  timezone?: boolean;
}

/** Every endpoint the client calls, by logical name. */
export const KEYSECURE_ENDPOINTS = {
  token: { name: 'merchant.token', method: 'GET', auth: false },
  cardholderApply: { name: 'cardholder.apply', method: 'POST', auth: true },
  cardholderList: { name: 'cardholder.list', method: 'POST', auth: true, timezone: true },
  cardholderInfo: { name: 'cardholder.info', method: 'GET', auth: true },
  cardApply: { name: 'card.apply', method: 'POST', auth: true },
  cardList: { name: 'card.list', method: 'POST', auth: true, timezone: true },
  cardDetail: { name: 'card.detail', method: 'GET', auth: true },
  cardPrivateInfo: { name: 'card.private_info', method: 'GET', auth: true },
  cardActive: { name: 'card.active', method: 'POST', auth: true },
  cardStatusUpdate: { name: 'card.status_update', method: 'POST', auth: true },
  cardPinSet: { name: 'card.pin_set', method: 'POST', auth: true },
  cardPackageList: { name: 'card.package_list', method: 'POST', auth: true },
  cardSupportBins: { name: 'card.support_bins', method: 'POST', auth: true },
} as const satisfies Record<string, Endpoint>;

interface Operation {
  endpoint: Endpoint;
  path: string;
  body?: unknown;
  options?: KeySecureCallOptions;
}

interface OperationState {
  attempt: number;
  deadline: number;
}

export class KeySecureClient {
  readonly config: ResolvedKeySecureConfig;
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  private readonly cipher: KeySecureCipher;
  private readonly tokens: KeySecureTokenManager;

  /** Throws KeySecureConfigError on a bad config (e.g. apiSecret not 16/24/32 bytes). */
  constructor(config: KeySecureConfig, tokenManager?: KeySecureTokenManager) {
    this.config = resolveKeySecureConfig(config);
    const url = new URL(this.config.baseUrl);
    this.pathPrefix = url.pathname.replace(/\/+$/, '') + API_PREFIX;
    this.pool = new Pool(url.origin, {
      connections: this.config.connections,
      keepAliveTimeout: 30_000,
      pipelining: 1,
    });
    this.cipher = new KeySecureCipher(this.config.apiSecret, this.config.aesKeyDerivation);
    this.tokens =
      tokenManager ??
      new KeySecureTokenManager({
        now: this.config.now,
        refreshMarginMs: this.config.tokenRefreshMarginMs,
      });
  }

  /** Closes the keep-alive connections. */
  async close(): Promise<void> {
    await this.pool.close();
  }

  // ---- endpoints --------------------------------------------------------------------------

  /** GET /merchant/token. Usually not needed: every call obtains (and caches) its token itself. */
  async getToken(options?: KeySecureCallOptions): Promise<TokenData> {
    const data = await this.execute<TokenData>({
      endpoint: KEYSECURE_ENDPOINTS.token,
      path: '/merchant/token',
      options,
    });
    if (
      typeof data?.access_token !== 'string' ||
      data.access_token === '' ||
      typeof data.expired_time !== 'number'
    ) {
      throw new KeySecureHttpError({
        code: 'BAD_RESPONSE',
        msg: 'token data must have access_token (string) and expired_time (number)',
        endpoint: KEYSECURE_ENDPOINTS.token.name,
      });
    }
    return data;
  }

  /** POST /cardholder/apply — create (no cardholder_no) or re-submit KYC (with cardholder_no). */
  async applyCardholder(
    req: ApplyCardholderRequest,
    options?: KeySecureCallOptions,
  ): Promise<ApplyCardholderResponse> {
    rules.validateApplyCardholder(req, KEYSECURE_ENDPOINTS.cardholderApply.name);
    return this.execute({
      endpoint: KEYSECURE_ENDPOINTS.cardholderApply,
      path: '/cardholder/apply',
      body: req,
      options,
    });
  }

  /** POST /cardholder/list — window ≤ 90 days, page from 0, size ≤ 100. */
  async listCardholders(
    req: ListCardholdersRequest,
    options?: KeySecureCallOptions,
  ): Promise<CardholderRow[]> {
    rules.validateListWindow(req, KEYSECURE_ENDPOINTS.cardholderList.name);
    const data = await this.execute<ListResponse<CardholderRow>>({
      endpoint: KEYSECURE_ENDPOINTS.cardholderList,
      path: '/cardholder/list',
      body: req,
      options,
    });
    return data?.list ?? [];
  }

  /** GET /cardholder/{cardholder_no}/info */
  async getCardholder(
    cardholderNo: string,
    options?: KeySecureCallOptions,
  ): Promise<CardholderInfo> {
    rules.validatePathParam(cardholderNo, 'cardholder_no', KEYSECURE_ENDPOINTS.cardholderInfo.name);
    return this.execute({
      endpoint: KEYSECURE_ENDPOINTS.cardholderInfo,
      path: `/cardholder/${encodeURIComponent(cardholderNo)}/info`,
      options,
    });
  }

  /** POST /card/apply — asynchronous issuance; follow the card by list/detail or Card_update. */
  async applyCard(
    req: ApplyCardRequest,
    options?: KeySecureCallOptions,
  ): Promise<ApplyCardResponse> {
    rules.validateApplyCard(req, KEYSECURE_ENDPOINTS.cardApply.name);
    return this.execute({
      endpoint: KEYSECURE_ENDPOINTS.cardApply,
      path: '/card/apply',
      body: req,
      options,
    });
  }

  /** POST /card/list — window ≤ 90 days, page from 0, size ≤ 100. */
  async listCards(req: ListCardsRequest, options?: KeySecureCallOptions): Promise<CardRow[]> {
    rules.validateListWindow(req, KEYSECURE_ENDPOINTS.cardList.name);
    const data = await this.execute<ListResponse<CardRow>>({
      endpoint: KEYSECURE_ENDPOINTS.cardList,
      path: '/card/list',
      body: req,
      options,
    });
    return data?.list ?? [];
  }

  /** GET /card/{card_no}/detail */
  async getCard(cardNo: string, options?: KeySecureCallOptions): Promise<CardDetail> {
    rules.validatePathParam(cardNo, 'card_no', KEYSECURE_ENDPOINTS.cardDetail.name);
    return this.execute({
      endpoint: KEYSECURE_ENDPOINTS.cardDetail,
      path: `/card/${encodeURIComponent(cardNo)}/detail`,
      options,
    });
  }

  /** GET /card/{card_no}/private/info, decrypted. Sensitive result (PAN, CVV): never log it. Needs PCI (else 1013). */
  async getCardPrivateInfo(
    cardNo: string,
    options?: KeySecureCallOptions,
  ): Promise<CardPrivateInfo> {
    rules.validatePathParam(cardNo, 'card_no', KEYSECURE_ENDPOINTS.cardPrivateInfo.name);
    const ciphertext = await this.execute<string>({
      endpoint: KEYSECURE_ENDPOINTS.cardPrivateInfo,
      path: `/card/${encodeURIComponent(cardNo)}/private/info`,
      options,
    });
    try {
      return JSON.parse(this.cipher.decrypt(String(ciphertext))) as CardPrivateInfo;
    } catch {
      throw new KeySecureHttpError({
        code: 'BAD_RESPONSE',
        msg: 'data: private info could not be decrypted with apiSecret',
        endpoint: KEYSECURE_ENDPOINTS.cardPrivateInfo.name,
      });
    }
  }

  /** POST /card/active — takes the PLAINTEXT CVV and encrypts it right before sending. */
  async activateCard(
    input: ActivateCardInput,
    options?: KeySecureCallOptions,
  ): Promise<ResultResponse> {
    rules.validateActivateCard(input, KEYSECURE_ENDPOINTS.cardActive.name);
    const body = {
      cardholder_no: input.cardholder_no,
      card_no: input.card_no,
      cvv: this.cipher.encrypt(input.cvv),
      card_last_no: input.card_last_no,
    };
    return this.execute({
      endpoint: KEYSECURE_ENDPOINTS.cardActive,
      path: '/card/active',
      body,
      options,
    });
  }

  /** POST /card/status/update — Frozen (freeze), Activated (unfreeze), Delete (cancel). */
  async updateCardStatus(
    req: UpdateCardStatusRequest,
    options?: KeySecureCallOptions,
  ): Promise<ResultResponse> {
    rules.validateUpdateCardStatus(req, KEYSECURE_ENDPOINTS.cardStatusUpdate.name);
    return this.execute({
      endpoint: KEYSECURE_ENDPOINTS.cardStatusUpdate,
      path: '/card/status/update',
      body: { card_no: req.card_no, status: req.status },
      options,
    });
  }

  /** POST /card/pin/set — takes the PLAINTEXT PIN and encrypts it right before sending. Physical, Activated cards only. */
  async setCardPin(
    input: SetCardPinInput,
    options?: KeySecureCallOptions,
  ): Promise<ResultResponse> {
    rules.validateSetCardPin(input, KEYSECURE_ENDPOINTS.cardPinSet.name);
    const body = {
      card_no: input.card_no,
      cardholder_no: input.cardholder_no,
      pin: this.cipher.encrypt(input.pin),
    };
    return this.execute({
      endpoint: KEYSECURE_ENDPOINTS.cardPinSet,
      path: '/card/pin/set',
      body,
      options,
    });
  }

  /** POST /card/package/list — credit-extension mode only (else most likely 1012). */
  async listCardPackages(
    req: ListCardPackagesRequest = {},
    options?: KeySecureCallOptions,
  ): Promise<CardPackage[]> {
    rules.validateListCardPackages(req, KEYSECURE_ENDPOINTS.cardPackageList.name);
    const data = await this.execute<ListResponse<CardPackage>>({
      endpoint: KEYSECURE_ENDPOINTS.cardPackageList,
      path: '/card/package/list',
      body: req,
      options,
    });
    return data?.list ?? [];
  }

  /** POST /card/support/bins — authorization mode only (else most likely 1012). */
  async listCardBins(
    req: ListCardBinsRequest = {},
    options?: KeySecureCallOptions,
  ): Promise<CardBin[]> {
    rules.validateListCardBins(req, KEYSECURE_ENDPOINTS.cardSupportBins.name);
    const data = await this.execute<ListResponse<CardBin>>({
      endpoint: KEYSECURE_ENDPOINTS.cardSupportBins,
      path: '/card/support/bins',
      body: req,
      options,
    });
    return data?.list ?? [];
  }

  /** Encrypts a value the way card/active and pin/set expect (exposed for the sandbox and tests). */
  encryptField(plaintext: string): string {
    return this.cipher.encrypt(plaintext);
  }

  // ---- pipeline ---------------------------------------------------------------------------

  /** The one place that retries: exponential backoff with full jitter, bounded by attempts and a deadline. */
  private async execute<T>(op: Operation): Promise<T> {
    const cfg = this.config;
    const state: OperationState = {
      attempt: 0,
      deadline: performance.now() + (op.options?.deadlineMs ?? cfg.retryDeadlineMs),
    };
    const deadlineError = (cause: unknown) =>
      new KeySecureTimeoutError({
        code: 'DEADLINE_EXCEEDED',
        msg: `retry deadline of ${op.options?.deadlineMs ?? cfg.retryDeadlineMs} ms exceeded`,
        endpoint: op.endpoint.name,
        retryable: true,
        cause,
      });
    let lastError: unknown;
    try {
      return await backOff(
        async () => {
          if (performance.now() >= state.deadline) throw deadlineError(lastError);
          try {
            return await this.attempt<T>(op, state);
          } catch (error) {
            lastError = error;
            throw error;
          }
        },
        {
          jitter: 'full',
          startingDelay: cfg.backoffStartMs,
          maxDelay: cfg.backoffMaxMs,
          timeMultiple: 2,
          numOfAttempts: cfg.maxAttempts,
          retry: (error) => shouldRetry(error) && performance.now() < state.deadline,
        },
      );
    } catch (error) {
      if (
        shouldRetry(error) &&
        performance.now() >= state.deadline &&
        (error as KeySecureError).code !== 'DEADLINE_EXCEEDED'
      ) {
        // Whatever transient error ended the loop after the deadline, report the deadline (error kept as cause).
        throw deadlineError(error);
      }
      throw error;
    }
  }

  /** One backoff attempt: may resend once with a fresh token (1006/1007) and once re-stamped (1005). */
  private async attempt<T>(op: Operation, state: OperationState): Promise<T> {
    let refreshedToken = false;
    let restamped = false;
    for (;;) {
      const token = op.endpoint.auth ? await this.accessToken(op.options, state) : undefined;
      const envelope = await this.send(op, state, token);
      if (envelope.code === 0) return envelope.data as T;
      const action = this.config.classifyCode(envelope.code);
      if (action === 'refresh-token' && token !== undefined && !refreshedToken) {
        refreshedToken = true;
        this.tokens.invalidate(this.config.apiKey, token);
        continue;
      }
      if (action === 'restamp' && !restamped) {
        restamped = true;
        continue;
      }
      throw new KeySecureApiError({
        code: envelope.code,
        msg: this.scrub(String(envelope.msg ?? '')),
        endpoint: op.endpoint.name,
        httpStatus: 200,
        retryable: action === 'retry',
      });
    }
  }

  private accessToken(
    options: KeySecureCallOptions | undefined,
    state: OperationState,
  ): Promise<string> {
    return this.tokens.getToken(this.config.apiKey, async () => {
      // The token fetch spends the caller's remaining deadline, not a fresh one.
      const deadlineMs = Math.max(1, state.deadline - performance.now());
      const data = await this.getToken({ language: options?.language, deadlineMs });
      return { token: data.access_token, expiresAt: this.config.tokenExpiry(data) };
    });
  }

  /** One HTTP request. Returns the parsed envelope or throws a classified KeySecureError. */
  private async send(
    op: Operation,
    state: OperationState,
    token: string | undefined,
  ): Promise<KeySecureEnvelope> {
    const cfg = this.config;
    const attempt = ++state.attempt;
    const remaining = state.deadline - performance.now();
    const timeoutMs = Math.max(1, Math.min(cfg.requestTimeoutMs, remaining));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'api-key': cfg.apiKey,
      // Rebuilt on every send: the provider rejects stamps older than 60 s (1005).
      timestamp: String(Math.trunc(cfg.now())),
    };
    if (token !== undefined) headers['access-token'] = token;
    if (op.endpoint.timezone) headers.timezone = op.options?.timezone ?? cfg.timezone;
    const language = op.options?.language ?? cfg.language;
    if (language) headers.language = language;

    const started = performance.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let httpStatus: number | undefined;
    let code: number | string = 'NETWORK';
    try {
      const response = await this.pool.request({
        path: this.pathPrefix + op.path,
        method: op.endpoint.method,
        headers,
        body: op.body === undefined ? undefined : JSON.stringify(op.body),
        signal: controller.signal,
      });
      httpStatus = response.statusCode;
      const text = await response.body.text();
      const envelope = parseEnvelope(text);
      if (
        isRetryableHttpStatus(httpStatus) ||
        (!envelope && (httpStatus < 200 || httpStatus >= 300))
      ) {
        code = `HTTP_${httpStatus}`;
        throw new KeySecureHttpError({
          code,
          msg: this.scrub(
            envelope
              ? `[${envelope.code}] ${envelope.msg}`
              : `unexpected HTTP status ${httpStatus}`,
          ),
          endpoint: op.endpoint.name,
          httpStatus,
          retryable: isRetryableHttpStatus(httpStatus),
        });
      }
      if (!envelope) {
        code = 'BAD_RESPONSE';
        throw new KeySecureHttpError({
          code,
          msg: 'body: not a {code, msg, data} envelope',
          endpoint: op.endpoint.name,
          httpStatus,
        });
      }
      code = envelope.code;
      return envelope;
    } catch (error) {
      if (error instanceof KeySecureError) throw error;
      if (controller.signal.aborted) {
        code = 'TIMEOUT';
        throw new KeySecureTimeoutError({
          code,
          msg: `no complete response within ${Math.round(timeoutMs)} ms`,
          endpoint: op.endpoint.name,
          httpStatus,
          retryable: true,
        });
      }
      code = 'NETWORK';
      const reason = (error as { code?: string }).code ?? (error as Error).name ?? 'error';
      throw new KeySecureNetworkError({
        code,
        msg: `connection failed (${reason})`,
        endpoint: op.endpoint.name,
        httpStatus,
        retryable: true,
      });
    } finally {
      clearTimeout(timer);
      const event: KeySecureCallEvent = {
        endpoint: op.endpoint.name,
        method: op.endpoint.method,
        attempt,
        durationMs: performance.now() - started,
        code,
        httpStatus,
      };
      this.report(event, op.body);
    }
  }

  private report(event: KeySecureCallEvent, body: unknown): void {
    try {
      this.config.onCall?.(event);
    } catch {
      // A metrics hook must never break a provider call.
    }
    const logger = this.config.logger;
    if (!logger) return;
    const entry = { ...event, request: body === undefined ? undefined : redactSensitive(body) };
    if (event.code === 0) logger.debug(entry, 'keysecure call');
    else logger.warn(entry, 'keysecure call failed');
  }

  /** Provider messages are echoed in errors; make sure no credential ever rides along. */
  private scrub(text: string): string {
    return scrubSecrets(text, [this.config.apiSecret]);
  }
}

function parseEnvelope(text: string): KeySecureEnvelope | undefined {
  try {
    const value = JSON.parse(text) as Partial<KeySecureEnvelope> | null;
    if (value && typeof value === 'object' && typeof value.code === 'number') {
      return {
        code: value.code,
        msg: typeof value.msg === 'string' ? value.msg : '',
        data: value.data,
      };
    }
  } catch {
    // fall through: not an envelope
  }
  return undefined;
}
