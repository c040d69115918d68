import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { makeDirs } from '../adapters/sqlite/dir.js';

// Development mode: no secret configured, so the broker makes one in its data directory and
// hands out ready-made tokens, letting a newcomer try the API within a minute.
export const devSecret = (dataDir: string): string => {
  makeDirs(dataDir);
  const file = join(dataDir, 'dev-jwt-secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
};

export const mintToken = async (
  secret: string,
  sub: string,
  roles: readonly string[],
  ttlSeconds: number,
  /** The first of MSGXC_JWT_AUDIENCE when set: the broker then refuses tokens without it. */
  audience?: string,
): Promise<string> =>
  new SignJWT({ roles: [...roles], ...(audience !== undefined ? { aud: audience } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(Buffer.from(secret));

export const devBanner = async (secret: string, baseUrl: string, audience?: string): Promise<string> => {
  const day = 24 * 3600;
  const admin = await mintToken(secret, 'admin', ['admin'], 30 * day, audience);
  const alice = await mintToken(secret, 'alice', [], 30 * day, audience);
  return [
    '',
    '  msgxc is running in DEVELOPMENT MODE: a JWT secret was generated in the data directory.',
    '  Set MSGXC_JWT_SECRET (or MSGXC_JWT_PUBLIC_KEY) and MSGXC_MODE=production for real use.',
    '',
    `  admin token (30 days): ${admin}`,
    `  user token "alice" (30 days): ${alice}`,
    '',
    '  try:',
    `    curl -s -X POST ${baseUrl}/api/v2/send -H "Authorization: Bearer ${admin}" -d '{"msg":"hello","uid":"alice"}'`,
    `    curl -s ${baseUrl}/api/v2/inbox -H "Authorization: Bearer ${alice}"`,
    '',
  ].join('\n');
};
