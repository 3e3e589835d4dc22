// Attached streams for run/start -a/attach/exec: stdin to the hijacked socket (raw mode for a
// TTY), the socket to stdout/stderr (raw for a TTY, stdcopy-demultiplexed otherwise), and
// terminal resizes.
import type { Duplex } from 'node:stream';
import type { CommandContext } from '../../command.js';
import type { HijackedStream } from '../../../client/transport.js';
import { copyRaw, demuxStream } from '../../../client/stdcopy.js';
import { DEFAULT_DETACH_KEYS, DetachWatcher, parseDetachKeys } from '../../../runtime/attach/detach-keys.js';

export interface StreamOptions {
  tty: boolean;
  /** Send our stdin to the container. */
  stdin: boolean;
  /** The --detach-keys given (the daemon acts on them; the client only notices them). */
  detachKeys?: string | undefined;
}

/** How an attached session ended: the container side closed, or the user typed the detach keys. */
export type StreamEnd = 'ended' | 'detached';

/** Notices the detach sequence in what we send (the daemon detaches on it and closes the stream). */
function detachMatcher(spec: string | undefined): (d: Buffer) => boolean {
  let keys: Buffer;
  try {
    keys = parseDetachKeys(spec ?? DEFAULT_DETACH_KEYS);
  } catch {
    keys = Buffer.alloc(0); // the daemon refuses the spec
  }
  const watcher = new DetachWatcher(keys);
  return (d) => watcher.push(d).detach;
}

/** Copy until the container side closes the stream (it does after a detach too); resolves then. */
export async function pumpStreams(ctx: CommandContext, hijacked: HijackedStream, opts: StreamOptions): Promise<StreamEnd> {
  const socket: Duplex = hijacked.socket;
  const stdin = ctx.stdin;
  const raw = opts.tty && opts.stdin && stdin.isTTY === true;
  if (raw) stdin.setRawMode(true);
  const sawDetach = detachMatcher(opts.detachKeys);
  let detached = false;
  const onData = (d: Buffer): void => {
    if (detached) return;
    if (!socket.destroyed) socket.write(d);
    if (sawDetach(d)) detached = true;
  };
  const onEnd = (): void => {
    // CloseWrite: the container sees EOF on its stdin, output keeps flowing.
    if (!socket.destroyed) socket.end();
  };
  if (opts.stdin) {
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.resume();
  }
  try {
    const isRaw = opts.tty || hijacked.contentType.includes('raw-stream');
    if (isRaw) await copyRaw(socket, ctx.stdout);
    else await demuxStream(socket, ctx.stdout, ctx.stderr);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ECONNRESET' && code !== 'EPIPE') throw err;
  } finally {
    if (opts.stdin) {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
    }
    if (raw) stdin.setRawMode(false);
    socket.destroy();
  }
  return detached ? 'detached' : 'ended';
}

/** Resize the container/exec TTY now and whenever our terminal changes size. Returns a stop function. */
export function monitorTtySize(ctx: CommandContext, resize: (h: number, w: number) => Promise<void>): () => void {
  const out = ctx.stdout;
  if (!out.isTTY) return () => undefined;
  const doResize = (): void => {
    const [w, h] = out.getWindowSize();
    resize(h, w).catch(() => undefined);
  };
  doResize();
  process.on('SIGWINCH', doResize);
  return () => process.off('SIGWINCH', doResize);
}

const PROXIED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Forward signals the CLI receives to the container (docker's --sig-proxy). */
export function proxySignals(kill: (signal: string) => Promise<void>): () => void {
  const handler = (sig: NodeJS.Signals): void => {
    kill(sig).catch(() => undefined);
  };
  for (const s of PROXIED) process.on(s, handler);
  return () => {
    for (const s of PROXIED) process.off(s, handler);
  };
}
