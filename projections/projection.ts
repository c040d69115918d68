import type { Database } from 'better-sqlite3';
import type { DomainEvent, DomainEventType, EventOf } from '../schema/events.js';

/** Where an event sits in the log; every read-model row derived from it is keyed by these, never by a clock. */
export interface Applied {
  readonly position: number;
  readonly occurredAt: string;
}

export type Evolvers = { readonly [K in DomainEventType]?: (data: EventOf<K>['data'], at: Applied) => void };

// One read model stored in the embedded SQLite file. Its `evolve` must be idempotent by
// natural key (upserts, MIN/MAX merges, guarded updates): SQLite applies a batch and its
// checkpoint in one transaction, but the other read stores will see redeliveries.
export interface SqliteProjection {
  readonly name: string;
  /** Tables it owns, dropped on rebuild and hashed by `checksum`. */
  readonly tables: readonly string[];
  /** Idempotent DDL (IF NOT EXISTS), one statement per entry. */
  readonly ddl: readonly string[];
  /** Prepares its statements (after the DDL ran) and returns one evolve function per handled event type. */
  readonly prepare: (db: Database) => Evolvers;
}

type Apply = (data: unknown, at: Applied) => void;
export type DispatchTable = ReadonlyMap<string, readonly Apply[]>;

/** Event type -> every projection's evolve for it, in projection order (prepared on `db`). */
export const dispatchTable = (db: Database, projections: readonly SqliteProjection[]): DispatchTable => {
  const table = new Map<string, Apply[]>();
  for (const p of projections) {
    for (const [type, fn] of Object.entries(p.prepare(db))) {
      // The mapped type guarantees `fn` receives its own event's data; the map loses that link.
      table.set(type, [...(table.get(type) ?? []), fn as Apply]);
    }
  }
  return table;
};

/** Applies an event with every evolve the table holds for its type. */
export const applyWith =
  (table: DispatchTable) =>
  (e: DomainEvent, at: Applied): void => {
    for (const fn of table.get(e.type) ?? []) fn(e.data, at);
  };

/** Event type -> every projection's evolve for it, in projection order. */
export const dispatcher = (
  db: Database,
  projections: readonly SqliteProjection[],
): ((e: DomainEvent, at: Applied) => void) => applyWith(dispatchTable(db, projections));
