import {
  applyDecorators,
  Body,
  Controller,
  HttpCode,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiOperation,
  ApiSecurity,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import {
  COMMAND_TYPES,
  createCommand,
  type Command,
  type CommandData,
  type CommandType,
} from '@issuing-bridge/contracts';
import { ApiKeyGuard, type AuthenticatedRequest } from '../auth/api-key.guard';
import { presentedApiKey } from '../auth/api-keys';
import { GATEWAY_SOURCE } from '../kafka/gateway-publisher';
import { ClientThrottlerGuard } from '../auth/client-throttler.guard';
import { validationFailed } from '../http/api-errors';
import { acceptedSchema, errorSchema, openApiSchema } from '../http/openapi-schema';
import { CardDataSealer } from './card-data-sealer';
import { CommandIntake, requestFingerprint } from './command-intake';
import {
  cardActivationBody,
  cardApplyBody,
  cardholderApplyBody,
  cardPinBody,
  cardStatusBody,
  validateBody,
  validateCardUniqueNo,
} from './request-bodies';

// Printable ASCII without spaces, as most APIs accept (UUIDs, ULIDs, business references).
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface AcceptedCommand {
  command_id: string;
  status_url: string;
}

/** 202 + the documented body (the body schema is the one validated). */
function PublishesCommand(operation: { summary: string }, body: z.ZodType): MethodDecorator {
  return applyDecorators(
    HttpCode(202),
    ApiOperation(operation),
    ApiBody({ schema: openApiSchema(body) }),
    ApiAcceptedResponse({
      description: 'Command published (broker acknowledged); poll status_url',
      schema: acceptedSchema,
    }),
  );
}

@ApiTags('commands')
@ApiBearerAuth('api-key')
@ApiSecurity('x-api-key')
@ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description:
    'Retry-safe key (1–255 printable characters), scoped to the calling system: a retry with the same key and body returns the same command; a different body answers 409. A key is remembered for 24 hours (GATEWAY_IDEMPOTENCY_KEY_RETENTION_MS); after that it is forgotten and a request with it is a new command. The command status (GET /v1/commands/{command_id}) is kept separately and does not expire with the key.',
})
@ApiBadRequestResponse({ description: 'Invalid body: each field and rule', schema: errorSchema })
@ApiUnauthorizedResponse({ description: 'Missing or unknown API key', schema: errorSchema })
@ApiForbiddenResponse({ description: 'API key disabled', schema: errorSchema })
@ApiConflictResponse({
  description: 'Idempotency-Key reused with another body',
  schema: errorSchema,
})
@ApiTooManyRequestsResponse({ description: 'Rate limit of this API key reached' })
@UseGuards(ApiKeyGuard, ClientThrottlerGuard)
@Controller('v1')
export class CommandsController {
  constructor(
    private readonly intake: CommandIntake,
    private readonly sealer: CardDataSealer,
  ) {}

