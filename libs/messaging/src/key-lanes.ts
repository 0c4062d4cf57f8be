/**
 * One FIFO lane per key: tasks of the same key run strictly one after another, tasks of different keys
 * run in parallel. A lane disappears when it drains, so memory follows the keys in flight, not all keys.
 */
export class KeyLanes {
  private readonly tails = new Map<string, Promise<void>>();
  private queued = 0;
  private readonly idleWaiters: Array<() => void> = [];

  /** Tasks accepted and not yet finished (queued behind their key or running). */
  get size(): number {
    return this.queued;
  }

  get activeKeys(): number {
    return this.tails.size;
  }

  /** Queues `task` behind earlier tasks of `key`. The task must not throw; failures are its own business. */
  run(key: string, task: () => Promise<void>): Promise<void> {
    this.queued++;
    const previous = this.tails.get(key) ?? Promise.resolve();
    const mine = previous.then(task).catch(() => undefined).finally(() => {
      this.queued--;
      if (this.tails.get(key) === mine) this.tails.delete(key);
      if (this.queued === 0) this.idleWaiters.splice(0).forEach((w) => w());
    });
    this.tails.set(key, mine);
    return mine;
  }

  /** Resolves when every accepted task has finished. */
  whenIdle(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
