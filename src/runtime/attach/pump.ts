// Moves bytes between an attached client and conmon, with Docker's semantics (moby's
// container/stream/attach.go): output to the client, client input to the container through
// the detach-key watcher; the container's end ends the session; client stdin EOF either
// closes the container's stdin (StdinOnce without a tty) or ends the session.
import type { Readable } from 'node:stream';
import type { LogStream } from '../logs/index.js';
import { DetachWatcher } from './detach-keys.js';
import type { ConmonAttachSocket } from './conmon-socket.js';

export interface AttachClient {
  /** The client's input (the hijacked connection), when attaching stdin. */
  stdin?: Readable | undefined;
  /** Bytes the client sent before the session started (after the HTTP head). */
  early?: Buffer | undefined;
  /** Deliver output; resolves when the client can take more, rejects when it is gone. */
  output(stream: LogStream, data: Buffer): Promise<void>;
  /** Aborts when the client goes away. */
  signal?: AbortSignal | undefined;
}

export interface PumpOptions {
  stdout: boolean;
  stderr: boolean;
  /** The detach sequence (empty: no detaching). */
  detachKeys: Buffer;
  /** On client stdin EOF: close the container's stdin and keep streaming output (StdinOnce, no tty). */
  closeStdinOnEof: boolean;
}

/** Why a session ended. */
export type PumpResult = 'exited' | 'detached' | 'stdin-eof' | 'client-gone';

export function pump(conn: ConmonAttachSocket, client: AttachClient, opts: PumpOptions): Promise<PumpResult> {
  return new Promise<PumpResult>((resolve) => {
    let done = false;
    let queue: Promise<void> = Promise.resolve();
    const watcher = new DetachWatcher(opts.detachKeys);
    const stdin = client.stdin;

    const finish = (why: PumpResult): void => {
      if (done) return;
      done = true;
      conn.off('output', onOutput);
      conn.off('end', onEnd);
      client.signal?.removeEventListener('abort', onAbort);
      if (stdin) {
        stdin.off('data', onInput);
        stdin.off('end', onInputEnd);
        stdin.off('close', onInputEnd);
      }
      // Let queued output reach the client before the caller closes the connection.
      queue.then(
        () => resolve(why),
        () => resolve(why === 'exited' ? 'client-gone' : why),
      );
    };

    const onOutput = (stream: LogStream, data: Buffer): void => {
      if ((stream === 'stdout' && !opts.stdout) || (stream === 'stderr' && !opts.stderr)) return;
      queue = queue.then(() => client.output(stream, data)).catch(() => finish('client-gone'));
    };
    const onEnd = (): void => finish('exited');
    const onAbort = (): void => finish('client-gone');

    const feed = (chunk: Buffer): boolean => {
      const { forward, detach } = watcher.push(chunk);
      if (forward.length > 0) {
        stdin?.pause();
        void conn.write(forward).then(() => {
          if (!done) stdin?.resume();
        });
      }
      if (detach) {
        finish('detached');
        return false;
      }
      return true;
    };
    const onInput = (chunk: Buffer): void => {
      feed(chunk);
    };
    let inputEnded = false;
    const onInputEnd = (): void => {
      if (inputEnded || done) return;
      inputEnded = true;
      if (opts.closeStdinOnEof) conn.closeStdin();
      else if (stdin && stdin.readableEnded) finish('stdin-eof');
      else finish('client-gone');
    };

    conn.on('output', onOutput);
    conn.on('end', onEnd);
    if (client.signal?.aborted) {
      finish('client-gone');
      return;
    }
    client.signal?.addEventListener('abort', onAbort);
    if (stdin) {
      if (client.early && client.early.length > 0 && !feed(client.early)) return;
      stdin.on('data', onInput);
      stdin.on('end', onInputEnd);
      stdin.on('close', onInputEnd);
      stdin.resume();
    }
    if (conn.isEnded) finish('exited');
  });
}
