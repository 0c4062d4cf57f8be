/**
 * UQPAY Card Issuance client: plain TypeScript on undici. One request pipeline (`execute`):
 * validate → idempotency key (fixed for the whole operation) → token → send → map errors →
 * backoff retry (full jitter) under a deadline. See README for the rules.
 */
import { performance } from 'node:perf_hooks';
import { backOff } from 'exponential-backoff';
import { Pool } from 'undici';
import { resolveUqpayConfig, ResolvedUqpayConfig, UqpayCallEvent, UqpayConfig } from './config';
import { isTokenRejection, mapUqpayError } from './error-mapping';
import { UqpayError, UqpayNetworkError, UqpayTimeoutError, UqpayValidationError } from './errors';
import { uqpayIdempotencyKey, UqpayOperationKind } from './idempotency';
import { redactUqpay, scrubUqpaySecrets } from './redaction';
import * as rules from './rules';
import { UqpayTokenManager } from './token-manager';
import {
  ActivateCardInput,
  ActivateCardResponse,
  UpdateCardStatusInput,
  UpdateCardStatusResponse,
  UqpayCard,
  UqpayMutationOptions,
  UqpayReadOptions,
  UqpayTokenResponse,
} from './types';

interface Endpoint {
  /** Stable name for metrics and errors. */
  name: string;
  method: 'GET' | 'POST';
  /** Operation kind for the idempotency key; set on mutating endpoints only. */
  kind?: UqpayOperationKind;
}

/** Every endpoint the client calls, by logical name. */
export const UQPAY_ENDPOINTS = {
  token: { name: 'token', method: 'POST' },
  cardActivate: { name: 'card.activate', method: 'POST', kind: 'card.activate' },
  cardRetrieve: { name: 'card.retrieve', method: 'GET' },
  cardStatusUpdate: { name: 'card.status.update', method: 'POST', kind: 'card.status.update' },
} as const satisfies Record<string, Endpoint>;

interface Operation {
  endpoint: Endpoint;
  path: string;
  body?: unknown;
  idempotencyKey?: string;
  onBehalfOf?: string;
  deadlineMs?: number;
}

interface OperationState {
  attempt: number;
  deadline: number;
}

interface RawResponse {
  status: number;
  text: string;
}

export class UqpayClient {
  readonly config: ResolvedUqpayConfig;
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  private readonly tokens: UqpayTokenManager;

