import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import type { EventStore, EventToAppend } from '../../ports/eventstore.js';
import type { AppDeps } from '../../api/deps.js';
import { isApiError } from '../../api/errors.js';
import { unknownKeysOn, type Route, type RouteRequest } from '../../api/route.js';
import { inboxRoutes } from '../../api/routes/inbox.js';
import { messageReadRoutes } from '../../api/routes/message-read.js';
import { messageRoutes } from '../../api/routes/messages.js';
import { threadRoutes } from '../../api/routes/threads.js';
import { userRoutes } from '../../api/routes/users.js';
import { createCommands } from '../../commands/index.js';
import * as http from '../../schema/http.js';
import { arbitraryOf } from './arbitraries.js';
import type { EventStoreFactory } from './eventstore.contract.js';
import { readBack } from './roundtrip.contract.js';

// Write/read symmetry end to end, without the transport (issue 9, finding 4): any body an
// HTTP codec accepts, handed to the real route handler and the real command side, either is
// refused with a 4xx, or is answered 2xx and every event it appended decodes, read back from
// the log, to exactly what was stored. Requests come in random sequences from a few users on
// a few threads, so subscriptions, publications, cancellations and deletions meet.

/** The body codec of every command route; a route that takes a body and is missing here fails the first test. */
const BODIES: Readonly<Record<string, t.Mixed>> = {
  '/api/v2/publish': http.PublishBody,
  '/api/v2/send': http.SendBody,
  '/api/v1/send': http.SendBody,
  '/api/v2/multicast': http.MulticastBody,
  '/api/v1/multicast': http.MulticastBody,
  '/api/v2/broadcast': http.BroadcastBody,
  '/api/v1/broadcast': http.BroadcastBody,
  '/api/v2/cancel': http.CancelBody,
  '/api/v2/threads': http.CreateThreadBody,
  '/api/v2/threads/{tid}/members': http.MemberBody,
  '/api/v2/subscribe': http.ThreadBody,
  '/api/v2/unsubscribe': http.UnsubscribeBody,
  '/api/v2/enlist': http.EnlistBody,
  '/api/v1/native/subscribe': http.EnlistBody,
  '/api/v2/profile': http.ProfileBody,
  '/api/v2/ack': http.AckBody,
  '/api/v2/read': http.ReadBody,
  '/api/v2/inbox/delete': http.InboxDeleteBody,
};

const NOW = new Date('2030-01-01T00:00:00.000Z');
const DAY = 24 * 3600_000;
const users = ['ann', 'bob', 'root'];
const pool = (names: readonly string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:@+=-]{1,128}$/) },
  );
const mids = Array.from({ length: 4 }, (_, i) => `0190f3a2-0000-7000-8000-00000000000${i}`);
// Meeting ids, and `scheduled` around the window the domain accepts (now .. now + 366 days).
const overrides: Record<string, fc.Arbitrary<unknown>> = {
  UserId: pool(users),
  ThreadId: pool(['lobby', 'notes']),
  MessageId: pool(mids),
  ContactInput: fc.oneof(
    fc.constant(null),
    fc.emailAddress(),
    fc.stringMatching(/^\+[1-9]\d{6,14}$/),
    fc.string({ maxLength: 320 }),
  ),
  'ISO-8601 date-time or integer epoch milliseconds between 1970 and 9999': fc.oneof(
    fc.integer({ min: NOW.getTime() + 1, max: NOW.getTime() + 366 * DAY }),
    fc.constantFrom(
      NOW.getTime() + 366 * DAY,
      NOW.getTime() + 366 * DAY + 1,
      NOW.getTime(),
      8_640_000_000_000_000,
      253_402_300_799_999,
    ),
    fc.integer({ min: NOW.getTime() + 1, max: NOW.getTime() + 366 * DAY }).map((ms) => new Date(ms).toISOString()),
  ),
};

