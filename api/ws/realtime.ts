import type * as Uws from '@trufflesuite/uws-js-unofficial';
import type { Bus } from '../../ports/bus.js';
import type { EventStore } from '../../ports/eventstore.js';
import type { LiveFeed, LiveSink } from '../../ports/live.js';
import type { Commands } from '../../commands/types.js';
import type { ReadModels } from '../../ports/read-models.js';
import type { ProjectionRunner } from '../../ports/projections.js';
import type { WsLimits } from '../../schema/config.js';
import type { Actor } from '../../schema/metadata.js';
import type { Verifier } from '../auth.js';
import type { Logger } from '../../ports/log.js';
import type { Metrics } from '../metrics.js';
import type { TemplatedApp, WebSocket } from '../uws.js';
import { createCheckIn } from './checkin.js';
import { CloseCode } from './close-codes.js';
import { createExpiryWheel } from './expiry.js';
import { closeIfSlow, createFanout } from './fanout.js';
import { take } from './flood.js';
import { uuidv7Floor } from './catch-up.js';
import { startSession } from './lifecycle.js';
import type { Memberships } from './memberships.js';
import { createPresence, type Presence } from './presence.js';
import { decodeFrame, handleFrame } from './protocol.js';
import { createRegistry } from './registry.js';
import { withId, type Session, type SessionRef } from './session.js';
import { upgradeHandler } from './upgrade.js';
import { createReauth } from './reauth.js';
import { createGuard, thrownText } from '../guard.js';
import { admitFrame, type RequestLimits } from '../request-limits.js';

// The realtime side of a node: the websocket endpoint on the HTTP API's uWS app, the node's
// fan-out (live frames -> uWS topics; the frames come from the log follower, delivery/live.ts,
// wired by app/realtime.ts), presence and check-in.
export const WS_PATH = '/api/v2/ws';

export interface RealtimeDeps {
  readonly uws: typeof Uws;
  readonly app: TemplatedApp;
  readonly bus: Bus;
  readonly node: string;
  readonly limits: WsLimits;
  /** Deepest JSON nesting accepted in a frame (MSGXC_JSON_MAX_DEPTH). */
  readonly jsonMaxDepth: number;
  readonly store: EventStore;
  /** The live follower: a session goes live once it has written every frame up to the head. */
  readonly live: LiveFeed;
  readonly reads: ReadModels;
  readonly projections: ProjectionRunner;
  readonly memberships: Memberships;
  readonly commands: Commands;
  /** The node's recognition of a user (app/recognition.ts): answers a promise only when there is work to wait for. */
  readonly recognise: (actor: Actor) => Promise<void> | undefined;
  readonly verifier: Verifier;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly now: () => Date;
  readonly ready: () => boolean;
  /** Per-user rate limits and load shedding, shared with the HTTP routes (api/request-limits.ts). */
  readonly requestLimits?: RequestLimits;
  /** Presence's flush interval (api/ws/presence.ts; 0: at once), when not its default. */
  readonly presenceFlushMs?: number;
}

export interface Realtime {
  readonly presence: Presence;
  /** This node's sessions, as a sink for the live follower. */
  readonly local: LiveSink;
  sessions(): number;
  close(): Promise<void>;
}

