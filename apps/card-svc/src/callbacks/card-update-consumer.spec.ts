import { EVENT_TYPES } from '@issuing-bridge/contracts';
import { cardUpdateOf } from './card-update-consumer';

const envelope = (data: Record<string, unknown>, action = 'Card_update') => ({
  id: '5b0c1f0e-8f3e-4a43-9a43-1f1d1b3c2a10',
  type: EVENT_TYPES.keysecureCallbackReceived,
  data: { id: 'cb-1', action, data },
});

describe('cardUpdateOf', () => {
  it('reads card_no, after_status, reason and the provider time of a Card_update', () => {
    const update = cardUpdateOf(envelope({ card_no: 'C1', before_status: 'Pending', after_status: 'Activated', reason: 'Card issued', time: 1764140000000 }));
    expect(update).toEqual({
      eventId: '5b0c1f0e-8f3e-4a43-9a43-1f1d1b3c2a10',
      cardNo: 'C1',
      after: 'Activated',
      reason: 'Card issued',
      time: new Date(1764140000000),
    });
  });

  it('ignores other actions, other event types, unknown statuses and missing times', () => {
    expect(cardUpdateOf(envelope({ card_no: 'C1', after_status: 'Activated', time: 1 }, 'Consumption'))).toBeUndefined();
    expect(cardUpdateOf({ ...envelope({ card_no: 'C1', after_status: 'Activated', time: 1 }), type: 'card.applied.v1' })).toBeUndefined();
    expect(cardUpdateOf(envelope({ card_no: 'C1', after_status: 'Lost', time: 1 }))).toBeUndefined();
    expect(cardUpdateOf(envelope({ card_no: 'C1', after_status: 'Activated' }))).toBeUndefined();
    expect(cardUpdateOf(null)).toBeUndefined();
  });
});
