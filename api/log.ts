import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

// Structured JSON logs. Tokens, message text and request bodies are never logged: the
// redact list is a second line of defence for fields a future change might add by mistake.
export const createLogger = (level: string, destination?: NodeJS.WritableStream): Logger =>
  pino({
    level,
    base: { service: 'msgxc' },
    redact: { paths: ['authorization', 'token', 'msg', 'body', '*.authorization', '*.token', '*.msg', '*.body'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  }, destination ?? pino.destination({ sync: false }));
