import { createHash, timingSafeEqual } from 'node:crypto';

/** One calling system: its name and the SHA-256 of its key (plain keys are hashed at start). */
export interface ApiClient {
  name: string;
  keyDigest: Buffer;
  disabled: boolean;
}

export type ApiKeyCheck =
  | { outcome: 'missing' }
  | { outcome: 'unknown' }
  | { outcome: 'disabled'; client: string }
  | { outcome: 'ok'; client: string };

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Parses GATEWAY_API_KEYS (`name:key` or `name:sha256:<hex>`, comma-separated) and the disabled names.
 * Only digests are kept in memory, so a heap dump does not give the keys away either.
 */
export function parseApiClients(apiKeys: string, disabledNames: string): ApiClient[] {
  const disabled = new Set(
    disabledNames
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean),
  );
  return apiKeys
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const colon = entry.indexOf(':');
      const name = entry.slice(0, colon);
      const rest = entry.slice(colon + 1);
      const keyDigest = rest.startsWith('sha256:')
        ? Buffer.from(rest.slice('sha256:'.length), 'hex')
        : sha256(rest);
      return { name, keyDigest, disabled: disabled.has(name) };
    });
}

/** Checks a presented key against every client in constant time per comparison. */
export class ApiKeyRegistry {
  constructor(private readonly clients: readonly ApiClient[]) {}

  check(presented: string | undefined): ApiKeyCheck {
    if (!presented) return { outcome: 'missing' };
    const digest = sha256(presented);
    let match: ApiClient | undefined;
    for (const client of this.clients) {
      if (timingSafeEqual(client.keyDigest, digest)) match ??= client;
    }
    if (!match) return { outcome: 'unknown' };
    return match.disabled
      ? { outcome: 'disabled', client: match.name }
      : { outcome: 'ok', client: match.name };
  }
}

/** The key from `Authorization: Bearer <key>` or `X-Api-Key: <key>`. */
export function presentedApiKey(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const authorization = first(headers['authorization']);
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const apiKey = first(headers['x-api-key'])?.trim();
  return apiKey || undefined;
}
