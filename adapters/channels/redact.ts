// A second line of defence for credentials: outcome reasons are built from status codes and
// provider error codes, never from SDK error objects (which can carry request headers), and
// every reason still passes through here before it leaves an adapter.
export type Redact = (text: string) => string;

const PEM = /-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g;
const BEARER = /\b(bearer|basic|key=|vapid t=)\s*[A-Za-z0-9._~+/=-]{8,}/gi;

export const redactor = (secrets: readonly string[]): Redact => {
  const values = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text.replace(PEM, '[redacted key]').replace(BEARER, '$1 [redacted]');
    for (const s of values) out = out.split(s).join('[redacted]');
    return out.length > 300 ? `${out.slice(0, 297)}...` : out;
  };
};
