// berth exec [OPTIONS] CONTAINER COMMAND [ARG...]
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';
import { readKvFile } from './options.js';
import { monitorTtySize, pumpStreams } from './streams.js';

export const command: Command = {
  use: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  short: 'Execute a command in a running container',
  args: { min: 2 },
  interspersed: false,
  flags: [
    { name: 'detach', short: 'd', type: 'bool', usage: 'Detached mode: run command in the background' },
    { name: 'detach-keys', type: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'env', short: 'e', type: 'list', usage: 'Set environment variables' },
    { name: 'env-file', type: 'list', usage: 'Read in a file of environment variables' },
    { name: 'interactive', short: 'i', type: 'bool', usage: 'Keep STDIN open even if not attached' },
    { name: 'privileged', type: 'bool', usage: 'Give extended privileges to the command' },
    { name: 'tty', short: 't', type: 'bool', usage: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', type: 'string', usage: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { name: 'workdir', short: 'w', type: 'string', usage: 'Working directory inside the container' },
  ],
  async run(ctx, flags) {
    const [container, ...cmd] = flags.args as [string, ...string[]];
    const detach = flags.bool('detach');
    const tty = flags.bool('tty');
    const interactive = flags.bool('interactive');
    if (tty && interactive && !detach && !ctx.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
    const env = [...flags.list('env-file').flatMap((f) => readKvFile(f, 'env')), ...flags.list('env').flatMap((e) => (e.includes('=') ? [e] : process.env[e] !== undefined ? [`${e}=${process.env[e]}`] : []))];
    const client = ctx.client();
    const body: Record<string, unknown> = {
      User: flags.string('user'),
      Privileged: flags.bool('privileged'),
      Tty: tty,
      AttachStdin: interactive && !detach,
      AttachStdout: !detach,
      AttachStderr: !detach,
      Detach: detach,
      Env: env,
      WorkingDir: flags.string('workdir'),
      Cmd: cmd,
    };
    if (flags.changed('detach-keys')) body['DetachKeys'] = flags.string('detach-keys');
    if (tty && ctx.stdout.isTTY) {
      const [w, h] = ctx.stdout.getWindowSize();
      body['ConsoleSize'] = [h, w];
    }
    const { Id: execId } = await client.createExec(container, body);
    if (detach) {
      await client.startExecDetached(execId, tty);
      return 0;
    }
    const hijacked = await client.startExecAttached(execId, tty);
    const stopResize = tty ? monitorTtySize(ctx, (h, w) => client.resizeExec(execId, h, w)) : () => undefined;
    try {
      await pumpStreams(ctx, hijacked, { tty, stdin: interactive });
    } finally {
      stopResize();
    }
    // The exit code is recorded a moment after the stream closes.
    for (let i = 0; i < 50; i++) {
      const info = await client.inspectExec(execId);
      if (!info.Running && info.ExitCode !== null) return info.ExitCode;
      await new Promise((r) => setTimeout(r, 20));
    }
    return 0;
  },
};
