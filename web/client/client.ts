// The msgxc realtime client, for browsers and Node. One ES module without runtime imports, so
// the compiled file runs as is in a browser (the broker serves it at GET /api/v2/client.js).
//
//   import { connect } from '/api/v2/client.js';
//   const c = connect({ url: 'https://broker.example', token: () => fetchToken(),
//                       onMessage: (m) => { show(m); void c.ack([m.mid]); } });
//
// It reconnects with exponential backoff and full jitter, resumes with ?since= so nothing
// published while it was away is lost, and drops any message it already delivered (by mid).
import type { FrameId, ListedMessage, MessageFrame, ServerFrame } from '../../schema/frames.js';

/** schema/frames.ts PROTOCOL_VERSION, copied: this module imports no runtime code (test/unit/web/protocol.unit.test.ts). */
export const PROTOCOL_VERSION = 1;

/** Close codes the broker uses (api/ws/close-codes.ts). */
export const CloseCodes = {
  Normal: 1000,
  GoingAway: 1001,
  TooBig: 1009,
  InternalError: 1011,
  Resync: 1012,
  TryAgainLater: 1013,
  TokenExpired: 4001,
  Forbidden: 4003,
  Flood: 4029,
  SlowConsumer: 4030,
} as const;

/** The part of the WHATWG WebSocket the client uses (browsers' and the `ws` package's both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type Status = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ClientOptions {
  /** Broker base URL (http(s):// or ws(s)://); the path defaults to /api/v2/ws. */
  readonly url: string;
  /** A token, or a function returning a fresh one (called before every connect). */
  readonly token: string | (() => string | Promise<string>);
  /** Opens a socket; the default uses the global WebSocket with the token as `?token=`. */
  readonly webSocket?: (url: string, token: string) => WebSocketLike;
  /** Resume point for the first connect (a message id this client already has). */
  readonly since?: string;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly requestTimeoutMs?: number;
  /** Resume this far before the newest message received, deduping the overlap (default 2000 ms). */
  readonly resumeOverlapMs?: number;
  readonly onMessage?: (m: MessageFrame) => void;
  readonly onUnseen?: (messages: ListedMessage[], next: string | null) => void;
  readonly onSeen?: (mids: string[], read: boolean) => void;
  readonly onRead?: (marker: { mid: string; tid?: string }) => void;
  readonly onDeleted?: (mids: string[]) => void;
  readonly onSubscription?: (tid: string, subscribed: boolean) => void;
  readonly onStatus?: (status: Status, detail?: { code: number; reason: string }) => void;
  readonly onError?: (e: { code: string; msg: string }) => void;
}

export class RequestError extends Error {
  constructor(
    readonly code: string,
    msg: string,
  ) {
    super(`${code}: ${msg}`);
  }
}

