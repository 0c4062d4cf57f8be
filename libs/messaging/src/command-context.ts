import { BaseRpcContext } from '@nestjs/microservices';
import type { BusMessage } from './message-bus';
import type { CommandLike, CompleteFn } from './types';

/**
 * What `@Ctx()` gives a command handler. Call the provider first, then `complete` once: the state
 * change, the inbox row and the outbox rows commit in ONE Postgres transaction.
 */
export class CommandContext<C extends CommandLike = CommandLike> extends BaseRpcContext<[BusMessage]> {
  private completedFlag = false;
  /** The last error thrown by `complete`, kept because Nest's default RPC filter hides thrown errors. */
  lastCompleteError: unknown;

  constructor(
    message: BusMessage,
    readonly command: C,
    readonly attempt: number,
    readonly deadline: Date,
    private readonly completer: (fn: CompleteFn) => Promise<void>,
  ) {
    super([message]);
  }

  getMessage(): BusMessage {
    return this.args[0];
  }
  getTopic(): string {
    return this.args[0].topic;
  }
  getPartition(): number {
    return this.args[0].partition;
  }
  getOffset(): string {
    return this.args[0].offset;
  }
  getKey(): string | null {
    return this.args[0].key?.toString('utf8') ?? null;
  }
  getHeaders(): Record<string, string | undefined> {
    return this.args[0].headers;
  }

  get completed(): boolean {
    return this.completedFlag;
  }

  /**
   * Runs `fn` in a transaction, then inserts the inbox row and the returned events into the outbox
   * in the same transaction. Bare CloudEvents go to the transport's events topic with the command's key.
   */
  async complete(fn: CompleteFn): Promise<void> {
    if (this.completedFlag) throw new Error('complete: may be called once per command');
    try {
      await this.completer(fn);
      this.completedFlag = true;
    } catch (e) {
      this.lastCompleteError = e;
      throw e;
    }
  }
}
