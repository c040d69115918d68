import fc from 'fast-check';
import { SignJWT } from 'jose';
import { SECRET, token } from '../e2e/harness.js';

// Who a case calls as. Valid callers: an admin, an auditor, a few plain users, and a stranger
// (a user id never seen before, fresh for each case: someone with no rights to anything). And
// callers whose token must be refused: none, expired, forged, without `exp`, issued in the
// future, `alg: none`, a `sub` that is no user id, garbage. A valid token is also sent in the
// spellings the README allows (without the `Bearer` word, in lower case, padded).
export type ActorKind =
  | 'admin'
  | 'auditor'
  | 'analyst'
  | 'user'
  | 'stranger'
  | 'none'
  | 'expired'
  | 'forged'
  | 'noexp'
  | 'future'
  | 'algnone'
  | 'badsub'
  | 'badroles'
  | 'garbage';
export interface ActorSpec {
  readonly kind: ActorKind;
  /** Which plain user (kind `user`), and how a valid token is spelt in the header. */
  readonly n: number;
}

export const USERS = ['fz-u0', 'fz-u1', 'fz-u2', 'a.b_c:d@e+f=g-h'] as const;
export const ADMIN = 'fz-admin';
export const AUDITOR = 'fz-auditor';
const REFUSED_KINDS: readonly ActorKind[] = [
  'none',
  'expired',
  'forged',
  'noexp',
  'future',
  'algnone',
  'badsub',
  'badroles',
  'garbage',
];
const REFUSED: ReadonlySet<ActorKind> = new Set(REFUSED_KINDS);

/** A caller the server must refuse with 401 on every route that is not public. */
export const isRefused = (a: ActorSpec): boolean => REFUSED.has(a.kind);

export const actorArb: fc.Arbitrary<ActorSpec> = fc.record({
  kind: fc.oneof(
    { weight: 8, arbitrary: fc.constant<ActorKind>('user') },
    { weight: 4, arbitrary: fc.constant<ActorKind>('admin') },
    { weight: 2, arbitrary: fc.constantFrom<ActorKind>('auditor', 'analyst', 'stranger') },
    { weight: 2, arbitrary: fc.constantFrom(...REFUSED_KINDS) },
  ),
  n: fc.nat({ max: 99 }),
});

const now = (): number => Math.floor(Date.now() / 1000);
const signed = (claims: Record<string, unknown>, sub: string): Promise<string> => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub);
  return jwt.sign(Buffer.from(SECRET));
};
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

export interface Caller {
  readonly uid: string | undefined;
  readonly roles: readonly string[];
  /** The Authorization header, or undefined for none. */
  readonly header: string | undefined;
}

/** Mints tokens for callers; a caller's uid is what the server will see as the actor. */
export class Callers {
  private readonly cache = new Map<string, string>();
  private strangers = 0;
  constructor(private readonly tag: string) {}

  async tokenFor(uid: string, roles: string[] = []): Promise<string> {
    const key = `${uid}\0${roles.join(',')}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const t = await token(uid, roles);
    this.cache.set(key, t);
    return t;
  }

  /** A user id no case has used: a stranger to every thread and message. */
  freshStranger(): string {
    this.strangers += 1;
    return `fz-s-${this.tag}-${this.strangers}`;
  }

  async caller(a: ActorSpec): Promise<Caller> {
    const spell = (t: string): string => `${['Bearer ', 'bearer ', '', 'BEARER   '][a.n % 4] ?? ''}${t}`;
    const valid = async (uid: string, roles: string[]): Promise<Caller> => ({
      uid,
      roles,
      header: spell(await this.tokenFor(uid, roles)),
    });
    const refused = (header: string | undefined): Caller => ({ uid: undefined, roles: [], header });
    switch (a.kind) {
      case 'admin':
        return valid(ADMIN, ['admin']);
      case 'auditor':
        return valid(AUDITOR, ['auditor']);
      case 'analyst':
        return valid('fz-analyst', ['analyst']);
      case 'user':
        return valid(USERS[a.n % USERS.length] ?? 'fz-u0', []);
      case 'stranger':
        return valid(this.freshStranger(), []);
      case 'none':
        return refused(undefined);
      case 'expired':
        return refused(`Bearer ${await token(ADMIN, ['admin'], { exp: now() - 3600 })}`);
      case 'forged':
        return refused(`Bearer ${await token(ADMIN, ['admin'], { secret: 'not-the-secret-0123456789-0123456789' })}`);
      case 'noexp':
        return refused(`Bearer ${await signed({ roles: ['admin'], iat: now() }, ADMIN)}`);
      case 'future':
        return refused(`Bearer ${await signed({ roles: ['admin'], iat: now() + 3600, exp: now() + 7200 }, ADMIN)}`);
      case 'algnone':
        return refused(
          `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: ADMIN, roles: ['admin'], exp: now() + 3600 })}.`,
        );
      case 'badsub':
        return refused(
          `Bearer ${await signed({ roles: [], exp: now() + 3600 }, a.n % 2 === 0 ? 'has space' : 'x'.repeat(200))}`,
        );
      case 'badroles':
        return refused(
          `Bearer ${await signed({ roles: Array.from({ length: 40 }, (_, i) => `r${i}`), exp: now() + 3600 }, 'fz-u0')}`,
        );
      case 'garbage':
        return refused(
          ['Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', 'Bearer a.b.c', `Bearer ${'x'.repeat(9000)}`][a.n % 5],
        );
      default: {
        const never: never = a.kind;
        return never;
      }
    }
  }
}
