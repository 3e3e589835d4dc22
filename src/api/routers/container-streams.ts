// Container stream routes: logs, attach (hijacked or plain), resize, top, exec create/start/
// resize/inspect. Translation only: query/body → service options, service output → Docker's
// framing (stdcopy unless the container has a TTY).
import type { Duplex, Writable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { invalidArgument } from '../../errdefs/index.js';
import type { ContainerAttach, ContainerLogs, ContainerTop, ExecService, LogMessage, PumpResult, AttachClient } from '../../daemon/streams/index.js';
import { formatTimestamp } from '../../runtime/logs/index.js';
import { writeUpgradeHead, type HijackRequest, type HijackRouter } from '../hijack.js';
import { qBool, qString, qTimestampNano, type Query } from '../params.js';
import { StdWriter, streamNumber, STDOUT } from '../stdcopy.js';
import { API_VERSION, versionAtLeast } from '../version.js';

export interface ContainerStreamsDeps {
  logs: ContainerLogs;
  attach: ContainerAttach;
  exec: ExecService;
  top: ContainerTop;
}

const RAW = 'application/vnd.docker.raw-stream';
const MUX = 'application/vnd.docker.multiplexed-stream';

/** Docker names the multiplexed content type only from API 1.42 on. */
function streamContentType(tty: boolean, apiVersion: string): string {
  return !tty && versionAtLeast(apiVersion, '1.42') ? MUX : RAW;
}

/** tail: "all", a negative or a non-number means everything (moby: Atoi error → -1). */
export function parseTail(v: string | undefined): number | undefined {
  if (v === undefined || v === '' || v === 'all') return undefined;
  if (!/^-?\d+$/.test(v)) return undefined;
  const n = Number.parseInt(v, 10);
  return n < 0 ? undefined : n;
}

function qRequiredInt(q: Query, name: string): number {
  const v = qString(q, name) ?? '';
  if (!/^-?\d+$/.test(v)) throw invalidArgument(`strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number.parseInt(v, 10);
}

function queryOf(params: URLSearchParams): Query {
  const q: Query = {};
  for (const [k, v] of params) {
    const cur = q[k];
    if (cur === undefined) q[k] = v;
    else q[k] = Array.isArray(cur) ? [...cur, v] : [cur, v];
  }
  return q;
}

/** One log message as Docker writes it: [timestamp ][details ]line. */
export function formatLogLine(m: LogMessage, timestamps: boolean, details: boolean): Buffer {
  let line = m.line;
  if (details) line = Buffer.concat([Buffer.from(' '), line]); // no log attributes configured
  if (timestamps) line = Buffer.concat([Buffer.from(`${formatTimestamp(m.time)} `), line]);
  return line;
}

/** A client of a stream session over a raw connection. */
function streamClient(socket: Duplex, writer: StdWriter, signal: AbortSignal, stdin: boolean, early?: Buffer): AttachClient {
  return {
    stdin: stdin ? socket : undefined,
    early,
    signal,
    output: (stream, data) => writer.write(streamNumber(stream), data),
  };
}

function abortOnClose(target: { once(ev: 'close', fn: () => void): unknown }): AbortController {
  const ctl = new AbortController();
  target.once('close', () => ctl.abort());
  return ctl;
}

interface ExecConfigBody {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | string | null;
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
  ConsoleSize?: number[] | null;
}

interface ExecStartBody {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: number[] | null;
}

function consoleSize(v: number[] | null | undefined): [number, number] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length !== 2 || !v.every((n) => Number.isInteger(n) && n >= 0)) throw invalidArgument('ConsoleSize must be an array of two integers [height, width]');
  return [v[0] ?? 0, v[1] ?? 0];
}

function execStartOptions(body: unknown): { detach: boolean; tty: boolean | undefined; consoleSize: [number, number] | undefined } {
  const b = (body ?? {}) as ExecStartBody;
  if (typeof b !== 'object' || Array.isArray(b)) throw invalidArgument('invalid exec start body');
  return { detach: b.Detach === true, tty: b.Tty, consoleSize: consoleSize(b.ConsoleSize) };
}

export function containerStreamsRouter(deps: ContainerStreamsDeps): FastifyPluginAsync {
  const { logs, attach, exec, top } = deps;
  return async (app) => {
    app.get('/containers/:id/logs', async (request: FastifyRequest, reply: FastifyReply) => {
      const { id } = request.params as { id: string };
      const q = request.query as Query;
      const timestamps = qBool(q, 'timestamps');
      const details = qBool(q, 'details');
      const ctl = abortOnClose(reply.raw);
      const result = logs.logs(id, {
        stdout: qBool(q, 'stdout'),
        stderr: qBool(q, 'stderr'),
        follow: qBool(q, 'follow'),
        since: qTimestampNano(q, 'since'),
        until: qTimestampNano(q, 'until'),
        tail: parseTail(qString(q, 'tail')),
        signal: ctl.signal,
      });
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'Content-Type': streamContentType(result.tty, request.apiVersion), 'Api-Version': API_VERSION, Ostype: 'linux', 'Docker-Experimental': 'false' });
      res.flushHeaders();
      const writer = new StdWriter(res, !result.tty);
      try {
        for await (const batch of result.batches) await writer.writeMany(batch.map((m) => ({ stream: streamNumber(m.stream), data: formatLogLine(m, timestamps, details) })));
      } catch (err) {
        if (!ctl.signal.aborted) request.log.warn({ err }, 'logs stream failed');
      } finally {
        ctl.abort();
        if (!res.destroyed) res.end();
      }
    });

    // Clients that do not ask to upgrade still get the stream (output only: the HTTP parser
    // keeps reading the connection, so stdin is only taken on the upgraded route).
    app.post('/containers/:id/attach', async (request: FastifyRequest, reply: FastifyReply) => {
      const { id } = request.params as { id: string };
      const q = request.query as Query;
      const prepared = attach.prepare(id, {
        stream: qBool(q, 'stream'),
        logs: qBool(q, 'logs'),
        stdin: false,
        stdout: qBool(q, 'stdout'),
        stderr: qBool(q, 'stderr'),
        detachKeys: qString(q, 'detachKeys'),
      });
      reply.hijack();
      const socket = request.raw.socket;
      socket.on('error', () => undefined);
      socket.write(`HTTP/1.0 200 OK\r\nContent-Type: ${RAW}\r\n\r\n`);
      const ctl = abortOnClose(socket);
      const writer = new StdWriter(socket, !prepared.tty);
      await runSession(() => prepared.run(streamClient(socket, writer, ctl.signal, false)), writer, request.log);
      socket.end();
    });

    app.post('/containers/:id/resize', async (request: FastifyRequest, reply: FastifyReply) => {
      const { id } = request.params as { id: string };
      const q = request.query as Query;
      await attach.resize(id, qRequiredInt(q, 'h'), qRequiredInt(q, 'w'));
      return reply.code(200).type('text/plain; charset=utf-8').send('');
    });

    app.get('/containers/:id/top', async (request: FastifyRequest) => {
      const { id } = request.params as { id: string };
      return top.top(id, qString(request.query as Query, 'ps_args') ?? '');
    });

    app.post('/containers/:id/exec', async (request: FastifyRequest, reply: FastifyReply) => {
      const { id } = request.params as { id: string };
      const b = (request.body ?? {}) as ExecConfigBody;
      if (typeof b !== 'object' || Array.isArray(b)) throw invalidArgument('invalid exec configuration');
      const cmd = typeof b.Cmd === 'string' ? [b.Cmd] : (b.Cmd ?? []);
      const execId = exec.create(id, {
        cmd,
        env: b.Env ?? [],
        user: b.User ?? '',
        workingDir: b.WorkingDir ?? '',
        tty: b.Tty === true,
        attachStdin: b.AttachStdin === true,
        attachStdout: b.AttachStdout === true,
        attachStderr: b.AttachStderr === true,
        detachKeys: b.DetachKeys === undefined || b.DetachKeys === '' ? undefined : b.DetachKeys,
        privileged: b.Privileged === true,
        consoleSize: consoleSize(b.ConsoleSize),
      });
      return reply.code(201).send({ Id: execId });
    });

    app.post('/exec/:id/start', async (request: FastifyRequest, reply: FastifyReply) => {
      const { id } = request.params as { id: string };
      const so = execStartOptions(request.body);
      const prepared = exec.prepareStart(id, so);
      if (so.detach) {
        await prepared.run();
        return reply.code(200).send();
      }
      reply.hijack();
      const socket = request.raw.socket;
      socket.on('error', () => undefined);
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${RAW}\r\nConnection: close\r\n\r\n`);
      const ctl = abortOnClose(socket);
      const writer = new StdWriter(socket, !prepared.tty);
      await runSession(() => prepared.run(streamClient(socket, writer, ctl.signal, false)), writer, request.log, true);
      socket.end();
    });

    app.post('/exec/:id/resize', async (request: FastifyRequest, reply: FastifyReply) => {
      const { id } = request.params as { id: string };
      const q = request.query as Query;
      await exec.resize(id, qRequiredInt(q, 'h'), qRequiredInt(q, 'w'));
      return reply.code(200).type('text/plain; charset=utf-8').send('');
    });

    app.get('/exec/:id/json', async (request: FastifyRequest) => {
      const { id } = request.params as { id: string };
      const e = exec.inspect(id);
      const [entrypoint = '', ...args] = e.options.cmd;
      return {
        ID: e.id,
        Running: e.running,
        ExitCode: e.exitCode,
        ProcessConfig: { tty: e.options.tty, entrypoint, arguments: args, privileged: e.options.privileged, user: e.options.user },
        OpenStdin: e.options.attachStdin,
        OpenStderr: e.options.attachStderr,
        OpenStdout: e.options.attachStdout,
        CanRemove: false,
        ContainerID: e.containerId,
        DetachKeys: e.options.detachKeys ?? '',
        Pid: e.pid,
      };
    });
  };
}

