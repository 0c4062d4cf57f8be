import { Injectable } from '@nestjs/common';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { DataSource } from 'typeorm';

export interface CommandStatus {
  command_id: string;
  command_type: string | null;
  status: 'pending' | 'succeeded' | 'failed' | 'rejected';
  result?: unknown;
  error?: { code: string; message: string; violations?: unknown };
  created_at: string;
  updated_at: string;
  api_client?: string | null;
}

export interface CardholderState {
  cardholder_unique_no: string;
  cardholder_no: string | null;
  kyc_status: string | null;
  fail_reason: string | null;
  updated_at: string;
}

export interface CardState {
  card_unique_no: string;
  card_no: string | null;
  cardholder_no: string | null;
  card_type: string | null;
  status: string | null;
  status_reason: string | null;
  updated_at: string;
}

const time = { type: 'string', format: 'date-time' } as const;
const nullableText = { type: 'string', nullable: true } as const;

export const commandStatusSchema: SchemaObject = {
  type: 'object',
  required: ['command_id', 'command_type', 'status', 'created_at', 'updated_at'],
  properties: {
    command_id: { type: 'string', format: 'uuid' },
    command_type: { ...nullableText, example: 'card.apply.v1' },
    status: { type: 'string', enum: ['pending', 'succeeded', 'failed', 'rejected'] },
    result: { type: 'object', description: 'data of the result event (succeeded only)' },
    error: {
      type: 'object',
      description:
        'failed: provider code or our reason; rejected: code validation_failed + violations',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        violations: { type: 'array', items: { type: 'object' } },
      },
    },
    created_at: time,
    updated_at: time,
  },
};

export const cardholderStateSchema: SchemaObject = {
  type: 'object',
  properties: {
    cardholder_unique_no: { type: 'string' },
    cardholder_no: nullableText,
    kyc_status: { ...nullableText, enum: ['Pending', 'In_progress', 'Approved', 'Rejected'] },
    fail_reason: nullableText,
    updated_at: time,
  },
};

export const cardStateSchema: SchemaObject = {
  type: 'object',
  properties: {
    card_unique_no: { type: 'string' },
    card_no: nullableText,
    cardholder_no: nullableText,
    card_type: { ...nullableText, enum: ['Virtual', 'Physical'] },
    status: {
      ...nullableText,
      enum: ['Pending', 'ToActivate', 'Activated', 'Fail', 'Frozen', 'Delete'],
    },
    status_reason: nullableText,
    updated_at: time,
  },
};

const iso = (value: Date | string) => new Date(value).toISOString();

@Injectable()
export class ReadModelQueries {
  constructor(private readonly dataSource: DataSource) {}

  async command(commandId: string): Promise<CommandStatus | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT * FROM "gateway"."commands" WHERE command_id = $1`,
      [commandId],
    )) as Record<string, unknown>[];
    if (!row) return undefined;
    const status = row.status as CommandStatus['status'];
    return {
      command_id: row.command_id as string,
      command_type: row.command_type as string | null,
      status,
      ...(status === 'succeeded' && { result: row.result }),
      ...((status === 'failed' || status === 'rejected') && {
        error: {
          code: row.error_code as string,
          message: row.error_message as string,
          ...(row.violations !== null && { violations: row.violations }),
        },
      }),
      created_at: iso(row.created_at as Date),
      updated_at: iso(row.updated_at as Date),
      api_client: row.api_client as string | null,
    };
  }

  async cardholder(key: string): Promise<CardholderState | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT cardholder_unique_no, cardholder_no, kyc_status, fail_reason, updated_at
       FROM "gateway"."cardholders" WHERE cardholder_unique_no = $1`,
      [key],
    )) as (CardholderState & { updated_at: Date })[];
    return row && { ...row, updated_at: iso(row.updated_at) };
  }

  async card(key: string): Promise<CardState | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT card_unique_no, card_no, cardholder_no, card_type, status, status_reason, updated_at
       FROM "gateway"."cards" WHERE card_unique_no = $1`,
      [key],
    )) as (CardState & { updated_at: Date })[];
    return row && { ...row, updated_at: iso(row.updated_at) };
  }
}
