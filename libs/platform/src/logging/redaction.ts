/**
 * Field names that hold secrets or card data anywhere in a log object (request bodies, provider
 * payloads, config dumps). Matched at the top level and up to four levels deep.
 */
export const SECRET_FIELD_NAMES = [
  'cvv',
  'cvv2',
  'pin',
  'cvv_jwe',
  'pin_jwe',
  'cvvJwe',
  'pinJwe',
  'card_number',
  'cardNumber',
  'pan',
  'access_token',
  'accessToken',
  'refresh_token',
  'token',
  'api_secret',
  'apiSecret',
  'api_key',
  'apiKey',
  'secret',
  'password',
  'authorization',
  'private_key',
  'privateKey',
  'KEYSECURE_API_SECRET',
  'KEYSECURE_API_KEY',
  'KEYSECURE_SANDBOX_API_SECRET',
  'CARD_DATA_PRIVATE_KEY',
  'GATEWAY_API_KEYS',
] as const;

/** Header names (lower case, as Node delivers them) that carry credentials. */
export const SECRET_HEADER_NAMES = [
  'authorization',
  'x-api-key',
  'api-key',
  'access-token',
  'cookie',
  'set-cookie',
] as const;

const MAX_DEPTH = 4;

function fieldPaths(field: string): string[] {
  const paths: string[] = [];
  for (let depth = 0; depth <= MAX_DEPTH; depth += 1) {
    paths.push([...Array<string>(depth).fill('*'), field].join('.'));
  }
  return paths;
}

function headerPaths(header: string): string[] {
  const key = `["${header}"]`;
  return [
    `req.headers${key}`,
    `res.headers${key}`,
    `headers${key}`,
    `*.headers${key}`,
    `*.*.headers${key}`,
  ];
}

/** pino `redact.paths` used by every service; exported so other loggers (e.g. tests, scripts) reuse it. */
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_FIELD_NAMES.flatMap(fieldPaths),
  ...SECRET_HEADER_NAMES.flatMap(headerPaths),
];

export const REDACT_CENSOR = '[REDACTED]';

/** Ready-to-use pino `redact` option. */
export const redactOptions = () => ({ paths: [...REDACT_PATHS], censor: REDACT_CENSOR });
