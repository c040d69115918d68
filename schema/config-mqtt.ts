import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { ChannelEnv, MqttConfig } from './channels.js';

// MQTT's settings (seed 002's HOST/PORT/SECURE are the URL: mqtt:// or mqtts://, ws://,
// wss://; QOS, RETAIN, TOPIC_BASE, CA_CERT_FILE, CERT_FILE, KEY_FILE have variables of their
// own, and so do the client id and credentials). The files are read and checked here, so a
// wrong certificate stops the broker at start-up with the variable's name, never its content.
// 256 KB: far above what a message within the default MSGXC_BODY_LIMIT (64 KB) publishes, and
// the limit of common managed brokers (Azure's MQTT brokers); Mosquitto's own default (256 MB)
// would protect nothing. AWS IoT Core (128 KB) and brokers configured lower need it set.
export const DEFAULT_MQTT_MAX_PACKET = 262_144;

type Read = (name: keyof ChannelEnv, path: string) => string | undefined;

const certProblem = (pem: string): string | undefined => {
  try {
    new X509Certificate(pem);
    return undefined;
  } catch {
    return 'holds no PEM certificate';
  }
};
const keyProblem = (pem: string): string | undefined => {
  try {
    createPrivateKey(pem);
    return undefined;
  } catch {
    return 'holds no PEM private key (an encrypted key is not supported)';
  }
};

export const mqttConfigFrom = (e: ChannelEnv, url: string, read: Read, errors: string[]): MqttConfig => {
  const file = (
    name: 'MSGXC_MQTT_CA_FILE' | 'MSGXC_MQTT_CERT_FILE' | 'MSGXC_MQTT_KEY_FILE',
    check: (pem: string) => string | undefined,
  ): string | undefined => {
    const path = e[name];
    const text = path === undefined ? undefined : read(name, path);
    const problem = text === undefined ? undefined : check(text);
    if (problem !== undefined) errors.push(`${name}: ${problem}`);
    return problem === undefined ? text : undefined;
  };
  const ca = file('MSGXC_MQTT_CA_FILE', certProblem);
  const cert = file('MSGXC_MQTT_CERT_FILE', certProblem);
  const key = file('MSGXC_MQTT_KEY_FILE', keyProblem);
  if ((e.MSGXC_MQTT_CERT_FILE === undefined) !== (e.MSGXC_MQTT_KEY_FILE === undefined))
    errors.push(
      e.MSGXC_MQTT_CERT_FILE === undefined
        ? 'MSGXC_MQTT_CERT_FILE: required when MSGXC_MQTT_KEY_FILE is set'
        : 'MSGXC_MQTT_KEY_FILE: required when MSGXC_MQTT_CERT_FILE is set',
    );
  if (e.MSGXC_MQTT_PASSWORD !== undefined && e.MSGXC_MQTT_USERNAME === undefined)
    errors.push('MSGXC_MQTT_USERNAME: required when MSGXC_MQTT_PASSWORD is set');
  return {
    url,
    topicBase: e.MSGXC_MQTT_TOPIC_BASE ?? 'msgxc',
    qos: (e.MSGXC_MQTT_QOS ?? 1) as 0 | 1 | 2,
    retain: e.MSGXC_MQTT_RETAIN ?? false,
    maxPacket: e.MSGXC_MQTT_MAX_PAYLOAD ?? DEFAULT_MQTT_MAX_PACKET,
    ...(e.MSGXC_MQTT_CLIENT_ID !== undefined ? { clientId: e.MSGXC_MQTT_CLIENT_ID } : {}),
    ...(e.MSGXC_MQTT_USERNAME !== undefined ? { username: e.MSGXC_MQTT_USERNAME } : {}),
    ...(e.MSGXC_MQTT_PASSWORD !== undefined ? { password: e.MSGXC_MQTT_PASSWORD } : {}),
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
  };
};
