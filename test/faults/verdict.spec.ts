import { scanForSecrets } from './fault-suite';
import { judge, type Evidence } from './verdict';
import type { RecordedMessage } from './topic-recorder';

const rec = (topic: string, json: Record<string, unknown>, key = 'K1'): RecordedMessage => ({
  topic, partition: 0, offset: '0', key, value: JSON.stringify(json), timestamp: 1, headers: {}, json,
});
const evidence = (over: Partial<Evidence>): Evidence => ({
  sent: [], records: [], sandbox: { cardholders: [], cards: [], callbacks: [] }, cardholderRows: [], cardRows: [],
  malformed: [], crashes: [], leaks: [], httpReplayMismatches: 0, httpRefused: [], lastFaultEndedAt: 0,
  kafkaDuplicates: 0, httpReplays: 0, callbackDuplicates: 0, ...over,
});
const failing = (e: Evidence) => judge(e).filter((l) => !l.pass).map((l) => l.name);

describe('fault suite verdict', () => {
  const sent = [
    { id: 'c1', type: 'card.status.update.v1' as const, key: 'K1', via: 'kafka' as const, sentAt: 0 },
    { id: 'c2', type: 'card.status.update.v1' as const, key: 'K1', via: 'kafka' as const, sentAt: 0 },
  ];
  const result = (id: string, cmd: string) =>
    rec('card.events.v1', { id, type: 'card.status.updated.v1', causationid: cmd, data: {} });

  it('passes when each command has one result (a re-published copy of one event is not a second result)', () => {
    expect(failing(evidence({ sent, records: [result('e1', 'c1'), result('e1', 'c1'), result('e2', 'c2')] }))).toEqual([]);
  });

  it('fails on a command without a result and on one with two', () => {
    const names = failing(evidence({ sent, records: [result('e1', 'c1'), result('e3', 'c1')] }));
    expect(names).toEqual([
      'commands with exactly one terminal event or a DLQ copy',
      'commands with two or more terminal events',
    ]);
  });

  it('fails on a command that failed with processing_error (our own fault), not on provider_unavailable', () => {
    const failed = (id: string, cmd: string, code: string) =>
      rec('card.events.v1', { id, type: 'card.status.update_failed.v1', causationid: cmd, data: { code, msg: 'm' } });
    expect(failing(evidence({ sent, records: [failed('e1', 'c1', 'provider_unavailable'), result('e2', 'c2')] }))).toEqual([]);
    expect(failing(evidence({ sent, records: [failed('e1', 'c1', 'processing_error'), result('e2', 'c2')] }))).toEqual([
      'commands failed by our own fault (processing_error)',
    ]);
  });

  it('fails when a card.status_changed is missing from the chain up to the table status', () => {
    const changed = (id: string, before: string | null, after: string) =>
      rec('card.events.v1', { id, type: 'card.status_changed.v1', data: { card_unique_no: 'K1', before, after } });
    const cardRows = [{ card_unique_no: 'K1', card_no: 'C1', status: 'Frozen' }];
    const sandbox = { cardholders: [], cards: [{ card_no: 'C1', card_unique_no: 'K1', status: 'Frozen' }], callbacks: [] };
    const chain = [changed('s1', null, 'Pending'), changed('s2', 'Pending', 'Activated'), changed('s3', 'Activated', 'Frozen')];
    // A re-published copy of an older event (same id) does not break the chain.
    expect(failing(evidence({ sandbox, cardRows, records: [...chain, changed('s2', 'Pending', 'Activated')] }))).toEqual([]);
    expect(failing(evidence({ sandbox, cardRows, records: [chain[0]!, chain[2]!] }))).toEqual([
      'cards whose card.status_changed events do not chain to their status',
    ]);
    expect(failing(evidence({ sandbox, cardRows, records: chain.slice(0, 2) }))).toEqual([
      'cards whose card.status_changed events do not chain to their status',
    ]);
  });

  it('counts a DLQ copy as the end of a command', () => {
    const dlq = rec('card.commands.v1.dlq', { id: 'c2', type: 'card.status.update.v1' });
    expect(failing(evidence({ sent, records: [result('e1', 'c1'), dlq] }))).toEqual([]);
  });

  it('fails on a card.status_changed repeated beyond the provider’s real changes', () => {
    const changed = (id: string) =>
      rec('card.events.v1', { id, type: 'card.status_changed.v1', data: { card_unique_no: 'K1', before: 'Activated', after: 'Frozen' } });
    const sandbox = {
      cardholders: [],
      cards: [{ card_no: 'C1', card_unique_no: 'K1', status: 'Frozen' }],
      callbacks: [{ data: { card_no: 'C1', before_status: 'Activated', after_status: 'Frozen' } }],
    };
    const cardRows = [{ card_unique_no: 'K1', card_no: 'C1', status: 'Frozen' }];
    const first = rec('card.events.v1', { id: 's0', type: 'card.status_changed.v1', data: { card_unique_no: 'K1', before: null, after: 'Activated' } });
    expect(failing(evidence({ sandbox, cardRows, records: [first, changed('s1')] }))).toEqual([]);
    expect(failing(evidence({ sandbox, cardRows, records: [first, changed('s1'), changed('s2')] }))).toEqual([
      'card.status_changed beyond real changes (3 events)',
      'cards whose card.status_changed events do not chain to their status',
    ]);
  });
});

describe('secret scan', () => {
  const secrets = { cvv: new Set(['765']), pin: new Set(['661489', '480215']) };
  it('finds a PIN anywhere and a CVV next to its name, not digits inside timestamps or hex', () => {
    const hits = scanForSecrets(secrets, [
      { where: 'clean', text: '2026-11-26 08:11:05.661489+00 signature 6a99661489ab status 200 cvv_jwe eyJ' },
      { where: 'json', text: '{"msg":"pin set","pin":"480215"}' },
      { where: 'bare', text: 'setting 480215 for card' },
      { where: 'cvv', text: 'activating card C1 with cvv 765' },
    ]);
    expect(new Set(hits.map((h) => h.split(':')[0]))).toEqual(new Set(['json', 'bare', 'cvv']));
  });
});
