import { Controller, Get, Param, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { z } from 'zod';
import { ApiKeyGuard, type AuthenticatedRequest } from '../auth/api-key.guard';
import { ClientThrottlerGuard } from '../auth/client-throttler.guard';
import { notFound, validationFailed } from '../http/api-errors';
import { errorSchema } from '../http/openapi-schema';
import {
  cardholderStateSchema,
  cardStateSchema,
  commandStatusSchema,
  ReadModelQueries,
  type CardholderState,
  type CardState,
  type CommandStatus,
} from './read-model-queries';

const uuid = z.uuid();

@ApiTags('status')
@ApiBearerAuth('api-key')
@ApiSecurity('x-api-key')
@ApiUnauthorizedResponse({ description: 'Missing or unknown API key', schema: errorSchema })
@ApiNotFoundResponse({ description: 'Not known (yet)', schema: errorSchema })
@UseGuards(ApiKeyGuard, ClientThrottlerGuard)
@Controller('v1')
export class StatusController {
  constructor(private readonly queries: ReadModelQueries) {}

  @Get('commands/:command_id')
  @ApiOperation({
    summary: 'Status of a command: pending, succeeded (with result), failed or rejected',
  })
  @ApiOkResponse({ schema: commandStatusSchema })
  async command(
    @Req() req: AuthenticatedRequest,
    @Param('command_id') commandId: string,
  ): Promise<CommandStatus> {
    if (!uuid.safeParse(commandId).success) {
      throw validationFailed([
        { field: 'command_id', rule: 'uuid', message: 'command_id must be a UUID' },
      ]);
    }
    const status = await this.queries.command(commandId);
    // Commands sent through the gateway are visible only to the system that sent them.
    if (!status || (status.api_client !== null && status.api_client !== req.apiClient)) {
      throw notFound('command_id');
    }
    const { api_client: _client, ...visible } = status;
    return visible;
  }

  @Get('cardholders/:cardholder_unique_no')
  @ApiOperation({ summary: 'Current state of a cardholder, KYC status included' })
  @ApiOkResponse({ schema: cardholderStateSchema })
  async cardholder(@Param('cardholder_unique_no') key: string): Promise<CardholderState> {
    return (await this.queries.cardholder(key)) ?? Promise.reject(notFound('cardholder_unique_no'));
  }

  @Get('cards/:card_unique_no')
  @ApiOperation({ summary: 'Current state of a card, status included' })
  @ApiOkResponse({ schema: cardStateSchema })
  async card(@Param('card_unique_no') key: string): Promise<CardState> {
    return (await this.queries.card(key)) ?? Promise.reject(notFound('card_unique_no'));
  }
}
