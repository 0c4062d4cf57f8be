import type { IncomingMessage } from 'node:http';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import pino from 'pino';
import type { z } from 'zod';
import type { BaseConfig } from './config/base-config.schema';
import { ConfigValidationError } from './config/config-validation.error';
import { loadConfig } from './config/load-config';
import { redactOptions } from './logging/redaction';
import { REQUEST_ID_HEADER, requestIdFor } from './logging/request-id';

export interface BootstrapOptions<S extends z.ZodType<BaseConfig, unknown>> {
  serviceName: string;
  /** The same schema given to PlatformModule; validated before Nest starts so a bad setting fails fast. */
  configSchema: S;
  /** Config key holding the HTTP port, e.g. `CARD_SVC_PORT`. */
  portVariable: keyof z.output<S> & string;
  /**
   * Keep each request body's exact bytes as `req.rawBody` (Buffer; read it through Nest's
   * `RawBodyRequest<FastifyRequest>`), e.g. to verify a signature computed over the body as sent.
   * Body parsers registered in `configure` with `app.useBodyParser` get it too.
   */
  rawBody?: boolean;
  /** Extra set-up before listening (global pipes, body parsers, Swagger, ...). */
  configure?: (app: NestFastifyApplication, config: z.output<S>) => void | Promise<void>;
  /** Longest a graceful shutdown may take before the process exits anyway. */
  shutdownTimeoutMs?: number;
}

// Logger for the moments Nest's logger is not there yet (bad config, failed start).
const earlyLogger = (serviceName: string) =>
  pino(
    { base: { service: serviceName }, redact: redactOptions() },
    pino.destination({ fd: 2, sync: true }),
  );

/**
 * Starts a service: validates config, Fastify + pino logging, listens on HTTP_HOST:<port>, and on
 * SIGTERM/SIGINT closes the app (running every shutdown hook) and exits 0.
 */
export async function bootstrapService<S extends z.ZodType<BaseConfig, unknown>>(
  appModule: Type<unknown>,
  options: BootstrapOptions<S>,
): Promise<NestFastifyApplication> {
  let config: z.output<S>;
  try {
    config = loadConfig(options.configSchema, process.env, options.serviceName);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      earlyLogger(options.serviceName).fatal({ problems: error.problems }, error.message);
      process.exit(1);
    }
    throw error;
  }

  let app: NestFastifyApplication;
  try {
    app = await NestFactory.create<NestFastifyApplication>(appModule, fastifyAdapter(), {
      bufferLogs: true,
      abortOnError: false,
      rawBody: options.rawBody ?? false,
    });
  } catch (error) {
    earlyLogger(options.serviceName).fatal(
      { err: error },
      `${options.serviceName} failed to start`,
    );
    process.exit(1);
  }
  app.useLogger(app.get(Logger));
  installGracefulShutdown(app, options.serviceName, options.shutdownTimeoutMs ?? 15000);

  await options.configure?.(app, config);
  const port = Number(config[options.portVariable]);
  await app.listen(port, config.HTTP_HOST);
  app.get(Logger).log(`${options.serviceName} listening on ${await app.getUrl()}`, 'Bootstrap');
  return app;
}

function fastifyAdapter(): FastifyAdapter {
  const adapter = new FastifyAdapter({ genReqId: (req: IncomingMessage) => requestIdFor(req) });
  // Echo the id so callers can quote it when asking about a request.
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  return adapter;
}

function installGracefulShutdown(
  app: INestApplication,
  serviceName: string,
  timeoutMs: number,
): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    const logger = app.get(Logger);
    logger.log(`${signal} received, shutting down`, 'Bootstrap');
    const force = setTimeout(() => {
      logger.error(
        `${serviceName} did not close within ${timeoutMs} ms, exiting`,
        undefined,
        'Bootstrap',
      );
      process.exit(1);
    }, timeoutMs);
    force.unref();
    app
      .close()
      .then(() => process.exit(0))
      .catch((error: Error) => {
        logger.error(`shutdown failed: ${error.message}`, error.stack, 'Bootstrap');
        process.exit(1);
      });
  };
  // Not app.enableShutdownHooks(): it re-raises the signal after closing, so the exit code is not 0.
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
