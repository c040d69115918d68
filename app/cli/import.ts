import { randomUUID } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { Config } from '../../schema/config.js';
import { IMPORT_LIMITS } from '../../schema/user-import.js';
import { usageError } from '../config.js';
import { mintToken } from '../dev-mode.js';
import { progressLine } from './progress.js';

// `msgxc import FILE [--url URL] [--token TOKEN]`: posts an NDJSON file of users to a running
// broker (POST /api/v2/users/import), in parts of at most PART_LINES lines / PART_BYTES bytes
// under one import id, so that the route's body cap holds for a file of any size and memory
// stays bounded. It goes through the broker, not to the log directly: the broker is the one
// writer (idempotency, expected revisions, the log's single writer on the embedded stack).
// A progress bar (rate, ETA) on a terminal; one plain line per part otherwise.

const PART_LINES = 2_000;
const PART_BYTES = 4 * 1024 * 1024;
const NEWLINE = Buffer.from('\n');

interface Answer {
  linesRead: number;
  usersWritten: number;
  unchanged: number;
  errors: number;
  firstErrors: { line: number; field: string; msg: string }[];
}

// A line is sent as its bytes (the broker names a line that is not UTF-8; decoding it here would
// put U+FFFD in its place and import that) and cut past LINE_BYTES: a longer line could not be
// held in memory whatever its size, nor sent in a part under the broker's body cap (a part it
// refuses is refused whole, every good line in it too). Cut at a character's start, a line of
// at least 4 x (limit + 1) bytes still has more characters than the broker takes, so the broker
// names it as too long, at its line number, and the lines after it are imported.
const LINE_BYTES = 4 * (IMPORT_LIMITS.line + 2);

const cutAtCharacter = (line: Buffer): Buffer => {
  let end = line.length;
  while (end > 0 && ((line[end - 1] ?? 0) & 0xc0) === 0x80) end -= 1;
  return line.subarray(0, Math.max(0, end - 1));
};

/** The file's lines as bytes, each at most LINE_BYTES (with `size`, the line's bytes in the file). */
async function* byteLines(file: string): AsyncGenerator<{ line: Buffer; size: number }> {
  let kept: Buffer[] = [];
  let keptBytes = 0;
  let size = 0;
  const take = (piece: Buffer): void => {
    size += piece.length;
    if (keptBytes >= LINE_BYTES) return;
    const part = piece.subarray(0, LINE_BYTES - keptBytes);
    kept.push(Buffer.from(part));
    keptBytes += part.length;
  };
  const line = (): { line: Buffer; size: number } => {
    const whole = Buffer.concat(kept, keptBytes);
    const out = { line: size > LINE_BYTES ? cutAtCharacter(whole) : whole, size: size + 1 };
    kept = [];
    keptBytes = 0;
    size = 0;
    return out;
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(0x0a, start); end !== -1; end = chunk.indexOf(0x0a, start)) {
      take(chunk.subarray(start, end));
      yield line();
      start = end + 1;
    }
    take(chunk.subarray(start));
  }
  // A last line without its newline.
  if (size > 0) yield line();
}

const flag = (args: readonly string[], name: string): string | undefined => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};

export const importFile = async (config: Config, args: readonly string[]): Promise<number> => {
  const file = args.find((a, i) => !a.startsWith('--') && (i === 0 || !(args[i - 1] ?? '').startsWith('--')));
  if (file === undefined) return usageError(['usage: msgxc import FILE [--url http://host:port] [--token TOKEN]']);
  const url = flag(args, '--url') ?? `http://${config.host}:${String(config.port)}`;
  const token =
    flag(args, '--token') ??
    process.env['MSGXC_TOKEN'] ??
    (config.jwtSecret === undefined
      ? undefined
      : await mintToken(config.jwtSecret, 'msgxc-import', ['admin'], 3600, config.auth.audience?.[0]));
  if (token === undefined) return usageError(['msgxc import: give --token or MSGXC_TOKEN (an admin token)']);
  const size = statSync(file).size;
  const id = randomUUID();
  const bar = progressLine(process.stdout, 'lines');
  const total: Answer = { linesRead: 0, usersWritten: 0, unchanged: 0, errors: 0, firstErrors: [] };
  const started = Date.now();
  let bytes = 0;
  let part: Buffer[] = [];
  let partBytes = 0;
  let firstLine = 1;
  const send = async (): Promise<void> => {
    if (part.length === 0) return;
    const r = await fetch(`${url}/api/v2/users/import?id=${id}&firstLine=${String(firstLine)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: Buffer.concat(part.flatMap((l) => [l, NEWLINE])),
    });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`the broker answered ${String(r.status)}: ${text.slice(0, 500)}`);
    const a = JSON.parse(text) as Answer;
    // The answer is the import's running total: this part's lines are in it.
    Object.assign(total, { ...a, firstErrors: a.firstErrors });
    firstLine += part.length;
    part = [];
    partBytes = 0;
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    if (process.stdout.isTTY) bar.draw(bytes, size, total.linesRead);
    else
      process.stdout.write(
        `import ${id}: ${String(total.linesRead)} lines, ${String(total.usersWritten)} written, ${String(total.unchanged)} unchanged, ${String(total.errors)} errors, ${String(Math.round(total.linesRead / seconds))} lines/s\n`,
      );
  };
  for await (const { line, size: lineSize } of byteLines(file)) {
    bytes += lineSize;
    part.push(line);
    partBytes += line.length + 1;
    if (part.length >= PART_LINES || partBytes >= PART_BYTES) await send();
  }
  await send();
  if (process.stdout.isTTY) bar.draw(size, size, total.linesRead, true);
  for (const e of total.firstErrors)
    process.stderr.write(`line ${String(e.line)}${e.field === '' ? '' : ` ${e.field}`}: ${e.msg}\n`);
  process.stdout.write(
    `import ${id} done: ${String(total.linesRead)} lines, ${String(total.usersWritten)} users written, ${String(total.unchanged)} unchanged, ${String(total.errors)} errors\n`,
  );
  return total.errors === 0 ? 0 : 1;
};