interface Pending {
  resolve: (f: ServerFrame) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const DEDUPE = 10_000;

// Browsers cannot set headers on a websocket: the token travels as a query parameter.
const browserSocket = (url: string, token: string): WebSocketLike => {
  const Ctor = (globalThis as unknown as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (Ctor === undefined)
    throw new Error('no global WebSocket here: pass the `webSocket` option (e.g. the `ws` package)');
  return new Ctor(`${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`);
};

export class MsgxcClient {
  private socket: WebSocketLike | undefined;
  private status: Status = 'closed';
  private attempt = 0;
  private nextId = 1;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly pending = new Map<FrameId, Pending>();
  private readonly seenMids = new Set<string>();
  /** Delivered messages in arrival order (mid, time), for the resume point. */
  private readonly recent: { mid: string; at: number }[] = [];
  private waiters: (() => void)[] = [];
  private sid: string | undefined;
  /** A resume point just before the last session that finished catching up began. */
  private helloSince: string | undefined;
  /** The current session's, adopted once it has caught up (its unseen, or its replay, arrived). */
  private pendingSince: { since: string; resume: boolean } | undefined;

  constructor(private readonly opts: ClientOptions) {}

  get state(): Status {
    return this.status;
  }
  get sessionId(): string | undefined {
    return this.sid;
  }
  /** The newest message id delivered to onMessage. */
  get lastMid(): string | undefined {
    return this.recent[this.recent.length - 1]?.mid;
  }

  connect(): this {
    if (this.status !== 'closed') return this;
    this.setStatus('connecting');
    void this.open();
    return this;
  }

  close(): void {
    this.setStatus('closed');
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.socket?.close(CloseCodes.Normal, 'client closed');
    this.socket = undefined;
    this.failPending('client closed');
  }

  ack(mids: string[], status: 'delivered' | 'seen' | 'read' | 'clicked' = 'delivered'): Promise<ServerFrame> {
    return this.request({ type: 'ack', mids, status });
  }
  seen(mids: string[]): Promise<ServerFrame> {
    return this.request({ type: 'seen', mids });
  }
  read(mid: string, tid?: string): Promise<ServerFrame> {
    return this.request({ type: 'read', mid, ...(tid !== undefined ? { tid } : {}) });
  }
  delete(mids: string[]): Promise<ServerFrame> {
    return this.request({ type: 'delete', mids });
  }
  subscribe(tid: string): Promise<ServerFrame> {
    return this.request({ type: 'subscribe', tid });
  }
  unsubscribe(tid: string): Promise<ServerFrame> {
    return this.request({ type: 'unsubscribe', tid });
  }
  ping(): Promise<ServerFrame> {
    return this.request({ type: 'ping' });
  }
  async history(
    q: { tid?: string; before?: string; limit?: number } = {},
  ): Promise<{ messages: ListedMessage[]; next: string | null }> {
    const f = await this.request({ type: 'history', ...q });
    return f.type === 'history' ? { messages: f.messages, next: f.next } : { messages: [], next: null };
  }
  async unseen(
    q: { before?: string; limit?: number } = {},
  ): Promise<{ messages: ListedMessage[]; next: string | null }> {
    const f = await this.request({ type: 'unseen', ...q });
    return f.type === 'unseen' ? { messages: f.messages, next: f.next } : { messages: [], next: null };
  }

  /** Sends a frame and resolves with the answer that echoes its id (rejects on an `error` answer, or after the timeout). */
  request(frame: Record<string, unknown>): Promise<ServerFrame> {
    const id = this.nextId++;
    return new Promise<ServerFrame>((resolve, reject) => {
      // A request that timed out while waiting for the connection is not sent afterwards.
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        this.pending.delete(id);
        reject(new RequestError('Timeout', `no answer to ${String(frame['type'])}`));
      }, this.opts.requestTimeoutMs ?? 10_000);
      this.whenOpen().then(
        () => {
          if (timedOut) return;
          this.pending.set(id, { resolve, reject, timer });
          this.socket?.send(JSON.stringify({ ...frame, id }));
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new RequestError('NotConnected', String(e)));
        },
      );
    });
  }

  private whenOpen(): Promise<void> {
    if (this.status === 'open') return Promise.resolve();
    if (this.status === 'closed') return Promise.reject(new RequestError('NotConnected', 'the client is closed'));
    return new Promise((resolve) => {
      this.waiters.push(resolve);
    });
  }

  private setStatus(s: Status, detail?: { code: number; reason: string }): void {
    this.status = s;
    this.opts.onStatus?.(s, detail);
  }

  private resumePoint(): string | undefined {
    const fromMessages = this.sinceFromMessages();
    // The last session's start is a floor: that session replayed everything before it.
    const floor = this.helloSince ?? this.opts.since;
    if (fromMessages === undefined) return floor;
    return floor !== undefined && floor > fromMessages ? floor : fromMessages;
  }

  private sinceFromMessages(): string | undefined {
    const newest = this.recent[this.recent.length - 1];
    if (newest === undefined) return undefined;
    // Messages committed nearly together can be delivered slightly out of time order: resume a
    // little before the newest one and drop the overlap by id.
    const cut = newest.at - (this.opts.resumeOverlapMs ?? 2000);
    for (let i = this.recent.length - 1; i >= 0; i -= 1) {
      const r = this.recent[i];
      if (r !== undefined && r.at <= cut) return r.mid;
    }
    return this.recent[0]?.mid;
  }

  private endpoint(): string {
    const base = this.opts.url.replace(/^http/, 'ws').replace(/\/+$/, '');
    const url = /\/api\/v2\/ws$/.test(base) ? base : `${base}/api/v2/ws`;
    const since = this.resumePoint();
    return since === undefined ? url : `${url}?since=${encodeURIComponent(since)}`;
  }

  private async open(): Promise<void> {
    let token: string;
    try {
      token = typeof this.opts.token === 'string' ? this.opts.token : await this.opts.token();
    } catch {
      this.retry();
      return;
    }
    if (this.status === 'closed') return;
    const url = this.endpoint();
    const ws = this.opts.webSocket !== undefined ? this.opts.webSocket(url, token) : browserSocket(url, token);
    this.socket = ws;
    ws.onmessage = (ev) => {
      this.onFrame(typeof ev.data === 'string' ? ev.data : String(ev.data));
    };
    ws.onclose = (ev) => {
      if (this.socket === ws) this.onClosed(ev.code, ev.reason);
    };
    ws.onerror = () => {
      /* a close event follows */
    };
  }

  private onClosed(code: number, reason: string): void {
    this.socket = undefined;
    this.failPending(`connection closed (${code})`);
    if (this.status === 'closed') return;
    // These need the application first: a new token (static one), or a fix of the client.
    const fatal =
      code === CloseCodes.Forbidden ||
      code === CloseCodes.Flood ||
      (code === CloseCodes.TokenExpired && typeof this.opts.token === 'string');
    if (fatal) {
      this.setStatus('closed', { code, reason });
      return;
    }
    this.setStatus('reconnecting', { code, reason });
    this.retry(code === CloseCodes.TokenExpired);
  }

  private retry(now = false): void {
    const initial = this.opts.backoff?.initialMs ?? 250;
    const max = this.opts.backoff?.maxMs ?? 30_000;
    // Full jitter: a random delay up to the exponential bound, so clients dropped together
    // do not all come back in the same instant.
    const delay = now ? 0 : Math.random() * Math.min(max, initial * 2 ** this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      if (this.status !== 'closed') void this.open();
    }, delay);
  }

  private failPending(why: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RequestError('Disconnected', why));
      this.pending.delete(id);
    }
  }

  private deliver(m: MessageFrame): void {
    if (this.seenMids.has(m.mid)) return;
    this.seenMids.add(m.mid);
    this.recent.push({ mid: m.mid, at: Date.parse(m.scheduled ?? m.at) });
    if (this.recent.length > DEDUPE) {
      const old = this.recent.shift();
      if (old !== undefined) this.seenMids.delete(old.mid);
    }
    this.opts.onMessage?.(m);
  }

  private onFrame(text: string): void {
    let f: ServerFrame;
    try {
      f = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    const id = (f as { id?: FrameId }).id;
    if (id !== undefined) {
      const p = this.pending.get(id);
      if (p !== undefined) {
        this.pending.delete(id);
        clearTimeout(p.timer);
        if (f.type === 'error') p.reject(new RequestError(f.code, f.msg));
        else p.resolve(f);
        if (f.type !== 'subscribed' && f.type !== 'unsubscribed') return;
      }
    }
    switch (f.type) {
      case 'hello':
        this.sid = f.sid;
        this.pendingSince = { since: f.since, resume: f.resume };
        this.attempt = 0;
        this.setStatus('open');
        for (const w of this.waiters.splice(0)) w();
        return;
      case 'message':
        this.deliver(f);
        return;
      case 'unseen':
        if (this.pendingSince?.resume === false) {
          this.helloSince = this.pendingSince.since;
          this.pendingSince = undefined;
        }
        this.opts.onUnseen?.(f.messages, f.next);
        return;
      case 'resumed':
        if (this.pendingSince !== undefined) {
          this.helloSince = this.pendingSince.since;
          this.pendingSince = undefined;
        }
        return;
      case 'seen':
        this.opts.onSeen?.(f.mids, f.read === true);
        return;
      case 'read':
        this.opts.onRead?.(f.tid !== undefined ? { mid: f.mid, tid: f.tid } : { mid: f.mid });
        return;
      case 'deleted':
        this.opts.onDeleted?.(f.mids);
        return;
      case 'subscribed':
      case 'unsubscribed':
        this.opts.onSubscription?.(f.tid, f.type === 'subscribed');
        return;
      case 'error':
        this.opts.onError?.({ code: f.code, msg: f.msg });
        return;
      default:
        return;
    }
  }
}

export const connect = (opts: ClientOptions): MsgxcClient => new MsgxcClient(opts).connect();
