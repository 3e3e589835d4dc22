// Hijacked connections (Docker's "Upgrade: tcp"): attach, exec start. Node hands an upgrade
// request to the server's 'upgrade' event with the raw socket; this router finds the handler.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { BerthError } from '../errdefs/index.js';
import { statusForError } from './http-status.js';
import { negotiateVersion, splitVersionPrefix } from './version.js';

export interface HijackRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  apiVersion: string;
  /** The request body, if any (exec start sends JSON before switching protocols). */
  body: unknown;
  /** Bytes the client already sent after the request head and body (early stdin). */
  head: Buffer;
  /** The raw request (for reading a body). */
  raw: http.IncomingMessage;
}

export type HijackHandler = (req: HijackRequest, socket: Duplex) => Promise<void>;

interface Route {
  method: string;
  regex: RegExp;
  names: string[];
  handler: HijackHandler;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error' };

/** Write an error response on a socket that has not been upgraded yet. */
export function writeSocketError(socket: Duplex, err: unknown): void {
  const status = err instanceof BerthError ? statusForError(err) : 500;
  const body = JSON.stringify({ message: err instanceof Error ? err.message : String(err) }) + '\n';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The 101 response Docker sends before the raw stream. */
export function writeUpgradeHead(socket: Duplex, tty: boolean): void {
  const type = tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${type}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
}

export class HijackRouter {
  readonly #routes: Route[] = [];

  /** pattern like "/containers/:id/attach" */
  add(method: string, pattern: string, handler: HijackHandler): void {
    const names: string[] = [];
    const source = pattern.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    this.#routes.push({ method, regex: new RegExp(`^${source}/?$`), names, handler });
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.#routes) {
      if (route.method !== method) continue;
      const m = route.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1] ?? '')));
      return { route, params };
    }
    return undefined;
  }

  async handle(raw: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { version, path: full } = splitVersionPrefix(raw.url ?? '/');
    const url = new URL(full, 'http://localhost');
    const found = this.match(raw.method ?? 'GET', url.pathname);
    if (!found) {
      writeSocketError(socket, new BerthError('not-found', 'page not found'));
      return;
    }
    let apiVersion: string;
    let body: unknown;
    try {
      apiVersion = negotiateVersion(version);
      ({ body, rest: head } = await readJsonBody(raw, head));
    } catch (err) {
      writeSocketError(socket, err);
      return;
    }
    try {
      await found.route.handler(
        { method: raw.method ?? 'GET', path: url.pathname, params: found.params, query: url.searchParams, headers: raw.headers, apiVersion, body, head, raw },
        socket,
      );
    } catch (err) {
      if (socket.writable) writeSocketError(socket, err);
    }
  }
}

/** On an upgrade request, Node gives any bytes after the head in `head`; a JSON body with
 *  Content-Length is read from there first, then from the socket stream. */
async function readJsonBody(raw: http.IncomingMessage, head: Buffer): Promise<{ body: unknown; rest: Buffer }> {
  const len = Number(raw.headers['content-length'] ?? 0);
  if (!len) return { body: undefined, rest: head };
  let buf = head.subarray(0, len);
  const rest = head.subarray(len);
  while (buf.length < len) {
    const chunk: Buffer | null = raw.socket.read(len - buf.length) as Buffer | null;
    if (chunk) buf = Buffer.concat([buf, chunk]);
    else await new Promise((r) => raw.socket.once('readable', r));
  }
  const text = buf.toString('utf8').trim();
  if (!text) return { body: undefined, rest };
  try {
    return { body: JSON.parse(text), rest };
  } catch (e) {
    throw new BerthError('invalid-argument', `invalid JSON: ${(e as Error).message}`);
  }
}
