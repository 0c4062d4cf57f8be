import { z } from 'zod';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/** OpenAPI schema of a zod schema, so the documented body is the validated body. */
export function openApiSchema(schema: z.ZodType): SchemaObject {
  return z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
  }) as SchemaObject;
}

export const acceptedSchema: SchemaObject = {
  type: 'object',
  required: ['command_id', 'status_url'],
  properties: {
    command_id: { type: 'string', format: 'uuid' },
    status_url: { type: 'string', example: '/v1/commands/6f1c2b1e-3c5d-4a8e-9f00-1b2c3d4e5f60' },
  },
};

export const errorSchema: SchemaObject = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', example: 'validation_failed' },
    message: { type: 'string' },
    violations: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'rule', 'message'],
        properties: {
          field: { type: 'string', example: 'address_info.phone_code' },
          rule: { type: 'string', example: 'digits_only' },
          message: { type: 'string' },
        },
      },
    },
  },
};
