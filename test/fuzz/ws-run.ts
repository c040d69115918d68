import WebSocket from 'ws';
import type { Callers } from './actors.js';
import { renderJson, renderText, type Resolver, type Value } from './leaves.js';
import { readBack } from './readback.js';
import type { Reader } from './reader.js';
import { SERVER_LIMITS } from './settings.js';
import type { World } from './world.js';
import { FRAME_ID, FRAME_NUMBER_ID, FRAME_TOKEN, FRAME_TYPES, type WsCase } from './ws-frames.js';

// Runs a websocket case: opens a session as the case's caller, sends its frames one by one and
// judges each answer. A frame gets its answer (the one its type promises, or an `error` frame
// with a bounded message and an id echoed only when valid), or the session ends with a close
// code the README documents; never 1006 (no close frame: a crash or a dropped socket) or 1011.
// Frames answered `ok` that change state are read back through their HTTP twin's rule.
type Frame = Record<string, unknown> & { type?: unknown };
const ANSWERS = new Set(['ok', 'error', 'pong', 'history', 'unseen', 'subscribed', 'unsubscribed']);
/** 1009 over the payload limit, 4001 token expired, 4003 auth for another user, 4029 flood, 4030 slow consumer. */
export const DOCUMENTED_CLOSES = new Set([1000, 1009, 4001, 4003, 4029, 4030]);
const validId = (id: unknown): boolean =>
  (typeof id === 'string' && id.length <= 64) || (typeof id === 'number' && Number.isSafeInteger(id));

export interface Session {
  readonly frames: Frame[];
  readonly ws: WebSocket;
  closed: { code: number; reason: string } | undefined;
  /** Resolves when a frame after index `from` matches, or the session closes, or `ms` pass. */
  wait(from: number, match: (f: Frame) => boolean, ms?: number): Promise<Frame | 'closed' | 'timeout'>;
}

export const openSession = (
  port: number,
  path: string,
  authorization: string,
): Promise<Session | { refused: string }> =>
  new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { authorization } });
    const waiters = new Set<() => void>();
    const s: Session = {
      frames: [],
      ws,
      closed: undefined,
      wait: (from, match, ms = 10_000) =>
        new Promise((res) => {
          const check = (): boolean => {
            const f = s.frames.slice(from).find(match);
            if (f !== undefined) res(f);
            else if (s.closed !== undefined) res('closed');
            else return false;
            return true;
          };
          if (check()) return;
          const timer = setTimeout(() => {
            waiters.delete(waiter);
            res('timeout');
          }, ms);
          const waiter = (): void => {
            if (check()) {
              clearTimeout(timer);
              waiters.delete(waiter);
            }
          };
          waiters.add(waiter);
        }),
    };
    ws.on('message', (d: Buffer) => {
      try {
        s.frames.push(JSON.parse(d.toString('utf8')) as Frame);
      } catch {
        s.frames.push({ type: 'not-json', text: d.toString('utf8').slice(0, 200) });
      }
      for (const w of [...waiters]) w();
    });
    ws.on('close', (code, reason) => {
      s.closed = { code, reason: reason.toString() };
      for (const w of [...waiters]) w();
    });
    ws.on('error', () => undefined);
    ws.once('unexpected-response', (_req, res) => {
      resolve({ refused: `upgrade answered ${res.statusCode}` });
      ws.terminate();
    });
    ws.once('open', () => {
      void s
        .wait(0, (f) => f.type === 'unseen')
        .then((r) => {
          resolve(
            typeof r === 'object' ? s : { refused: `session never went live (${r}, ${JSON.stringify(s.closed)})` },
          );
        });
    });
  });

let frameIds = 0;
const substitute = (v: Value, id: string, token: string): Value => {
  if (v === FRAME_ID) return id;
  if (v === FRAME_NUMBER_ID) return Number(id.slice(1)) + 2 ** 40;
  if (v === FRAME_TOKEN) return token;
  if (Array.isArray(v)) return v.map((x) => substitute(x, id, token));
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, id, token)]));
  return v;
};

export interface WsDeps {
  readonly port: number;
  readonly path: string;
  readonly callers: Callers;
  readonly reader: Reader;
  readonly world: World;
}

