import { describe, expect, it } from 'vitest';
import { fromWsnFrame } from '../../../api/ws/wsn.js';
import { Session, WSN_PENDING_MAX } from '../../../api/ws/session.js';

// A webservice-notification seen/delete is answered with the ids it named, kept on the session
// until its answer goes out. Every answer, `ok` or `error` (invalid, rate-limited, failed),
// takes its own entry and only it: one refused frame must not empty the answer of another.
const wsnSession = () => {
  const sent: { name: string; data: unknown }[] = [];
  const s = new Session('sid', '5', [], undefined, undefined, { frames: 0, bytes: 0, at: 0 }, 0, 'wsn');
  s.ws = {
    send: (text: string) => {
      const f = JSON.parse(text) as { name: string; data: string };
      sent.push({ name: f.name, data: JSON.parse(f.data) as unknown });
      return 1;
    },
  } as never;
  s.state = 'live';
  const frameId = (name: 'seen' | 'delete', ids: unknown): string => {
    const w = fromWsnFrame({ name, data: { ids } }, (x) => s.rememberWsn(x));
    if (w.kind !== 'frame') throw new Error(w.msg);
    return w.frame['id'] as string;
  };
  return { s, sent, frameId };
};

describe('wsn seen/delete answers', () => {
  it('an error answer takes its own ids and leaves the others for their answers', () => {
    const { s, sent, frameId } = wsnSession();
    const del = frameId('delete', ['m1']);
    const refused = frameId('seen', ['m2']);
    s.send({ type: 'error', code: 'RateLimited', msg: 'slow down', id: refused });
    expect(s.wsnPending.size).toBe(1);
    s.send({ type: 'ok', position: 3, id: del });
    expect(sent.at(-1)).toEqual({ name: 'delete', data: ['m1'] });
    expect(s.wsnPending.size).toBe(0);
  });

  it('past the bound only the oldest entry is dropped', () => {
    const { s, sent, frameId } = wsnSession();
    const first = frameId('seen', ['m0']);
    const ids = Array.from({ length: WSN_PENDING_MAX }, (_, i) => frameId('seen', [`m${i + 1}`]));
    expect(s.wsnPending.size).toBe(WSN_PENDING_MAX);
    s.send({ type: 'ok', position: 1, id: ids[0] ?? '' });
    expect(sent.at(-1)).toEqual({ name: 'seen', data: ['m1'] });
    s.send({ type: 'ok', position: 1, id: first });
    expect(sent.at(-1)).toEqual({ name: 'seen', data: [] });
  });
});
