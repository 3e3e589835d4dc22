// berth run = create (pulling when missing) -> attach -> wait -> start; the container's exit
// status becomes ours. -d prints the ID instead.
import type { Command } from '../../command.js';
import { BerthError } from '../../../errdefs/index.js';
import { isDaemonError } from '../../../client/errors.js';
import { CREATE_FLAGS, RUN_ONLY_FLAGS, buildCreateRequest } from './options.js';
import { parseNormalizedNamed } from '../../reference.js';
import { createContainer, runError } from './create-flow.js';
import { monitorTtySize, proxySignals, pumpStreams } from './streams.js';
import { StatusError, startFailureStatus } from '../../exit-codes.js';

export const command: Command = {
  use: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create and run a new container from an image',
  args: { min: 1 },
  interspersed: false,
  flags: [...CREATE_FLAGS, ...RUN_ONLY_FLAGS],
  async run(ctx, flags) {
    let req;
    try {
      req = buildCreateRequest(flags, flags.args);
      parseNormalizedNamed(flags.args[0] as string);
    } catch (e) {
      throw runError(ctx, e);
    }
    const detach = flags.bool('detach');
    const body = req.body;
    const tty = body['Tty'] === true;
    const autoRemove = (body['HostConfig'] as { AutoRemove?: boolean }).AutoRemove === true;
    if (!detach && tty && body['AttachStdin'] === true && !ctx.stdin.isTTY) throw runError(ctx, new Error('the input device is not a TTY'), 1);
    const client = ctx.client();
    let id: string;
    try {
      id = await createContainer(ctx, req, flags.bool('quiet'));
    } catch (err) {
      if (err instanceof BerthError && err.kind === 'unavailable' && !isDaemonError(err)) throw err;
      throw runError(ctx, err);
    }

    if (detach || (body['AttachStdout'] !== true && body['AttachStderr'] !== true)) ctx.out(`${id}\n`);
    if (detach) {
      try {
        await client.startContainer(id);
      } catch (err) {
        throw runError(ctx, err, startFailureStatus(err));
      }
      return 0;
    }

    const attachStdin = body['AttachStdin'] === true;
    const attachOut = body['AttachStdout'] === true || body['AttachStderr'] === true;
    const detachKeys = flags.optString('detach-keys');
    let hijacked;
    if (attachStdin || attachOut) {
      hijacked = await client.attachContainer(id, { stdin: attachStdin, stdout: body['AttachStdout'] === true, stderr: body['AttachStderr'] === true, ...(detachKeys ? { detachKeys } : {}) });
    }
    // Wait before start so a fast exit is never missed.
    const waited = client.waitContainer(id, autoRemove ? 'removed' : 'next-exit');
    waited.catch(() => undefined);
    try {
      await client.startContainer(id);
    } catch (err) {
      hijacked?.socket.destroy();
      if (autoRemove) await client.removeContainer(id, { force: true, volumes: true }).catch(() => undefined);
      throw runError(ctx, err, startFailureStatus(err));
    }
    const stopResize = tty ? monitorTtySize(ctx, (h, w) => client.resizeContainer(id, h, w)) : () => undefined;
    const stopProxy = !tty && flags.bool('sig-proxy') ? proxySignals((s) => client.killContainer(id, s)) : () => undefined;
    try {
      // detached (ctrl-p ctrl-q): the container runs on, and is not --rm removed
      if (hijacked && (await pumpStreams(ctx, hijacked, { tty, stdin: attachStdin, detachKeys })) === 'detached') return 0;
      const res = await waited;
      if (res.Error?.Message) throw new StatusError(125, `berth: Error response from daemon: ${res.Error.Message}`);
      return res.StatusCode;
    } catch (err) {
      if (err instanceof BerthError && err.kind === 'not-found' && autoRemove) return 0;
      throw err;
    } finally {
      stopResize();
      stopProxy();
    }
  },
};
