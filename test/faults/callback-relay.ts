// Sits between the sandbox and the gateway's /callbacks/keysecure: forwards each signed push as it is
// (raw body and signature headers) and keeps a copy, so the suite can deliver captured pushes again
// (the duplicate callbacks KeySecure itself would send after a lost acknowledgement).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { freePort } from '../support';

interface CapturedPush {
  body: string;
  headers: Record<string, string>;
}

const FORWARDED = ['content-type', 'timestamp', 'signature', 'sign-version', 'timezone'];

export class CallbackRelay {
  private server?: Server;
  port = 0;
  readonly captured: CapturedPush[] = [];
  duplicatesSent = 0;
  duplicatesAcknowledged = 0;

  constructor(private readonly target: () => string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/callbacks/keysecure`;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((req, res) => {
      void this.forward(req).then(
        ({ status, text }) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(text);
        },
        () => {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end('{"code":502,"message":"gateway unreachable"}');
        },
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  private async forward(req: IncomingMessage): Promise<{ status: number; text: string }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers: Record<string, string> = {};
    for (const h of FORWARDED) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
    const response = await this.post(body, headers);
    if (response.status === 200) this.captured.push({ body, headers });
    return response;
  }

  private async post(body: string, headers: Record<string, string>) {
    const res = await fetch(this.target(), {
      method: 'POST',
      body,
      headers,
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, text: await res.text() };
  }

  /** Re-POSTs up to `count` captured pushes, byte for byte (within the gateway's timestamp tolerance). */
  async deliverDuplicates(count: number): Promise<void> {
    const picks = this.captured.slice(-Math.max(count * 3, count)).filter((_, i) => i % 3 === 0).slice(0, count);
    for (const push of picks) {
      this.duplicatesSent += 1;
      const res = await this.post(push.body, push.headers).catch(() => undefined);
      if (res?.status === 200) this.duplicatesAcknowledged += 1;
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
