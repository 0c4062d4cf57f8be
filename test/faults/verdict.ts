// Turns what happened (every record of every topic, the sandbox's state, the services' tables, the
// logs) into verdict lines. A line fails only on evidence; each names what to look at.
import { EVENT_TYPES, DLQ_OF } from '@issuing-bridge/contracts';
import { TERMINAL_TYPES, type SentCommand } from './driver';
import type { MalformedRecord } from './malformed-commands';
import type { RecordedMessage } from './topic-recorder';

export interface VerdictLine {
  name: string;
  value: string;
  expected: string;
  pass: boolean;
  detail?: string[];
}

export interface SandboxState {
  cardholders: { cardholder_no: string; cardholder_unique_no: string; status: string }[];
  cards: { card_no: string; card_unique_no: string; status: string }[];
  callbacks: { data: { card_no: string; before_status: string; after_status: string } }[];
}

export interface Evidence {
  sent: SentCommand[];
  records: RecordedMessage[];
  sandbox: SandboxState;
  cardholderRows: { cardholder_unique_no: string; cardholder_no: string; kyc_status: string }[];
  cardRows: { card_unique_no: string; card_no: string | null; status: string }[];
  malformed: MalformedRecord[];
  crashes: string[];
  leaks: string[];
  httpReplayMismatches: number;
  httpRefused: string[];
  lastFaultEndedAt: number;
  kafkaDuplicates: number;
  httpReplays: number;
  callbackDuplicates: number;
}

const line = (name: string, value: unknown, expected: string, pass: boolean, detail?: string[]): VerdictLine => ({
  name,
  value: String(value),
  expected,
  pass,
  detail: detail?.slice(0, 15),
});

