import { differs, type ReadBack, type WriteContext } from './readback.js';

// Read-back rules of the routes that create, cancel or retract messages.
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const isoOf = (v: unknown): string | undefined => {
  if (typeof v === 'number') return new Date(v).toISOString();
  if (typeof v === 'string') return new Date(v).toISOString();
  return undefined;
};

/** A message-creating write: the sender reads the message by X-Message-Id, with what was sent. */
const created =
  (opts: { thread?: boolean; broadcast?: boolean; recipients?: 'uid' | 'uids' }): ReadBack =>
  async (c) => {
    const mid = c.answer.headers['x-message-id'];
    if (mid === undefined || mid === '') return ['answered 2xx without X-Message-Id'];
    const got = await c.reader.as(c.uid, c.roles, 'GET', `/api/v2/messages/${encodeURIComponent(mid)}`);
    // A replayed answer (Idempotency-Key) is the first request's (the same body, by its
    // fingerprint): its message reads back with the same text, unless the run saw it cancelled
    // or retracted since. (In a burst the first request's own read-back may not have run yet.)
    if (c.answer.headers['idempotent-replayed'] === 'true') {
      if (got.status === 200) return differs('replayed msg', (got.json as { msg?: unknown }).msg, c.sent['msg']);
      return c.world.messages.get(mid)?.live === false
        ? []
        : [`replayed message ${mid} answers ${got.status} to its sender`];
    }
    if (got.status !== 200)
      return [`GET /api/v2/messages/${mid} as the sender ${c.uid}: ${got.status} ${got.text.slice(0, 200)}`];
    const m = got.json as Record<string, unknown>;
    // Top-level A/B `variants` are stored in opts (docs/campaigns.md); the sender reads them back there.
    const sentOpts: Record<string, unknown> = {
      ...((c.sent['opts'] ?? {}) as Record<string, unknown>),
      ...(c.sent['variants'] === undefined ? {} : { variants: c.sent['variants'] }),
    };
    const problems = [
      ...differs('mid', m['mid'], mid),
      ...differs('from', m['from'], c.uid),
      ...differs('msg', m['msg'], c.sent['msg']),
      ...differs('opts', m['opts'], sentOpts),
    ];
    if (opts.thread === true) problems.push(...differs('tid', m['tid'], c.sent['tid']));
    if (c.sent['scheduled'] !== undefined)
      problems.push(...differs('scheduled', m['scheduled'], isoOf(c.sent['scheduled'])));
    const u = sentOpts['urgency'];
    if (typeof u === 'number' && Number.isInteger(u) && u >= 1 && u <= 4)
      problems.push(...differs('urgency', m['urgency'], u));
    const tid = str(c.sent['tid']);
    if (opts.thread === true && tid !== undefined && !c.world.threads.has(tid))
      c.world.addThread(tid, { owner: c.uid, opens: false });
    if (opts.recipients === 'uid' && typeof c.sent['uid'] === 'string') c.world.addUser(c.sent['uid']);
    if (opts.recipients === 'uids' && Array.isArray(c.sent['uids']))
      for (const u of c.sent['uids']) if (typeof u === 'string') c.world.addUser(u);
    c.world.addMessage({
      mid,
      from: c.uid,
      msg: String(c.sent['msg']),
      tid: opts.thread === true ? tid : undefined,
      broadcast: opts.broadcast === true,
      ...(opts.recipients === 'uid' && typeof c.sent['uid'] === 'string' ? { to: c.sent['uid'] } : {}),
      live: true,
    });
    return problems;
  };

/** Nobody reads a cancelled or retracted message, not even an admin. */
const gone = async (c: WriteContext, mid: string, why: string): Promise<string[]> => {
  const got = await c.reader.admin(`/api/v2/messages/${encodeURIComponent(mid)}`);
  const m = c.world.messages.get(mid);
  if (m !== undefined) m.live = false;
  return got.status === 404 ? [] : [`${why} message ${mid} still answers ${got.status} to an admin`];
};

