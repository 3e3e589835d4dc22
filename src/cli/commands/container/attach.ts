// berth attach CONTAINER
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';
import { monitorTtySize, proxySignals, pumpStreams } from './streams.js';

export const command: Command = {
  use: '[OPTIONS] CONTAINER',
  short: 'Attach local standard input, output, and error streams to a running container',
  args: { min: 1, max: 1 },
  flags: [
    { name: 'detach-keys', type: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'no-stdin', type: 'bool', usage: 'Do not attach STDIN' },
    { name: 'sig-proxy', type: 'bool', usage: 'Proxy all received signals to the process', default: true },
  ],
  async run(ctx, flags) {
    const client = ctx.client();
    const c = await client.inspectContainer(flags.args[0] as string);
    if (!c.State.Running) throw new StatusError(1, 'You cannot attach to a stopped container, start it first');
    if (c.State.Paused) throw new StatusError(1, 'You cannot attach to a paused container, unpause it first');
    const tty = c.Config.Tty === true;
    const stdin = !flags.bool('no-stdin') && c.Config.OpenStdin === true;
    if (tty && stdin && !ctx.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
    const detachKeys = flags.optString('detach-keys');
    const hijacked = await client.attachContainer(c.Id, { stdin, stdout: true, stderr: true, ...(detachKeys ? { detachKeys } : {}) });
    // as docker's CLI: the exit status comes from a wait set up while the container runs
    const waited = client.waitContainer(c.Id, 'not-running');
    waited.catch(() => undefined);
    const stopResize = tty ? monitorTtySize(ctx, (h, w) => client.resizeContainer(c.Id, h, w)) : () => undefined;
    const stopProxy = !tty && flags.bool('sig-proxy') ? proxySignals((s) => client.killContainer(c.Id, s)) : () => undefined;
    try {
      if ((await pumpStreams(ctx, hijacked, { tty, stdin, detachKeys })) === 'detached') return 0;
    } finally {
      stopResize();
      stopProxy();
    }
    const res = await waited.catch(() => undefined);
    return res?.StatusCode ?? 0;
  },
};
