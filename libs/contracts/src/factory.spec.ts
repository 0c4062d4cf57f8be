import { randomUUID } from 'node:crypto';
import { COMMAND_TYPES } from './commands';
import { EVENT_TYPES, EVENT_TYPE_LIST, eventSchemas } from './events';
import { exampleCommandData } from './examples';
import { createCommand, createEvent } from './factory';
import { parseEvent } from './parse';
import { dlqTopicFor, partitionKeyOf, topicForCommand, topicForEvent } from './routing';
import { TOPICS } from './topics';
import { ContractViolationError } from './violations';

const commandId = randomUUID();

describe('createCommand', () => {
  it('fills the CloudEvents envelope and uses the key as subject', () => {
    const before = Date.now();
    const command = createCommand({
      type: COMMAND_TYPES.cardApply,
      source: 'urn:gateway',
      data: exampleCommandData(COMMAND_TYPES.cardApply),
    });
    expect(command).toMatchObject({
      specversion: '1.0',
      type: 'card.apply.v1',
      subject: 'CARD_0001',
      datacontenttype: 'application/json',
      source: 'urn:gateway',
    });
    expect(command.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(Date.parse(command.time)).toBeGreaterThanOrEqual(before - 1);
    expect(partitionKeyOf(command)).toBe('CARD_0001');
  });

  it('uses cardholder_unique_no as the key of KYC commands', () => {
    const command = createCommand({
      type: COMMAND_TYPES.cardholderKycApply,
      source: 'urn:x',
      data: exampleCommandData(COMMAND_TYPES.cardholderKycApply),
    });
    expect(partitionKeyOf(command)).toBe('MERCHANT_USER_001');
  });

  it('throws a ContractViolationError naming field and rule, not the value', () => {
    const data = { ...exampleCommandData(COMMAND_TYPES.cardActivate), card_last_no: '99999' };
    let error: unknown;
    try {
      createCommand({ type: COMMAND_TYPES.cardActivate, source: 'urn:x', data });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContractViolationError);
    expect((error as ContractViolationError).violations).toEqual([
      expect.objectContaining({ field: 'data.card_last_no', rule: 'four_digits' }),
    ]);
    expect((error as Error).message).toContain('data.card_last_no');
    expect((error as Error).message).not.toContain('99999');
  });
});

describe('createEvent', () => {
  it('builds a result event with causationid = the command id', () => {
    const event = createEvent({
      type: EVENT_TYPES.cardApplied,
      source: 'urn:card-svc',
      subject: 'CARD_0001',
      causationid: commandId,
      correlationid: 'corr-7',
      data: {
        card_unique_no: 'CARD_0001',
        card_no: 'C1',
        cardholder_no: 'U1',
        card_type: 'Physical',
        status: 'Pending',
      },
    });
    expect(event).toMatchObject({
      causationid: commandId,
      correlationid: 'corr-7',
      type: 'card.applied.v1',
    });
    expect(parseEvent(JSON.parse(JSON.stringify(event))).ok).toBe(true);
  });

  it('requires causationid on command results', () => {
    expect(() =>
      createEvent({
        type: EVENT_TYPES.cardActivated,
        source: 'urn:card-svc',
        subject: 'CARD_0001',
        data: { card_unique_no: 'CARD_0001', card_no: 'C1' },
      }),
    ).toThrow(/causationid \(required\)/);
  });

  it('accepts failure codes as provider numbers or snake_case reasons only', () => {
    const base = {
      type: EVENT_TYPES.cardPinSetFailed,
      source: 'urn:card-svc',
      subject: 'K',
      causationid: commandId,
    } as const;
    expect(
      createEvent({
        ...base,
        data: { card_unique_no: 'K', card_no: 'C1', code: 4016, msg: 'weak PIN' },
      }).data.code,
    ).toBe(4016);
    expect(
      createEvent({
        ...base,
        data: { card_unique_no: 'K', card_no: null, code: 'weak_pin', msg: 'weak PIN' },
      }).data.code,
    ).toBe('weak_pin');
    expect(() =>
      createEvent({
        ...base,
        data: { card_unique_no: 'K', card_no: null, code: 'Weak PIN!', msg: '' },
      }),
    ).toThrow(/data\.code/);
  });

  it('card.status_changed carries before/after/source/reason/time with known statuses', () => {
    const data = {
      card_unique_no: 'K',
      card_no: 'C1',
      before: 'ToActivate',
      after: 'Activated',
      source: 'callback',
      reason: null,
      time: '2026-01-01T00:00:00.000Z',
    } as const;
    expect(
      createEvent({
        type: EVENT_TYPES.cardStatusChanged,
        source: 'urn:card-svc',
        subject: 'K',
        data,
      }).data.after,
    ).toBe('Activated');
    expect(() =>
      createEvent({
        type: EVENT_TYPES.cardStatusChanged,
        source: 'urn:card-svc',
        subject: 'K',
        data: { ...data, source: 'magic' as never },
      }),
    ).toThrow(/data\.source \(enum\)/);
    expect(() =>
      createEvent({
        type: EVENT_TYPES.cardStatusChanged,
        source: 'urn:card-svc',
        subject: 'K',
        data: { ...data, after: 'Lost' as never },
      }),
    ).toThrow(/data\.after \(enum\)/);
  });

  it('command.rejected lists violations and refuses an empty list', () => {
    const base = {
      type: EVENT_TYPES.commandRejected,
      source: 'urn:card-svc',
      subject: 'K',
    } as const;
    const violations = [
      {
        field: 'data.card_last_no',
        rule: 'four_digits',
        message: 'data.card_last_no must be exactly 4 digits',
      },
    ];
    const event = createEvent({
      ...base,
      causationid: commandId,
      data: { command_id: commandId, command_type: 'card.activate.v1', violations },
    });
    expect(event.data.violations).toEqual(violations);
    expect(() =>
      createEvent({ ...base, data: { command_id: null, command_type: null, violations: [] } }),
    ).toThrow(/data\.violations \(min_items\)/);
  });

  it('keysecure.callback.received keeps the callback body as received', () => {
    const body = {
      id: 'push-1',
      action: 'Card_update',
      data: { card_no: 'C1', before_status: 'Pending', after_status: 'Activated', time: 1 },
      extra: true,
    };
    const event = createEvent({
      type: EVENT_TYPES.keysecureCallbackReceived,
      source: 'urn:gateway',
      subject: 'C1',
      data: body,
    });
    expect(event.data).toEqual(body);
  });

  it('refuses plaintext secrets in events too (strict objects)', () => {
    expect(() =>
      createEvent({
        type: EVENT_TYPES.cardActivated,
        source: 'urn:x',
        subject: 'K',
        causationid: commandId,
        data: { card_unique_no: 'K', card_no: 'C', cvv: '123' } as never,
      }),
    ).toThrow(/data\.cvv \(plaintext_not_accepted\)/);
  });

  it('every event type has a schema', () => {
    for (const type of EVENT_TYPE_LIST) expect(eventSchemas[type]).toBeDefined();
  });
});

describe('routing', () => {
  it('routes commands by entity', () => {
    expect(topicForCommand(COMMAND_TYPES.cardholderKycApply)).toBe(TOPICS.cardholderCommands);
    for (const type of [
      COMMAND_TYPES.cardApply,
      COMMAND_TYPES.cardActivate,
      COMMAND_TYPES.cardStatusUpdate,
      COMMAND_TYPES.cardPinSet,
    ]) {
      expect(topicForCommand(type)).toBe(TOPICS.cardCommands);
    }
  });

  it('routes events by entity, callbacks to their topic', () => {
    expect(topicForEvent(EVENT_TYPES.cardholderKycStatusChanged)).toBe(TOPICS.cardholderEvents);
    expect(topicForEvent(EVENT_TYPES.cardPinSetFailed)).toBe(TOPICS.cardEvents);
    expect(topicForEvent(EVENT_TYPES.keysecureCallbackReceived)).toBe(TOPICS.keysecureCallbacks);
  });

  it('routes a rejection to the events topic answering its command topic', () => {
    expect(topicForEvent(EVENT_TYPES.commandRejected, TOPICS.cardholderCommands)).toBe(
      TOPICS.cardholderEvents,
    );
    expect(topicForEvent(EVENT_TYPES.commandRejected, TOPICS.cardCommands)).toBe(TOPICS.cardEvents);
    expect(() => topicForEvent(EVENT_TYPES.commandRejected)).toThrow(/commandTopic/);
    expect(dlqTopicFor(TOPICS.cardCommands)).toBe(TOPICS.cardCommandsDlq);
  });
});

describe('command.rejected subject', () => {
  it('accepts any Kafka key of the rejected record, however long', () => {
    const key = 'K'.repeat(5000);
    const event = createEvent({
      type: EVENT_TYPES.commandRejected,
      source: 'urn:card-svc',
      subject: key,
      data: {
        command_id: null,
        command_type: null,
        violations: [{ field: '$', rule: 'type', message: '$ must be a JSON object' }],
      },
    });
    expect(partitionKeyOf(event)).toBe(key);
  });

  it('other events keep subjects to 256 characters', () => {
    expect(() =>
      createEvent({
        type: EVENT_TYPES.cardActivated,
        source: 'urn:x',
        subject: 'K'.repeat(257),
        causationid: commandId,
        data: { card_unique_no: 'K', card_no: 'C' },
      }),
    ).toThrow(/subject \(max_length\)/);
  });
});
