// Just enough of the CQL native protocol v4 (Cassandra's wire format) to send STARTUP and
// unprepared QUERY frames and to read their answers, so readiness checks and infrastructure
// tests need no driver package. Spec: native_protocol_v4.spec in Cassandra's source tree.

export const Opcode = {
  Error: 0x00,
  Startup: 0x01,
  Ready: 0x02,
  Authenticate: 0x03,
  Query: 0x07,
  Result: 0x08,
} as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

const FLAG_TRACING = 0x02;
const FLAG_WARNING = 0x08;
export const HEADER_LENGTH = 9;

export type CqlValue = string | number | bigint | boolean | Buffer | null;
export type Row = Readonly<Record<string, CqlValue>>;

export type CqlResult =
  | { readonly kind: 'void'; readonly warnings: readonly string[] }
  | { readonly kind: 'rows'; readonly rows: readonly Row[]; readonly warnings: readonly string[] }
  | { readonly kind: 'set_keyspace'; readonly keyspace: string; readonly warnings: readonly string[] }
  | { readonly kind: 'schema_change'; readonly change: string; readonly warnings: readonly string[] }
  | { readonly kind: 'error'; readonly code: number; readonly message: string; readonly warnings: readonly string[] };

const str = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};

export const frame = (stream: number, opcode: Opcode, body: Buffer): Buffer => {
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt8(0x04, 0);
  header.writeUInt8(0, 1);
  header.writeInt16BE(stream, 2);
  header.writeUInt8(opcode, 4);
  header.writeInt32BE(body.length, 5);
  return Buffer.concat([header, body]);
};

export const startupBody = (): Buffer => {
  const count = Buffer.alloc(2);
  count.writeUInt16BE(1);
  return Buffer.concat([count, str('CQL_VERSION'), str('3.0.0')]);
};

export const CONSISTENCY = {
  ANY: 0x00,
  ONE: 0x01,
  QUORUM: 0x04,
  ALL: 0x05,
  LOCAL_QUORUM: 0x06,
  LOCAL_ONE: 0x0a,
} as const;
export type Consistency = keyof typeof CONSISTENCY;

export const queryBody = (cql: string, consistency: Consistency): Buffer => {
  const text = Buffer.from(cql, 'utf8');
  const tail = Buffer.alloc(4 + text.length + 3);
  tail.writeInt32BE(text.length, 0);
  text.copy(tail, 4);
  tail.writeUInt16BE(CONSISTENCY[consistency], 4 + text.length);
  tail.writeUInt8(0, 6 + text.length); // no values, no paging options
  return tail;
};

/** A cursor over a response body. */
class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  int(): number {
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  short(): number {
    const v = this.buf.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  take(n: number): Buffer {
    const v = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
  string(): string {
    return this.take(this.short()).toString('utf8');
  }
  bytes(): Buffer | null {
    const n = this.int();
    return n < 0 ? null : this.take(n);
  }
  stringList(): string[] {
    return Array.from({ length: this.short() }, () => this.string());
  }
}

// Reads an [option] type description; nested collection, UDT and tuple types are consumed
// so that the reader stays aligned, and only the outer type id matters for decoding.
const readType = (r: Reader): number => {
  const id = r.short();
  if (id === 0x0000) r.string();
  else if (id === 0x0020 || id === 0x0022) readType(r);
  else if (id === 0x0021) {
    readType(r);
    readType(r);
  } else if (id === 0x0030) {
    r.string();
    r.string();
    for (let n = r.short(); n > 0; n -= 1) {
      r.string();
      readType(r);
    }
  } else if (id === 0x0031) for (let n = r.short(); n > 0; n -= 1) readType(r);
  return id;
};

const uuid = (b: Buffer): string => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

const decodeValue = (type: number, b: Buffer | null): CqlValue => {
  if (b === null) return null;
  switch (type) {
    case 0x01:
    case 0x0d:
      return b.toString('utf8'); // ascii, varchar/text
    case 0x02:
    case 0x05:
    case 0x0b:
      return b.readBigInt64BE(0); // bigint, counter, timestamp
    case 0x04:
      return b.readUInt8(0) !== 0;
    case 0x07:
      return b.readDoubleBE(0);
    case 0x08:
      return b.readFloatBE(0);
    case 0x09:
      return b.readInt32BE(0);
    case 0x0c:
    case 0x0f:
      return uuid(b);
    case 0x13:
      return b.readInt16BE(0);
    case 0x14:
      return b.readInt8(0);
    default:
      return b; // other types stay raw
  }
};

const readRows = (r: Reader): Row[] => {
  const flags = r.int();
  const count = r.int();
  if ((flags & 0x0002) !== 0) r.bytes(); // paging state
  const columns: { name: string; type: number }[] = [];
  if ((flags & 0x0004) === 0) {
    const globalSpec = (flags & 0x0001) !== 0;
    const skipTableSpec = (): void => {
      r.string(); // keyspace
      r.string(); // table
    };
    if (globalSpec) skipTableSpec();
    for (let i = 0; i < count; i += 1) {
      if (!globalSpec) skipTableSpec();
      columns.push({ name: r.string(), type: readType(r) });
    }
  }
  const rows: Row[] = [];
  for (let n = r.int(); n > 0; n -= 1) {
    const row: Record<string, CqlValue> = {};
    for (const c of columns) row[c.name] = decodeValue(c.type, r.bytes());
    rows.push(row);
  }
  return rows;
};

/** Decodes the body of a RESULT or ERROR frame. */
export const decodeResponse = (flags: number, opcode: number, body: Buffer): CqlResult => {
  const r = new Reader(body);
  if ((flags & FLAG_TRACING) !== 0) r.take(16);
  const warnings = (flags & FLAG_WARNING) !== 0 ? r.stringList() : [];
  if (opcode === Opcode.Error) return { kind: 'error', code: r.int(), message: r.string(), warnings };
  if (opcode !== Opcode.Result) throw new Error(`unexpected CQL opcode 0x${opcode.toString(16)}`);
  const kind = r.int();
  switch (kind) {
    case 1:
      return { kind: 'void', warnings };
    case 2:
      return { kind: 'rows', rows: readRows(r), warnings };
    case 3:
      return { kind: 'set_keyspace', keyspace: r.string(), warnings };
    case 5:
      return { kind: 'schema_change', change: `${r.string()} ${r.string()}`, warnings };
    default:
      throw new Error(`unsupported CQL result kind ${kind}`);
  }
};
