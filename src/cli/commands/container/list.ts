// berth ps / berth container ls
import type { Command } from '../../command.js';
import type { ContainerSummary, Port } from '../../../client/types.js';
import { ellipsis, filterFlag, formatFlag, parseFilters, shortId } from '../common.js';
import { renderRows } from '../../format/formatter.js';
import { goTimeString, humanDuration, humanSize } from '../../format/units.js';

function comparePorts(a: Port, b: Port): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
  if (a.Type !== b.Type) return a.Type < b.Type ? -1 : 1;
  return (a.IP ?? '') < (b.IP ?? '') ? -1 : (a.IP ?? '') > (b.IP ?? '') ? 1 : 0;
}

function joinHostPort(ip: string, port: string | number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function formGroup(key: string, first: number, last: number): string {
  const parts = key.split('/');
  let type = parts[0] as string;
  let ip = '';
  if (parts.length > 1) {
    ip = parts[0] as string;
    type = parts[1] as string;
  }
  let group = String(first);
  if (first !== last) group = `${group}-${last}`;
  if (ip !== '') group = `${joinHostPort(ip, group)}->${group}`;
  return `${group}/${type}`;
}

/** formatter.DisplayablePorts */
export function displayablePorts(ports: Port[]): string {
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const p of [...ports].sort(comparePorts)) {
    const current = p.PrivatePort;
    let key = p.Type;
    if (p.IP) {
      if (p.PublicPort !== current) {
        hostMappings.push(`${joinHostPort(p.IP, p.PublicPort ?? 0)}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    // re-insert at the end to keep docker's key order semantics
    groups.delete(key);
    groups.set(key, { first: current, last: current });
  }
  for (const [k, g] of groups) result.push(formGroup(k, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

export function containerRow(c: ContainerSummary, opts: { trunc: boolean; now?: number }) {
  const trunc = opts.trunc;
  const now = opts.now ?? Date.now();
  let image = c.Image || '<no image>';
  if (trunc) {
    if (shortId(image) === shortId(c.ImageID) && /^(sha256:)?[0-9a-f]{12,}$/.test(image)) image = shortId(image);
    const at = image.indexOf('@');
    if (at > 0) image = image.slice(0, at);
  }
  let names = c.Names.map((n) => n.replace(/^\//, ''));
  if (trunc) names = names.filter((n) => !n.includes('/')).slice(0, 1);
  const labels = c.Labels ?? {};
  return {
    ID: trunc ? shortId(c.Id) : c.Id,
    Image: image,
    Command: JSON.stringify(trunc ? ellipsis(c.Command, 20) : c.Command),
    CreatedAt: goTimeString(new Date(c.Created * 1000)),
    RunningFor: `${humanDuration(now - c.Created * 1000)} ago`,
    Ports: displayablePorts(c.Ports ?? []),
    State: c.State,
    Status: c.Status,
    Size: (c.SizeRootFs ?? 0) > 0 ? `${humanSize(c.SizeRw ?? 0, 3)} (virtual ${humanSize(c.SizeRootFs ?? 0, 3)})` : humanSize(c.SizeRw ?? 0, 3),
    Names: names.join(','),
    Labels: Object.keys(labels)
      .map((k) => `${k}=${labels[k]}`)
      .join(','),
    Mounts: (c.Mounts ?? []).map((m) => (m.Name ? (trunc ? m.Name.slice(0, 15) : m.Name) : (m.Source ?? ''))).join(','),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Name).length),
    Platform: null,
    Label(name: string): string {
      return labels[name] ?? '';
    },
  };
}

export const PS_HEADERS = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  Networks: 'NETWORKS',
  LocalVolumes: 'LOCAL VOLUMES',
};

export const command: Command = {
  use: '[OPTIONS]',
  short: 'List containers',
  args: { min: 0, max: 0 },
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Show all containers (default shows just running)' },
    filterFlag(),
    formatFlag(),
    { name: 'last', short: 'n', type: 'int', usage: 'Show n last created containers (includes all states)', default: -1 },
    { name: 'latest', short: 'l', type: 'bool', usage: 'Show the latest created container (includes all states)' },
    { name: 'no-trunc', type: 'bool', usage: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Only display container IDs' },
    { name: 'size', short: 's', type: 'bool', usage: 'Display total file sizes' },
  ],
  async run(ctx, flags) {
    let limit = flags.int('last');
    if (flags.bool('latest')) limit = 1;
    let format = flags.string('format');
    const quiet = flags.bool('quiet');
    const size = flags.bool('size') || (format.includes('.Size') && !quiet);
    const list = await ctx.client().listContainers({ all: flags.bool('all') || limit > 0, limit, size, filters: parseFilters(flags.list('filter')) });
    if (quiet) format = '{{.ID}}';
    else if (format === '' || format === 'table') format = `table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}${size ? '\t{{.Size}}' : ''}`;
    const now = Date.now();
    const rows = list.map((c) => containerRow(c, { trunc: !flags.bool('no-trunc'), now }));
    ctx.out(renderRows({ format, headers: PS_HEADERS, rows }));
    return 0;
  },
};
