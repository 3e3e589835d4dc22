// berth volume ls
import type { Command } from '../../command.js';
import { filterFlag, formatFlag, parseFilters } from '../common.js';
import { renderRows } from '../../format/formatter.js';
import { humanSize } from '../../format/units.js';
import { naturalLess, volumeRow, volumesApi } from './shared.js';

const DEFAULT_FORMAT = 'table {{.Driver}}\t{{.Name}}';

export const command: Command = {
  use: '[OPTIONS]',
  short: 'List volumes',
  args: { min: 0, max: 0 },
  flags: [
    { name: 'cluster', type: 'bool', usage: 'Display only cluster volumes, and use cluster volume list formatting' },
    { ...filterFlag(), usage: "Provide filter values (e.g. \"dangling=true\")" },
    formatFlag(),
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Only display volume names' },
  ],
  async run(ctx, flags) {
    const res = await volumesApi(ctx).list(parseFilters(flags.list('filter')));
    const vols = [...(res.Volumes ?? [])].sort((a, b) => naturalLess(a.Name, b.Name));
    for (const w of res.Warnings ?? []) ctx.err(`${w}\n`);
    let format = flags.string('format');
    if (flags.bool('quiet')) format = format === '' || format === 'table' ? '{{.Name}}' : format;
    if (format === '' || format === 'table') format = DEFAULT_FORMAT;
    const rows = vols.map((v) => volumeRow(v, (n) => humanSize(n)));
    ctx.out(
      renderRows({
        format,
        headers: { Driver: 'DRIVER', Name: 'VOLUME NAME', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE', Group: 'GROUP', Availability: 'AVAILABILITY', Status: 'STATUS' },
        rows,
      }),
    );
    return 0;
  },
};
