import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createVerifier } from '../../../api/auth.js';
import { createExpiryWheel } from '../../../api/ws/expiry.js';
import { createReauth } from '../../../api/ws/reauth.js';
import { Session } from '../../../api/ws/session.js';

// An `auth` frame's token is verified asynchronously; the socket can close meanwhile (the
// client sends auth and closes). The closed session must not go back into the expiry wheel,
// which would hold it until the new token expired: memory a client could grow without bound.
const secret = 'a-secret-of-at-least-32-characters-xx';

const tokenFor = (sub: string, expSec: number): Promise<string> =>
  new SignJWT({ roles: [] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expSec)
    .sign(new TextEncoder().encode(secret));

const session = (exp: number) => {
  const sent: unknown[] = [];
  const s = new Session('sid', 'ann', [], exp, undefined, { frames: 0, bytes: 0, at: 0 }, 0);
  s.ws = { send: (t: string) => sent.push(JSON.parse(t)), end: () => undefined } as never;
  s.state = 'live';
  return { s, sent };
};

describe('websocket auth frame', () => {
  it('extends a live session: its expiry moves in the wheel', async () => {
    const wheel = createExpiryWheel(() => undefined, Date.now, 60_000);
    const reauth = createReauth(createVerifier({ secret, algorithms: ['HS256'] }), wheel);
    const { s, sent } = session(Date.now() + 60_000);
    wheel.add(s, s.exp ?? 0);
    await reauth(s, await tokenFor('ann', 7200), 1);
    expect(sent).toEqual([{ type: 'ok', id: 1 }]);
    expect(s.exp).toBeGreaterThan(Date.now() + 3_600_000);
    expect(wheel.size()).toBe(1);
    wheel.stop();
  });

  it('leaves a session that closed while its token was verified out of the wheel', async () => {
    const wheel = createExpiryWheel(() => undefined, Date.now, 60_000);
    const reauth = createReauth(createVerifier({ secret, algorithms: ['HS256'] }), wheel);
    const { s, sent } = session(Date.now() + 60_000);
    wheel.add(s, s.exp ?? 0);
    const token = await tokenFor('ann', 7200);
    const pending = reauth(s, token, 1);
    // What the websocket's close handler does (api/ws/realtime.ts).
    s.state = 'closed';
    s.ws = undefined;
    wheel.remove(s, s.exp ?? 0);
    await pending;
    expect(wheel.size()).toBe(0);
    expect(sent).toEqual([]);
    wheel.stop();
  });
});
