import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';

/** Makes the sandbox's own "invalid field" error (each provider answers it in its own envelope). */
export type InvalidField = (field: string, rule: string) => Error;

export type JsonBody = Record<string, unknown>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A Fastify app whose routes get the raw body text (`req.body` is a string): each sandbox parses it itself, so
 * that bad JSON is answered in the provider's envelope and the raw text can be fingerprinted. `listen()` binds
 * it to `host:port` (0 = a free port) and returns the port taken and `http://host:port`.
 */
export function createSandboxServer(at: { host: string; port: number }): {
  app: FastifyInstance;
  listen(): Promise<{ port: number; url: string }>;
} {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const listen = async () => {
    await app.listen({ port: at.port, host: at.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : at.port;
    return { port, url: `http://${at.host}:${port}` };
  };
  return { app, listen };
}

/** First value of a request header (case-insensitive name). */
export function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The raw body as a JSON object; no body = `{}`. Refusals come from `invalid` with field `body`. */
export function parseJsonObjectBody(raw: unknown, invalid: InvalidField): JsonBody {
  if (raw === undefined || raw === null || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(raw));
  } catch {
    throw invalid('body', 'must be valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('body', 'must be a JSON object');
  }
  return parsed as JsonBody;
}
