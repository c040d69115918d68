import { ADMIN, AUDITOR, USERS } from './actors.js';
import type { IdKind, Resolver } from './leaves.js';

// What the run has learnt from answers the server gave (only ever from 2xx answers and their
// read-backs): the ids that exist, who owns which thread, who sent which message. Cases name
// ids by index (leaves.ts `ref`), resolved against this, so a case replays meaningfully on a
// fresh server even though the ids the server chooses differ from run to run.
export interface ThreadFacts {
  readonly owner: string;
  /** Anyone may subscribe (and so see it). */
  opens: boolean;
}

export interface MessageFacts {
  readonly mid: string;
  readonly from: string;
  readonly msg: string;
  readonly tid: string | undefined;
  readonly broadcast: boolean;
  /** The one user a direct message was sent to: their erasure blanks its text (docs/gdpr.md). */
  readonly to?: string;
  /** Readable by its sender until cancelled or retracted. */
  live: boolean;
}

export class World {
  readonly threads = new Map<string, ThreadFacts>();
  readonly messages = new Map<string, MessageFacts>();
  private readonly tids: string[] = [];
  private readonly mids: string[] = [];
  private readonly uids: string[] = [...USERS, ADMIN, AUDITOR];
  private fresh = 0;

  constructor(readonly tag: string) {}

  /** A resolver for one case: the same marked leaf gives the same id (and date) within the case. */
  resolver(): Resolver & { readonly used: Map<string, string> } {
    const used = new Map<string, string>();
    // One moment per case: a case rendered twice (the existence check) names the same dates.
    const now = Date.now();
    return {
      used,
      now: () => now,
      id: (kind, n) => {
        const key = `${kind}:${n}`;
        const seen = used.get(key);
        if (seen !== undefined) return seen;
        const id = this.pick(kind, n);
        used.set(key, id);
        return id;
      },
    };
  }

  freshId(): string {
    this.fresh += 1;
    return `fz-${this.tag}-${this.fresh}`;
  }

  private pick(kind: IdKind, n: number): string {
    // A negative n counts from the newest (flows act on what their earlier steps created).
    const from = (pool: readonly string[]): string =>
      pool.length === 0 ? this.freshId() : (pool[n < 0 ? Math.max(0, pool.length + n) : n % pool.length] ?? '');
    switch (kind) {
      case 'tid':
        return from(this.tids);
      case 'mid':
        return from(this.mids);
      case 'uid':
        return from(this.uids);
      case 'fresh':
        return this.freshId();
      case 'stream': {
        const family = ['user', 'thread', 'message', 'inbox'][n % 4] ?? 'user';
        const pool = family === 'thread' ? this.tids : family === 'message' ? this.mids : this.uids;
        return `${family}-${pool.length === 0 ? this.freshId() : (pool[Math.floor(n / 4) % pool.length] ?? '')}`;
      }
      default: {
        const never: never = kind;
        return never;
      }
    }
  }

  addThread(tid: string, facts: ThreadFacts): void {
    if (!this.threads.has(tid)) this.tids.push(tid);
    this.threads.set(tid, facts);
  }

  addMessage(m: MessageFacts): void {
    if (!this.messages.has(m.mid)) this.mids.push(m.mid);
    this.messages.set(m.mid, m);
  }

  addUser(uid: string): void {
    if (!this.uids.includes(uid) && this.uids.length < 64) this.uids.push(uid);
  }

  get counts(): { threads: number; messages: number; users: number } {
    return { threads: this.tids.length, messages: this.mids.length, users: this.uids.length };
  }
}
