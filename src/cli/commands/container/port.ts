// berth port CONTAINER [PRIVATE_PORT[/PROTO]]
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';

function hostPort(ip: string | undefined, port: string | undefined): string {
  const h = ip ?? '';
  return h.includes(':') ? `[${h}]:${port ?? ''}` : `${h}:${port ?? ''}`;
}

export const command: Command = {
  use: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  short: 'List port mappings or a specific mapping for the container',
  args: { min: 1, max: 2 },
  flags: [],
  async run(ctx, flags) {
    const [id, want] = flags.args as [string, string | undefined];
    const c = await ctx.client().inspectContainer(id);
    const ports = c.NetworkSettings?.Ports ?? {};
    if (want !== undefined) {
      const [p, proto = 'tcp'] = want.split('/') as [string, string | undefined];
      if (!/^\d+$/.test(p)) throw new StatusError(1, `Error: invalid port (${p}): strconv.ParseUint: parsing ${JSON.stringify(p)}: invalid syntax`);
      const key = `${p}/${proto}`;
      const bindings = ports[key];
      if (!bindings || bindings.length === 0) throw new StatusError(1, `Error: No public port '${want}' published for ${id}`);
      for (const b of bindings) ctx.out(`${hostPort(b.HostIp, b.HostPort)}\n`);
      return 0;
    }
    const lines: string[] = [];
    for (const [key, bindings] of Object.entries(ports)) for (const b of bindings ?? []) lines.push(`${key} -> ${hostPort(b.HostIp, b.HostPort)}`);
    lines.sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10) || a.localeCompare(b));
    for (const l of lines) ctx.out(`${l}\n`);
    return 0;
  },
};