/**
 * Run a stream session; an error after the head was sent goes into the stream (exec start
 * writes it on stdout as Docker does: "<message>\r\n").
 */
async function runSession(run: () => Promise<PumpResult | 'logs' | 'detached-start'>, writer: StdWriter, log: { warn(o: object, msg: string): void }, errorToStdout = false): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (errorToStdout && writer.writable) {
      await writer.write(STDOUT, Buffer.from(`${(err as Error).message}\r\n`)).catch(() => undefined);
    } else {
      log.warn({ err }, 'stream session failed');
    }
  }
}

/** The upgraded (hijacked) variants: POST /containers/{id}/attach and POST /exec/{id}/start. */
export function registerStreamHijacks(hijack: HijackRouter, deps: ContainerStreamsDeps, log: { warn(o: object, msg: string): void } = { warn: () => undefined }): void {
  const { attach, exec } = deps;

  hijack.add('POST', '/containers/:id/attach', async (req: HijackRequest, socket: Duplex) => {
    const q = queryOf(req.query);
    const prepared = attach.prepare(req.params['id'] ?? '', {
      stream: qBool(q, 'stream'),
      logs: qBool(q, 'logs'),
      stdin: qBool(q, 'stdin'),
      stdout: qBool(q, 'stdout'),
      stderr: qBool(q, 'stderr'),
      detachKeys: qString(q, 'detachKeys'),
    });
    socket.on('error', () => undefined);
    writeUpgradeHead(socket, streamContentType(prepared.tty, req.apiVersion) === RAW);
    const ctl = abortOnClose(socket);
    const writer = new StdWriter(socket as Writable, !prepared.tty);
    await runSession(() => prepared.run(streamClient(socket, writer, ctl.signal, true, req.head)), writer, log);
    endSocket(socket);
  });

  hijack.add('POST', '/exec/:id/start', async (req: HijackRequest, socket: Duplex) => {
    const so = execStartOptions(req.body);
    const prepared = exec.prepareStart(req.params['id'] ?? '', so);
    socket.on('error', () => undefined);
    if (so.detach) {
      await prepared.run();
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 0\r\nApi-Version: ${API_VERSION}\r\nConnection: close\r\n\r\n`);
      return;
    }
    writeUpgradeHead(socket, streamContentType(prepared.tty, req.apiVersion) === RAW);
    const ctl = abortOnClose(socket);
    const writer = new StdWriter(socket as Writable, !prepared.tty);
    await runSession(() => prepared.run(streamClient(socket, writer, ctl.signal, true, req.head)), writer, log, true);
    endSocket(socket);
  });
}

function endSocket(socket: Duplex): void {
  if (socket.destroyed) return;
  socket.end();
  // A client that never closes its side must not hold the connection forever.
  setTimeout(() => socket.destroy(), 5000).unref();
}