const cancel: ReadBack = (c) => gone(c, String(c.sent['mid']), 'cancelled');

const deleteMessage: ReadBack = async (c) => {
  const mid = c.params['mid'] ?? '';
  const effect = (c.answer.json as { effect?: unknown } | undefined)?.effect;
  if (effect === 'retracted') return gone(c, mid, 'retracted');
  if (effect !== 'deleted_from_inbox') return [`unknown effect ${String(effect)}`];
  const inbox = await c.reader.inbox(c.uid, c.roles);
  return inbox.some((m) => m['mid'] === mid) ? [`message ${mid} deleted from ${c.uid}'s inbox is still in it`] : [];
};

type Obj = Record<string, unknown>;
const objOf = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/**
 * A multicast/broadcast by segment or query (docs/audiences.md): the message reads back like a
 * multicast, and its stream holds AudienceResolved (naming the segment sent, or the query)
 * right before a MessagePublished whose uids are as many as the event's count; past 10,000 users
 * the audience is `chunked` and its parts (audience-<mid>) hold that many uids.
 */
const chunkedCount = async (c: Parameters<ReadBack>[0], mid: string): Promise<number | string> => {
  const got = await c.reader.admin(`/api/v2/streams/audience-${encodeURIComponent(mid)}?limit=1000`);
  if (got.status !== 200) return `GET stream audience-${mid}: ${got.status}`;
  const parts = ((objOf(got.json)['events'] as unknown[] | undefined) ?? []).map(objOf);
  return parts.reduce((n, p) => n + ((objOf(p['data'])['uids'] as unknown[] | undefined)?.length ?? 0), 0);
};
const byAudience =
  (plain: ReadBack): ReadBack =>
  async (c) => {
    const named = 'segment' in c.sent || 'query' in c.sent;
    if (!named) return plain(c);
    const problems = await created({})(c);
    const mid = c.answer.headers['x-message-id'] ?? '';
    const got = await c.reader.admin(`/api/v2/streams/message-${encodeURIComponent(mid)}`);
    if (got.status !== 200) return [...problems, `GET stream message-${mid}: ${got.status}`];
    const events = ((objOf(got.json)['events'] as unknown[] | undefined) ?? []).map(objOf);
    const [resolved, published] = [events[0], events[1]];
    if (resolved?.['type'] !== 'AudienceResolved' || published?.['type'] !== 'MessagePublished')
      return [...problems, `message-${mid} does not begin with AudienceResolved, MessagePublished`];
    const r = objOf(resolved['data']);
    const audience = objOf(objOf(published['data'])['audience']);
    const uids = audience['uids'];
    const listed = audience['kind'] === 'chunked' ? await chunkedCount(c, mid) : Array.isArray(uids) ? uids.length : -1;
    if (typeof listed === 'string') problems.push(listed);
    else if (listed !== r['count'] || (audience['kind'] === 'chunked' && audience['count'] !== r['count']))
      problems.push(`AudienceResolved count ${String(r['count'])} is not the published uids' number`);
    if (typeof c.sent['segment'] === 'string')
      problems.push(...differs('source.segment', objOf(r['source'])['segment'], c.sent['segment']));
    return problems;
  };

export const messageRules: Readonly<Record<string, ReadBack>> = {
  'POST /api/v2/publish': created({ thread: true }),
  'POST /api/v2/send': created({ recipients: 'uid' }),
  'POST /api/v2/multicast': byAudience(created({ recipients: 'uids' })),
  'POST /api/v2/broadcast': byAudience(created({ broadcast: true })),
  'POST /api/v1/send': created({ recipients: 'uid' }),
  'POST /api/v1/multicast': byAudience(created({ recipients: 'uids' })),
  'POST /api/v1/broadcast': byAudience(created({ broadcast: true })),
  'POST /api/v2/cancel': cancel,
  'DELETE /api/v2/messages/{mid}': deleteMessage,
};
