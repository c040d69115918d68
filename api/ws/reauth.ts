import type { FrameId } from '../../schema/frames.js';
import type { Verifier } from '../auth.js';
import { CloseCode } from './close-codes.js';
import type { ExpiryWheel } from './expiry.js';
import { withId, type Session } from './session.js';

// An `auth` frame: a fresh token for the same user extends the session (its expiry moves in
// the wheel); another user's token ends it. Verifying a token not seen before is asynchronous,
// and the socket may close meanwhile: a closed session is left alone, since putting it back in
// the wheel would keep it (and all it holds) until its token expired, up to days after the
// close; a client repeating connect, auth, close would grow the node's memory without bound.
export const createReauth =
  (verifier: Verifier, expiry: ExpiryWheel<Session>) =>
  async (s: Session, token: string, id: FrameId | undefined): Promise<void> => {
    const actor = await verifier.verify(token);
    if (s.state === 'closed') return;
    if ('error' in actor) {
      s.send(withId({ type: 'error' as const, code: 'Unauthorized', msg: actor.error }, id));
      return;
    }
    if (actor.uid !== s.uid) {
      s.ws?.end(CloseCode.Forbidden, 'token is for another user');
      return;
    }
    if (s.exp !== undefined) expiry.remove(s, s.exp);
    s.exp = actor.expiresAt;
    s.roles = actor.roles;
    expiry.add(s, s.exp);
    s.send(withId({ type: 'ok' as const }, id));
  };