export const runWsCase = async (c: WsCase, r: Resolver, d: WsDeps): Promise<string[]> => {
  const who = await d.callers.caller(c.actor);
  const opened = await openSession(d.port, d.path, who.header ?? '');
  if ('refused' in opened)
    return opened.refused.includes('429')
      ? []
      : [`a valid ${c.actor.kind} could not open a session: ${opened.refused}`];
  const s = opened;
  const uid = who.uid ?? '';
  const token = (await d.callers.caller(c.as)).header?.replace(/^\s*bearer\s*/i, '') ?? '';
  const problems: string[] = [];
  let largest = 0;
  try {
    for (const frame of c.frames) {
      if (s.closed !== undefined) break;
      const id = `f${++frameIds}`;
      const value = 'json' in frame ? substitute(frame.json, id, token) : undefined;
      const text = value !== undefined ? renderJson(value, r) : 'text' in frame ? renderText(frame.text, r) : '';
      const from = s.frames.length;
      largest = Math.max(largest, Buffer.byteLength(text));
      s.ws.send(text);
      const sent = parsedObject(text);
      // The answer echoes the frame's id when it is a valid one, and carries none otherwise.
      const expectedId = validId(sent['id']) ? sent['id'] : undefined;
      const got = await s.wait(from, (f) => ANSWERS.has(String(f.type)) && f['id'] === expectedId);
      if (got === 'timeout') {
        problems.push(`no answer to frame ${text.slice(0, 200)}`);
        break;
      }
      if (got === 'closed') break;
      problems.push(...judgeFrame(got, sent, text));
      const type = typeof sent['type'] === 'string' ? FRAME_TYPES[sent['type']] : undefined;
      if (got.type !== 'error' && type?.twin !== undefined && got.type === type.answer) {
        const body = JSON.parse(renderJson(type.twin.body(sent) as Value, r)) as Record<string, unknown>;
        const position = typeof got['position'] === 'number' ? { 'x-position': String(got['position']) } : {};
        const answer = { status: 200, headers: position, text: JSON.stringify(got), json: got };
        problems.push(
          ...(
            await readBack({
              key: type.twin.key,
              uid,
              roles: [...who.roles],
              sent: body,
              params: {},
              answer,
              reader: d.reader,
              world: d.world,
            })
          ).map((p) => `ws ${String(sent['type'])}: ${p}`),
        );
      }
    }
  } finally {
    if (s.closed === undefined) s.ws.close(1000);
    await s.wait(s.frames.length, () => false, 5_000);
  }
  // Above 4 times the payload limit uWS ends the connection itself, without a close frame (README).
  const dropped = s.closed?.code === 1006 && largest > 4 * SERVER_LIMITS.wsMaxPayload;
  if (s.closed?.code === 1009 && largest <= SERVER_LIMITS.wsMaxPayload)
    problems.push(`session closed 1009 (too big) though no frame was over ${SERVER_LIMITS.wsMaxPayload} bytes`);
  if (s.closed !== undefined && !DOCUMENTED_CLOSES.has(s.closed.code) && !dropped)
    problems.push(`session closed with ${s.closed.code} ${s.closed.reason}, not a documented close code`);
  return problems;
};

/** How deep JSON text nests containers (brackets inside strings do not count). */
export const nestingDepth = (text: string): number => {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth -= 1;
  }
  return max;
};

/**
 * The frame as the server reads it (marked leaves resolved), or {} when it is not a JSON object,
 * or nests deeper than the server parses (it refuses such a frame unread: no id to echo).
 */
const parsedObject = (text: string): Record<string, unknown> => {
  if (nestingDepth(text) > SERVER_LIMITS.jsonMaxDepth) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

const judgeFrame = (got: Frame, sent: Record<string, unknown>, text: string): string[] => {
  const problems: string[] = [];
  const type = typeof sent['type'] === 'string' ? FRAME_TYPES[sent['type']] : undefined;
  if (got.type !== 'error' && got.type !== type?.answer)
    problems.push(`frame ${text.slice(0, 100)} answered ${String(got.type)}, expected ${type?.answer ?? 'error'}`);
  if (got.type === 'error') {
    if (typeof got['code'] !== 'string' || typeof got['msg'] !== 'string')
      problems.push(`error frame without code/msg: ${JSON.stringify(got).slice(0, 200)}`);
    if (JSON.stringify(got).length > 4000) problems.push(`error frame of ${JSON.stringify(got).length} characters`);
  }
  if ('id' in got && (!validId(got['id']) || got['id'] !== sent['id']))
    problems.push(`answer echoes id ${JSON.stringify(got['id']).slice(0, 100)}`);
  return problems;
};
