import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { UserEvent } from '../schema/events.js';
import type { ThreadId, UserId } from '../schema/ids.js';
import type { QuietHours } from '../schema/local-time.js';
import type { DomainError } from './errors.js';
import { deepEqual, sameList } from './equal.js';
import { checkAttributes, checkCell, checkChannels, checkEmail } from './profile.js';
import type { UserState } from './user-state.js';

export interface ProfileChange {
  readonly email?: string | null;
  readonly cell?: string | null;
  /** User-level channel preferences; `~name` opts out of a channel. */
  readonly channels?: readonly string[];
  readonly threadChannels?: { readonly tid: ThreadId; readonly channels: readonly string[] };
  /** Replaces the whole attribute object (segments are computed from the current set). */
  readonly attributes?: Readonly<Record<string, unknown>>;
  /** IANA zone (checked by the HTTP codec); null clears it. */
  readonly timezone?: string | null;
  /** Quiet hours (checked by the HTTP codec); null clears them. */
  readonly quietHours?: QuietHours | null;
}

const optional = <A, B>(
  value: A | undefined,
  check: (a: A) => Either<DomainError, B>,
): Either<DomainError, B | undefined> => (value === undefined ? E.right(undefined) : check(value));

// Validates every field first so a bad field never leaves half a change behind, then emits
// one event per part that actually differs from the current profile.
export const decideProfileChange = (
  uid: UserId,
  change: ProfileChange,
  state: UserState,
): Either<DomainError, readonly UserEvent[]> =>
  pipe(
    E.Do,
    E.bind('email', () => optional(change.email, checkEmail)),
    E.bind('cell', () => optional(change.cell, checkCell)),
    E.bind('channels', () => optional(change.channels, (c) => checkChannels('channels', c))),
    E.bind('threadChannels', () =>
      optional(change.threadChannels, (tc) => checkChannels('threadChannels.channels', tc.channels)),
    ),
    E.bind('attributes', () => optional(change.attributes, checkAttributes)),
    E.map((v) => {
      const events: UserEvent[] = [];
      const email = v.email !== undefined && v.email !== state.email;
      const cell = v.cell !== undefined && v.cell !== state.cell;
      if (email || cell) {
        events.push({
          type: 'ContactPointsChanged',
          data: { uid, ...(email ? { email: v.email } : {}), ...(cell ? { cell: v.cell } : {}) },
        });
      }
      if (v.channels !== undefined && !sameList(v.channels, state.channels)) {
        events.push({ type: 'ChannelPreferencesChanged', data: { uid, channels: v.channels } });
      }
      const tid = change.threadChannels?.tid;
      if (
        tid !== undefined &&
        v.threadChannels !== undefined &&
        !sameList(v.threadChannels, state.threadChannels.get(tid) ?? [])
      ) {
        events.push({ type: 'ChannelPreferencesChanged', data: { uid, tid, channels: v.threadChannels } });
      }
      if (v.attributes !== undefined && !deepEqual(v.attributes, state.attributes)) {
        events.push({ type: 'UserAttributesChanged', data: { uid, attributes: v.attributes } });
      }
      const tz = change.timezone !== undefined && change.timezone !== state.timezone;
      const quiet = change.quietHours !== undefined && !deepEqual(change.quietHours, state.quietHours);
      if (tz || quiet) {
        events.push({
          type: 'TimePreferencesChanged',
          data: {
            uid,
            ...(tz ? { timezone: change.timezone ?? null } : {}),
            ...(quiet ? { quietHours: change.quietHours ?? null } : {}),
          },
        });
      }
      return events;
    }),
  );
