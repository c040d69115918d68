import type { MqttPayload } from '../../schema/channels.js';
import type { Content, MqttRecipient } from '../../ports/channel.js';
import { leadOf } from './outcome.js';

// Our content -> an MQTT publish in onadata's shape (seed 002): topic
// `/<base>/user/<uid>/messages/publish` or `/<base>/thread/<tid>/messages/publish`, payload
// `{id, time, payload: {message, context: {type, metadata}, author}}`. Ids may hold `+`,
// which MQTT reserves as a wildcard, so `+ # / %` in an id are percent-encoded in its topic
// level; subscribers encode the same way.
export const topicLevel = (id: string): string =>
  id.replace(/[+#/%]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export const mqttTopic = (base: string, to: MqttRecipient): string =>
  to.target.kind === 'user'
    ? `/${base}/user/${topicLevel(to.target.uid)}/messages/publish`
    : `/${base}/thread/${topicLevel(to.target.tid)}/messages/publish`;

export const mqttPayload = (content: Content, to: MqttRecipient): MqttPayload => {
  const m = leadOf(content);
  const context: MqttPayload['payload']['context'] =
    to.target.kind === 'user'
      ? { type: 'user', metadata: { id: to.target.uid } }
      : {
          type: 'thread',
          metadata: { id: to.target.tid, ...(m.threadName !== undefined ? { name: m.threadName } : {}) },
        };
  return { id: m.mid, time: m.at, payload: { message: m.msg, context, author: { username: m.from } } };
};
