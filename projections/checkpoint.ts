import type { Database } from 'better-sqlite3';

export const readCheckpoint = (db: Database, name: string): number =>
  db.prepare<[string], { position: number }>('SELECT position FROM projection_checkpoints WHERE name = ?').get(name)
    ?.position ?? 0;

/** Also used by tests and operators to move a projection back (it then re-applies, idempotently). */
export const writeCheckpoint = (db: Database, name: string, position: number): void => {
  db.prepare<[string, number]>(
    'INSERT INTO projection_checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
  ).run(name, position);
};
