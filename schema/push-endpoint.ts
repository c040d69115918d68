// Where the broker may send web push requests. A subscription's endpoint comes from a browser,
// that is, from a user: left unchecked it makes the broker POST to any address it can reach
// (169.254.169.254, localhost, the internal network). The same rule is applied when a device
// is enlisted (a 422 naming `endpoint`) and again before each delivery (adapters/channels/webpush.ts).

/** The hosts MSGXC_WEBPUSH_ALLOWED_HOSTS names, or `*` for any public host name. */
export type PushHosts = readonly string[] | '*';

/** The browsers' push services (a name also allows its subdomains). */
export const DEFAULT_PUSH_SERVICE_HOSTS: readonly string[] = [
  'fcm.googleapis.com',
  'android.googleapis.com',
  'push.services.mozilla.com',
  'push.apple.com',
  'notify.windows.com',
];

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;
// Names that resolve inside the broker's own network by convention, whatever DNS says.
const LOCAL_SUFFIXES = ['localhost', 'local', 'internal', 'localdomain', 'home.arpa', 'lan', 'intranet', 'corp'];

const isLocalName = (host: string): boolean =>
  IPV4.test(host) ||
  host.startsWith('[') ||
  !host.includes('.') ||
  LOCAL_SUFFIXES.some((s) => host === s || host.endsWith(`.${s}`));

/**
 * Why the broker must not send to this URL's host, or undefined when it may: a public name on
 * the default port, one of the listed services or their subdomains (any public name with `*`).
 * An address or local name only when the operator listed exactly it, on any port (the tests
 * list 127.0.0.1 for their stand-in); `*` never opens those.
 */
export const pushHostProblem = (url: URL, allowed: PushHosts): string | undefined => {
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const listed = allowed !== '*' && allowed.includes(host);
  const refused = `endpoint host ${host} is not an allowed push service (MSGXC_WEBPUSH_ALLOWED_HOSTS)`;
  if (isLocalName(host)) return listed ? undefined : `${refused}: an IP address, localhost or a local name`;
  if (url.port !== '') return `${refused}: a push service listens on the default https port`;
  if (listed || allowed === '*' || allowed.some((h) => host.endsWith(`.${h}`))) return undefined;
  return refused;
};

/** The whole check of an endpoint a client enlists: an https URL, without credentials, to an allowed push service. */
export const pushEndpointProblem = (endpoint: string, allowed: PushHosts): string | undefined => {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'endpoint is not a URL';
  }
  if (url.protocol !== 'https:') return 'endpoint must be an https:// URL';
  if (url.username !== '' || url.password !== '') return 'endpoint must not carry credentials';
  return pushHostProblem(url, allowed);
};
