/**
 * Commit watermark of one partition: with messages finishing out of order, the offset that may be
 * committed is the lowest one still unfinished (or the highest seen + 1 when all are done).
 */
export class PartitionOffsets {
  private readonly pending = new Set<bigint>();
  private highestSeen: bigint | null = null;
  private committed: bigint | null = null;

  /** Registers a fetched message; false when it was already seen (a redelivery after rebalance). */
  begin(offset: string): boolean {
    const o = BigInt(offset);
    if (this.highestSeen !== null && o <= this.highestSeen) return false;
    if (this.committed !== null && o < this.committed) return false;
    this.highestSeen = o;
    this.pending.add(o);
    return true;
  }

  finish(offset: string): void {
    this.pending.delete(BigInt(offset));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** The next offset to read once everything below it is done; null when nothing was seen. */
  watermark(): bigint | null {
    if (this.highestSeen === null) return null;
    let low: bigint | null = null;
    for (const o of this.pending) if (low === null || o < low) low = o;
    return low ?? this.highestSeen + 1n;
  }

  /** The offset to commit now, or null when it would not move the committed position forward. */
  toCommit(): string | null {
    const w = this.watermark();
    if (w === null || (this.committed !== null && w <= this.committed)) return null;
    return w.toString();
  }

  markCommitted(offset: string): void {
    const o = BigInt(offset);
    if (this.committed === null || o > this.committed) this.committed = o;
  }
}
