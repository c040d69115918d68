// A skeleton of a durable send, for bench/send-floor.ts: the least each part of a msgxc send can
// cost on this machine, with none of the broker's code. uWS on the main thread, JSON.parse, a
// hand-off to a writer thread that group-commits to SQLite (WAL, synchronous=FULL), the reply
// after that commit. Each flag adds one part a msgxc send must have:
//   FLOOR_AUTH    an HS256 bearer token verified per request (HMAC-SHA256, exp checked)
//   FLOOR_SEAL    the text sealed with AES-256-GCM (erasure by key) and the event hash-chained
//   FLOOR_READS   a reads thread puts each committed message in an inbox table
//   FLOOR_SEARCH  a search thread indexes each committed message in FTS5
//   FLOOR_TRIAGE  a second event per send, as the triage decision appends, through the writer
// No codec, no decider, no followers, no metrics. `GET /stats` tells what the threads did.
// Prints `listening <port>`. Its token secret comes in FLOOR_SECRET.
import { createCipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type HttpResponse, loadUws } from '../api/uws.js';

type Row = readonly [id: number, data: string];
interface Role {
  readonly role: 'writer' | 'reads' | 'search';
  readonly dir: string;
}
const flag = (name: string): boolean => process.env[`FLOOR_${name}`] === '1';
const FLOOR_SECRET = process.env['FLOOR_SECRET'] ?? '';

const serve = (dir: string): void => {
  const { uws } = loadUws(false);
  const thread = (role: Role['role']): Worker =>
    new Worker(new URL(import.meta.url), { workerData: { role, dir } satisfies Role });
  const writer = thread('writer');
  const followers = [...(flag('READS') ? [thread('reads')] : []), ...(flag('SEARCH') ? [thread('search')] : [])];
  const stats = { appended: 0, reads: 0, search: 0 };
  for (const [i, f] of followers.entries()) {
    const name = flag('READS') && i === 0 ? 'reads' : 'search';
    f.on('message', (n: number) => {
      stats[name] += n;
    });
  }
  const key = randomBytes(32);
  let chain = Buffer.alloc(32);
  const waiting = new Map<number, HttpResponse & { aborted?: boolean }>();
  let seq = 0;
  let batch: Row[] = [];
  const flush = (): void => {
    const b = batch;
    batch = [];
    writer.postMessage(b);
  };
  const append = (id: number, event: object): void => {
    let data = JSON.stringify(event);
    if (flag('SEAL')) {
      chain = createHash('sha256').update(chain).update(data).digest();
      data = `${data}\n${chain.toString('hex')}`;
    }
    if (batch.length === 0) setImmediate(flush);
    batch.push([id, data]);
  };
  writer.on('message', (rows: Row[]) => {
    stats.appended += rows.length;
    for (const f of followers) f.postMessage(rows);
    for (const [id] of rows) {
      if (id < 0) continue; // a triage event: nobody waits for it
      const res = waiting.get(id);
      waiting.delete(id);
      if (flag('TRIAGE')) append(-id, { type: 'MessageTriaged', mid: id, at: Date.now(), live: true });
      if (res !== undefined && res.aborted !== true)
        res.cork(() =>
          res.writeStatus('202 Accepted').writeHeader('content-type', 'application/json').end('{"ok":true}'),
        );
    }
  });
  const authorized = (header: string): boolean => {
    const [head, body, sig] = header.replace(/^Bearer /, '').split('.');
    if (head === undefined || body === undefined || sig === undefined) return false;
    const want = createHmac('sha256', FLOOR_SECRET).update(`${head}.${body}`).digest();
    const got = Buffer.from(sig, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return false;
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as { exp?: number };
    return (claims.exp ?? 0) > Date.now() / 1000;
  };
  uws
    .App()
    .get('/api/v2/ping', (res) => {
      res.writeHeader('content-type', 'application/json').end('{"ok":true}');
    })
    .get('/stats', (res) => {
      res.end(JSON.stringify(stats));
    })
    .post('/api/v2/send', (res: HttpResponse & { aborted?: boolean }, req) => {
      res.onAborted(() => {
        res.aborted = true;
      });
      if (flag('AUTH') && !authorized(req.getHeader('authorization'))) {
        res.writeStatus('401 Unauthorized').end();
        return;
      }
      const chunks: Buffer[] = [];
      res.onData((ab, last) => {
        chunks.push(Buffer.from(ab.slice(0)));
        if (!last) return;
        let body: { msg?: unknown; uid?: unknown };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString()) as typeof body;
        } catch {
          res.writeStatus('400 Bad Request').end();
          return;
        }
        if (typeof body.msg !== 'string' || typeof body.uid !== 'string') {
          res.writeStatus('400 Bad Request').end();
          return;
        }
        const id = ++seq;
        waiting.set(id, res);
        let msg = body.msg;
        if (flag('SEAL')) {
          const iv = randomBytes(12);
          const c = createCipheriv('aes-256-gcm', key, iv);
          msg = Buffer.concat([iv, c.update(msg), c.final(), c.getAuthTag()]).toString('base64');
        }
        append(id, { type: 'MessagePublished', mid: id, uid: body.uid, msg, at: Date.now() });
      });
    })
    .listen('127.0.0.1', 0, (token) => {
      if (token === false) process.exit(1);
      console.log(`listening ${String(uws.us_socket_local_port(token))}`);
    });
};

const SCHEMA: Record<Role['role'], [create: string, insert: string]> = {
  writer: [
    'CREATE TABLE events (pos INTEGER PRIMARY KEY, id INTEGER, data TEXT)',
    'INSERT INTO events (id, data) VALUES (?, ?)',
  ],
  reads: [
    'CREATE TABLE inbox (uid TEXT, mid INTEGER, at INTEGER, PRIMARY KEY (uid, mid))',
    'INSERT OR REPLACE INTO inbox VALUES (?, ?, ?)',
  ],
  search: ['CREATE VIRTUAL TABLE msgs USING fts5(mid UNINDEXED, uid, msg)', 'INSERT INTO msgs VALUES (?, ?, ?)'],
};

const work = ({ role, dir }: Role): void => {
  const db = new Database(`${dir}/${role}.db`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${role === 'writer' ? 'FULL' : 'NORMAL'}`);
  db.exec(SCHEMA[role][0]);
  const insert = db.prepare(SCHEMA[role][1]);
  const apply = db.transaction((rows: Row[]) => {
    let n = 0;
    for (const [id, data] of rows) {
      if (role === 'writer') insert.run(id, data);
      else if (id > 0) {
        const e = JSON.parse(data.split('\n')[0] ?? '') as { mid: number; uid: string; msg: string; at: number };
        if (role === 'reads') insert.run(e.uid, e.mid, e.at);
        else insert.run(e.mid, e.uid, e.msg);
        n++;
      }
    }
    return n;
  });
  let queue: Row[] = [];
  const drain = (): void => {
    const rows = queue;
    queue = [];
    const n = apply(rows);
    parentPort?.postMessage(role === 'writer' ? rows : n);
    if (queue.length > 0) setImmediate(drain);
  };
  parentPort?.on('message', (rows: Row[]) => {
    if (queue.length === 0) setImmediate(drain);
    queue.push(...rows);
  });
};

if (isMainThread) serve(process.env['FLOOR_DIR'] ?? '.');
else work(workerData as Role);
