import type { EntityManager } from 'typeorm';
import { recordStatus, type CardRecord } from './card-status';

function card(status: string, statusTime: string): CardRecord {
  return {
    card_unique_no: 'CARD_1',
    card_no: 'C1',
    cardholder_no: 'U1',
    card_type: 'Virtual',
    card_last_no: '1234',
    organization: 'Visa',
    status,
    status_time: new Date(statusTime),
    provider: 'keysecure',
  };
}

describe('recordStatus (the single status writer)', () => {
  const tx = () => ({ query: jest.fn().mockResolvedValue([]) }) as unknown as EntityManager & { query: jest.Mock };

  it('writes a real change and returns one card.status_changed.v1 for the outbox', async () => {
    const t = tx();
    const out = await recordStatus(t, 'card.events.v1', card('Pending', '2026-01-01T00:00:00Z'), {
      status: 'Activated',
      time: new Date('2026-01-01T00:00:05Z'),
      source: 'callback',
      reason: 'Card issued',
      causationid: '5b0c1f0e-8f3e-4a43-9a43-1f1d1b3c2a10',
    });
    expect(t.query).toHaveBeenCalledTimes(1);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      topic: 'card.events.v1',
      key: 'CARD_1',
      event: { type: 'card.status_changed.v1', subject: 'CARD_1', data: { before: 'Pending', after: 'Activated', source: 'callback' } },
    });
  });

  it('drops the same status and anything older than the stored status_time', async () => {
    const t = tx();
    expect(await recordStatus(t, 'e', card('Activated', '2026-01-01T00:00:00Z'), { status: 'Activated', time: new Date('2026-01-02T00:00:00Z'), source: 'poll' })).toEqual([]);
    expect(await recordStatus(t, 'e', card('Frozen', '2026-01-01T00:00:10Z'), { status: 'Activated', time: new Date('2026-01-01T00:00:05Z'), source: 'callback' })).toEqual([]);
    expect(t.query).not.toHaveBeenCalled();
  });
});
