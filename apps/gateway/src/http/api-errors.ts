import { BadRequestException, ConflictException, NotFoundException } from '@nestjs/common';
import type { Violation } from '@issuing-bridge/contracts';

/** 400 naming every field and rule; never the value. */
export function validationFailed(violations: Violation[]): BadRequestException {
  return new BadRequestException({
    code: 'validation_failed',
    message: violations.map((v) => `${v.field}: ${v.rule}`).join('; '),
    violations,
  });
}

export function idempotencyConflict(): ConflictException {
  return new ConflictException({
    code: 'idempotency_key_reused',
    message: 'Idempotency-Key: already used by this client for a different request',
  });
}

export function notFound(what: string): NotFoundException {
  return new NotFoundException({ code: 'not_found', message: `${what}: not found` });
}
