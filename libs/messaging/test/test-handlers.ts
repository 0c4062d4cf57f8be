/** A tiny service used by the integration tests: handlers driven by the command's data. */
import { randomUUID } from 'node:crypto';
import { Controller, Module, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CommandContext, CommandErrorsFilter, type CommandLike, type FailureEventBuilder } from '../src';

export interface Call {
  id: string;
  key: string;
  seq: number;
  start: number;
  end: number;
}

/** What the tests observe and steer. */
export const probe = {
  calls: [] as Call[],
  running: 0,
  maxRunning: 0,
  /** Keys whose handler throws a retryable error while listed. */
  failingKeys: new Set<string>(),
  /** Commands (by id) whose handler throws a non-retryable error (after its gate). */
  brokenIds: new Set<string>(),
  /** Errors thrown by `ctx.complete`, by command id. */
  completeErrors: new Map<string, unknown>(),
  /** Commands (by id) whose first `complete` has its Postgres connection cut mid-transaction. */
  cutConnectionIds: new Set<string>(),
  /** Ends a Postgres backend from another connection (set by the test). */
  terminate: async (_pid: number): Promise<void> => undefined,
  /** Commands (by id) that wait for their gate to open. */
  gates: new Map<string, { open: () => void; opened: Promise<void> }>(),
  schema: 'public',
  reset() {
    this.calls = [];
    this.running = 0;
    this.maxRunning = 0;
    this.failingKeys.clear();
    this.brokenIds.clear();
    this.completeErrors.clear();
    this.cutConnectionIds.clear();
    this.gates.clear();
  },
  gate(id: string) {
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    this.gates.set(id, { open, opened });
  },
};

type TestCommand = CommandLike & { data: { key: string; seq?: number; sleepMs?: number } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function worked(cmd: TestCommand) {
  return { specversion: '1.0', id: randomUUID(), source: 'it', type: 'test.worked.v1', subject: cmd.data.key, causationid: cmd.id, data: { seq: cmd.data.seq ?? 0 } };
}

const failedEvent: FailureEventBuilder = (cmd, reason) => ({
  specversion: '1.0',
  id: randomUUID(),
  source: 'it',
  type: 'test.failed.v1',
  subject: cmd.subject,
  causationid: cmd.id,
  data: { code: reason },
});

class RetryableFault extends Error {
  readonly retryable = true;
}

@Controller()
@UseFilters(CommandErrorsFilter)
export class TestHandlers {
  @EventPattern('test.work.v1')
  async work(@Payload() cmd: TestCommand, @Ctx() ctx: CommandContext) {
    probe.running++;
    probe.maxRunning = Math.max(probe.maxRunning, probe.running);
    const start = Date.now();
    try {
      const gate = probe.gates.get(cmd.id);
      if (gate) await gate.opened;
      if (cmd.data.sleepMs) await sleep(cmd.data.sleepMs); // stands in for the provider call
      if (probe.failingKeys.has(cmd.data.key)) throw new RetryableFault('provider unavailable (test fault)');
      if (probe.brokenIds.has(cmd.id)) throw new Error('provider refused (test fault)');
      await ctx
        .complete(async (tx) => {
          if (probe.cutConnectionIds.delete(cmd.id)) {
            // As in a Postgres failover: the server ends the connection while the transaction holds it.
            const [{ pid }] = await tx.query('SELECT pg_backend_pid() AS pid');
            await probe.terminate(pid);
            await sleep(300); // let the client see the connection go before its next statement
          }
          await tx.query(`INSERT INTO "${probe.schema}".test_state (key, seq) VALUES ($1, $2)`, [cmd.data.key, cmd.data.seq ?? 0]);
          return [worked(cmd)];
        })
        .catch((e: unknown) => {
          probe.completeErrors.set(cmd.id, e);
          throw e;
        });
      probe.calls.push({ id: cmd.id, key: cmd.data.key, seq: cmd.data.seq ?? 0, start, end: Date.now() });
    } finally {
      probe.running--;
    }
  }

  /** Like `work`, with a failure event: a thrown error here ends in `test.failed.v1` plus a DLQ copy. */
  @EventPattern('test.guarded.v1', { failureEventFor: failedEvent })
  guarded(@Payload() cmd: TestCommand, @Ctx() ctx: CommandContext) {
    return this.work(cmd, ctx);
  }

  @EventPattern('test.forever.v1', { failureEventFor: failedEvent })
  async forever(@Payload() cmd: TestCommand) {
    probe.calls.push({ id: cmd.id, key: cmd.data.key, seq: 0, start: Date.now(), end: Date.now() });
    throw new RetryableFault('provider unavailable (test fault)');
  }
}

@Module({ controllers: [TestHandlers] })
export class TestHandlersModule {}
