import { BadRequestException, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export type RequestWithRawBody = FastifyRequest & { rawBody?: string };

/**
 * Replaces Nest's JSON body parser (registered before modules initialise, main.ts is shared) with
 * one that also keeps the exact text: KeySecure signs the body as sent, numbers included.
 * A parse error answers a fixed message: V8's JSON errors quote the input, which may hold a CVV.
 */
@Injectable()
export class RawJsonBody implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    if (fastify.hasContentTypeParser('application/json')) {
      fastify.removeContentTypeParser('application/json');
    }
    fastify.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: fastify.initialConfig.bodyLimit },
      (request, body, done) => {
        const text = body as string;
        (request as RequestWithRawBody).rawBody = text;
        if (text.trim() === '') return done(null, undefined);
        try {
          done(null, JSON.parse(text));
        } catch {
          done(
            new BadRequestException({
              code: 'validation_failed',
              message: '$: body must be valid JSON',
              violations: [{ field: '$', rule: 'json', message: '$ must be valid JSON' }],
            }),
            undefined,
          );
        }
      },
    );
  }
}
