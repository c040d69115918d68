import type { WebSocket } from '../uws.js';
import { sessionCorrelation, type FrameId, type ServerFrame } from '../../schema/frames.js';
import type { Bucket } from './flood.js';
import { slugOf, toSlugFrame } from './slug.js';
import { toWsnFrame } from './wsn.js';

// One websocket session. Its lifecycle: `opening` (upgrade accepted, nothing sent yet),
// `catching-up` (unseen and ?since= replay are being read; live frames go to `buffer`),
// `live` (subscribed to its uWS topics; live frames go straight to the socket), `closed`.
export type SessionState = 'opening' | 'catching-up' | 'live' | 'closed';

/** A live frame that arrived while the session was catching up, kept in arrival order. */
export type Buffered =
  | { readonly kind: 'frame'; readonly frame: string; readonly mid?: string; readonly tid?: string }
  | {
      readonly kind: 'join' | 'leave';
      readonly tid: string;
      /** The session's own subscribe/unsubscribe frame: its answer is owed, echoing its id. */
      readonly reply?: { readonly id?: FrameId };
    };

/** wsn seen/delete frames whose answer may be due at once on one session (see rememberWsn). */
export const WSN_PENDING_MAX = 256;

/** Live frames one session may buffer while catching up before it is told to come back later. */
export const MAX_BUFFERED = 10_000;

export const topics = {
  user: (uid: string): string => `u/${uid}`,
  thread: (tid: string): string => `t/${tid}`,
  broadcast: 'b',
} as const;

/** What the socket carries. uWS copies user data onto its own object (methods would be lost), so
 * the session rides along as one property. */
export interface SessionRef {
  readonly s: Session;
}

export class Session {
  state: SessionState = 'opening';
  ws: WebSocket<SessionRef> | undefined = undefined;
  /** Frames received while catching up; undefined otherwise. */
  buffer: Buffered[] | undefined = undefined;
  /** Threads whose topic this socket is on (mirrors the uWS subscriptions). */
  readonly threads = new Set<string>();
  /** Commands sent, to give each a distinct correlation id. */
  commands = 0;

  constructor(
    readonly sid: string,
    readonly uid: string,
    public roles: readonly string[],
    /** Token expiry, epoch ms; undefined when the token has no `exp`. */
    public exp: number | undefined,
    readonly since: string | undefined,
    readonly bucket: Bucket,
    readonly openedAt: number,
    /** `wsn`: webservice-notification's frames (api/ws/wsn.ts), chosen at the upgrade. */
    readonly compat?: 'wsn',
  ) {}

  /** wsn mode: the ids each pending seen/delete names, until its answer goes out. */
  readonly wsnPending = new Map<string, unknown>();

  /** Keeps the ids of a wsn seen/delete for its answer; the key goes into the frame id. */
  rememberWsn(ids: unknown): string {
    // Every answer to the frame, `ok` or `error`, takes its entry (toWsnFrame's recall), so only
    // frames still running are here. The bound is a backstop: it drops the oldest entry only,
    // never the others' (emptying the map made answers still due name no ids).
    if (this.wsnPending.size >= WSN_PENDING_MAX) {
      const oldest = this.wsnPending.keys().next();
      if (oldest.done !== true) this.wsnPending.delete(oldest.value);
    }
    this.wsnSeq += 1;
    const key = String(this.wsnSeq);
    this.wsnPending.set(key, ids);
    return key;
  }

  private wsnSeq = 0;

  /** Sends a frame now; false when the socket is gone or its send buffer is over the limit. */
  send(frame: ServerFrame | string): boolean {
    const ws = this.ws;
    if (ws === undefined || this.state === 'closed') return false;
    if (this.compat === 'wsn') {
      // Every frame, live or answer, is rewritten in their shape; theirs has no counterpart for some (dropped).
      const obj = (typeof frame === 'string' ? JSON.parse(frame) : frame) as Record<string, unknown>;
      const text = toWsnFrame(obj, (key) => {
        const ids = this.wsnPending.get(key);
        this.wsnPending.delete(key);
        return ids;
      });
      return text === undefined || ws.send(text) !== 2;
    }
    if (typeof frame === 'string') return ws.send(frame) !== 2;
    // An answer to a msgxc `{slug}` frame goes back in msgxc's shape (api/ws/slug.ts).
    const slug = 'id' in frame ? slugOf(frame.id) : undefined;
    return ws.send(JSON.stringify(slug === undefined ? frame : toSlugFrame(slug, { ...frame }))) !== 2;
  }

  /** The correlation id of this session's next command; the live publisher reads the sid back from it. */
  nextCorrelation(): string {
    this.commands += 1;
    return sessionCorrelation(this.sid, this.commands);
  }
}

export const withId = <F extends object>(frame: F, id: FrameId | undefined): F & { id?: FrameId } =>
  id === undefined ? frame : { ...frame, id };
