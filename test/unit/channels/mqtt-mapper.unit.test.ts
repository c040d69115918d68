import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { mqttPayload, mqttTopic } from '../../../adapters/channels/mqtt-mapper.js';
import type { Content, MqttRecipient } from '../../../ports/channel.js';
import { MqttPayload } from '../../../schema/channels.js';
import { sampleMessage } from '../../contract/channel.contract.js';

// Our message -> onadata's topic and payload (seed 002; docs/mqtt.md): which thread lands on
// which topic kind, ids as numbers when they are, names only where the broker has them, and
// ids that cannot break out of their topic level.
const user = (uid: string, name?: string): MqttRecipient => ({
  channel: 'mqtt',
  target: { kind: 'user', uid, ...(name === undefined ? {} : { name }) },
});
const thread = (tid: string): MqttRecipient => ({ channel: 'mqtt', target: { kind: 'thread', tid } });
const content = (over: Parameters<typeof sampleMessage>[0] = {}): Content => ({
  kind: 'message',
  message: sampleMessage({ msg: 'I love oov', ...over }),
});

describe("onadata's topics", () => {
  it.each([
    [user('1337'), '/onadata/user/1337/messages/publish'],
    [thread('xform:1337'), '/onadata/xform/1337/messages/publish'],
    [thread('project:7'), '/onadata/project/7/messages/publish'],
    [thread('lobby'), '/onadata/thread/lobby/messages/publish'],
    // Not onadata's kinds: a thread of its own, whole.
    [thread('xforms:1'), '/onadata/thread/xforms:1/messages/publish'],
    [thread('xform:'), '/onadata/thread/xform:/messages/publish'],
    // MQTT wildcards in an id stay inside one topic level.
    [thread('xform:a+b#'), '/onadata/xform/a%2Bb%23/messages/publish'],
    [user('ann+x@example.com'), '/onadata/user/ann%2Bx@example.com/messages/publish'],
  ])('%j -> %s', (to, topic) => {
    expect(mqttTopic('onadata', to)).toBe(topic);
  });
});

describe("onadata's payload", () => {
  it("carries the form's context with its numeric pk and name, and the author's real name", () => {
    const c = content({ threadName: 'Form Name', fromName: 'Alice Smith', tid: 'xform:1337' });
    const p = mqttPayload(c, thread('xform:1337'));
    expect(p.payload).toEqual({
      message: 'I love oov',
      context: { type: 'xform', metadata: { id: 1337, name: 'Form Name' } },
      author: { username: 'alice', real_name: 'Alice Smith' },
    });
    expect(E.isRight(MqttPayload.decode(p))).toBe(true);
  });

  it('names the recipient on a user topic, and leaves out names the broker does not have', () => {
    expect(mqttPayload(content(), user('42', 'John Doe')).payload.context).toEqual({
      type: 'user',
      metadata: { id: 42, name: 'John Doe' },
    });
    const bare = mqttPayload(content(), user('bob'));
    expect(bare.payload.context).toEqual({ type: 'user', metadata: { id: 'bob' } });
    expect(bare.payload.author).toEqual({ username: 'alice' });
  });

  it('keeps ids that are not safe integers as strings (leading zeros, too long)', () => {
    for (const id of ['007', '12345678901234567890', '1e3'])
      expect(mqttPayload(content(), user(id)).payload.context.metadata.id).toBe(id);
  });
});
