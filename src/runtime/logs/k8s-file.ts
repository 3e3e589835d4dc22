// conmon's k8s-file (CRI) log format: one record per line,
//   <RFC3339Nano timestamp> <stdout|stderr> <F|P> <text>
// F ends a message (the text had a newline, which is not stored), P is a partial chunk that
// continues in the next record of the same stream. Docker shows P+...+F as one message.

export type LogStream = 'stdout' | 'stderr';

export interface LogRecord {
  /** nanoseconds since the epoch */
  time: bigint;
  stream: LogStream;
  partial: boolean;
  text: Buffer;
}

/** One message as Docker shows it: the joined text, with its newline when it had one. */
export interface LogMessage {
  time: bigint;
  stream: LogStream;
  line: Buffer;
}

const TS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

// Log lines come in bursts within the same second: the date part is parsed (and formatted)
// once per second, the fraction per line.
let parseKey = '';
let parseBase = 0n;

/** RFC 3339 with up to nanosecond precision → ns since the epoch; undefined if malformed. */
export function parseTimestamp(s: string): bigint | undefined {
  let i = 19;
  let frac = 0;
  let digits = 0;
  if (s.charCodeAt(19) === 0x2e /* . */) {
    for (i = 20; i < s.length; i++) {
      const c = s.charCodeAt(i) - 0x30;
      if (c < 0 || c > 9) break;
      frac = frac * 10 + c;
      digits++;
    }
    if (digits === 0 || digits > 9) return undefined;
  }
  const key = `${s.slice(0, 19)}${s.slice(i)}`;
  if (key !== parseKey) {
    const m = TS.exec(s);
    if (!m) return undefined;
    const zone = m[3] === 'Z' ? 'Z' : (m[3] ?? 'Z').replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
    const ms = Date.parse(`${m[1]}${zone}`);
    if (Number.isNaN(ms)) return undefined;
    parseKey = key;
    parseBase = BigInt(ms) * 1_000_000n;
  }
  return parseBase + BigInt(frac * 10 ** (9 - digits));
}

let formatSec = -1n;
let formatPrefix = '';

/** Docker's RFC3339NanoFixed in UTC: 2006-01-02T15:04:05.000000000Z */
export function formatTimestamp(ns: bigint): string {
  let sec = ns / 1_000_000_000n;
  let frac = ns % 1_000_000_000n;
  if (frac < 0n) {
    frac += 1_000_000_000n;
    sec -= 1n;
  }
  if (sec !== formatSec) {
    formatSec = sec;
    formatPrefix = new Date(Number(sec) * 1000).toISOString().slice(0, 19); // 2006-01-02T15:04:05
  }
  return `${formatPrefix}.${frac.toString().padStart(9, '0')}Z`;
}

const SP = 0x20;

/** Parse one record (without its trailing newline); undefined for a malformed line. */
export function parseRecord(line: Buffer): LogRecord | undefined {
  const a = line.indexOf(SP);
  if (a < 0) return undefined;
  const b = line.indexOf(SP, a + 1);
  if (b < 0) return undefined;
  const time = parseTimestamp(line.toString('latin1', 0, a));
  if (time === undefined) return undefined;
  const stream = line.toString('latin1', a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  // The tag may be the last field (an empty F line is written as "... stdout F" by some versions).
  const c = line.indexOf(SP, b + 1);
  const tag = line.toString('latin1', b + 1, c < 0 ? line.length : c);
  if (tag !== 'F' && tag !== 'P') return undefined;
  return { time, stream, partial: tag === 'P', text: c < 0 ? Buffer.alloc(0) : line.subarray(c + 1) };
}

/** Joins P records with the F record that ends them, per stream. */
export class MessageAssembler {
  readonly #pending = new Map<LogStream, { time: bigint; parts: Buffer[] }>();

  /** Feed one record; returns the finished message, if this record ended one. */
  push(rec: LogRecord): LogMessage | undefined {
    const pend = this.#pending.get(rec.stream);
    if (rec.partial) {
      if (pend) pend.parts.push(rec.text);
      else this.#pending.set(rec.stream, { time: rec.time, parts: [rec.text] });
      return undefined;
    }
    if (pend) {
      this.#pending.delete(rec.stream);
      return { time: pend.time, stream: rec.stream, line: Buffer.concat([...pend.parts, rec.text, NL]) };
    }
    return { time: rec.time, stream: rec.stream, line: Buffer.concat([rec.text, NL]) };
  }

  /** Messages still open at the end of the log (output that never ended with a newline). */
  flush(): LogMessage[] {
    const out = [...this.#pending.entries()].map(([stream, p]) => ({ time: p.time, stream, line: Buffer.concat(p.parts) }));
    this.#pending.clear();
    out.sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : 0));
    return out;
  }

  get hasPending(): boolean {
    return this.#pending.size > 0;
  }
}

const NL = Buffer.from('\n');

/** Splits a byte stream into complete lines, keeping an incomplete tail for the next push. */
export class LineSplitter {
  #rest: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    const buf = this.#rest.length ? Buffer.concat([this.#rest, chunk]) : chunk;
    const lines: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) break;
      lines.push(buf.subarray(start, nl));
      start = nl + 1;
    }
    this.#rest = Buffer.from(buf.subarray(start));
    return lines;
  }

  get pending(): number {
    return this.#rest.length;
  }

  reset(): void {
    this.#rest = Buffer.alloc(0);
  }
}
