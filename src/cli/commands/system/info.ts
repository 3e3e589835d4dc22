// berth info: docker's layout of /info (client section, server section, warnings).
import type { Command, CommandContext } from '../../command.js';
import type { SystemInfo } from '../../../client/types.js';
import { CLIENT_VERSION } from '../../build-info.js';
import { compile, execute } from '../../format/formatter.js';
import { bytesSize } from '../../format/units.js';

function serverInfo(i: SystemInfo & Record<string, unknown>): string {
  const lines: string[] = [];
  const p = (s: string): number => lines.push(s);
  p(` Containers: ${i.Containers}`);
  p(`  Running: ${i.ContainersRunning}`);
  p(`  Paused: ${i.ContainersPaused}`);
  p(`  Stopped: ${i.ContainersStopped}`);
  p(` Images: ${i.Images}`);
  p(` Server Version: ${i.ServerVersion}`);
  p(` Storage Driver: ${i.Driver}`);
  for (const [k, v] of i.DriverStatus ?? []) p(`  ${k}: ${v}`);
  p(` Logging Driver: ${i.LoggingDriver}`);
  p(` Cgroup Driver: ${i.CgroupDriver}`);
  p(` Cgroup Version: ${i.CgroupVersion}`);
  p(' Plugins:');
  p(`  Volume: ${(i.Plugins?.Volume ?? []).join(' ')}`);
  p(`  Network: ${(i.Plugins?.Network ?? []).join(' ')}`);
  if (i.Plugins?.Authorization && i.Plugins.Authorization.length > 0) p(`  Authorization: ${i.Plugins.Authorization.join(' ')}`);
  p(`  Log: ${(i.Plugins?.Log ?? []).join(' ')}`);
  p(` Swarm: ${i.Swarm?.LocalNodeState ?? 'inactive'}`);
  const runtimes = Object.keys(i.Runtimes ?? {}).sort();
  if (runtimes.length > 0) {
    p(` Runtimes: ${runtimes.join(' ')}`);
    p(` Default Runtime: ${i.DefaultRuntime}`);
  }
  p(` Init Binary: ${i.InitBinary}`);
  p(` containerd version: ${i.ContainerdCommit?.ID ?? ''}`);
  p(` runc version: ${i.RuncCommit?.ID ?? ''}`);
  p(` init version: ${i.InitCommit?.ID ?? ''}`);
  if (i.SecurityOptions && i.SecurityOptions.length > 0) {
    p(' Security Options:');
    for (const o of i.SecurityOptions) {
      const kv = o.split(',').map((x) => x.split('=') as [string, string | undefined]);
      for (const [k, v] of kv) {
        if (k === 'name') p(`  ${v ?? ''}`);
        else p(`   ${k[0]?.toUpperCase() ?? ''}${k.slice(1)}: ${v ?? ''}`);
      }
    }
  }
  p(` Kernel Version: ${i.KernelVersion}`);
  p(` Operating System: ${i.OperatingSystem}`);
  p(` OSType: ${i.OSType}`);
  p(` Architecture: ${i.Architecture}`);
  p(` CPUs: ${i.NCPU}`);
  p(` Total Memory: ${bytesSize(i.MemTotal)}`);
  p(` Name: ${i.Name}`);
  p(` ID: ${i.ID}`);
  p(` Docker Root Dir: ${i.DockerRootDir}`);
  p(` Debug Mode: ${i.Debug}`);
  if (i.Debug) {
    p(`  File Descriptors: ${i.NFd}`);
    p(`  Goroutines: ${i.NGoroutines}`);
    p(`  System Time: ${i.SystemTime}`);
    p(`  EventsListeners: ${i.NEventsListener}`);
  }
  if (i.HttpProxy) p(` HTTP Proxy: ${i.HttpProxy}`);
  if (i.HttpsProxy) p(` HTTPS Proxy: ${i.HttpsProxy}`);
  if (i.NoProxy) p(` No Proxy: ${i.NoProxy}`);
  if (i.Labels && i.Labels.length > 0) {
    p(' Labels:');
    for (const l of i.Labels) p(`  ${l}`);
  }
  p(` Experimental: ${i.ExperimentalBuild}`);
  const reg = i.RegistryConfig as { InsecureRegistryCIDRs?: string[]; IndexConfigs?: Record<string, { Secure?: boolean; Name?: string }>; Mirrors?: string[] } | null;
  const insecure = [...Object.values(reg?.IndexConfigs ?? {}).filter((c) => c.Secure === false).map((c) => c.Name ?? ''), ...(reg?.InsecureRegistryCIDRs ?? [])];
  if (insecure.length > 0) {
    p(' Insecure Registries:');
    for (const r of insecure) p(`  ${r}`);
  }
  if (reg?.Mirrors && reg.Mirrors.length > 0) {
    p(' Registry Mirrors:');
    for (const m of reg.Mirrors) p(`  ${m}`);
  }
  p(` Live Restore Enabled: ${i.LiveRestoreEnabled}`);
  return `${lines.join('\n')}\n`;
}

async function run(ctx: CommandContext, format: string, debug: boolean): Promise<number> {
  let info: SystemInfo | undefined;
  let err: unknown;
  try {
    info = await ctx.client().info();
  } catch (e) {
    err = e;
  }
  if (format !== '') {
    const data = { ...(info ?? {}), ClientInfo: { Debug: debug, Version: CLIENT_VERSION, Context: 'default', Plugins: [], Warnings: null }, ServerErrors: err ? [(err as Error).message] : undefined };
    if (format === 'json') ctx.out(`${JSON.stringify(data)}\n`);
    else ctx.out(`${execute(compile(format), data)}\n`);
    if (err) throw err;
    return 0;
  }
  ctx.out(`Client:\n Version:    ${CLIENT_VERSION}\n Context:    default\n Debug Mode: ${debug}\n\nServer:\n`);
  if (err) {
    ctx.out(`ERROR: ${(err as Error).message}\nerrors pretty printing info\n`);
    return 1;
  }
  const i = info as SystemInfo;
  ctx.out(serverInfo(i as SystemInfo & Record<string, unknown>));
  if (i.Warnings && i.Warnings.length > 0) ctx.err(`${i.Warnings.join('\n')}\n`);
  ctx.out('\n');
  return 0;
}

export const command: Command = {
  use: '[OPTIONS]',
  short: 'Display system-wide information',
  args: { min: 0, max: 0 },
  flags: [{ name: 'format', short: 'f', type: 'string', usage: "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template." }],
  run: (ctx, flags) => run(ctx, flags.string('format'), ctx.globals.debug),
};
