import { describe, expect, it } from 'vitest';
import { Recorder, reply, type RecordedRequest } from '../../standins/recorder.js';

// The stand-ins answer from a script a test sets; a malformed request must not get it.
const request = (key: string, problems: string[] = []): RecordedRequest => ({
  method: 'POST',
  path: '/',
  headers: {},
  body: Buffer.alloc(0),
  key,
  problems,
  details: {},
});

describe('stand-in recorder', () => {
  it('gives the scripted answer to a well-formed request, the set number of times', () => {
    const r = new Recorder();
    r.on('k', reply(410), 1);
    expect(r.take(request('k'))).toEqual(reply(410));
    expect(r.take(request('k'))).toBeUndefined();
    r.always(reply(429));
    expect(r.take(request('other'))).toEqual(reply(429));
  });

  it('never gives a scripted answer to a request with problems, records it, and keeps the script for the next', () => {
    const r = new Recorder();
    r.on('k', reply(410), 1);
    r.always(reply(503));
    expect(r.take(request('k', ['not form-encoded']))).toBeUndefined();
    expect(r.take(request('x', ['wrong credentials']))).toBeUndefined();
    expect(r.problems()).toEqual(['k: not form-encoded', 'x: wrong credentials']);
    expect(r.take(request('k'))).toEqual(reply(410));
    expect(r.requests).toHaveLength(3);
  });
});
