// What every provider stand-in shares: it records each request it receives (after checking
// it the way the provider would), and answers from a script that a test sets per recipient,
// so one batch can hold a recipient that is gone next to recipients that succeed.
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The recipient the request was for (device token, address, number), as the stand-in read it. */
  readonly key: string;
  /** What the stand-in's checks found wrong with the request; empty when it was well-formed. */
  readonly problems: readonly string[];
  /** Stand-in specific findings, e.g. the decrypted web push payload or the verified JWT claims. */
  readonly details: Readonly<Record<string, unknown>>;
}

export type Answer =
  | {
      readonly kind: 'reply';
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly body?: string | object;
    }
  /** Never answers: the client's own timeout must fire. */
  | { readonly kind: 'hang' }
  /** Accepts the request, then drops the connection without an answer. */
  | { readonly kind: 'reset' };

export const reply = (status: number, body?: string | object, headers?: Readonly<Record<string, string>>): Answer => ({
  kind: 'reply',
  status,
  ...(body !== undefined ? { body } : {}),
  ...(headers !== undefined ? { headers } : {}),
});

interface Planned {
  answer: Answer;
  remaining: number;
}

export class Recorder {
  readonly requests: RecordedRequest[] = [];
  private readonly byKey = new Map<string, Planned>();
  private fallback: Planned | undefined;

  /** Answers requests for `key` with `answer`, `times` times (default: every time). */
  on(key: string, answer: Answer, times = Number.POSITIVE_INFINITY): void {
    this.byKey.set(key, { answer, remaining: times });
  }

  /** Answers every request without a per-key plan with `answer`, `times` times. */
  always(answer: Answer, times = Number.POSITIVE_INFINITY): void {
    this.fallback = { answer, remaining: times };
  }

  reset(): void {
    this.requests.length = 0;
    this.byKey.clear();
    this.fallback = undefined;
  }

  /**
   * Records the request and returns the planned answer, or undefined for the stand-in's own
   * answer (its fallback: success, or the provider's error for what its checks found). A
   * request with problems never gets a planned answer: a provider refuses a malformed request
   * before it looks at the recipient, so an error-path test (a scripted 410, 429, hang...) still
   * fails when the SDK sent something wrong, instead of passing on the answer it scripted.
   */
  take(request: RecordedRequest): Answer | undefined {
    this.requests.push(request);
    if (request.problems.length > 0) return undefined;
    const planned = this.byKey.get(request.key) ?? this.fallback;
    if (planned === undefined || planned.remaining <= 0) return undefined;
    planned.remaining -= 1;
    return planned.answer;
  }

  /** Every problem the checks found in the requests recorded since the last reset, as `key: problem`. */
  problems(): string[] {
    return this.requests.flatMap((r) => r.problems.map((p) => `${r.key}: ${p}`));
  }

  forKey(key: string): RecordedRequest[] {
    return this.requests.filter((r) => r.key === key);
  }

  async waitFor(count: number, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      if (Date.now() > deadline) throw new Error(`stand-in saw ${this.requests.length} requests, expected ${count}`);
      await sleep(10);
    }
  }
}

export const bodyOf = (answer: { readonly body?: string | object }): string =>
  answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);

export const readBody = (stream: NodeJS.ReadableStream): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    stream.on('error', reject);
  });
