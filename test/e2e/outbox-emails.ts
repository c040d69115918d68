import { expect } from 'vitest';
import { call, token, type Server } from './harness.js';

// What the outbox e2e cases share: users with nothing but an email address (offline, no device:
// email is their channel), and one message's outbox entries on a channel.
export interface OutboxEntry {
  readonly at: string;
  readonly to: string;
  readonly deliveryId: string;
}

export const usersWithEmail = async (s: Server, uids: readonly string[]): Promise<void> => {
  for (const uid of uids) {
    const r = await call(s, 'POST', '/api/v2/profile', {
      token: await token(uid),
      body: { email: `${uid}@example.com` },
    });
    expect(r.status, r.text).toBe(200);
  }
};

export const outboxOf = async (s: Server, admin: string, mid: string, channel = 'email'): Promise<OutboxEntry[]> => {
  const r = await call(s, 'GET', `/api/v2/outbox?mid=${mid}&channel=${channel}&limit=200`, { token: admin });
  expect(r.status, r.text).toBe(200);
  return (r.body as { entries: OutboxEntry[] }).entries;
};