/** The handlers under test use only the command side; anything else they touched would throw here. */
const untouchable = (name: string): unknown =>
  new Proxy(
    {},
    {
      get: (_, key) => {
        throw new Error(`a command route used deps.${name}.${String(key)}`);
      },
    },
  );
const commandOnly = (commands: AppDeps['commands'], store: EventStore): AppDeps =>
  new Proxy({ commands, store } as unknown as AppDeps, {
    get: (target, key) =>
      key === 'commands' || key === 'store'
        ? (target as unknown as Record<string, unknown>)[key]
        : untouchable(String(key)),
  });

const commandRoutes = (deps: AppDeps): Route[] =>
  [
    ...messageRoutes(deps),
    ...threadRoutes(deps),
    ...userRoutes(deps),
    ...inboxRoutes(deps),
    ...messageReadRoutes(deps),
  ].filter((r) => r.body === true || r.method === 'delete');

export const commandsRoundTripContract = (
  name: string,
  factory: EventStoreFactory,
  options: { numRuns: number } = { numRuns: 40 },
) =>
  describe(`commands from any accepted body store events that decode: ${name}`, () => {
    it('knows the body codec of every command route', async () => {
      const { store, cleanup } = await factory();
      try {
        const routes = commandRoutes(commandOnly(createCommands({ store, ids: { randomId: randomUUID } }), store));
        expect(
          routes
            .filter((r) => r.body === true)
            .map((r) => r.path)
            .filter((p) => BODIES[p] === undefined),
        ).toEqual([]);
      } finally {
        await cleanup();
      }
    });

    it('answers 2xx or 4xx, and every event it decided is read back from the log unchanged', async () => {
      const { store, cleanup } = await factory();
      try {
        // What the deciders handed to the log, in order, to compare with what the log gives back.
        const decided: EventToAppend[] = [];
        const recording: EventStore = {
          ...store,
          append: (stream, events, expected) => {
            decided.push(...events);
            return store.append(stream, events, expected);
          },
        };
        const commands = createCommands({ store: recording, ids: { randomId: randomUUID } });
        const routes = commandRoutes(commandOnly(commands, recording));
        const request = fc.oneof(
          ...routes.map((route) =>
            fc.record({
              route: fc.constant(route),
              body:
                route.body === true
                  ? arbitraryOf(BODIES[route.path] ?? fail(route.path), overrides)
                  : fc.constant(undefined),
              params: fc.record({ tid: pool(['lobby', 'notes']), mid: pool(mids) }),
              as: fc.constantFrom(...users),
              newMessageId: fc.oneof(
                { weight: 3, arbitrary: fc.uuid() },
                { weight: 2, arbitrary: fc.constantFrom(...mids) },
              ),
            }),
          ),
        );
        await fc.assert(
          fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 8 }), async (requests) => {
            for (const { route, body, params, as, newMessageId } of requests) {
              const before = await store.head();
              decided.length = 0;
              const req: RouteRequest = {
                method: route.method,
                url: route.path,
                params,
                query: new URLSearchParams(),
                body,
                unknownKeys: unknownKeysOn(route.path),
                newMessageId,
                actor: { uid: as, roles: as === 'root' ? ['admin'] : [] },
                requestId: randomUUID(),
                now: NOW,
              };
              const reply = await route.handler(req);
              const what = `${route.path} ${JSON.stringify(isApiError(reply) ? reply : reply.status)}`;
              expect(reply.status, what).toBeLessThan(500);
              // The handler's last guard firing would mean a request codec accepts what an event codec refuses.
              expect(isApiError(reply) ? reply.code : '', what).not.toBe('EventIsOutOfBounds');
              const stored = await store.readAll({ after: before, limit: 10_000 });
              expect(
                stored.map((r) => ({ type: r.type, data: readBack(r).event.data })),
                what,
              ).toEqual(decided.map((e) => ({ type: e.type, data: e.data })));
            }
          }),
          { numRuns: options.numRuns },
        );
      } finally {
        await cleanup();
      }
    });
  });

const fail = (path: string): never => {
  throw new Error(`no body codec for ${path}`);
};
