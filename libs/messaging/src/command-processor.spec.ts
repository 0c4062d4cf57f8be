import { Logger as NestLogger } from '@nestjs/common';
import { Logger as PinoNestLogger, PinoLogger } from 'nestjs-pino';
import pino from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { CommandContext } from './command-context';
import { CommandProcessor, payloadHash, type CommandProcessorOptions, type HandlerLookup } from './command-processor';
import { CommandAbandoned } from './errors';
import type { BusMessage } from './message-bus';
import type { Outbox } from './outbox';
import type { CommandLike } from './types';

/** Unit tests of CommandProcessor alone: the DataSource and the outbox are fakes that record writes. */

const SECRET = 'payload-value-never-logged';

function message(command: CommandLike): BusMessage {
  return { topic: 't.commands', partition: 0, offset: '7', key: Buffer.from('k1'), value: Buffer.from(JSON.stringify(command)), headers: {} };
}

function commandOf(id: string): CommandLike {
  return { specversion: '1.0', id, source: 'test', type: 'test.work.v1', subject: 'k1', data: { key: 'k1', cvv: SECRET } };
}

function fakes() {
  const writes: string[] = [];
  const selects: unknown[][] = [];
  // Records every write statement (the engine writes inbox + outbox rows with plain SQL).
  const query = async (sql: string, params: unknown[] = []) => {
    if (/^\s*SELECT/i.test(sql)) {
      selects.push(params);
      return [];
    }
    writes.push(sql.trim().split(/\s+/).slice(0, 2).join(' '));
    return [];
  };
  const tx = { query } as unknown as EntityManager;
  const dataSource = {
    getMetadata: () => ({ schema: 'svc', tableName: 'messaging_table' }),
    query,
    transaction: async (work: (t: EntityManager) => Promise<unknown>) => {
      const staged = writes.length;
      try {
        return await work(tx);
      } catch (e) {
        writes.splice(staged); // rollback
        throw e;
      }
    },
  } as unknown as DataSource;
  const outbox = { add: async (_tx: EntityManager, rows: unknown[]) => void writes.push(...rows.map(() => 'outbox row')) } as unknown as Outbox;
  return { writes, selects, dataSource, outbox };
}

function processor(handlers: HandlerLookup, extra: Partial<CommandProcessorOptions> = {}) {
  const f = fakes();
  const p = new CommandProcessor({
    dataSource: f.dataSource,
    outbox: f.outbox,
    eventsTopic: 't.events',
    dlqTopic: 't.commands.dlq',
    parseCommand: (raw) => ({ ok: true, command: raw as CommandLike }),
    rejectionEventFor: () => ({ id: 'r', type: 'command.rejected.v1', source: 'test' }),
    failureEventFor: (cmd) => ({ id: 'f', type: 'test.failed.v1', source: 'test', causationid: cmd.id }),
    retry: { initialDelayMs: 1, maxDelayMs: 2, deadlineMs: 5_000 },
    abandoning: () => false,
    handlers,
    ...extra,
  });
  return { p, ...f };
}

describe('CommandProcessor logging through Nest Logger + nestjs-pino', () => {
  const lines: Array<Record<string, unknown>> = [];
  beforeAll(() => {
    const root = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    NestLogger.overrideLogger(new PinoNestLogger(new PinoLogger({ pinoHttp: { logger: root } }), {}));
  });
  afterAll(() => NestLogger.overrideLogger(true));

  it('puts command id, type, attempt and error class/code/retryable at the top level of the line, never the payload', async () => {
    let calls = 0;
    const fault = Object.assign(new Error('provider unavailable'), { code: 'E503', retryable: true });
    const { p } = processor(
      () => ({
        invoke: async (_cmd, ctx: CommandContext) => {
          if (++calls === 1) throw fault;
          await ctx.complete(async () => []);
        },
      }),
      { logger: new NestLogger('CardCommands') },
    );
    const cmd = commandOf('11111111-1111-4111-8111-111111111111');
    await expect(p.process(message(cmd))).resolves.toEqual({ outcome: 'handled', type: 'test.work.v1' });

    const retry = lines.find((l) => l.msg === 'command attempt failed, retrying');
    expect(retry).toMatchObject({
      level: 40,
      context: 'CardCommands',
      commandId: cmd.id,
      type: 'test.work.v1',
      attempt: 1,
      err: { name: 'Error', code: 'E503', retryable: true },
    });
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });

  it('logs a final failure with its reason and the non-retryable error', async () => {
    const { p } = processor(
      () => ({ invoke: async () => Promise.reject(Object.assign(new TypeError('bad state'), { code: 'X1' })) }),
      { logger: new NestLogger('CardCommands') },
    );
    const cmd = commandOf('22222222-2222-4222-8222-222222222222');
    await expect(p.process(message(cmd))).resolves.toMatchObject({ outcome: 'failed' });
    expect(lines.find((l) => l.msg === 'command failed for good' && l.commandId === cmd.id)).toMatchObject({
      level: 50,
      attempt: 1,
      reason: 'processing_error',
      err: { name: 'TypeError', code: 'X1', retryable: false },
    });
  });
});

