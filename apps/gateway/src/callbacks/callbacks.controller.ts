import {
  Controller,
  HttpCode,
  HttpException,
  Logger,
  Post,
  Req,
  type RawBodyRequest,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import { verifyKeySecureCallback, type KeySecureCallbackBody } from '@issuing-bridge/keysecure';
import { InjectAppConfig } from '@issuing-bridge/platform';
import { UqpayWebhookError, verifyUqpayWebhook, type VerifiedUqpayWebhook } from '@issuing-bridge/uqpay';
import type { GatewayConfig } from '../config/config.schema';
import { CallbackInbox } from './callback-inbox';
import { UqpayWebhookInbox } from './uqpay-webhook-inbox';

export interface CallbackAnswer {
  code: number;
  message: string;
}

type Outcome =
  'published' | 'duplicate' | 'bad_signature' | 'stale_timestamp' | 'malformed' | 'publish_failed';

const callbacksTotal = new Counter({
  name: 'gateway_keysecure_callbacks_total',
  help: 'KeySecure callbacks received, by outcome',
  labelNames: ['outcome'],
});
const uqpayWebhooksTotal = new Counter({
  name: 'gateway_uqpay_webhooks_total',
  help: 'UQPAY webhooks received, by outcome',
  labelNames: ['outcome'],
});

// Non-zero codes tell KeySecure the push was not accepted (HTTP status says why).
const REFUSED = { unauthorized: 401, malformed: 400, unavailable: 503 } as const;

/**
 * KeySecure pushes (Card_update …). Verified over the raw body (SignUtils V1 + Timestamp window),
 * deduplicated by callback id, published to keysecure.callbacks.v1; `{code: 0}` only after the
 * broker acknowledged, so an unacknowledged push is retried by KeySecure.
 */
@ApiExcludeController()
@Controller('callbacks')
export class CallbacksController {
  private readonly logger = new Logger(CallbacksController.name);

  constructor(
    @InjectAppConfig() private readonly config: GatewayConfig,
    private readonly inbox: CallbackInbox,
    private readonly uqpayInbox: UqpayWebhookInbox,
  ) {}

  /**
   * UQPAY webhooks: x-wk-signature (HMAC-SHA512 over raw body ‖ x-wk-timestamp) and the timestamp
   * window checked over the raw bytes, deduplicated by event_id, published to uqpay.callbacks.v1;
   * 200 only after the broker acknowledged (UQPAY retries anything else).
   */
  @Post('uqpay')
  @HttpCode(200)
  async uqpay(@Req() req: RawBodyRequest<FastifyRequest>): Promise<{ received: true }> {
    if (req.rawBody === undefined) {
      throw this.refuseUqpay('malformed', REFUSED.malformed, 'Content-Type: must be application/json');
    }
    let verified: VerifiedUqpayWebhook;
    try {
      verified = verifyUqpayWebhook(req.rawBody, req.headers, {
        secret: this.config.UQPAY_WEBHOOK_SECRET,
        toleranceMs: this.config.GATEWAY_UQPAY_WEBHOOK_TOLERANCE_MS,
      });
    } catch (error) {
      if (!(error instanceof UqpayWebhookError)) throw error;
      const reason = `${error.field}: ${error.rule}`;
      if (error.field === 'x-wk-signature') throw this.refuseUqpay('bad_signature', REFUSED.unauthorized, reason);
      if (error.field === 'x-wk-timestamp') throw this.refuseUqpay('stale_timestamp', REFUSED.unauthorized, reason);
      throw this.refuseUqpay('malformed', REFUSED.malformed, reason);
    }
    if (verified.envelope.event_id.length > 128) {
      throw this.refuseUqpay('malformed', REFUSED.malformed, 'event_id: must be at most 128 characters');
    }
    let outcome: Outcome;
    try {
      outcome = await this.uqpayInbox.receive(verified);
    } catch (error) {
      this.logger.error(`UQPAY webhook ${verified.envelope.event_id} not published: ${(error as Error).message}`);
      throw this.refuseUqpay('publish_failed', REFUSED.unavailable, 'temporarily unavailable, retry');
    }
    uqpayWebhooksTotal.inc({ outcome });
    this.logger.log(`UQPAY webhook ${verified.envelope.event_id} (${verified.envelope.event_type}) ${outcome}`);
    return { received: true };
  }

  private refuseUqpay(outcome: Outcome, status: number, message: string): HttpException {
    uqpayWebhooksTotal.inc({ outcome });
    this.logger.warn(`UQPAY webhook refused (${outcome}): ${message}`);
    return new HttpException({ code: status, message }, status);
  }

  @Post('keysecure')
  @HttpCode(200)
  async keysecure(@Req() req: RawBodyRequest<FastifyRequest>): Promise<CallbackAnswer> {
    if (req.rawBody === undefined) {
      throw this.refuse('malformed', REFUSED.malformed, 'Content-Type: must be application/json');
    }
    const verified = verifyKeySecureCallback(req.rawBody, req.headers, {
      apiSecret: this.config.KEYSECURE_API_SECRET,
      appId: this.config.KEYSECURE_API_KEY,
      toleranceMs: this.config.GATEWAY_CALLBACK_TOLERANCE_MS,
    });
    if (!verified.valid) {
      const reason = verified.reason;
      if (reason.startsWith('body:') || reason.startsWith('data:')) {
        throw this.refuse('malformed', REFUSED.malformed, reason);
      }
      const outcome = reason.startsWith('Timestamp:') ? 'stale_timestamp' : 'bad_signature';
      throw this.refuse(outcome, REFUSED.unauthorized, reason);
    }
    const problem = shapeProblem(verified.body);
    if (problem) throw this.refuse('malformed', REFUSED.malformed, problem);

    let outcome: Outcome;
    try {
      outcome = await this.inbox.receive(verified.body);
    } catch (error) {
      this.logger.error(`callback ${verified.body.id} not published: ${(error as Error).message}`);
      throw this.refuse('publish_failed', REFUSED.unavailable, 'temporarily unavailable, retry');
    }
    callbacksTotal.inc({ outcome });
    this.logger.log(`callback ${verified.body.id} (${verified.body.action}) ${outcome}`);
    return { code: 0, message: '' };
  }

  private refuse(outcome: Outcome, status: number, message: string): HttpException {
    callbacksTotal.inc({ outcome });
    this.logger.warn(`callback refused (${outcome}): ${message}`);
    return new HttpException({ code: status, message }, status);
  }
}

function shapeProblem(body: KeySecureCallbackBody): string | undefined {
  if (typeof body.id !== 'string' || body.id.length === 0 || body.id.length > 128) {
    return 'id: must be a string of 1-128 characters';
  }
  if (typeof body.action !== 'string' || body.action.length === 0) {
    return 'action: must be a non-empty string';
  }
  return undefined;
}
