// A minimal CQL connection over net.Socket (protocol v4, no auth, no compression, one
// request at a time). Good for readiness probes and infrastructure tests, not for adapters.
import { Socket, connect } from 'node:net';
import type { Consistency, CqlResult } from './cql-codec.js';
import { HEADER_LENGTH, Opcode, decodeResponse, frame, queryBody, startupBody } from './cql-codec.js';

export interface CqlConnection {
  /** A server-side CQL error is a value ({ kind: 'error' }); a broken connection rejects. */
  query(cql: string, consistency?: Consistency): Promise<CqlResult>;
  close(): void;
}

interface RawResponse {
  readonly flags: number;
  readonly opcode: number;
  readonly body: Buffer;
}

const open = (host: string, port: number, timeoutMs: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      resolve(socket);
    });
    socket.once('error', reject);
    socket.once('timeout', () => {
      socket.destroy(new Error(`CQL connect to ${host}:${port} timed out`));
    });
  });

// Splits the byte stream into frames and hands each to the waiter of its stream id.
const frameReader = (socket: Socket) => {
  const waiting = new Map<number, { resolve: (r: RawResponse) => void; reject: (e: Error) => void }>();
  let pending = Buffer.alloc(0);
  const failAll = (error: Error): void => {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= HEADER_LENGTH) {
      const length = pending.readInt32BE(5);
      if (pending.length < HEADER_LENGTH + length) break;
      const response = {
        flags: pending.readUInt8(1),
        opcode: pending.readUInt8(4),
        body: pending.subarray(HEADER_LENGTH, HEADER_LENGTH + length),
      };
      const stream = pending.readInt16BE(2);
      pending = pending.subarray(HEADER_LENGTH + length);
      const waiter = waiting.get(stream);
      waiting.delete(stream);
      waiter?.resolve(response); // stream -1 carries server events, which nobody asked for
    }
  });
  socket.on('error', failAll);
  socket.on('close', () => {
    failAll(new Error('CQL connection closed'));
  });
  return (stream: number): Promise<RawResponse> =>
    new Promise((resolve, reject) => waiting.set(stream, { resolve, reject }));
};

export const connectCql = async (host: string, port: number, timeoutMs = 10_000): Promise<CqlConnection> => {
  const socket = await open(host, port, timeoutMs);
  socket.setTimeout(0);
  const awaitStream = frameReader(socket);
  let nextStream = 0;
  const send = (opcode: Opcode, body: Buffer): Promise<RawResponse> => {
    nextStream = (nextStream + 1) % 32_768;
    const response = awaitStream(nextStream);
    socket.write(frame(nextStream, opcode, body));
    return response;
  };
  const ready = await send(Opcode.Startup, startupBody()).catch((e: unknown) => {
    socket.destroy();
    throw e;
  });
  if (ready.opcode !== Opcode.Ready) {
    socket.destroy();
    const detail = ready.opcode === Opcode.Error ? decodeResponse(ready.flags, ready.opcode, ready.body) : ready.opcode;
    throw new Error(`CQL STARTUP was not answered READY: ${JSON.stringify(detail)}`);
  }
  return {
    query: async (cql, consistency = 'ONE') => {
      const r = await send(Opcode.Query, queryBody(cql, consistency));
      return decodeResponse(r.flags, r.opcode, r.body);
    },
    close: () => {
      socket.destroy();
    },
  };
};
