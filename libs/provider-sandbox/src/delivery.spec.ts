import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RetryingDelivery, type DeliveryRecord, type RetryingDeliverySettings } from './delivery';

/** A loopback receiver that answers each push with the next status of `statuses` (the last one repeats). */
async function receiver(statuses: number[]) {
  const seen: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      res.statusCode = statuses[Math.min(seen.length, statuses.length) - 1];
      res.end(String(res.statusCode));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, seen, close: () => new Promise((resolve) => server.close(resolve)) };
}

interface Rec extends DeliveryRecord {
  id: string;
}

function settings(
  url: string | undefined,
  events: string[],
  over: Partial<RetryingDeliverySettings<Rec>> = {},
): RetryingDeliverySettings<Rec> {
  return {
    url,
    retryBaseMs: 1,
    retryMaxMs: 4,
    maxAttempts: Number.POSITIVE_INFINITY,
    requestTimeoutMs: 5_000,
    refusal: (status, body) => (status === 200 ? null : `HTTP ${status} ${body}`),
    onDelivered: (r) => events.push(`delivered ${r.id} after ${r.attempts}`),
    onFailed: (r) => events.push(`failed ${r.id}: ${r.lastError}`),
    ...over,
  };
}

const newRecord = (id: string): Rec => ({ id, attempts: 0, delivered: false, lastError: null });

describe('RetryingDelivery', () => {
  it('retries until acknowledged, making headers and body anew for every attempt', async () => {
    const rx = await receiver([503, 500, 200]);
    const events: string[] = [];
    let delivered!: () => void;
    const done = new Promise<void>((resolve) => (delivered = resolve));
    const delivery = new RetryingDelivery<Rec>(
      settings(rx.url, events, {
        onDelivered: (r) => {
          events.push(`delivered ${r.id} after ${r.attempts}`);
          delivered();
        },
      }),
    );
    const record = newRecord('r1');
    let n = 0;
    try {
      delivery.deliver(record, () => ({
        headers: { 'content-type': 'application/json', 'x-attempt': String(++n) },
        body: JSON.stringify({ id: record.id }),
      }));
      await done;
      expect(events).toEqual([
        'failed r1: HTTP 503 503',
        'failed r1: HTTP 500 500',
        'delivered r1 after 3',
      ]);
      expect(record).toEqual({ id: 'r1', attempts: 3, delivered: true, lastError: null });
      expect(rx.seen.map((s) => s.headers['x-attempt'])).toEqual(['1', '2', '3']);
      expect(rx.seen.every((s) => s.body === '{"id":"r1"}')).toBe(true);
    } finally {
      await delivery.close();
      await rx.close();
    }
  });

  it('plans no retry once maxAttempts is reached', async () => {
    const rx = await receiver([500]);
    const events: string[] = [];
    const retryDelays: number[] = [];
    const realSetTimeout = global.setTimeout;
    const spy = jest.spyOn(global, 'setTimeout').mockImplementation(((
      fn: () => void,
      ms?: number,
    ) => {
      if (ms === 7) retryDelays.push(ms);
      return realSetTimeout(fn, ms);
    }) as typeof setTimeout);
    let failedThrice!: () => void;
    const third = new Promise<void>((resolve) => (failedThrice = resolve));
    const delivery = new RetryingDelivery<Rec>(
      settings(rx.url, events, {
        retryBaseMs: 7,
        retryMaxMs: 7,
        maxAttempts: 3,
        onFailed: (r) => {
          events.push(`failed ${r.id}: ${r.lastError}`);
          if (r.attempts === 3) failedThrice();
        },
      }),
    );
    const record = newRecord('r2');
    try {
      delivery.deliver(record, () => ({ headers: {}, body: '{}' }));
      await third;
      // The retry decision follows onFailed synchronously, so a 4th attempt would already be planned here.
      expect(retryDelays).toEqual([7, 7]);
      expect(record).toMatchObject({ attempts: 3, delivered: false, lastError: 'HTTP 500 500' });
      expect(rx.seen).toHaveLength(3);
    } finally {
      spy.mockRestore();
      await delivery.close();
      await rx.close();
    }
  });

  it('keeps a network error as lastError and sends nothing without a URL', async () => {
    const rx = await receiver([200]);
    await rx.close(); // nobody listens on that port any more
    const events: string[] = [];
    let failed!: () => void;
    const once = new Promise<void>((resolve) => (failed = resolve));
    const delivery = new RetryingDelivery<Rec>(
      settings(rx.url, events, {
        retryBaseMs: 60_000,
        onFailed: (r) => {
          events.push(`failed ${r.id}`);
          failed();
        },
      }),
    );
    const record = newRecord('r3');
    delivery.deliver(record, () => ({ headers: {}, body: '{}' }));
    await once;
    await delivery.close(); // abandons the planned retry
    expect(record.attempts).toBe(1);
    expect(record.lastError).toMatch(/ECONNREFUSED|connect/i);

    let made = 0;
    const silent = new RetryingDelivery<Rec>(settings(undefined, events));
    const unsent = newRecord('r4');
    silent.deliver(unsent, () => (made++, { headers: {}, body: '{}' }));
    await silent.close();
    expect(made).toBe(0);
    expect(unsent.attempts).toBe(0);
  });
});
