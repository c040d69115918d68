import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import type { Bus, BusSubscription } from '../../ports/bus.js';
import { PresenceMessage } from '../../schema/frames.js';
import { unguarded, type Guard } from '../guard.js';

// Who is online, across nodes, for the triage step ("is this user on a socket right now?").
//
// How it scales:
// - A connect or disconnect is never a write to the log and never a message of its own: the
//   node marks the user dirty and, every `flushMs`, sends ONE delta with the absolute session
//   counts of the users that changed. Bus traffic follows the connect rate, batched.
// - Every node heartbeats every `heartbeatMs` (a few bytes). A node not heard from for three
//   heartbeats is dropped with all its users, so a crashed node's users go offline on their own.
// - Each delta and beat carries (epoch, seq); a peer that sees a gap, a new epoch, or a node it
//   does not know asks that node for a snapshot (sent in chunks), so a lost delta heals.
// - Queries are answered from memory on any node: O(nodes) map lookups, no I/O.
// - Memory per node is O(users online in the whole cluster) (one map entry per user per node
//   they are on, ~100 bytes): about 100 MB for a million online users. Past that, shard
//   presence by uid hash (each node keeps the shards it owns; others ask the owner by
//   request/reply) instead of replicating it everywhere.
export interface Presence {
  isOnline(uid: string): boolean;
  /** Open sessions of the user on every node. */
  sessions(uid: string): number;
  nodes(uid: string): { node: string; sessions: number }[];
  stats(): { nodes: number; users: number };
  /** The local session count of `uid` changed (the registry holds the count itself). */
  changed(uid: string): void;
  /** Moves whenever anyone's answer to `isOnline` may have changed (ports/presence.ts). */
  version(): number;
  close(): Promise<void>;
}

interface Peer {
  epoch: string;
  seq: number;
  lastSeen: number;
  users: Map<string, number>;
  staging?: Map<string, number>;
}

export interface PresenceDeps {
  readonly bus: Bus;
  readonly node: string;
  readonly localCount: (uid: string) => number;
  readonly localUsers: () => IterableIterator<[string, number]>;
  readonly localUserCount: () => number;
  readonly heartbeatMs: number;
  /**
   * How often the changed users' counts go out (default 250 ms, or the heartbeat if shorter).
   * 0: on the next turn of the event loop after a change, for a peer that must know at once (an
   * embedded node's delivery reactors in their thread, app/reactors-thread/).
   */
  readonly flushMs?: number;
  readonly now?: () => number;
  readonly onBadMessage?: (payload: string) => void;
  /** Wraps the timers' callbacks (api/guard.ts); unguarded in unit tests. */
  readonly guard?: Guard;
}

const CHUNK = 5_000;

