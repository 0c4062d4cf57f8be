/* Plain HTTP caller for the sandbox's own tests (deliberately not libs/keysecure). */
export interface Envelope<T = Record<string, unknown>> {
  code: number;
  msg: string;
  data?: T;
}

export class OpenApiCaller {
  token?: string;

  constructor(
    readonly baseUrl: string,
    readonly apiKey = 'ks_sandbox_api_key',
    readonly clock: () => number = Date.now,
  ) {}

  headers(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const h: Record<string, string | undefined> = {
      'Content-Type': 'application/json',
      'Api-Key': this.apiKey,
      Timestamp: String(this.clock()),
      'Access-Token': this.token,
      ...extra,
    };
    return Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
  }

  async raw(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string | undefined> = {},
    signal?: AbortSignal,
  ): Promise<Response> {
    return fetch(`${this.baseUrl}/open-api/v1${path}`, {
      method,
      headers: this.headers(extraHeaders),
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal,
    });
  }

  async call<T = Record<string, unknown>>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string | undefined> = {},
  ): Promise<Envelope<T>> {
    const res = await this.raw(method, path, body, extraHeaders);
    expect(res.status).toBe(200);
    return (await res.json()) as Envelope<T>;
  }

  async login(): Promise<string> {
    const res = await this.call<{ access_token: string; expired_time: number }>(
      'GET',
      '/merchant/token',
      undefined,
      {
        'Access-Token': undefined,
      },
    );
    expect(res.code).toBe(0);
    this.token = res.data!.access_token;
    return this.token;
  }
}

export async function admin<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${baseUrl}/__admin${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as T;
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
