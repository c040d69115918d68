import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { channelSecrets, describeChannelConfig } from '../../../adapters/channels/secrets.js';
import { loadChannelConfig } from '../../../schema/config-channels.js';
import { testPki } from '../../standins/tls.js';

// MQTT's settings (README "Configuration", docs/mqtt.md): every one decoded at start-up, the
// files it names read and checked, an error naming the variable and never the content.
const pki = await testPki();
const files: Record<string, string> = {
  '/etc/mqtt/ca.pem': pki.ca,
  '/etc/mqtt/client.pem': pki.cert,
  '/etc/mqtt/client.key': pki.key,
  '/etc/mqtt/garbage': 'not a certificate',
};
const readText = (p: string): string => {
  const text = files[p];
  if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
  return text;
};
const load = (env: Record<string, string>) =>
  loadChannelConfig({ MSGXC_MQTT_URL: 'mqtts://broker:8883', ...env }, readText);
const errorsOf = (env: Record<string, string>): string[] => {
  const r = load(env);
  return E.isLeft(r) ? r.left : [];
};

describe('MQTT settings', () => {
  it('reads the topic root, QoS, retain, client id, credentials, CA, client certificate and key', () => {
    const r = load({
      MSGXC_MQTT_TOPIC_BASE: 'onadata',
      MSGXC_MQTT_QOS: '2',
      MSGXC_MQTT_RETAIN: 'true',
      MSGXC_MQTT_CLIENT_ID: 'msgxc-node-1',
      MSGXC_MQTT_USERNAME: 'msgxc',
      MSGXC_MQTT_PASSWORD: 'mqtt-secret-91',
      MSGXC_MQTT_CA_FILE: '/etc/mqtt/ca.pem',
      MSGXC_MQTT_CERT_FILE: '/etc/mqtt/client.pem',
      MSGXC_MQTT_KEY_FILE: '/etc/mqtt/client.key',
      MSGXC_MQTT_MAX_PAYLOAD: '131072',
    });
    if (E.isLeft(r)) throw new Error(r.left.join('; '));
    expect(r.right.mqtt).toEqual({
      url: 'mqtts://broker:8883',
      topicBase: 'onadata',
      qos: 2,
      retain: true,
      clientId: 'msgxc-node-1',
      username: 'msgxc',
      password: 'mqtt-secret-91',
      ca: pki.ca,
      cert: pki.cert,
      key: pki.key,
      maxPacket: 131_072,
    });
    expect(describeChannelConfig(r.right).mqtt).toBe('mqtt');
    // The password and the private key are redacted wherever outcomes and logs are written.
    expect(channelSecrets(r.right)).toEqual(expect.arrayContaining(['mqtt-secret-91', pki.key]));
  });

  it('defaults to the root msgxc, QoS 1, not retained, a random client id, no TLS files, 256 KB packets', () => {
    const r = load({});
    expect(E.isRight(r) && r.right.mqtt).toEqual({
      url: 'mqtts://broker:8883',
      topicBase: 'msgxc',
      qos: 1,
      retain: false,
      maxPacket: 262_144,
    });
  });

  it("refuses a packet limit that is not a whole number of bytes within MQTT's range, naming it", () => {
    for (const v of ['256KB', '-1', '1.5', '1023', '268435461', ' '])
      expect(errorsOf({ MSGXC_MQTT_MAX_PAYLOAD: v }).join(), v).toMatch(
        /^MSGXC_MQTT_MAX_PAYLOAD: .*an integer between 1024 and 268435460/,
      );
    expect(errorsOf({ MSGXC_MQTT_MAX_PAYLOAD: '1024' })).toEqual([]);
  });

  it('refuses a certificate without its key (and the reverse), a password without a user name', () => {
    expect(errorsOf({ MSGXC_MQTT_CERT_FILE: '/etc/mqtt/client.pem' })).toEqual([
      'MSGXC_MQTT_KEY_FILE: required when MSGXC_MQTT_CERT_FILE is set',
    ]);
    expect(errorsOf({ MSGXC_MQTT_KEY_FILE: '/etc/mqtt/client.key' })).toEqual([
      'MSGXC_MQTT_CERT_FILE: required when MSGXC_MQTT_KEY_FILE is set',
    ]);
    expect(errorsOf({ MSGXC_MQTT_PASSWORD: 'secret-pass' })).toEqual([
      'MSGXC_MQTT_USERNAME: required when MSGXC_MQTT_PASSWORD is set',
    ]);
  });

  it('names the variable of a file that is missing or holds no PEM, never its content', () => {
    const errors = errorsOf({
      MSGXC_MQTT_CA_FILE: '/etc/mqtt/garbage',
      MSGXC_MQTT_CERT_FILE: '/etc/mqtt/ca.pem',
      MSGXC_MQTT_KEY_FILE: '/etc/mqtt/nowhere',
    });
    expect(errors).toEqual([
      'MSGXC_MQTT_CA_FILE: holds no PEM certificate',
      'MSGXC_MQTT_KEY_FILE: cannot read /etc/mqtt/nowhere (ENOENT)',
    ]);
    expect(errorsOf({ MSGXC_MQTT_KEY_FILE: '/etc/mqtt/ca.pem', MSGXC_MQTT_CERT_FILE: '/etc/mqtt/client.pem' })).toEqual(
      ['MSGXC_MQTT_KEY_FILE: holds no PEM private key (an encrypted key is not supported)'],
    );
    for (const e of errors) expect(e).not.toContain('not a certificate');
  });

  it('refuses a malformed client id, and MQTT settings without a broker URL', () => {
    expect(errorsOf({ MSGXC_MQTT_CLIENT_ID: 'has space' }).join()).toMatch(/^MSGXC_MQTT_CLIENT_ID: /);
    const r = loadChannelConfig({ MSGXC_MQTT_CA_FILE: '/etc/mqtt/ca.pem' }, readText);
    expect(E.isLeft(r) && r.left).toEqual(['MSGXC_MQTT_URL: required when MSGXC_MQTT_CA_FILE is set']);
  });
});
