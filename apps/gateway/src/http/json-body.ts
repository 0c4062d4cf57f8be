import type { NestFastifyApplication } from '@nestjs/platform-fastify';

type JsonParser = (
  req: unknown,
  body: Buffer,
  done: (error: Error | null, value?: unknown) => void,
) => void;

/**
 * The gateway's application/json parser, registered through Nest's `useBodyParser` in main.ts. The
 * app is created with `rawBody: true`, so Nest has stored the exact bytes as `req.rawBody` before
 * this runs (KeySecure signs the body as sent). Invalid or empty JSON becomes an absent body, never
 * an error: V8's JSON errors quote the input (a CVV?). Command routes then answer `$: type`, the
 * callback route counts it as malformed.
 */
export function useLenientJsonBody(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  // Fastify's own parser (secure-json-parse): refuses __proto__ / constructor.prototype keys.
  const parseJson = fastify.getDefaultJsonParser('error', 'error') as unknown as JsonParser;
  app.useBodyParser(
    'application/json',
    { bodyLimit: fastify.initialConfig.bodyLimit },
    (req, body, done) => {
      parseJson(req, body, (error, value) => done(null, error ? undefined : value));
    },
  );
}
