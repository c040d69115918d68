import { destination, pino, stdTimeFunctions, type Logger } from 'pino';

// Structured JSON logs (the `msg` key is pino's own log message, so only nested `msg` is redacted). Tokens, message text and request bodies are never logged: the
// redact list is a second line of defence for fields a future change might add by mistake.
export const createLogger = (level: string, out?: NodeJS.WritableStream): Logger =>
  pino(
    {
      level,
      base: { service: 'msgxc' },
      redact: {
        paths: ['authorization', 'token', 'body', '*.authorization', '*.token', '*.msg', '*.body'],
        censor: '[redacted]',
      },
      timestamp: stdTimeFunctions.isoTime,
    },
    out ?? destination({ sync: false }),
  );
