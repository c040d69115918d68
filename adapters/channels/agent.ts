import { Agent } from 'node:https';
import type { Duplex } from 'node:stream';
import {
  connect,
  createSecureContext,
  rootCertificates,
  type ConnectionOptions as TlsConnectOptions,
  type SecureContext,
} from 'node:tls';

// One keep-alive HTTPS agent per HTTP/1.1 provider. A configured CA (MSGXC_CHANNEL_CA_FILE)
// is trusted in addition to the public roots, never instead of them.
export const trustedCa = (ca: string): string[] => [...rootCertificates, ca];

// Built once: given `ca` instead, every new connection would parse all the roots again.
const contextFor = (ca: string): SecureContext => createSecureContext({ ca: trustedCa(ca) });

export const httpsAgent = (ca: string | undefined, maxSockets = 64): Agent =>
  new Agent({ keepAlive: true, maxSockets, ...(ca !== undefined ? { secureContext: contextFor(ca) } : {}) });

/**
 * An agent that dials `target` for every host while TLS still verifies the requested host
 * name: how firebase-admin (which has a fixed host and no endpoint setting) is pointed at a
 * stand-in or a forwarding proxy without patching it (MSGXC_FCM_ENDPOINT).
 */
export const dialingAgent = (target: URL, ca: string | undefined, maxSockets = 64): Agent => {
  const port = Number(target.port || 443);
  const host = target.hostname;
  class DialingAgent extends Agent {
    override createConnection(
      options: TlsConnectOptions,
      callback?: (err: Error | null, socket: Duplex) => void,
    ): Duplex {
      const servername = options.servername ?? (typeof options.host === 'string' ? options.host : undefined);
      const socket = connect({ ...options, host, port, ...(servername !== undefined ? { servername } : {}) });
      if (callback !== undefined)
        socket.once('secureConnect', () => {
          callback(null, socket);
        });
      return socket;
    }
  }
  return new DialingAgent({
    keepAlive: true,
    maxSockets,
    ...(ca !== undefined ? { secureContext: contextFor(ca) } : {}),
  });
};
