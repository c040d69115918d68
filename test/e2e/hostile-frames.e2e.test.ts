import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, startServer, token, type Server } from './harness.js';
import { expectHealthy } from './raw-http.js';
import { openLive, refusedUpgrade, type Frame, type TestSocket } from './realtime-socket.js';

// Hostile websocket frames on a real server process (issue 9, findings 2 and 8b): a frame
// that used to end the process gets an error frame, the session goes on, nothing echoed back
// is larger than the client's valid id, and the process logs no unhandled error.
let server: Server;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.stop();
  removeDir(server.dataDir);
});
afterEach(async () => {
  await expectHealthy(server);
  for (const s of sockets.splice(0)) await s.close();
});

const live = async (): Promise<TestSocket> => {
  const s = await openLive(server, await token(`frames-${sockets.length}`));
  sockets.push(s);
  return s;
};
const errorAfter = async (s: TestSocket, raw: string): Promise<Frame> => {
  s.sendRaw(raw);
  return s.next((f) => f.type === 'error');
};
/** The session is still live and answering after whatever came before. */
const stillAnswers = async (s: TestSocket, id: string): Promise<void> => {
  s.send({ type: 'ping', id });
  expect(await s.next((f) => f.type === 'pong')).toEqual({ type: 'pong', id });
};

const nestedObjects = (depth: number, leaf = '1'): string => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;

describe('deeply nested frames (finding 2)', () => {
  const tooDeep = {
    'the reported frame: 10,000 arrays as the type': `{"type":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
    'deep objects in an extra field': `{"type":"ping","x":${nestedObjects(5_000)}}`,
    'deep arrays in mids': `{"type":"ack","mids":${'['.repeat(5_000)}${']'.repeat(5_000)}}`,
    'a deep id': `{"type":"ping","id":${nestedObjects(3_000)}}`,
    'deep nesting without a type': `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
    'unbalanced, never closed': `{"type":${'['.repeat(20_000)}`,
    'one level over the limit': `{"type":"ping","x":${nestedObjects(32)}}`,
  };

  for (const [name, raw] of Object.entries(tooDeep)) {
    it(`${name}: an error frame naming the limit, and the session goes on`, async () => {
      const s = await live();
      expect(await errorAfter(s, raw)).toEqual({
        type: 'error',
        code: 'JsonTooDeep',
        msg: 'frame nests deeper than 32 levels (MSGXC_JSON_MAX_DEPTH)',
      });
      await stillAnswers(s, 'after');
    });
  }

  it('counts only structure: the limit itself, and brackets inside strings, pass', async () => {
    const s = await live();
    s.sendRaw(`{"type":"ping","id":"at-limit","x":${nestedObjects(31)}}`);
    expect(await s.next((f) => f.type === 'pong')).toEqual({ type: 'pong', id: 'at-limit' });
    s.sendRaw(JSON.stringify({ type: 'ping', id: 'in-strings', pad: `${'['.repeat(10_000)}\\"{{{` }));
    expect(await s.next((f) => f.type === 'pong')).toEqual({ type: 'pong', id: 'in-strings' });
  });

  it('wide frames and prototype keys are plain data', async () => {
    const s = await live();
    const wide = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i]));
    s.send({ type: 'ping', id: 'wide', ...wide });
    expect(await s.next((f) => f.type === 'pong')).toEqual({ type: 'pong', id: 'wide' });
    const unknown = await errorAfter(s, JSON.stringify({ type: wide }));
    expect(unknown).toMatchObject({
      code: 'UnknownFrame',
      msg: /^unknown frame type an object with keys "k0", "k1", "k2", … \(3000 keys\);/,
    });
    // JSON.parse makes `__proto__` an own key: it neither sets an id nor a type.
    s.sendRaw('{"type":"ping","__proto__":{"id":"injected"}}');
    expect(await s.next((f) => f.type === 'pong')).toEqual({ type: 'pong' });
    expect(await errorAfter(s, '{"__proto__":{"type":"ping"}}')).toMatchObject({
      code: 'UnknownFrame',
      msg: /^a frame needs a "type"; expected one of /,
    });
    // What is not an object is told what a frame is.
    const notObjects: [string, string][] = [
      ['5', '5'],
      ['"ping"', '"ping"'],
      ['[{"type":"ping"}]', 'an array of 1 item'],
      ['null', 'null'],
    ];
    for (const [frame, got] of notObjects) {
      const e = await errorAfter(s, frame);
      expect(e['code']).toBe('UnknownFrame');
      expect(String(e['msg'])).toContain(`a frame is a JSON object with a "type" (got ${got}); expected one of `);
    }
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(await errorAfter(s, JSON.stringify({ type, id: type }))).toMatchObject({ code: 'UnknownFrame', id: type });
    }
    await stillAnswers(s, 'after');
  });

  it('error messages stay short whatever the frame holds', async () => {
    const s = await live();
    const hugeType = await errorAfter(s, JSON.stringify({ type: 'x'.repeat(20_000) }));
    expect(String(hugeType['msg']).length).toBeLessThan(300);
    const manyBad = await errorAfter(
      s,
      JSON.stringify({ type: 'ack', mids: Array.from({ length: 1000 }, (_, i) => i) }),
    );
    expect(manyBad['msg']).toMatch(/and 990 more$/);
    expect(String(manyBad['msg']).length).toBeLessThan(1500);
    expect(await errorAfter(s, `{"type":"ping"${'x'.repeat(20_000)}`)).toMatchObject({ code: 'MalformedJson' });
    await stillAnswers(s, 'after');
  });
});

