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
import type { GatewayConfig } from '../config/config.schema';
import { CallbackInbox } from './callback-inbox';

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
  ) {}

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
