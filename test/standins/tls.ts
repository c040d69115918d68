// A throwaway certificate authority and one server certificate, made at test time with the
// machine's `openssl` (node:crypto cannot issue X.509 certificates). The server certificate
// names every host a stand-in plays (the SDKs keep the provider's host name in SNI and in
// the Host header even when they dial 127.0.0.1), so TLS verification stays fully on.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPki {
  /** PEM of the CA certificate: what clients are told to trust. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Host names of the real providers that the stand-ins answer for. */
export const PROVIDER_HOSTS = [
  'localhost',
  'fcm.googleapis.com',
  'oauth2.googleapis.com',
  'www.googleapis.com',
  'api.push.apple.com',
  'api.sandbox.push.apple.com',
  'api.sendgrid.com',
  'api.twilio.com',
] as const;

const openssl = async (args: readonly string[], cwd: string): Promise<void> => {
  try {
    await run('openssl', [...args], { cwd, timeout: 30_000 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new Error(
        'openssl is not installed: the stand-ins need it to make test certificates (apt-get install -y openssl)',
      );
    throw e;
  }
};

const make = async (hosts: readonly string[]): Promise<TestPki> => {
  const dir = await mkdtemp(join(tmpdir(), 'msgxc-pki-'));
  try {
    const ec = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    await openssl(['genpkey', ...ec, '-out', 'ca.key'], dir);
    await openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        'ca.key',
        '-sha256',
        '-days',
        '2',
        '-subj',
        '/CN=msgxc test CA',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-out',
        'ca.pem',
      ],
      dir,
    );
    await openssl(['genpkey', ...ec, '-out', 'server.key'], dir);
    await openssl(['req', '-new', '-key', 'server.key', '-subj', '/CN=localhost', '-out', 'server.csr'], dir);
    const san = [...hosts.map((h) => `DNS:${h}`), 'IP:127.0.0.1'].join(',');
    await writeFile(
      join(dir, 'ext.cnf'),
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`,
    );
    const serial = `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        'server.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-set_serial',
        serial,
        '-days',
        '2',
        '-sha256',
        '-extfile',
        'ext.cnf',
        '-out',
        'server.pem',
      ],
      dir,
    );
    const [ca, cert, key] = await Promise.all(
      ['ca.pem', 'server.pem', 'server.key'].map((f) => readFile(join(dir, f), 'utf8')),
    );
    return { ca: ca ?? '', cert: cert ?? '', key: key ?? '' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

let shared: Promise<TestPki> | undefined;

/** One CA and server certificate per process (a test file, or the bench), made on first use. */
export const testPki = (): Promise<TestPki> => {
  shared ??= make(PROVIDER_HOSTS);
  return shared;
};

/** Writes the CA to a file, for configuration that takes a path (MSGXC_CHANNEL_CA_FILE). */
export const writeCaFile = async (pki: TestPki): Promise<{ file: string; remove: () => Promise<void> }> => {
  const dir = await mkdtemp(join(tmpdir(), 'msgxc-ca-'));
  const file = join(dir, 'ca.pem');
  await writeFile(file, pki.ca);
  return { file, remove: () => rm(dir, { recursive: true, force: true }) };
};