describe('ids echoed in error frames are bounded (finding 8b)', () => {
  const notEchoed = {
    'a 10,000-character id on a valid frame type': { type: 'ping', id: 'x'.repeat(10_000) },
    'a 10,000-character id on an unknown frame type': { type: 'bogus', id: 'y'.repeat(10_000) },
    'a 65-character id on an invalid frame': { type: 'ack', mids: [], id: 'z'.repeat(65) },
    'a number that is not a safe integer': { type: 'bogus', id: 1e300 },
    'a fractional number': { type: 'bogus', id: 1.5 },
    'an object id': { type: 'bogus', id: { a: 1 } },
  };

  for (const [name, frame] of Object.entries(notEchoed)) {
    it(`${name}: not echoed`, async () => {
      const s = await live();
      const e = await errorAfter(s, JSON.stringify(frame));
      expect(e).not.toHaveProperty('id');
      expect(JSON.stringify(e).length).toBeLessThan(400);
      await stillAnswers(s, 'after');
    });
  }

  it('a valid id is echoed on every kind of error', async () => {
    const s = await live();
    expect(await errorAfter(s, JSON.stringify({ type: 'bogus', id: 'i'.repeat(64) }))).toMatchObject({
      code: 'UnknownFrame',
      id: 'i'.repeat(64),
    });
    expect(await errorAfter(s, JSON.stringify({ type: 'ack', mids: [], id: Number.MAX_SAFE_INTEGER }))).toMatchObject({
      code: 'InvalidFrame',
      id: Number.MAX_SAFE_INTEGER,
    });
  });
});

describe('hostile upgrade requests', () => {
  it('malformed percent-encoding in the token, the cookie and ?since= is refused, not thrown', async () => {
    expect(await refusedUpgrade(server, { query: '?token=%E0%A4%A' })).toMatchObject({
      status: 401,
      body: { code: 'Unauthorized' },
    });
    expect(await refusedUpgrade(server, { headers: { cookie: 'xsajwt=%E0%A4%A' } })).toMatchObject({
      status: 401,
      body: { code: 'Unauthorized' },
    });
    const since = await refusedUpgrade(server, { query: `?since=%ZZ&token=${await token('up')}` });
    expect(since).toMatchObject({ status: 400, body: { code: 'InvalidQuery', msg: 'since: not a message id' } });
    const huge = await refusedUpgrade(server, {
      query: `?since=${'9'.repeat(4000)}`,
      headers: { authorization: `Bearer ${'x'.repeat(4000)}` },
    });
    expect(huge.status).toBe(400);
  });
});

describe('the frame depth limit is the same setting as the body one', () => {
  let shallow: Server;
  beforeAll(async () => {
    shallow = await startServer({ env: { MSGXC_JSON_MAX_DEPTH: '8' } });
  });
  afterAll(async () => {
    await shallow.stop();
    removeDir(shallow.dataDir);
  });

  it('MSGXC_JSON_MAX_DEPTH=8 refuses a 9-level frame and takes an 8-level one', async () => {
    const s = await openLive(shallow, await token('shallow'));
    s.sendRaw(`{"type":"ping","x":${nestedObjects(8)}}`);
    expect(await s.next((f) => f.type === 'error')).toMatchObject({ code: 'JsonTooDeep', msg: /deeper than 8 levels/ });
    s.sendRaw(`{"type":"ping","id":"eight","x":${nestedObjects(7)}}`);
    expect(await s.next((f) => f.type === 'pong')).toEqual({ type: 'pong', id: 'eight' });
    await s.close();
    await expectHealthy(shallow);
  });
});
