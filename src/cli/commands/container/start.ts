// berth start [-a] [-i] CONTAINER...
import type { Command } from '../../command.js';
import { forEachArg } from '../common.js';
import { StatusError, startFailureStatus } from '../../exit-codes.js';
import { monitorTtySize, proxySignals, pumpStreams } from './streams.js';

export const command: Command = {
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Start one or more stopped containers',
  args: { min: 1 },
  flags: [
    { name: 'attach', short: 'a', type: 'bool', usage: "Attach STDOUT/STDERR and forward signals" },
    { name: 'detach-keys', type: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'interactive', short: 'i', type: 'bool', usage: "Attach container's STDIN" },
  ],
  async run(ctx, flags) {
    const client = ctx.client();
    if (!flags.bool('attach') && !flags.bool('interactive')) {
      return forEachArg(ctx, flags.args, async (id) => {
        await client.startContainer(id, flags.optString('detach-keys') !== undefined ? { detachKeys: flags.string('detach-keys') } : {});
        ctx.out(`${id}\n`);
      });
    }
    if (flags.args.length > 1) throw new StatusError(1, 'you cannot start and attach multiple containers at once');
    const id = flags.args[0] as string;
    const c = await client.inspectContainer(id);
    const tty = c.Config.Tty === true;
    const stdin = flags.bool('interactive') && c.Config.OpenStdin === true;
    if (tty && stdin && !ctx.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
    const detachKeys = flags.optString('detach-keys');
    const hijacked = await client.attachContainer(c.Id, { stdin, stdout: true, stderr: true, ...(detachKeys ? { detachKeys } : {}) });
    const waited = client.waitContainer(c.Id, c.HostConfig.AutoRemove ? 'removed' : 'next-exit');
    waited.catch(() => undefined);
    try {
      await client.startContainer(c.Id);
    } catch (err) {
      hijacked.socket.destroy();
      throw new StatusError(startFailureStatus(err), `Error response from daemon: ${(err as Error).message}`, { cause: err });
    }
    const stopResize = tty ? monitorTtySize(ctx, (h, w) => client.resizeContainer(c.Id, h, w)) : () => undefined;
    const stopProxy = !tty ? proxySignals((s) => client.killContainer(c.Id, s)) : () => undefined;
    try {
      if ((await pumpStreams(ctx, hijacked, { tty, stdin, detachKeys })) === 'detached') return 0;
      const res = await waited.catch(() => undefined);
      return res?.StatusCode ?? 0;
    } finally {
      stopResize();
      stopProxy();
    }
  },
};
