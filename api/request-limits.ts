import type { LimitSettings } from '../schema/config-limits.js';
import type { ClientFrame } from '../schema/frames.js';
import type { Actor } from '../schema/metadata.js';
import type { LoadSignals } from '../ports/load.js';
import { createClientAddresses, type ClientAddresses } from './client-address.js';
import { errors, type ApiError } from './errors.js';
import { createRateLimiter, type RateLimiter, type RateMemory } from './rate-limits.js';
import { createShedder, isOverload, type Shedder } from './shedding.js';

// What the HTTP routes and the websocket protocol share of the node's limits: one set of
// buckets per user whatever the transport (a user cannot double a budget by opening sockets
// or switching to HTTP), one budget of failed authentications per client address, and one
// count of writes in flight. docs/limits.md says what each protects and why.
export interface RequestLimits {
  readonly rates: RateLimiter;
  readonly addresses: ClientAddresses;
  readonly shedder: Shedder;
}

/** `rateMemory`: the node's buckets, when another thread of the node allocated them (RateLimiter.memory). */
export const createRequestLimits = (
  settings: LimitSettings,
  signals: LoadSignals,
  rateMemory?: RateMemory,
): RequestLimits => ({
  rates: createRateLimiter(settings.rates, rateMemory),
  addresses: createClientAddresses(settings.rates.trustedProxies),
  shedder: createShedder(settings.shedding, signals),
});

// Frames that change state are commands; history and unseen are reads; ping and auth keep
// the session itself alive and cost no budget (the per-session flood limit bounds them).
const FRAME_KIND: Record<ClientFrame['type'], 'write' | 'read' | 'free'> = {
  ack: 'write',
  seen: 'write',
  read: 'write',
  delete: 'write',
  subscribe: 'write',
  unsubscribe: 'write',
  history: 'read',
  unseen: 'read',
  ping: 'free',
  auth: 'free',
};

export type FrameAdmission =
  | { readonly refused: ApiError & { readonly retryAfter: number } }
  | { readonly release: () => void };

const NOTHING_HELD: FrameAdmission = { release: () => undefined };

/** Admits one decoded frame of `actor`: a command frame also takes a place among the writes in flight. */
export const admitFrame = (
  limits: RequestLimits,
  actor: Actor,
  type: ClientFrame['type'],
  now: number,
): FrameAdmission => {
  const kind = FRAME_KIND[type];
  if (kind === 'free') return NOTHING_HELD;
  const refused = limits.rates.caller(actor, kind, now);
  if (refused !== undefined) return { refused: { ...errors.rateLimited(refused), retryAfter: refused.retryAfterSec } };
  if (kind === 'read') return NOTHING_HELD;
  const admitted = limits.shedder.admit();
  return isOverload(admitted) ? { refused: { ...errors.overloaded(admitted), retryAfter: 1 } } : admitted;
};