export const createPresence = (deps: PresenceDeps): Presence => {
  const { bus, node } = deps;
  const now = deps.now ?? Date.now;
  const epoch = randomUUID();
  let seq = 0;
  const peers = new Map<string, Peer>();
  const dirty = new Set<string>();
  let version = 0;
  const send = (m: PresenceMessage): void => {
    bus.publish('presence', node, JSON.stringify(m));
  };

  const flush = (): void => {
    if (dirty.size === 0) return;
    const users = [...dirty].map((uid): [string, number] => [uid, deps.localCount(uid)]);
    dirty.clear();
    for (let i = 0; i < users.length; i += CHUNK)
      send({ t: 'delta', node, epoch, seq: ++seq, users: users.slice(i, i + CHUNK) });
  };
  const snapshot = (): void => {
    const users = [...deps.localUsers()];
    const parts = Math.max(1, Math.ceil(users.length / CHUNK));
    for (let p = 0; p < parts; p += 1)
      send({ t: 'snapshot', node, epoch, seq, users: users.slice(p * CHUNK, (p + 1) * CHUNK), part: p, parts });
  };
  const beat = (): void => {
    flush();
    send({ t: 'beat', node, epoch, seq: ++seq, users: deps.localUserCount() });
    const dead = now() - 3 * deps.heartbeatMs;
    for (const [name, p] of peers)
      if (p.lastSeen < dead) {
        peers.delete(name);
        version += 1;
      }
  };

  const peerOf = (name: string, e: string, s: number): Peer => {
    let p = peers.get(name);
    const behind = p === undefined || p.epoch !== e || s !== p.seq + 1;
    if (p === undefined || p.epoch !== e) {
      if (p !== undefined) version += 1;
      p = { epoch: e, seq: s, lastSeen: now(), users: new Map() };
      peers.set(name, p);
    }
    p.seq = Math.max(p.seq, s);
    p.lastSeen = now();
    // Unknown node, restarted node, or a gap: ask for its full state (after recording the
    // peer, since an in-process bus may answer before `send` returns).
    if (behind) send({ t: 'sync', node, target: name });
    return p;
  };
  const apply = (users: Map<string, number>, counts: readonly [string, number][]): void => {
    version += 1;
    for (const [uid, n] of counts) {
      if (n > 0) users.set(uid, n);
      else users.delete(uid);
    }
  };

  const onMessage = (_key: string, payload: string): void => {
    let raw: unknown;
    try {
      raw = JSON.parse(payload);
    } catch {
      deps.onBadMessage?.(payload);
      return;
    }
    const d = PresenceMessage.decode(raw);
    if (E.isLeft(d)) {
      deps.onBadMessage?.(payload);
      return;
    }
    const m = d.right;
    if (m.node === node) return; // our own publication, echoed by the bus
    switch (m.t) {
      case 'delta':
        apply(peerOf(m.node, m.epoch, m.seq).users, m.users);
        return;
      case 'beat':
        peerOf(m.node, m.epoch, m.seq);
        return;
      case 'snapshot': {
        const p = peers.get(m.node) ?? {
          epoch: m.epoch,
          seq: m.seq,
          lastSeen: now(),
          users: new Map<string, number>(),
        };
        peers.set(m.node, p);
        if (m.part === 0 || p.staging === undefined) p.staging = new Map();
        apply(p.staging, m.users);
        if (m.part === m.parts - 1) {
          p.users = p.staging;
          version += 1;
          delete p.staging;
          p.epoch = m.epoch;
          p.seq = m.seq;
          p.lastSeen = now();
        }
        return;
      }
      case 'sync':
        if (m.target === node || m.target === '*') {
          flush();
          snapshot();
        }
        return;
      case 'bye':
        peers.delete(m.node);
        version += 1;
        return;
      default: {
        const unhandled: never = m;
        return unhandled;
      }
    }
  };

  const sub: BusSubscription = bus.subscribe('presence', onMessage);
  const guard = deps.guard ?? unguarded;
  const prompt = deps.flushMs === 0;
  let flushing: NodeJS.Immediate | undefined;
  const flushSoon = guard('presence flush', () => {
    flushing = undefined;
    flush();
  });
  const every = deps.flushMs === undefined || prompt ? Math.min(250, deps.heartbeatMs) : deps.flushMs;
  const flushTimer = setInterval(guard('presence flush', flush), every);
  const beatTimer = setInterval(guard('presence heartbeat', beat), deps.heartbeatMs);
  flushTimer.unref();
  beatTimer.unref();
  send({ t: 'sync', node, target: '*' });
  beat();

  const remote = (uid: string): { node: string; sessions: number }[] =>
    [...peers].flatMap(([name, p]) => {
      const n = p.users.get(uid) ?? 0;
      return n > 0 ? [{ node: name, sessions: n }] : [];
    });
  return {
    isOnline: (uid) => deps.localCount(uid) > 0 || [...peers.values()].some((p) => (p.users.get(uid) ?? 0) > 0),
    sessions: (uid) => deps.localCount(uid) + remote(uid).reduce((a, r) => a + r.sessions, 0),
    nodes: (uid) => {
      const here = deps.localCount(uid);
      return [...(here > 0 ? [{ node, sessions: here }] : []), ...remote(uid)];
    },
    version: () => version,
    stats: () => {
      const users = new Set<string>([...deps.localUsers()].map(([u]) => u));
      for (const p of peers.values()) for (const u of p.users.keys()) users.add(u);
      return { nodes: peers.size + 1, users: users.size };
    },
    changed: (uid) => {
      version += 1;
      dirty.add(uid);
      if (prompt) flushing ??= setImmediate(flushSoon);
    },
    close: async () => {
      if (flushing !== undefined) clearImmediate(flushing);
      clearInterval(flushTimer);
      clearInterval(beatTimer);
      send({ t: 'bye', node });
      await sub.close();
    },
  };
};
