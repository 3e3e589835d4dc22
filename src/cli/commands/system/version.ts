// berth version: client and server sections, rendered with docker's own template.
import type { Command } from '../../command.js';
import type { SystemVersion } from '../../../client/types.js';
import { CLIENT_API_VERSION, compareVersions } from '../../../client/transport.js';
import { CLIENT_COMMIT, CLIENT_VERSION } from '../../build-info.js';
import { StatusError } from '../../exit-codes.js';

const TEMPLATE = `Client:{{if ne .Client.Platform.Name ""}} {{.Client.Platform.Name}}{{end}}
 Version:\t{{.Client.Version}}
 API version:\t{{.Client.APIVersion}}{{if ne .Client.APIVersion .Client.DefaultAPIVersion}} (downgraded from {{.Client.DefaultAPIVersion}}){{end}}
 Go version:\t{{.Client.GoVersion}}
 Git commit:\t{{.Client.GitCommit}}
 Built:\t{{.Client.BuildTime}}
 OS/Arch:\t{{.Client.Os}}/{{.Client.Arch}}
 Context:\t{{.Client.Context}}

{{- if .ServerOK}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:\t{{.Version}}
  API version:\t{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:\t{{index .Details "GoVersion"}}
  Git commit:\t{{index .Details "GitCommit"}}
  Built:\t{{index .Details "BuildTime"}}
  OS/Arch:\t{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:\t{{index .Details "Experimental"}}
  {{- else }}
  Version:\t{{$component.Version}}
  {{- range $key, $value := .Details}}
  {{$key}}:\t{{$value}}
  {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}}`;

/** The default output without the template engine (start-up speed); same text as TEMPLATE through tabwriter(20, 1, 1). */
/** The docker CLI's reformatDate: an RFC 3339 time as Go's time.ANSIC ("Mon Jan  2 15:04:05 2006"), else as is. */
export function ansicDate(s: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s)) return s;
  const t = new Date(s);
  if (Number.isNaN(t.getTime())) return s;
  // in the time zone of the string, as Go keeps it
  const m = /([+-])(\d{2}):(\d{2})$/.exec(s);
  const offsetMin = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  const d = new Date(t.getTime() + offsetMin * 60_000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

function defaultOutput(c: Record<string, unknown>, server: SystemVersion | null): string {
  const row = (label: string, value: unknown): string => `${label.padEnd(19)} ${String(value)}\n`;
  const plat = (c['Platform'] as { Name: string }).Name;
  let s = `Client:${plat ? ` ${plat}` : ''}\n`;
  s += row(' Version:', c['Version']);
  s += row(' API version:', `${String(c['APIVersion'])}${c['APIVersion'] !== c['DefaultAPIVersion'] ? ` (downgraded from ${String(c['DefaultAPIVersion'])})` : ''}`);
  s += row(' Go version:', c['GoVersion']);
  s += row(' Git commit:', c['GitCommit']);
  s += row(' Built:', c['BuildTime']);
  s += row(' OS/Arch:', `${String(c['Os'])}/${String(c['Arch'])}`);
  s += row(' Context:', c['Context']);
  if (!server) return s;
  s += `\nServer:${server.Platform?.Name ? ` ${server.Platform.Name}` : ''}\n`;
  for (const comp of server.Components ?? []) {
    s += ` ${comp.Name}:\n`;
    const d = comp.Details ?? {};
    if (comp.Name === 'Engine') {
      s += row('  Version:', comp.Version);
      s += row('  API version:', `${d['ApiVersion'] ?? '<no value>'} (minimum version ${d['MinAPIVersion'] ?? '<no value>'})`);
      s += row('  Go version:', d['GoVersion'] ?? '<no value>');
      s += row('  Git commit:', d['GitCommit'] ?? '<no value>');
      s += row('  Built:', d['BuildTime'] !== undefined ? ansicDate(String(d['BuildTime'])) : '<no value>');
      s += row('  OS/Arch:', `${d['Os'] ?? '<no value>'}/${d['Arch'] ?? '<no value>'}`);
      s += row('  Experimental:', d['Experimental'] ?? '<no value>');
    } else {
      s += row('  Version:', comp.Version);
      for (const k of Object.keys(d).sort()) s += row(`  ${k}:`, d[k]);
    }
  }
  return s;
}

/** docker's version template (kept for reference and tested against defaultOutput). */
export { TEMPLATE as VERSION_TEMPLATE };

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

export const command: Command = {
  use: '[OPTIONS]',
  short: 'Show the Docker version information',
  args: { min: 0, max: 0 },
  flags: [{ name: 'format', short: 'f', type: 'string', usage: "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template." }],
  async run(ctx, flags) {
    const format = flags.string('format');
    const client = ctx.client();
    const buildTime = process.env['BERTH_BUILD_TIME'] ?? '';
    const data: { Client: Record<string, unknown>; Server: SystemVersion | null; ServerOK: boolean } = {
      Client: {
        Platform: { Name: '' },
        Version: CLIENT_VERSION,
        APIVersion: CLIENT_API_VERSION,
        DefaultAPIVersion: CLIENT_API_VERSION,
        GoVersion: `node${process.versions.node}`,
        GitCommit: CLIENT_COMMIT,
        BuildTime: buildTime,
        Os: process.platform,
        Arch: ARCH[process.arch] ?? process.arch,
        Context: 'default',
      },
      Server: null,
      ServerOK: false,
    };
    let serverErr: unknown;
    let serverJson: SystemVersion | null = null;
    try {
      // One round trip: an unversioned /version is served at the daemon's own API version.
      const v = await client.transport.json<SystemVersion>({ path: '/version', versioned: false });
      // Templates see docker's Go field names (APIVersion), not the JSON ones (ApiVersion).
      serverJson = v;
      const { ApiVersion, ...rest } = v;
      data.Server = { ...rest, APIVersion: ApiVersion } as unknown as SystemVersion;
      data.ServerOK = true;
      const apiVersion = v.ApiVersion && compareVersions(v.ApiVersion, CLIENT_API_VERSION) < 0 ? v.ApiVersion : CLIENT_API_VERSION;
      data.Client['APIVersion'] = apiVersion;
    } catch (err) {
      serverErr = err;
    }
    if (format === 'json') ctx.out(`${JSON.stringify({ Client: data.Client, Server: serverJson })}\n`);
    else if (format !== '') {
      const { compile, execute } = await import('../../format/formatter.js');
      ctx.out(`${execute(compile(format), data)}\n`);
    } else ctx.out(defaultOutput(data.Client, data.Server));
    if (serverErr !== undefined) throw serverErr;
    if (!data.ServerOK) throw new StatusError(1, '');
    return 0;
  },
};
