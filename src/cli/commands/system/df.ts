// berth system df: disk usage summary (or -v details), as docker's formatter/disk_usage.go.
import type { Command } from '../../command.js';
import type { DiskUsage } from '../../../client/types.js';
import { formatFlag, shortId } from '../common.js';
import { renderRows } from '../../format/formatter.js';
import { humanSize, timeAgo } from '../../format/units.js';

function reclaimable(reclaim: number, total: number): string {
  return total > 0 ? `${humanSize(reclaim)} (${Math.trunc((reclaim * 100) / total)}%)` : humanSize(reclaim);
}

function summary(du: DiskUsage): Record<string, string | number>[] {
  const images = du.Images ?? [];
  const containers = du.Containers ?? [];
  const volumes = du.Volumes ?? [];
  const cache = du.BuildCache ?? [];
  const layers = du.LayersSize ?? 0;
  let usedImages = 0;
  for (const i of images) if (i.Containers > 0 && i.Size !== -1 && i.SharedSize !== -1) usedImages += i.Size - (i.SharedSize > 0 ? i.SharedSize : 0);
  const active = (s: string): boolean => s === 'running' || s === 'paused' || s === 'restarting';
  const cSize = containers.reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const cReclaim = containers.filter((c) => !active(c.State)).reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const vSize = volumes.reduce((a, v) => a + (v.UsageData && v.UsageData.Size > 0 ? v.UsageData.Size : 0), 0);
  const vReclaim = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((a, v) => a + (v.UsageData && v.UsageData.Size > 0 ? v.UsageData.Size : 0), 0);
  const bSize = cache.filter((b) => !b.Shared).reduce((a, b) => a + b.Size, 0);
  const bReclaim = cache.filter((b) => !b.InUse && !b.Shared).reduce((a, b) => a + b.Size, 0);
  return [
    { Type: 'Images', TotalCount: String(images.length), Active: String(images.filter((i) => i.Containers > 0).length), Size: humanSize(layers), Reclaimable: reclaimable(layers - usedImages, layers) },
    { Type: 'Containers', TotalCount: String(containers.length), Active: String(containers.filter((c) => active(c.State)).length), Size: humanSize(cSize), Reclaimable: reclaimable(cReclaim, cSize) },
    { Type: 'Local Volumes', TotalCount: String(volumes.length), Active: String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: humanSize(vSize), Reclaimable: reclaimable(vReclaim, vSize) },
    { Type: 'Build Cache', TotalCount: String(cache.length), Active: String(cache.filter((b) => b.InUse).length), Size: humanSize(bSize), Reclaimable: humanSize(bReclaim) },
  ];
}

const HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

export const command: Command = {
  use: '[OPTIONS]',
  short: 'Show docker disk usage',
  args: { min: 0, max: 0 },
  flags: [formatFlag(), { name: 'verbose', short: 'v', type: 'bool', usage: 'Show detailed information on space usage' }],
  async run(ctx, flags) {
    const du = await ctx.client().diskUsage();
    const format = flags.string('format') || 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
    if (!flags.bool('verbose')) {
      ctx.out(renderRows({ format, headers: HEADERS, rows: summary(du) }));
      return 0;
    }
    ctx.out('Images space usage:\n\n');
    const imgRows = (du.Images ?? []).flatMap((i) => {
      const tags = i.RepoTags && i.RepoTags.length > 0 ? i.RepoTags : ['<none>:<none>'];
      return tags.map((t) => {
        const c = t.lastIndexOf(':');
        return { Repository: t.slice(0, c), Tag: t.slice(c + 1), ID: shortId(i.Id), CreatedSince: timeAgo(i.Created), Size: humanSize(i.Size, 3), SharedSize: humanSize(i.SharedSize > 0 ? i.SharedSize : 0, 3), UniqueSize: humanSize(i.Size - (i.SharedSize > 0 ? i.SharedSize : 0), 3), Containers: i.Containers };
      });
    });
    ctx.out(renderRows({ format: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}', headers: { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS' }, rows: imgRows }));
    ctx.out('\nContainers space usage:\n\n');
    const cRows = (du.Containers ?? []).map((c) => ({ ID: shortId(c.Id), Image: c.Image, Command: JSON.stringify(c.Command.length > 20 ? `${c.Command.slice(0, 19)}…` : c.Command), LocalVolumes: (c.Mounts ?? []).filter((m) => m.Name).length, Size: humanSize(c.SizeRw ?? 0, 3), RunningFor: timeAgo(c.Created), Status: c.Status, Names: (c.Names[0] ?? '').replace(/^\//, '') }));
    ctx.out(renderRows({ format: 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}', headers: { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE', RunningFor: 'CREATED', Status: 'STATUS', Names: 'NAMES' }, rows: cRows }));
    ctx.out('\nLocal Volumes space usage:\n\n');
    const vRows = (du.Volumes ?? []).map((v) => ({ Name: v.Name, Links: v.UsageData?.RefCount ?? 0, Size: humanSize(v.UsageData?.Size ?? 0, 3) }));
    ctx.out(renderRows({ format: 'table {{.Name}}\t{{.Links}}\t{{.Size}}', headers: { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' }, rows: vRows }));
    ctx.out('\nBuild cache usage: ' + humanSize((du.BuildCache ?? []).reduce((a, b) => a + b.Size, 0)) + '\n\n');
    const bRows = (du.BuildCache ?? []).map((b) => ({ ID: b.ID.slice(0, 12), CacheType: b.Type, Size: humanSize(b.Size, 3), CreatedSince: timeAgo(new Date(b.CreatedAt)), LastUsedSince: b.LastUsedAt ? timeAgo(new Date(b.LastUsedAt)) : '', UsageCount: b.UsageCount, Shared: b.Shared }));
    ctx.out(renderRows({ format: 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}', headers: { ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' }, rows: bRows }));
    return 0;
  },
};