  @Post('cardholders')
  @PublishesCommand(
    { summary: 'Apply for KYC: create a cardholder (no cardholder_no) or re-submit (with it)' },
    cardholderApplyBody,
  )
  async applyCardholder(
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<AcceptedCommand> {
    const data = this.validated(cardholderApplyBody, body);
    return this.accept(req, reply, body, () =>
      Promise.resolve(this.command(req, COMMAND_TYPES.cardholderKycApply, data)),
    );
  }

  @Post('cards')
  @PublishesCommand({ summary: 'Apply for a virtual or physical card' }, cardApplyBody)
  async applyCard(
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<AcceptedCommand> {
    const data = this.validated(cardApplyBody, body);
    return this.accept(req, reply, body, () =>
      Promise.resolve(this.command(req, COMMAND_TYPES.cardApply, data)),
    );
  }

  @Post('cards/:card_unique_no/activation')
  @PublishesCommand(
    {
      summary:
        'Activate a physical card (KeySecure: CVV + last four; UQPAY: card_id, activation code, PIN); CVV / PIN are sealed on receipt and never stored or logged',
    },
    cardActivationBody,
  )
  async activateCard(
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Param('card_unique_no') cardUniqueNo: string,
    @Body() body: unknown,
  ): Promise<AcceptedCommand> {
    const activation = this.validated(cardActivationBody, body, cardUniqueNo);
    if (activation.provider === 'uqpay') {
      const { pin, ...rest } = activation;
      return this.accept(req, reply, body, async () =>
        this.command(req, COMMAND_TYPES.cardActivate, {
          ...rest,
          card_unique_no: cardUniqueNo,
          pin_jwe: await this.sealer.seal(pin),
        }),
      );
    }
    const { cvv, card_last_no } = activation;
    return this.accept(req, reply, body, async () =>
      this.command(req, COMMAND_TYPES.cardActivate, {
        card_unique_no: cardUniqueNo,
        card_last_no,
        cvv_jwe: await this.sealer.seal(cvv),
      }),
    );
  }

  @Post('cards/:card_unique_no/status')
  @PublishesCommand({ summary: 'Freeze, unfreeze or cancel a card' }, cardStatusBody)
  async updateCardStatus(
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Param('card_unique_no') cardUniqueNo: string,
    @Body() body: unknown,
  ): Promise<AcceptedCommand> {
    const { action } = this.validated(cardStatusBody, body, cardUniqueNo);
    return this.accept(req, reply, body, () =>
      Promise.resolve(
        this.command(req, COMMAND_TYPES.cardStatusUpdate, { card_unique_no: cardUniqueNo, action }),
      ),
    );
  }

  @Post('cards/:card_unique_no/pin')
  @PublishesCommand(
    { summary: 'Set the PIN of a card; the PIN is sealed on receipt and never stored or logged' },
    cardPinBody,
  )
  async setCardPin(
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Param('card_unique_no') cardUniqueNo: string,
    @Body() body: unknown,
  ): Promise<AcceptedCommand> {
    const { pin } = this.validated(cardPinBody, body, cardUniqueNo);
    return this.accept(req, reply, body, async () =>
      this.command(req, COMMAND_TYPES.cardPinSet, {
        card_unique_no: cardUniqueNo,
        pin_jwe: await this.sealer.seal(pin),
      }),
    );
  }

  /** Body (and path) checked together, so one 400 names every broken field. */
  private validated<S extends z.ZodType>(
    schema: S,
    body: unknown,
    cardUniqueNo?: string,
  ): z.output<S> {
    const checked = validateBody(schema, body);
    const violations = [
      ...(cardUniqueNo === undefined ? [] : validateCardUniqueNo(cardUniqueNo)),
      ...(checked.ok ? [] : checked.violations),
    ];
    if (!checked.ok || violations.length > 0) throw validationFailed(violations);
    return checked.value;
  }

  private command<T extends CommandType>(
    req: AuthenticatedRequest,
    type: T,
    data: CommandData<T>,
  ): Command<T> {
    const requestId = String(req.id);
    return createCommand({
      type,
      source: GATEWAY_SOURCE,
      data,
      // The request id ties the events of this command back to the HTTP call in logs.
      ...(REQUEST_ID.test(requestId) && { correlationid: requestId }),
    });
  }

  private async accept(
    req: AuthenticatedRequest,
    reply: FastifyReply,
    body: unknown,
    build: () => Promise<Command>,
  ): Promise<AcceptedCommand> {
    const header = req.headers['idempotency-key'];
    const idempotencyKey = Array.isArray(header) ? header[0] : header;
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw validationFailed([
        {
          field: 'Idempotency-Key',
          rule: 'printable_ascii',
          message: 'Idempotency-Key must be 1-255 printable ASCII characters without spaces',
        },
      ]);
    }
    const route = `${req.method} ${req.routeOptions.url ?? ''} ${JSON.stringify(req.params)}`;
    const outcome = await this.intake.submit({
      apiClient: req.apiClient!,
      idempotencyKey,
      fingerprint: requestFingerprint(presentedApiKey(req.headers)!, route, body),
      command: await build(),
    });
    const statusUrl = `/v1/commands/${outcome.commandId}`;
    void reply.header('location', statusUrl);
    if (outcome.replayed) void reply.header('idempotent-replayed', 'true');
    return { command_id: outcome.commandId, status_url: statusUrl };
  }
}
