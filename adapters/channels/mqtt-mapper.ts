import type { MqttPayload } from '../../schema/channels.js';
import type { Content, MqttRecipient } from '../../ports/channel.js';
import { leadOf } from './outcome.js';

// Our content -> an MQTT publish in onadata's shape (seed 002). Topics:
//   a user                      /<base>/user/<uid>/messages/publish
//   the thread `xform:<pk>`     /<base>/xform/<pk>/messages/publish     (onadata's forms and
//   the thread `project:<pk>`   /<base>/project/<pk>/messages/publish    projects, README)
//   any other thread            /<base>/thread/<tid>/messages/publish
// payload `{id, time, payload: {message, context: {type, metadata}, author}}`. Ids may hold
// `+`, which MQTT reserves as a wildcard, so `+ # / %` in an id are percent-encoded in its
// topic level; subscribers encode the same way.
export const topicLevel = (id: string): string =>
  id.replace(/[+#/%]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

type Kind = MqttPayload['payload']['context']['type'];

/** What a recipient's topic is about: onadata's kinds for `xform:`/`project:` threads. */
export const topicOf = (to: MqttRecipient): { readonly kind: Kind; readonly id: string } => {
  if (to.target.kind === 'user') return { kind: 'user', id: to.target.uid };
  const m = /^(xform|project):(.+)$/.exec(to.target.tid);
  const kind = m?.[1];
  const pk = m?.[2];
  return (kind === 'xform' || kind === 'project') && pk !== undefined
    ? { kind, id: pk }
    : { kind: 'thread', id: to.target.tid };
};

export const mqttTopic = (base: string, to: MqttRecipient): string => {
  const t = topicOf(to);
  return `/${base}/${t.kind}/${topicLevel(t.id)}/messages/publish`;
};

// onadata's pks are integers and its clients read them as such.
const idValue = (id: string): string | number => (/^(0|[1-9]\d{0,14})$/.test(id) ? Number(id) : id);

export const mqttPayload = (content: Content, to: MqttRecipient): MqttPayload => {
  const m = leadOf(content);
  const t = topicOf(to);
  const name = to.target.kind === 'user' ? to.target.name : m.threadName;
  const context: MqttPayload['payload']['context'] = {
    type: t.kind,
    metadata: {
      id: idValue(t.id),
      // onadata's xform `form_id` is the form's id_string, which the broker does not know.
      ...(name !== undefined ? { name } : {}),
    },
  };
  const author = { username: m.from, ...(m.fromName !== undefined ? { real_name: m.fromName } : {}) };
  return { id: m.mid, time: m.at, payload: { message: m.msg, context, author } };
};

/**
 * Bytes of the MQTT 3.1.1 PUBLISH packet the client writes for a topic and payload: fixed
 * header, remaining length (1 to 4 bytes), topic with its length, packet id (QoS 1 and 2),
 * payload. Brokers' limits (Mosquitto's `max_packet_size`, MQTT 5's Maximum Packet Size)
 * count the whole packet, not the payload alone.
 */
export const publishPacketSize = (topic: string, payload: string, qos: 0 | 1 | 2): number => {
  const remaining = 2 + Buffer.byteLength(topic) + (qos > 0 ? 2 : 0) + Buffer.byteLength(payload);
  const lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
  return 1 + lengthBytes + remaining;
};
