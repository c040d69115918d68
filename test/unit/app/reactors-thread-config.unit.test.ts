import { generateKeyPairSync } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { configFromClone, configToClone } from '../../../app/reactors-thread/config-clone.js';
import { configFromEnv, type Config } from '../../../schema/config.js';

// MSGXC_REACTORS_THREAD, and the Config as the reactors' thread receives it (app/reactors-thread/).
const config = (env: Record<string, string>): Config => {
  const c = configFromEnv(env);
  if (E.isLeft(c)) throw new Error(c.left.join('\n'));
  return c.right;
};

// What postMessage gives the other side (the structured clone a worker's workerData goes through).
const cloned = (v: unknown): unknown => {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(v);
  const got: unknown = receiveMessageOnPort(port2)?.message;
  port1.close();
  return got;
};

describe('the delivery reactors in a worker thread', () => {
  it('are asked for with MSGXC_REACTORS_THREAD=true; by default they stay on the main thread', () => {
    expect(config({}).triage.thread).toBe(false);
    expect(config({ MSGXC_REACTORS_THREAD: 'true' }).triage.thread).toBe(true);
    expect(config({ MSGXC_REACTORS_THREAD: 'false' }).triage.thread).toBe(false);
    expect(E.isLeft(configFromEnv({ MSGXC_REACTORS_THREAD: 'maybe' }))).toBe(true);
  });

  it('split over two threads with MSGXC_REACTORS_THREAD=split; another word is refused, naming the setting', () => {
    expect(config({ MSGXC_REACTORS_THREAD: 'split' }).triage.thread).toBe('split');
    expect(config({ MSGXC_REACTORS_THREAD: '1' }).triage.thread).toBe(true);
    const refused = configFromEnv({ MSGXC_REACTORS_THREAD: 'Split' });
    expect(E.isLeft(refused) ? refused.left.join('\n') : '').toMatch(/MSGXC_REACTORS_THREAD.*true, false or split/);
  });

  it('receive the Config whole: a channel endpoint stays a URL across the structured clone', () => {
    const c = config({
      MSGXC_FCM_CREDENTIALS: JSON.stringify({
        type: 'service_account',
        project_id: 'demo-project',
        client_email: 'a@p.iam.gserviceaccount.com',
        private_key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
          type: 'pkcs8',
          format: 'pem',
        }),
      }),
      MSGXC_FCM_ENDPOINT: 'https://127.0.0.1:4443/fcm',
    });
    const endpoint = c.channels.fcm?.endpoint;
    expect(endpoint).toBeInstanceOf(URL);
    // Without the codec the URL arrives as an empty object.
    expect((cloned(c) as Config).channels.fcm?.endpoint).not.toBeInstanceOf(URL);
    const back = configFromClone(cloned(configToClone(c)));
    expect(back.channels.fcm?.endpoint).toBeInstanceOf(URL);
    expect(back.channels.fcm?.endpoint?.href).toBe('https://127.0.0.1:4443/fcm');
    expect(back).toEqual(c);
  });
});
