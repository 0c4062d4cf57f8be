import { EventPattern } from '@nestjs/microservices';
import type { KafkaCommandTransport } from '@issuing-bridge/messaging';
import { registerCommandHandlers } from './cardholder-command-consumer';

const failureEventFor = () => ({ id: 'x', type: 't', source: 's' });

class Handlers {
  seen: unknown[] = [];
  @EventPattern('a.v1', { failureEventFor })
  async a(payload: unknown, ctx: unknown) {
    this.seen.push([payload, ctx]);
  }
  async notAHandler() {}
}

describe('registerCommandHandlers', () => {
  it('registers each @EventPattern method as an event handler with its extras, bound to the instance', async () => {
    const added: Array<{ pattern: unknown; fn: (p: unknown, c: unknown) => Promise<unknown>; isEvent: boolean; extras: unknown }> = [];
    const transport = {
      addHandler: (pattern: unknown, fn: (p: unknown, c: unknown) => Promise<unknown>, isEvent: boolean, extras: unknown) =>
        added.push({ pattern, fn, isEvent, extras }),
    } as unknown as KafkaCommandTransport;
    const handlers = new Handlers();

    expect(registerCommandHandlers(transport, handlers)).toEqual(['a.v1']);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ pattern: 'a.v1', isEvent: true, extras: { failureEventFor } });
    await added[0]!.fn('payload', 'ctx');
    expect(handlers.seen).toEqual([['payload', 'ctx']]);
  });
});
