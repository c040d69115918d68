import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDeliveryState } from '../../../adapters/delivery-state/sqlite.js';
import type { DeliveryStateStore } from '../../../ports/delivery-state.js';
import type { DirectoryMessage, PublishedData } from '../../../schema/delivery-state.js';
import { ERASED_TEXT } from '../../../schema/personal.js';

// The SQLite directory answers a message its own commits stored from memory (issue 15:
// triage reads each message right after its fold stored it). Every answer must be what the
// file holds: here each read of the writing connection is compared with a second connection
// to the same file, which remembers nothing (as a split node's sends thread), after a status
// change, an erasure, a batch rolled back, and a message stored again with other content.
const dirs: string[] = [];
const open: DeliveryStateStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const files = (): { writer: DeliveryStateStore; file: () => DeliveryStateStore } => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-dir-messages-'));
  dirs.push(dir);
  const at = join(dir, 'reactors.db');
  const writer = openSqliteDeliveryState(at);
  open.push(writer);
  return {
    writer,
    file: () => {
      const s = openSqliteDeliveryState(at);
      open.push(s);
      return s;
    },
  };
};

const message = (mid: string, to: string, position: number, status: DirectoryMessage['status'] = 'published') => ({
  data: {
    mid,
    from: 'alice',
    audience: { kind: 'user', uid: to },
    msg: `hello ${to}`,
    subject: 'greetings',
    opts: { url: 'https://example.org/x' },
    urgency: 2,
    at: '2030-01-01T00:00:00.000Z',
  } as unknown as PublishedData,
  position,
  status,
  eventId: `ev-${mid}-${String(position)}`,
  correlationId: `corr-${mid}`,
});

/** The writer's answers for `mid`, checked equal to a fresh connection's (the file's). */
const asFile = async (
  writer: DeliveryStateStore,
  file: () => DeliveryStateStore,
  mid: string,
): Promise<DirectoryMessage | undefined> => {
  const fresh = file();
  const read = await writer.directory.message(mid);
  expect(read).toEqual(await fresh.directory.message(mid));
  expect(await writer.directory.messageState(mid)).toEqual(await fresh.directory.messageState(mid));
  await fresh.close();
  open.splice(open.indexOf(fresh), 1);
  return read;
};

describe("the directory's messages read back by the connection that stored them", () => {
  it('are the stored row, and follow a later status change', async () => {
    const { writer, file } = files();
    await writer.commit({ directory: [{ type: 'message-published', message: message('m1', 'bob', 5) }] });
    expect((await asFile(writer, file, 'm1'))?.status).toBe('published');
    await writer.commit({
      directory: [{ type: 'message-status', mid: 'm1', status: 'cancelled', from: ['published', 'scheduled'] }],
    });
    expect((await asFile(writer, file, 'm1'))?.status).toBe('cancelled');
    expect(await writer.directory.messageState('m1')).toEqual({ status: 'cancelled', tid: null });
  });

  it("follow an erasure of the recipient (the direct message's text blanked)", async () => {
    const { writer, file } = files();
    await writer.commit({
      directory: [
        { type: 'message-published', message: message('m1', 'bob', 5) },
        { type: 'message-published', message: message('m2', 'carol', 6) },
      ],
    });
    expect((await asFile(writer, file, 'm1'))?.data.msg).toBe('hello bob');
    await writer.commit({ directory: [{ type: 'user-erased', uid: 'bob', position: 7 }] });
    expect((await asFile(writer, file, 'm1'))?.data.msg).toBe(ERASED_TEXT);
    expect((await asFile(writer, file, 'm2'))?.data.msg).toBe('hello carol');
  });

  it('are not remembered from a batch that was rolled back', async () => {
    const { writer, file } = files();
    // The batch's checkpoint breaks a constraint after the message was inserted: nothing is stored.
    await expect(
      writer.commit({
        directory: [{ type: 'message-published', message: message('m1', 'bob', 5) }],
        checkpoint: { name: null as unknown as string, position: 5 },
      }),
    ).rejects.toThrow();
    expect(await asFile(writer, file, 'm1')).toBeUndefined();
  });

  it('are the row first stored when the same message is stored again (the insert leaves it)', async () => {
    const { writer, file } = files();
    const second = file();
    // Another connection stored it first: this one's insert is ignored, and so is its copy.
    await second.commit({ directory: [{ type: 'message-published', message: message('m1', 'bob', 5) }] });
    await writer.commit({ directory: [{ type: 'message-published', message: message('m1', 'bob', 9, 'scheduled') }] });
    const read = await asFile(writer, file, 'm1');
    expect(read?.position).toBe(5);
    expect(read?.status).toBe('published');
  });
});
