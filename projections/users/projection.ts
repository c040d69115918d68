import type { Audience } from '../../schema/message.js';
import type { SqliteProjection } from '../projection.js';

// Known users and the first log position at which each became known. A broadcast reaches
// the users known before it (first_position < the message's position), which is what lets
// a broadcast be one row instead of one per user.
const ddl = [
  `CREATE TABLE IF NOT EXISTS users (
     uid TEXT PRIMARY KEY,
     first_position INTEGER NOT NULL,
     first_at TEXT NOT NULL
   ) WITHOUT ROWID`,
];

/** Users a message names (shared with the Cassandra projection). */
export const addressedUsers = (audience: Audience): readonly string[] => {
  switch (audience.kind) {
    case 'user':
      return [audience.uid];
    case 'users':
      return audience.uids;
    case 'thread':
      return [];
    case 'chunked': // its parts are AudienceChunk events, folded as they come
      return [];
    case 'everyone':
      return [];
    default: {
      const never: never = audience;
      return never;
    }
  }
};

export const usersProjection: SqliteProjection = {
  name: 'users',
  tables: ['users'],
  ddl,
  prepare: (db) => {
    // MIN keeps the earliest sighting whatever order the events are (re)delivered in.
    const known = db.prepare<[string, number, string]>(
      `INSERT INTO users (uid, first_position, first_at) VALUES (?, ?, ?)
       ON CONFLICT (uid) DO UPDATE SET
         first_at = CASE WHEN excluded.first_position < first_position THEN excluded.first_at ELSE first_at END,
         first_position = MIN(first_position, excluded.first_position)`,
    );
    return {
      UserRecognized: (e, at) => {
        known.run(e.uid, at.position, at.occurredAt);
      },
      DeviceEnlisted: (e, at) => {
        known.run(e.uid, at.position, at.occurredAt);
      },
      MessagePublished: (e, at) => {
        for (const uid of addressedUsers(e.audience)) known.run(uid, at.position, at.occurredAt);
      },
      // A part of a chunked audience names its users as a multicast's list does.
      AudienceChunk: (e, at) => {
        for (const uid of e.uids) known.run(uid, at.position, at.occurredAt);
      },
    };
  },
};
