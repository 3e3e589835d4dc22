// One HTTP/1.1 request whose whole response is read into memory, over a plain socket (unix or
// TCP), for the client's JSON calls. Why not node:http here: loading it (and the stream machinery
// under it) is ~10 ms of a `berth version` that must stay under 100 ms, more than the request.
// Streams (logs, events, pull progress, request bodies) and hijacked connections still go
// through node:http (transport.ts). The response framing understood: Content-Length, chunked
// transfer coding, or read to the end of the connection; 1xx interim responses are skipped.
import type { Socket } from 'node:net';

export interface MiniTarget {
  socketPath?: string;
  host?: string;
  port?: number;
}

export interface MiniResponse {
  status: number;
  /** lower-case names; repeated headers joined with ", " */
  headers: Record<string, string>;
  body: Buffer;
}

/** Thrown for a response that is not HTTP/1.x as this reader knows it. */
export class MiniHttpError extends Error {}

export function encodeRequest(method: string, path: string, host: string, headers: Record<string, string | number>, payload?: Buffer): Buffer {
  // an upgrade request names its own Connection header
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${headers['Connection'] === undefined ? 'Connection: close\r\n' : ''}`;
  for (const [k, v] of Object.entries(headers)) {
    if (/[\r\n]/.test(`${k}${v}`)) throw new MiniHttpError(`invalid header ${k}`);
    head += `${k}: ${v}\r\n`;
  }
  if (payload && headers['Content-Length'] === undefined) head += `Content-Length: ${payload.length}\r\n`;
  head += '\r\n';
  return payload ? Buffer.concat([Buffer.from(head, 'latin1'), payload]) : Buffer.from(head, 'latin1');
}

/**
 * Parse what has arrived so far: the response when it is complete, undefined when more is needed.
 * `ended` says the peer closed (a body without a length ends there).
 */
export function parseResponse(buf: Buffer, method: string, ended: boolean): MiniResponse | undefined {
  let start = 0;
  for (;;) {
    const headEnd = buf.indexOf('\r\n\r\n', start, 'latin1');
    if (headEnd < 0) {
      if (ended) throw new MiniHttpError('the connection closed before the response headers ended');
      return undefined;
    }
    const lines = buf.toString('latin1', start, headEnd).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!m) throw new MiniHttpError(`malformed HTTP response: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      if (i <= 0) continue;
      const k = l.slice(0, i).trim().toLowerCase();
      const v = l.slice(i + 1).trim();
      headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
    }
    const bodyStart = headEnd + 4;
    if (status >= 100 && status < 200 && status !== 101) {
      start = bodyStart;
      continue;
    }
    if (method === 'HEAD' || status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0) };
    if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
      const body = dechunk(buf, bodyStart);
      if (body) return { status, headers, body };
      if (ended) throw new MiniHttpError('the connection closed in the middle of a chunked body');
      return undefined;
    }
    const cl = headers['content-length'];
    if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) throw new MiniHttpError(`bad Content-Length ${JSON.stringify(cl)}`);
      const n = Number(cl);
      if (buf.length - bodyStart >= n) return { status, headers, body: buf.subarray(bodyStart, bodyStart + n) };
      if (ended) throw new MiniHttpError('the connection closed before the body ended');
      return undefined;
    }
    return ended ? { status, headers, body: buf.subarray(bodyStart) } : undefined;
  }
}

/** The body of a complete chunked message, or undefined while its last chunk has not arrived. */
function dechunk(buf: Buffer, from: number): Buffer | undefined {
  const parts: Buffer[] = [];
  let pos = from;
  for (;;) {
    const eol = buf.indexOf('\r\n', pos, 'latin1');
    if (eol < 0) return undefined;
    const sizeText = buf.toString('latin1', pos, eol).split(';')[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new MiniHttpError(`bad chunk size ${JSON.stringify(sizeText.slice(0, 20))}`);
    const size = Number.parseInt(sizeText, 16);
    // the last chunk, optional trailers, and the empty line that ends them
    if (size === 0) return buf.indexOf('\r\n\r\n', eol, 'latin1') >= 0 ? Buffer.concat(parts) : undefined;
    if (buf.length < eol + 2 + size + 2) return undefined;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
}

function connectTo(target: MiniTarget): Socket {
  const net = process.getBuiltinModule('node:net');
  return target.socketPath !== undefined ? net.connect({ path: target.socketPath }) : net.connect({ host: target.host ?? '127.0.0.1', port: target.port ?? 2375 });
}

/** Send one request and read its whole response. Connection errors keep their `code` (ENOENT, ECONNREFUSED...). */
export function miniRequest(target: MiniTarget, request: Buffer, method: string, signal?: AbortSignal): Promise<MiniResponse> {
  return new Promise<MiniResponse>((resolve, reject) => {
    let sock: Socket;
    let done = false;
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err: unknown, res?: MiniResponse): void => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolve(res as MiniResponse);
    };
    const onAbort = (): void => finish(Object.assign(new Error('The operation was aborted'), { code: 'ABORT_ERR', name: 'AbortError' }));
    // The request says Connection: close, so the response ends with the connection: parse once then.
    const complete = (): void => {
      try {
        const res = parseResponse(Buffer.concat(chunks, size), method, true);
        if (res) finish(undefined, res);
      } catch (err) {
        finish(err);
      }
    };
    sock = connectTo(target);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.on('connect', () => sock.write(request));
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
    });
    sock.on('end', complete);
    sock.on('close', complete);
    sock.on('error', (err) => finish(err));
  });
}

/**
 * Send an upgrade request (Docker's attach/exec: `Connection: Upgrade`, `Upgrade: tcp`) and
 * resolve with the raw socket after a 101, with what followed the response head put back. The
 * socket is paused (nothing is lost before its reader comes): read it with async iteration, a
 * pipe, or resume() first.
 * Any other response is read whole and resolved as `response` (the caller turns it into an error).
 */
export function miniUpgrade(target: MiniTarget, request: Buffer): Promise<{ socket: Socket; headers: Record<string, string> } | { response: MiniResponse }> {
  return new Promise((resolve, reject) => {
    const sock = connectTo(target);
    const chunks: Buffer[] = [];
    let upgraded = false;
    const onData = (d: Buffer): void => {
      chunks.push(d);
      const buf = Buffer.concat(chunks);
      const headEnd = buf.indexOf('\r\n\r\n', 0, 'latin1');
      if (headEnd < 0 || !/^HTTP\/1\.[01] 101/.test(buf.toString('latin1', 0, 16))) return;
      // 101 Switching Protocols: the rest of the bytes are the stream's
      upgraded = true;
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('error', onError);
      const headers = parseResponse(buf.subarray(0, headEnd + 4), 'GET', true)?.headers ?? {};
      const rest = buf.subarray(headEnd + 4);
      sock.pause();
      if (rest.length > 0) sock.unshift(rest);
      resolve({ socket: sock, headers });
    };
    const onEnd = (): void => {
      try {
        const res = parseResponse(Buffer.concat(chunks), 'POST', true);
        if (res) resolve({ response: res });
      } catch (err) {
        reject(err);
      }
      sock.destroy();
    };
    const onError = (err: Error): void => {
      if (!upgraded) reject(err);
    };
    sock.on('connect', () => sock.write(request));
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('error', onError);
  });
}