export function judge(e: Evidence): VerdictLine[] {
  const lines: VerdictLine[] = [];
  const dlqTopics = new Set<string>(Object.values(DLQ_OF));

  // Results per command id, by distinct event id (the outbox may publish one event twice after a crash
  // between the send and the mark; consumers dedupe by event id, so that is counted apart).
  const results = new Map<string, Map<string, RecordedMessage>>();
  const dlqIds = new Set<string>();
  const eventCopies = new Map<string, number>();
  for (const r of e.records) {
    if (dlqTopics.has(r.topic)) {
      if (r.json.id) dlqIds.add(r.json.id);
      continue;
    }
    const type = r.json.type as string;
    if (!type || r.topic.includes('commands')) continue;
    eventCopies.set(r.json.id, (eventCopies.get(r.json.id) ?? 0) + 1);
    if (!TERMINAL_TYPES.has(type)) continue;
    const commandId = type === EVENT_TYPES.commandRejected ? r.json.data?.command_id : r.json.causationid;
    if (!commandId) continue;
    const byEvent = results.get(commandId) ?? new Map();
    byEvent.set(r.json.id, r);
    results.set(commandId, byEvent);
  }

  const unique = new Map(e.sent.map((s) => [s.id, s]));
  const sent = [...unique.values()];
  const kafka = sent.filter((s) => s.via === 'kafka').length;
  lines.push(
    line('commands sent (distinct ids)', `${sent.length} (kafka ${kafka}, http ${sent.length - kafka})`, 'info', true),
  );
  lines.push(
    line(
      'duplicates delivered on purpose',
      `kafka re-sends ${e.kafkaDuplicates}, http replays ${e.httpReplays}, callbacks ${e.callbackDuplicates}`,
      'info',
      true,
    ),
  );
  const missing: string[] = [];
  const doubled: string[] = [];
  let exactlyOne = 0;
  for (const s of sent) {
    const n = results.get(s.id)?.size ?? 0;
    if (n === 1 || (n === 0 && dlqIds.has(s.id))) exactlyOne += 1;
    if (n === 0 && !dlqIds.has(s.id)) missing.push(`${s.type} ${s.key} ${s.id} via ${s.via}`);
    if (n > 1) {
      const types = [...results.get(s.id)!.values()].map((r) => r.json.type).join(' + ');
      doubled.push(`${s.type} ${s.key} ${s.id}: ${types}`);
    }
  }
  lines.push(
    line('commands with exactly one terminal event or a DLQ copy', exactlyOne, `= ${sent.length}`, exactlyOne === sent.length, missing),
  );
  lines.push(line('commands with two or more terminal events', doubled.length, '0', doubled.length === 0, doubled));
  // A failure must be the provider's answer (or its absence until the deadline), never our own
  // Postgres or Kafka fault: those are transient and must be retried. `processing_error` is what the
  // engine says when it gave up on an error it did not retry.
  const failuresByCode = new Map<string, string[]>();
  for (const s of sent) {
    for (const r of results.get(s.id)?.values() ?? []) {
      const code = r.json.data?.code;
      if (code !== 'processing_error' && code !== 'provider_unavailable') continue;
      failuresByCode.set(code, [...(failuresByCode.get(code) ?? []), `${s.type} ${s.key} ${s.id}: ${r.json.type}`]);
    }
  }
  const ownFaults = failuresByCode.get('processing_error') ?? [];
  lines.push(line('commands failed by our own fault (processing_error)', ownFaults.length, '0', ownFaults.length === 0, ownFaults));
  const unavailable = failuresByCode.get('provider_unavailable') ?? [];
  lines.push(line('commands failed with provider_unavailable (retry deadline)', unavailable.length, 'info', true, unavailable));
  lines.push(
    line('HTTP replays (same Idempotency-Key) given another command id', e.httpReplayMismatches, '0', e.httpReplayMismatches === 0),
  );
  lines.push(line('valid HTTP commands refused (4xx)', e.httpRefused.length, '0', e.httpRefused.length === 0, e.httpRefused));
  const republished = [...eventCopies.values()].filter((n) => n > 1).length;
  lines.push(line('events published more than once (same event id)', republished, 'info (at-least-once relay)', true));

  // Provider side: one cardholder / card per merchant-side unique number.
  const perUnique = (rows: { u: string }[]) => {
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.u, (counts.get(r.u) ?? 0) + 1);
    return [...counts].filter(([, n]) => n > 1).map(([u, n]) => `${u} × ${n}`);
  };
  const holderDupes = perUnique(e.sandbox.cardholders.map((c) => ({ u: c.cardholder_unique_no })));
  const cardDupes = perUnique(e.sandbox.cards.map((c) => ({ u: c.card_unique_no })));
  lines.push(
    line('cardholders at the sandbox per cardholder_unique_no > 1', holderDupes.length, '0', holderDupes.length === 0, holderDupes),
  );
  lines.push(line('cards at the sandbox per card_unique_no > 1', cardDupes.length, '0', cardDupes.length === 0, cardDupes));

  // Sandbox = services' tables.
  const mismatches: string[] = [];
  const holderRows = new Map(e.cardholderRows.map((r) => [r.cardholder_unique_no, r]));
  for (const c of e.sandbox.cardholders) {
    const row = holderRows.get(c.cardholder_unique_no);
    if (!row) mismatches.push(`cardholder ${c.cardholder_unique_no}: at the sandbox (${c.status}), not in cardholder.cardholders`);
    else if (row.cardholder_no !== c.cardholder_no || row.kyc_status !== c.status)
      mismatches.push(`cardholder ${c.cardholder_unique_no}: sandbox ${c.cardholder_no}/${c.status}, table ${row.cardholder_no}/${row.kyc_status}`);
    holderRows.delete(c.cardholder_unique_no);
  }
  for (const r of holderRows.values()) mismatches.push(`cardholder ${r.cardholder_unique_no}: in the table, not at the sandbox`);
  const cardRows = new Map(e.cardRows.map((r) => [r.card_unique_no, r]));
  for (const c of e.sandbox.cards) {
    const row = cardRows.get(c.card_unique_no);
    if (!row) mismatches.push(`card ${c.card_unique_no}: at the sandbox (${c.status}), not in card.cards`);
    else if (row.card_no !== c.card_no || row.status !== c.status)
      mismatches.push(`card ${c.card_unique_no}: sandbox ${c.card_no}/${c.status}, table ${row.card_no}/${row.status}`);
    cardRows.delete(c.card_unique_no);
  }
  for (const r of cardRows.values()) mismatches.push(`card ${r.card_unique_no}: in the table, not at the sandbox`);
  lines.push(
    line(
      `sandbox state ≠ services' tables (${e.sandbox.cardholders.length} cardholders, ${e.sandbox.cards.length} cards)`,
      mismatches.length,
      '0',
      mismatches.length === 0,
      mismatches,
    ),
  );

  // card.status_changed: one event per real change. Real changes = the sandbox's Card_update pushes
  // (one per change at the provider); a first sighting (before: null) happens once per card.
  const real = new Map<string, number>();
  const cardNoToUnique = new Map(e.sandbox.cards.map((c) => [c.card_no, c.card_unique_no]));
  for (const cb of e.sandbox.callbacks) {
    const k = `${cardNoToUnique.get(cb.data.card_no)}|${cb.data.before_status}|${cb.data.after_status}`;
    real.set(k, (real.get(k) ?? 0) + 1);
  }
  const emitted = new Map<string, Set<string>>();
  for (const r of e.records) {
    if (r.json.type !== EVENT_TYPES.cardStatusChanged || r.topic.includes('commands')) continue;
    const d = r.json.data;
    const k = `${d.card_unique_no}|${d.before}|${d.after}`;
    const ids = emitted.get(k) ?? new Set<string>();
    ids.add(r.json.id);
    emitted.set(k, ids);
  }
  const extra: string[] = [];
  let changes = 0;
  for (const [k, ids] of emitted) {
    changes += ids.size;
    // A transition the services saw collapsed (e.g. Pending → Activated by a poll) is one real change.
    const allowed = Math.max(1, real.get(k) ?? 0);
    if (ids.size > allowed) extra.push(`${k.replace(/\|/g, ' ')}: ${ids.size} events, ${allowed} real`);
  }
  lines.push(
    line(`card.status_changed beyond real changes (${changes} events)`, extra.length, '0', extra.length === 0, extra),
  );
  const kycSeen = new Map<string, Set<string>>();
  for (const r of e.records) {
    if (r.json.type !== EVENT_TYPES.cardholderKycStatusChanged) continue;
    const d = r.json.data;
    const k = `${d.cardholder_unique_no} ${d.before} ${d.after}`;
    kycSeen.set(k, (kycSeen.get(k) ?? new Set()).add(r.json.id));
  }
  const kycDupes = [...kycSeen].filter(([, ids]) => ids.size > 1).map(([k, ids]) => `${k}: ${ids.size}`);
  lines.push(line('cardholder.kyc_status_changed repeated transitions', kycDupes.length, '0', kycDupes.length === 0, kycDupes));

  // Nothing missing either: per card / cardholder, the status events (first copy of each event id, in
  // partition order) must chain from the first sighting (before: null) to the status in the table.
  const cardChains = brokenChains(e.records, EVENT_TYPES.cardStatusChanged, 'card_unique_no', new Map(e.cardRows.map((r) => [r.card_unique_no, r.status])));
  lines.push(line('cards whose card.status_changed events do not chain to their status', cardChains.length, '0', cardChains.length === 0, cardChains));
  const kycChains = brokenChains(
    e.records,
    EVENT_TYPES.cardholderKycStatusChanged,
    'cardholder_unique_no',
    new Map(e.cardholderRows.map((r) => [r.cardholder_unique_no, r.kyc_status])),
  );
  lines.push(line('cardholders whose kyc_status_changed events do not chain to their status', kycChains.length, '0', kycChains.length === 0, kycChains));

  // Fuzzing: one command.rejected naming a field for every malformed command, nothing else.
  const rejectionsByKey = new Map<string, RecordedMessage[]>();
  const otherByKey = new Map<string, number>();
  for (const r of e.records) {
    if (!r.key?.startsWith('FZ') || r.topic.includes('commands')) continue;
    if (r.json.type === EVENT_TYPES.commandRejected)
      rejectionsByKey.set(r.key, [...(rejectionsByKey.get(r.key) ?? []), r]);
    else otherByKey.set(r.key, (otherByKey.get(r.key) ?? 0) + 1);
  }
  const badFuzz: string[] = [];
  for (const m of e.malformed) {
    const rej = rejectionsByKey.get(m.key) ?? [];
    const fields = (rej[0]?.json.data?.violations ?? []).map((v: { field: string }) => v.field);
    if (rej.length !== 1 || fields.length === 0 || fields.some((f: string) => !f) || otherByKey.get(m.key))
      badFuzz.push(`${m.key} (${m.mutation}): ${rej.length} rejections, fields [${fields.join(', ')}], other events ${otherByKey.get(m.key) ?? 0}`);
  }
  lines.push(
    line(
      'malformed commands ending in one command.rejected naming a field',
      `${e.malformed.length - badFuzz.length} of ${e.malformed.length}`,
      `${e.malformed.length} of ${e.malformed.length}`,
      badFuzz.length === 0,
      badFuzz,
    ),
  );
  lines.push(line('processes that exited on their own', e.crashes.length, '0', e.crashes.length === 0, e.crashes));
  lines.push(line('plaintext CVV / PIN in topics, tables, logs', e.leaks.length, '0', e.leaks.length === 0, e.leaks));

  const lastTerminal = Math.max(
    0,
    ...e.records.filter((r) => TERMINAL_TYPES.has(r.json.type) && !r.topic.includes('commands')).map((r) => r.timestamp),
  );
  const recovery = Math.max(0, lastTerminal - e.lastFaultEndedAt);
  lines.push(line('recovery time (last fault over → last terminal event)', `${(recovery / 1000).toFixed(1)} s`, 'info', true));
  return lines;
}