export const startRealtime = (deps: RealtimeDeps): Realtime => {
  const { app, bus, log, metrics, limits } = deps;
  const nowMs = (): number => deps.now().getTime();
  const registry = createRegistry();
  // Every callback uWS or a timer calls goes through this (see api/guard.ts).
  const guard = createGuard(log);
  const checkIn = createCheckIn({
    record: (c) => deps.commands.checkIn(c),
    node: deps.node,
    intervalMs: limits.checkinIntervalMs,
    now: nowMs,
    log,
  });
  const presence = createPresence({
    bus,
    node: deps.node,
    heartbeatMs: limits.presenceHeartbeatMs,
    ...(deps.presenceFlushMs === undefined ? {} : { flushMs: deps.presenceFlushMs }),
    now: nowMs,
    localCount: (uid) => registry.ofUser(uid)?.size ?? 0,
    localUsers: () => registry.counts(),
    localUserCount: () => registry.users(),
    guard,
    onBadMessage: () => {
      metrics.inc('msgxc_bus_bad_messages_total', { kind: 'presence' });
    },
  });
  const fanout = createFanout({
    app,
    bus,
    registry,
    maxBackpressure: limits.maxBackpressure,
    onBadEnvelope: () => {
      metrics.inc('msgxc_bus_bad_messages_total', { kind: 'frame' });
    },
  });
  const expiry = createExpiryWheel<Session>(
    guard('token expiry', (s) => {
      s.ws?.end(CloseCode.TokenExpired, 'token expired');
    }),
    nowMs,
  );
  // Slow consumers: a client whose unsent backlog passes the limit is closed with a clear code
  // (it resumes from the log when it reconnects) instead of having frames silently skipped.
  const sweep = setInterval(
    guard('slow-consumer sweep', () => {
      for (const s of registry.all()) closeIfSlow(s, limits.maxBackpressure);
    }),
    250,
  );
  sweep.unref();
  // The bus is at most once: when this node's connection to it was interrupted, frames it
  // published or should have received in between may be gone, and so may frames of peers
  // whose connection broke. Every affected session is closed with Resync; the client resumes
  // from the log (?since=) and dedupes, so nothing is missed and nothing shows twice. A node
  // that reconnects tells its peers on the control subject. Cost: one reconnect per session
  // per interruption, which is rare, instead of tracking a sequence per session per node.
  const resyncAll = (reason: string): void => {
    metrics.inc('msgxc_ws_resyncs_total');
    for (const s of registry.all()) s.ws?.end(CloseCode.Resync, reason);
  };
  const control = bus.subscribe('control', (from, payload) => {
    if (from !== deps.node && payload === 'resync') resyncAll('a peer node lost its bus connection: resume');
  });
  const stopWatching = bus.onInterrupted(() => {
    bus.publish('control', deps.node, 'resync');
    resyncAll('this node lost its bus connection: resume');
  });

  const reauth = createReauth(deps.verifier, expiry);
  // Reads wait for the projections to reach the log head, like HTTP reads (api/deps.ts): a
  // stale one is served after 2 s rather than failing.
  const consistent = async (): Promise<void> => {
    await deps.projections.waitFor(await deps.store.head(), 2000).catch(() => undefined);
  };
  const protocol = {
    commands: deps.commands,
    reads: deps.reads,
    fanout,
    now: deps.now,
    reauth,
    unseenLimit: 50,
    consistent,
  };
  const lifecycle = {
    ...protocol,
    recognise: deps.recognise,
    store: deps.store,
    live: deps.live,
    projections: deps.projections,
    memberships: deps.memberships,
    registry,
    log,
    resumeMax: 1000,
  };

  // Takes one frame from the session's flood budget; over it, the session is closed (4029).
  const flooded = (ws: WebSocket<SessionRef>, size: number): boolean => {
    const verdict = take(ws.getUserData().s.bucket, limits, size, nowMs());
    if (verdict === 'ok') return false;
    metrics.inc('msgxc_ws_flood_closed_total', { limit: verdict });
    ws.end(
      CloseCode.Flood,
      verdict === 'frames' ? 'flood: too many frames per second' : 'flood: too many bytes per second',
    );
    return true;
  };

  app.ws<SessionRef>(WS_PATH, {
    compression: deps.uws.DISABLED,
    // uWS drops a frame over its own limit without a close code; ours (below) says why.
    maxPayloadLength: limits.maxPayload * 4,
    idleTimeout: limits.idleTimeoutSec,
    sendPingsAutomatically: true,
    // The hard stop behind the checks above: past it uWS closes the socket itself (without a
    // close code) rather than skip frames for it (typed as a number in this release; a flag).
    maxBackpressure: limits.maxBackpressure + Math.max(limits.maxBackpressure, 8 * 1024 * 1024),
    closeOnBackpressureLimit: 1,
    upgrade: upgradeHandler({
      verifier: deps.verifier,
      limits,
      ready: deps.ready,
      now: nowMs,
      sessionsOf: (uid) => registry.ofUser(uid)?.size ?? 0,
      ...(deps.requestLimits !== undefined ? { requestLimits: deps.requestLimits } : {}),
      refused: (reason) => {
        metrics.inc('msgxc_ws_refused_total', { reason });
      },
      failed: (e) => {
        log.error({ err: thrownText(e) }, 'websocket upgrade failed');
      },
    }),
    // A failure while opening leaves the session half set up: it is closed (clients reconnect).
    open: guard(
      'websocket open',
      (ws: WebSocket<SessionRef>) => {
        const s = ws.getUserData().s;
        s.ws = ws;
        registry.add(s);
        presence.changed(s.uid);
        checkIn.opened(s.uid);
        if (s.exp !== undefined) expiry.add(s, s.exp);
        metrics.inc('msgxc_ws_opened_total');
        // Two seconds before the session began: messages committed slightly out of time order overlap (clients dedupe).
        const since = uuidv7Floor(s.openedAt - 2000);
        s.send({
          type: 'hello',
          sid: s.sid,
          uid: s.uid,
          node: deps.node,
          ...(s.exp !== undefined ? { exp: s.exp } : {}),
          resume: s.since !== undefined,
          since,
        });
        startSession(s, lifecycle).catch((e: unknown) => {
          log.error({ sid: s.sid, err: thrownText(e) }, 'websocket session setup failed');
        });
      },
      (_e, ws) => {
        ws.end(CloseCode.InternalError, 'internal error');
      },
    ),
    // Control frames cost a pong (uWS answers pings itself) or a callback each: a client sending
    // nothing else could otherwise keep a core busy. They spend from the same budget as frames.
    ping: guard('websocket ping', (ws: WebSocket<SessionRef>, message: ArrayBuffer) => {
      flooded(ws, message.byteLength);
    }),
    pong: guard('websocket pong', (ws: WebSocket<SessionRef>, message: ArrayBuffer) => {
      flooded(ws, message.byteLength);
    }),
    // A failure handling one frame is that frame's: an error frame, and the session goes on.
    message: guard(
      'websocket message',
      (ws: WebSocket<SessionRef>, message: ArrayBuffer) => {
        const s = ws.getUserData().s;
        if (message.byteLength > limits.maxPayload) {
          ws.end(CloseCode.TooBig, `frame over ${limits.maxPayload} bytes`);
          return;
        }
        if (flooded(ws, message.byteLength)) return;
        // The buffer is only valid until this callback returns: decode it now.
        const frame = decodeFrame(s, Buffer.from(message).toString('utf8'), deps.jsonMaxDepth);
        if (frame === undefined) {
          metrics.inc('msgxc_ws_frames_total', { type: 'invalid' });
          return;
        }
        metrics.inc('msgxc_ws_frames_total', { type: frame.type });
        const admission =
          deps.requestLimits === undefined
            ? undefined
            : admitFrame(deps.requestLimits, { uid: s.uid, roles: [...s.roles] }, frame.type, performance.now());
        if (admission !== undefined && 'refused' in admission) {
          const { code, msg, retryAfter } = admission.refused;
          metrics.inc('msgxc_ws_frames_refused_total', { code });
          s.send(withId({ type: 'error' as const, code, msg, retryAfter }, frame.id));
          return;
        }
        handleFrame(s, frame, protocol)
          .catch(
            guard('websocket frame', (e: unknown) => {
              log.error({ sid: s.sid, type: frame.type, err: thrownText(e) }, 'websocket frame failed');
              s.send({
                type: 'error',
                code: 'InternalError',
                msg: 'internal error',
                ...(frame.id !== undefined ? { id: frame.id } : {}),
              });
            }),
          )
          .finally(() => admission?.release());
      },
      (_e, ws) => {
        ws.getUserData().s.send({ type: 'error', code: 'InternalError', msg: 'internal error' });
      },
    ),
    close: guard('websocket close', (ws: WebSocket<SessionRef>, code: number) => {
      const s = ws.getUserData().s;
      s.state = 'closed';
      s.ws = undefined;
      s.buffer = undefined;
      if (s.exp !== undefined) expiry.remove(s, s.exp);
      if (registry.remove(s)) {
        presence.changed(s.uid);
        checkIn.closed(s.uid);
      }
      metrics.inc('msgxc_ws_closed_total', { code: String(code) });
    }),
  });
  metrics.gauge('msgxc_ws_sessions', 'Open websocket sessions on this node', () => registry.size());
  metrics.gauge('msgxc_ws_users', 'Users with at least one websocket session on this node', () => registry.users());

  return {
    presence,
    local: fanout.local,
    sessions: () => registry.size(),
    close: async () => {
      stopWatching();
      await control.close();
      clearInterval(sweep);
      expiry.stop();
      // Clients reconnect (to any node) and resume from the log.
      for (const s of [...registry.all()]) s.ws?.end(CloseCode.GoingAway, 'server shutting down');
      await fanout.close();
      await presence.close();
      await checkIn.stop();
    },
  };
};