describe('CommandProcessor writes', () => {
  it('records a handled command (inbox + events) in one statement inside the handler transaction', async () => {
    const { p, writes } = processor(() => ({
      invoke: async (_cmd, ctx: CommandContext) => ctx.complete(async () => [{ id: 'e', type: 'test.worked.v1', source: 'test' }]),
    }));
    await expect(p.process(message(commandOf('66666666-6666-4666-8666-666666666666')))).resolves.toMatchObject({ outcome: 'handled' });
    expect(writes).toEqual(['WITH inbox']);
  });

  it('looks up the inbox once for commands that start together (one SELECT … ANY), and skips a recorded one', async () => {
    const handled: string[] = [];
    const { p, selects, dataSource } = processor(() => ({
      invoke: async (cmd, ctx: CommandContext) => {
        handled.push(cmd.id);
        await ctx.complete(async () => []);
      },
    }));
    const ids = ['77777777-7777-4777-8777-777777777771', '77777777-7777-4777-8777-777777777772', '77777777-7777-4777-8777-777777777773'];
    const recorded = commandOf(ids[2]!);
    (dataSource as unknown as { query: unknown }).query = async (sql: string, params: unknown[] = []) => {
      if (!/^\s*SELECT/i.test(sql)) return [];
      selects.push(params);
      return [{ commandId: ids[2], payloadHash: payloadHash(recorded), outcome: 'handled' }];
    };
    const outcomes = await Promise.all(ids.map((id) => p.process(message(commandOf(id)))));
    expect(selects).toEqual([[ids]]);
    expect(outcomes.map((o) => o.outcome)).toEqual(['handled', 'handled', 'duplicate']);
    expect(handled).toEqual(ids.slice(0, 2));
  });
});

describe('CommandProcessor after shutdown abandoned in-flight work', () => {
  it('a late ctx.complete throws CommandAbandoned and writes nothing: no inbox row, no events, no DLQ copy', async () => {
    let abandoning = false;
    let completeError: unknown;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const invoked = new Promise<void>((r) => (started = r));
    const { p, writes } = processor(
      () => ({
        invoke: async (_cmd, ctx: CommandContext) => {
          started();
          await released; // the provider call outlives the grace period
          try {
            await ctx.complete(async () => [{ id: 'e', type: 'test.worked.v1', source: 'test' }]);
          } catch (e) {
            completeError = e;
            throw e;
          }
        },
      }),
      { abandoning: () => abandoning },
    );
    const running = p.process(message(commandOf('33333333-3333-4333-8333-333333333333')));
    await invoked;
    abandoning = true;
    release();
    await expect(running).resolves.toEqual({ outcome: 'abandoned', type: 'test.work.v1' });
    expect(completeError).toBeInstanceOf(CommandAbandoned);
    expect(writes).toEqual([]);
  });

  it('a handler that fails after the grace period records no failure event and no DLQ copy', async () => {
    let abandoning = false;
    const { p, writes } = processor(() => ({
      invoke: async () => {
        abandoning = true; // shutdown gave up while the provider call ran
        throw new Error('provider refused');
      },
    }), { abandoning: () => abandoning });
    await expect(p.process(message(commandOf('44444444-4444-4444-8444-444444444444')))).resolves.toMatchObject({ outcome: 'abandoned' });
    expect(writes).toEqual([]);
  });

  it('a refusal decided just before COMMIT rolls the transaction back', async () => {
    let abandoning = false;
    const { p, writes } = processor(() => ({
      invoke: async (_cmd, ctx: CommandContext) => {
        await ctx.complete(async () => {
          abandoning = true; // grace period ends while the transaction runs
          return [];
        });
      },
    }), { abandoning: () => abandoning });
    await expect(p.process(message(commandOf('55555555-5555-4555-8555-555555555555')))).resolves.toMatchObject({ outcome: 'abandoned' });
    expect(writes).toEqual([]);
  });
});
