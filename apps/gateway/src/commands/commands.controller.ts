import { Body, Controller, Headers, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
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

@ApiTags('commands')
@ApiBearerAuth('api-key')
@ApiSecurity('x-api-key')
@ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description:
    'Retry-safe key (1–255 printable characters), scoped to the calling system: a retry with the same key and body returns the same command; a different body answers 409.',
})
@ApiAcceptedResponse({ description: 'Command published', schema: acceptedSchema })
@ApiBadRequestResponse({ description: 'Invalid body: each field and rule', schema: errorSchema })
@ApiUnauthorizedResponse({ description: 'Missing or unknown API key', schema: errorSchema })
@ApiForbiddenResponse({ description: 'API key disabled', schema: errorSchema })
@ApiConflictResponse({ description: 'Idempotency-Key reused with another body', schema: errorSchema })
@ApiTooManyRequestsResponse({ description: 'Rate limit of this API key reached' })
@UseGuards(ApiKeyGuard, ClientThrottlerGuard)
@Controller('v1')
export class CommandsController {
  constructor(
    private readonly intake: CommandIntake,
    private readonly sealer: CardDataSealer,
  ) {}

  @Post('cardholders')
  @HttpCode(202)
  @ApiOperation({ summary: 'Apply for KYC: create a cardholder (no cardholder_no) or re-submit (with it)' })
  @ApiBody({ schema: openApiSchema(cardholderApplyBody) })
  async applyCardholder(
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<AcceptedCommand> {
    const data = this.validated(cardholderApplyBody, body);
    return this.accept(req, reply, idempotencyKey, body, () =>
      Promise.resolve(this.command(req, COMMAND_TYPES.cardholderKycApply, data)),
    );
  }

  @Post('cards')
  @HttpCode(202)
  @ApiOperation({ summary: 'Apply for a virtual or physical card' })
  @ApiBody({ schema: openApiSchema(cardApplyBody) })
  async applyCard(
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<AcceptedCommand> {
    const data = this.validated(cardApplyBody, body);
    return this.accept(req, reply, idempotencyKey, body, () =>
      Promise.resolve(this.command(req, COMMAND_TYPES.cardApply, data)),
    );
  }

  @Post('cards/:card_unique_no/activation')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Activate a physical card; the CVV is sealed on receipt and never stored or logged',
  })
  @ApiBody({ schema: openApiSchema(cardActivationBody) })
  async activateCard(
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Param('card_unique_no') cardUniqueNo: string,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<AcceptedCommand> {
    const { cvv, card_last_no } = this.validated(cardActivationBody, body, cardUniqueNo);
    return this.accept(req, reply, idempotencyKey, body, async () =>
      this.command(req, COMMAND_TYPES.cardActivate, {
        card_unique_no: cardUniqueNo,
        card_last_no,
        cvv_jwe: await this.sealer.seal(cvv),
      }),
    );
  }

  @Post('cards/:card_unique_no/status')
  @HttpCode(202)
  @ApiOperation({ summary: 'Freeze, unfreeze or cancel a card' })
  @ApiBody({ schema: openApiSchema(cardStatusBody) })
  async updateCardStatus(
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Param('card_unique_no') cardUniqueNo: string,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<AcceptedCommand> {
    const { action } = this.validated(cardStatusBody, body, cardUniqueNo);
    return this.accept(req, reply, idempotencyKey, body, () =>
      Promise.resolve(
        this.command(req, COMMAND_TYPES.cardStatusUpdate, { card_unique_no: cardUniqueNo, action }),
      ),
    );
  }

  @Post('cards/:card_unique_no/pin')
  @HttpCode(202)
  @ApiOperation({ summary: 'Set the PIN of a card; the PIN is sealed on receipt and never stored or logged' })
  @ApiBody({ schema: openApiSchema(cardPinBody) })
  async setCardPin(
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Param('card_unique_no') cardUniqueNo: string,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<AcceptedCommand> {
    const { pin } = this.validated(cardPinBody, body, cardUniqueNo);
    return this.accept(req, reply, idempotencyKey, body, async () =>
      this.command(req, COMMAND_TYPES.cardPinSet, {
        card_unique_no: cardUniqueNo,
        pin_jwe: await this.sealer.seal(pin),
      }),
    );
  }

  /** Body (and path) checked together, so one 400 names every broken field. */
  private validated<S extends z.ZodType>(schema: S, body: unknown, cardUniqueNo?: string): z.output<S> {
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
    idempotencyKey: string | undefined,
    body: unknown,
    build: () => Promise<Command>,
  ): Promise<AcceptedCommand> {
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
