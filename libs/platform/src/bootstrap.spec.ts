import { Body, Controller, HttpCode, Module, Post, Req, type RawBodyRequest } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { bootstrapService } from './bootstrap';
import { baseConfigShape, portSetting } from './config/base-config.schema';
import { PlatformConfigModule } from './config/platform-config.module';
import { PlatformLoggingModule } from './logging/logging.module';

const configSchema = z.object({ ...baseConfigShape, ECHO_PORT: portSetting(0) });

@Controller('echo')
class EchoController {
  @Post()
  @HttpCode(200)
  echo(@Req() req: RawBodyRequest<FastifyRequest>, @Body() body: unknown) {
    return {
      rawBodyIsBuffer: Buffer.isBuffer(req.rawBody),
      rawBody: req.rawBody?.toString('utf8') ?? null,
      body,
    };
  }
}

@Module({
  imports: [PlatformConfigModule.forRoot(configSchema), PlatformLoggingModule.forService('echo')],
  controllers: [EchoController],
})
class EchoModule {}

describe('bootstrapService rawBody option', () => {
  const env = { ...process.env };
  let app: NestFastifyApplication | undefined;
  let signalListeners: NodeJS.SignalsListener[];

  beforeEach(() => {
    signalListeners = [...process.listeners('SIGTERM'), ...process.listeners('SIGINT')];
    process.env.LOG_LEVEL = 'silent';
    process.env.HTTP_HOST = '127.0.0.1';
    process.env.ECHO_PORT = '0'; // any free port
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    process.env = { ...env };
    // bootstrapService installs SIGTERM/SIGINT handlers; leave the test runner's as they were.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      for (const listener of process.listeners(signal)) {
        if (!signalListeners.includes(listener)) process.off(signal, listener);
      }
    }
  });

  // Whitespace, key order and number spelling are what a signature covers and JSON.stringify loses.
  const sent = '{ "amount": 1.10,\n  "id":"cb-1" }';

  const post = async () => {
    const url = `${await app!.getUrl()}/echo`;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: sent,
    });
    expect(response.status).toBe(200);
    return (await response.json()) as {
      rawBodyIsBuffer: boolean;
      rawBody: string | null;
      body: unknown;
    };
  };

  it('keeps the exact request bytes as req.rawBody next to the parsed body', async () => {
    app = await bootstrapService(EchoModule, {
      serviceName: 'echo',
      configSchema,
      portVariable: 'ECHO_PORT',
      rawBody: true,
    });
    expect(await post()).toEqual({
      rawBodyIsBuffer: true,
      rawBody: sent,
      body: { amount: 1.1, id: 'cb-1' },
    });
  });

  it('hands the raw bytes to a parser registered in configure with useBodyParser', async () => {
    app = await bootstrapService(EchoModule, {
      serviceName: 'echo',
      configSchema,
      portVariable: 'ECHO_PORT',
      rawBody: true,
      configure: (nest) => {
        nest.useBodyParser('application/json', {}, (_req, body, done) =>
          done(null, { length: body.length }),
        );
      },
    });
    expect(await post()).toEqual({
      rawBodyIsBuffer: true,
      rawBody: sent,
      body: { length: Buffer.byteLength(sent) },
    });
  });

  it('does not keep the body without the option', async () => {
    app = await bootstrapService(EchoModule, {
      serviceName: 'echo',
      configSchema,
      portVariable: 'ECHO_PORT',
    });
    expect(await post()).toEqual({
      rawBodyIsBuffer: false,
      rawBody: null,
      body: { amount: 1.1, id: 'cb-1' },
    });
  });
});
