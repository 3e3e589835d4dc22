// berth logs CONTAINER
import type { Command } from '../../command.js';
import { copyRaw, demuxStream } from '../../../client/stdcopy.js';
import { getTimestamp } from '../../timestamps.js';

export const command: Command = {
  use: '[OPTIONS] CONTAINER',
  short: 'Fetch the logs of a container',
  args: { min: 1, max: 1 },
  flags: [
    { name: 'details', type: 'bool', usage: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', type: 'bool', usage: 'Follow log output' },
    { name: 'since', type: 'string', usage: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { name: 'tail', short: 'n', type: 'string', usage: 'Number of lines to show from the end of the logs', default: 'all' },
    { name: 'timestamps', short: 't', type: 'bool', usage: 'Show timestamps' },
    { name: 'until', type: 'string', usage: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  ],
  async run(ctx, flags) {
    const client = ctx.client();
    const c = await client.inspectContainer(flags.args[0] as string);
    const now = Date.now();
    const ctl = new AbortController();
    const stop = (): void => ctl.abort();
    process.once('SIGINT', stop);
    try {
      const res = await client.containerLogs(c.Id, {
        follow: flags.bool('follow'),
        timestamps: flags.bool('timestamps'),
        details: flags.bool('details'),
        tail: flags.string('tail'),
        ...(flags.changed('since') ? { since: getTimestamp(flags.string('since'), now) } : {}),
        ...(flags.changed('until') ? { until: getTimestamp(flags.string('until'), now) } : {}),
        signal: ctl.signal,
      });
      if (c.Config.Tty) await copyRaw(res, ctx.stdout);
      else await demuxStream(res, ctx.stdout, ctx.stderr);
    } catch (err) {
      if (!ctl.signal.aborted) throw err;
    } finally {
      process.off('SIGINT', stop);
    }
    return 0;
  },
};