/** Keys whose status events skip a step (a lost event), start elsewhere than null, or end elsewhere than `finals`. */
function brokenChains(records: RecordedMessage[], type: string, keyField: string, finals: Map<string, string>): string[] {
  const seen = new Set<string>();
  const chains = new Map<string, { before: string | null; after: string }[]>();
  for (const r of records) {
    if (r.json.type !== type || r.topic.includes('commands') || seen.has(r.json.id)) continue;
    seen.add(r.json.id);
    const d = r.json.data;
    chains.set(d[keyField], [...(chains.get(d[keyField]) ?? []), { before: d.before ?? null, after: d.after }]);
  }
  const broken: string[] = [];
  for (const [key, final] of finals) {
    const chain = chains.get(key) ?? [];
    const steps = chain.map((c) => `${c.before ?? 'null'}→${c.after}`).join(', ');
    const linked = chain.every((c, i) => c.before === (i === 0 ? null : chain[i - 1]!.after));
    if (chain.length === 0 || !linked || chain[chain.length - 1]!.after !== final)
      broken.push(`${key}: table ${final}, events [${steps}]`);
  }
  return broken;
}

export function formatTable(lines: VerdictLine[]): string {
  const w = Math.max(...lines.map((l) => l.name.length));
  const v = Math.max(...lines.map((l) => l.value.length), 5);
  const out = [`${'check'.padEnd(w)}  ${'value'.padEnd(v)}  expected  verdict`, '-'.repeat(w + v + 24)];
  for (const l of lines) {
    const verdict = l.expected.startsWith('info') ? 'info' : l.pass ? 'PASS' : 'FAIL';
    out.push(`${l.name.padEnd(w)}  ${l.value.padEnd(v)}  ${l.expected.padEnd(8)}  ${verdict}`);
    if (!l.pass) for (const d of l.detail ?? []) out.push(`    - ${d}`);
  }
  return out.join('\n');
}
