import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export type RequestWithRawBody = FastifyRequest & { rawBody?: string };

/**
 * Replaces Nest's JSON body parser (registered before modules initialise, main.ts is shared) with
 * one that also keeps the exact text: KeySecure signs the body as sent, numbers included.
 * Invalid JSON becomes an absent body, never an error: V8's JSON errors quote the input (a CVV?).
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
          // No body: command routes answer "$ must be a JSON object", the callback route counts
          // it as malformed. Either way the parser's error (which quotes the input) is dropped.
          done(null, undefined);
        }
      },
    );
  }
}