  /** Throws UqpayConfigError on a bad config. Pass a shared UqpayTokenManager to share tokens between clients. */
  constructor(config: UqpayConfig, tokenManager?: UqpayTokenManager) {
    this.config = resolveUqpayConfig(config);
    const url = new URL(this.config.baseUrl);
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: this.config.connections,
      keepAliveTimeout: 30_000,
    });
    this.tokens =
      tokenManager ??
      new UqpayTokenManager({
        now: this.config.now,
        refreshMarginMs: this.config.tokenRefreshMarginMs,
      });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  // ---- endpoints --------------------------------------------------------------------------

  /** POST /v1/connect/token. Usually not needed: every call obtains (and caches) its token itself. */
  async getToken(options: { deadlineMs?: number } = {}): Promise<UqpayTokenResponse> {
    const state = this.newState(options.deadlineMs);
    return this.fetchToken(state);
  }

  /**
   * POST /v1/issuing/cards/activate. Takes the PLAINTEXT 6-digit PIN (UQPAY wants it in the TLS body);
   * it is never logged or put in an error. Idempotency key derived from `options.operationId`.
   */
  async activateCard(
    input: ActivateCardInput,
    options: UqpayMutationOptions,
  ): Promise<ActivateCardResponse> {
    const ep = UQPAY_ENDPOINTS.cardActivate;
    rules.validateActivateCard(input, ep.name);
    const body: Record<string, unknown> = {
      card_id: input.card_id,
      activation_code: input.activation_code,
      pin: input.pin,
    };
    if (input.no_pin_payment_amount !== undefined)
      body.no_pin_payment_amount = input.no_pin_payment_amount;
    return this.mutate(ep, '/v1/issuing/cards/activate', body, options);
  }

  /** GET /v1/issuing/cards/{id}: status follow-up (e.g. after a timeout or a missed webhook). */
  async getCard(cardId: string, options: UqpayReadOptions = {}): Promise<UqpayCard> {
    const ep = UQPAY_ENDPOINTS.cardRetrieve;
    rules.validateCardId(cardId, ep.name);
    rules.validateOnBehalfOf(options.onBehalfOf, ep.name);
    return this.execute<UqpayCard>({
      endpoint: ep,
      path: `/v1/issuing/cards/${encodeURIComponent(cardId)}`,
      onBehalfOf: options.onBehalfOf,
      deadlineMs: options.deadlineMs,
    });
  }

  /** POST /v1/issuing/cards/{id}/status: ACTIVE (unfreeze) | FROZEN | CANCELLED. Result comes by webhook. */
  async updateCardStatus(
    input: UpdateCardStatusInput,
    options: UqpayMutationOptions,
  ): Promise<UpdateCardStatusResponse> {
    const ep = UQPAY_ENDPOINTS.cardStatusUpdate;
    rules.validateUpdateCardStatus(input, ep.name);
    const body: Record<string, unknown> = { card_status: input.card_status };
    if (input.update_reason !== undefined) body.update_reason = input.update_reason;
    return this.mutate(
      ep,
      `/v1/issuing/cards/${encodeURIComponent(input.card_id)}/status`,
      body,
      options,
    );
  }

  // ---- pipeline ---------------------------------------------------------------------------

  private mutate<T>(
    ep: Endpoint,
    path: string,
    body: unknown,
    options: UqpayMutationOptions,
  ): Promise<T> {
    if (!options || typeof options !== 'object') {
      throw new UqpayValidationError('operationId', 'is required (the command id)', ep.name);
    }
    rules.validateOnBehalfOf(options.onBehalfOf, ep.name);
    // Computed once per operation: every retry and resend below reuses it.
    const idempotencyKey = uqpayIdempotencyKey(options.operationId, ep.kind as string);
    return this.execute<T>({
      endpoint: ep,
      path,
      body,
      idempotencyKey,
      onBehalfOf: options.onBehalfOf,
      deadlineMs: options.deadlineMs,
    });
  }

  private newState(deadlineMs?: number): OperationState {
    return {
      attempt: 0,
      deadline: performance.now() + (deadlineMs ?? this.config.retryDeadlineMs),
    };
  }

  /** The one place that retries: exponential backoff with full jitter, bounded by attempts and a deadline. */
  private async execute<T>(op: Operation): Promise<T> {
    const cfg = this.config;
    const deadlineMs = op.deadlineMs ?? cfg.retryDeadlineMs;
    const state = this.newState(deadlineMs);
    const deadlineError = (cause: unknown) =>
      new UqpayTimeoutError({
        code: 'DEADLINE_EXCEEDED',
        type: 'client_error',
        message: `retry deadline of ${deadlineMs} ms exceeded`,
        endpoint: op.endpoint.name,
        idempotencyKey: op.idempotencyKey,
        retryable: true,
        cause,
      });
    try {
      return await backOff(
        async () => {
          if (performance.now() >= state.deadline) throw deadlineError(undefined);
          return this.attempt<T>(op, state);
        },
        {
          jitter: 'full',
          startingDelay: cfg.backoffStartMs,
          maxDelay: cfg.backoffMaxMs,
          timeMultiple: 2,
          numOfAttempts: cfg.maxAttempts,
          retry: (error) =>
            error instanceof UqpayError &&
            error.retryable &&
            error.code !== 'DEADLINE_EXCEEDED' &&
            performance.now() < state.deadline,
        },
      );
    } catch (error) {
      if (error instanceof UqpayError) {
        error.idempotencyKey ??= op.idempotencyKey;
        if (
          error.retryable &&
          error.code !== 'DEADLINE_EXCEEDED' &&
          performance.now() >= state.deadline
        ) {
          // A transient error that ended the loop after the deadline is reported as the deadline (kept as cause).
          throw deadlineError(error);
        }
      }
      throw error;
    }
  }

  /** One backoff attempt; resends once, immediately, with a fresh token after a 401 "token expired". */
  private async attempt<T>(op: Operation, state: OperationState): Promise<T> {
    let refreshed = false;
    for (;;) {
      const token = await this.tokens.getToken(this.config.clientId, async () => {
        const data = await this.fetchToken(state);
        return { token: data.auth_token, expiresAt: data.expired_at * 1000 };
      });
      const headers: Record<string, string> = { 'x-auth-token': `Bearer ${token}` };
      if (op.idempotencyKey) headers['x-idempotency-key'] = op.idempotencyKey;
      if (op.onBehalfOf) headers['x-on-behalf-of'] = op.onBehalfOf;
      const res = await this.send(op.endpoint, op.path, headers, op.body, state);
      if (res.status >= 200 && res.status < 300) return this.parseSuccess<T>(res, op.endpoint);
      if (!refreshed && isTokenRejection(res.status, res.text)) {
        refreshed = true;
        this.tokens.invalidate(this.config.clientId, token);
        continue;
      }
      throw mapUqpayError(res.status, res.text, {
        endpoint: op.endpoint.name,
        idempotencyKey: op.idempotencyKey,
        scrub: (t) => this.scrub(t),
      });
    }
  }

  private async fetchToken(state: OperationState): Promise<UqpayTokenResponse> {
    const ep = UQPAY_ENDPOINTS.token;
    const res = await this.send(
      ep,
      '/v1/connect/token',
      { 'x-client-id': this.config.clientId, 'x-api-key': this.config.apiKey },
      undefined,
      state,
    );
    if (res.status < 200 || res.status >= 300) {
      throw mapUqpayError(res.status, res.text, { endpoint: ep.name, scrub: (t) => this.scrub(t) });
    }
    const data = this.parseSuccess<UqpayTokenResponse>(res, ep);
    if (
      typeof data?.auth_token !== 'string' ||
      data.auth_token === '' ||
      typeof data.expired_at !== 'number'
    ) {
      throw new UqpayNetworkError({
        code: 'BAD_RESPONSE',
        type: 'client_error',
        message:
          'token response must have auth_token (string) and expired_at (number, Unix seconds)',
        endpoint: ep.name,
        httpStatus: res.status,
      });
    }
    return data;
  }

  private parseSuccess<T>(res: RawResponse, ep: Endpoint): T {
    try {
      return JSON.parse(res.text) as T;
    } catch {
      // A 2xx we cannot read: the operation may have happened; retrying with the same key is safe.
      throw new UqpayNetworkError({
        code: 'BAD_RESPONSE',
        type: 'client_error',
        message: 'body: 2xx answer is not JSON',
        endpoint: ep.name,
        httpStatus: res.status,
        retryable: true,
      });
    }
  }

  /** One HTTP request. Returns status and body text, or throws a network/timeout UqpayError. */
  private async send(
    ep: Endpoint,
    path: string,
    extraHeaders: Record<string, string>,
    body: unknown,
    state: OperationState,
  ): Promise<RawResponse> {
    const attempt = ++state.attempt;
    const remaining = state.deadline - performance.now();
    const timeoutMs = Math.max(1, Math.min(this.config.requestTimeoutMs, remaining));
    const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const started = performance.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let status: number | undefined;
    let code = 'NETWORK';
    try {
      const response = await this.pool.request({
        path: this.pathPrefix + path,
        method: ep.method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
      status = response.statusCode;
      const text = await response.body.text();
      code = status >= 200 && status < 300 ? 'OK' : (errorCode(text) ?? `HTTP_${status}`);
      return { status, text };
    } catch (error) {
      if (controller.signal.aborted) {
        code = 'TIMEOUT';
        throw new UqpayTimeoutError({
          code,
          type: 'client_error',
          message: `no complete response within ${Math.round(timeoutMs)} ms`,
          endpoint: ep.name,
          httpStatus: status,
          retryable: true,
        });
      }
      const reason = (error as { code?: string }).code ?? (error as Error).name ?? 'error';
      throw new UqpayNetworkError({
        code,
        type: 'client_error',
        message: `connection failed (${reason})`,
        endpoint: ep.name,
        httpStatus: status,
        retryable: true,
      });
    } finally {
      clearTimeout(timer);
      this.report(
        {
          endpoint: ep.name,
          method: ep.method,
          attempt,
          durationMs: performance.now() - started,
          status,
          code,
        },
        body,
      );
    }
  }

  private report(event: UqpayCallEvent, body: unknown): void {
    try {
      this.config.onCall?.(event);
    } catch {
      // A metrics hook must never break a provider call.
    }
    const logger = this.config.logger;
    if (!logger) return;
    const entry = { ...event, request: body === undefined ? undefined : redactUqpay(body) };
    if (event.code === 'OK') logger.debug(entry, 'uqpay call');
    else logger.warn(entry, 'uqpay call failed');
  }

  private scrub(text: string): string {
    return scrubUqpaySecrets(text, [this.config.apiKey]);
  }
}

function errorCode(text: string): string | undefined {
  try {
    const v = JSON.parse(text) as { code?: unknown };
    return typeof v?.code === 'string' ? v.code : undefined;
  } catch {
    return undefined;
  }
}
