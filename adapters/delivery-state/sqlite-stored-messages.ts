import type { DirectoryMessage } from '../../schema/delivery-state.js';

/**
 * The messages this connection's commits stored lately, as stored (issue 15): triage reads each
 * message it plans right after its fold stored it, and that read (a row and its data parsed)
 * was a good part of triage's cost per send. A message's row changes only through this writer
 * (the directory is written by the triage fold alone, on one connection: sqlite-tables.ts), so
 * remembering what a committed transaction inserted, and forgetting it when a later one changes
 * its status or blanks its text (an erasure), keeps every read what the row holds. Only what an
 * insert really stored (a row already there is left, and read from the file) and only once its
 * transaction committed (a rolled-back batch leaves nothing behind); another connection to the
 * file (a split node's sends thread) remembers nothing and reads the file.
 */
export class StoredMessages {
  private readonly kept = new Map<string, DirectoryMessage>();
  /** What the transaction in progress did, in order: a message stored, or a message or a user's messages changed. */
  private pending: (
    | { readonly stored: DirectoryMessage }
    | { readonly changed: string }
    | { readonly erased: string }
  )[] = [];

  constructor(private readonly limit = 64) {}

  get(mid: string): DirectoryMessage | undefined {
    return this.kept.get(mid);
  }

  stored(m: DirectoryMessage): void {
    this.pending.push({ stored: m });
  }

  changed(mid: string): void {
    this.pending.push({ changed: mid });
  }

  /** `uid`'s direct messages were blanked. */
  erased(uid: string): void {
    this.pending.push({ erased: uid });
  }

  /** The transaction ended: applies what it did if it committed, forgets it otherwise. */
  settled(committed: boolean): void {
    const done = this.pending;
    this.pending = [];
    if (!committed) return;
    for (const p of done)
      if ('stored' in p) {
        this.kept.set(p.stored.data.mid, p.stored);
        if (this.kept.size > this.limit) this.kept.delete(this.kept.keys().next().value ?? '');
      } else if ('changed' in p) this.kept.delete(p.changed);
      else
        for (const [mid, m] of this.kept)
          if (m.data.audience.kind === 'user' && m.data.audience.uid === p.erased) this.kept.delete(mid);
  }
}
