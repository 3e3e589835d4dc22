// berth search [OPTIONS] TERM
import type { Command } from '../../command.js';
import { ellipsis, filterFlag, parseFilters } from '../common.js';
import { renderRows } from '../../format/formatter.js';
import { domainOf, loadAuth, registryAuthHeader } from './credentials.js';

interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

export const command: Command = {
  use: '[OPTIONS] TERM',
  short: 'Search Docker Hub for images',
  args: { min: 1, max: 1 },
  flags: [
    filterFlag(),
    { name: 'format', type: 'string', usage: 'Pretty-print search using a Go template' },
    { name: 'limit', type: 'int', usage: 'Max number of search results' },
    { name: 'no-trunc', type: 'bool', usage: "Don't truncate output" },
  ],
  async run(ctx, flags) {
    const term = flags.args[0] as string;
    const filters = parseFilters(flags.list('filter'));
    const first = term.split('/')[0] ?? '';
    const domain = term.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
    const auth = registryAuthHeader(loadAuth(ctx.globals.configDir, domainOf(`${domain}/x`)));
    const filterWire: Record<string, Record<string, boolean>> = {};
    for (const [k, vs] of Object.entries(filters)) filterWire[k] = Object.fromEntries(vs.map((v) => [v, true]));
    const limit = flags.changed('limit') ? flags.int('limit') : undefined;
    const results = await ctx.client().transport.json<SearchResult[]>({
      path: '/images/search',
      query: { term, limit: limit !== undefined && limit > 0 ? limit : undefined, filters: Object.keys(filterWire).length > 0 ? JSON.stringify(filterWire) : undefined },
      ...(auth ? { headers: { 'X-Registry-Auth': auth } } : {}),
    });
    const trunc = !flags.bool('no-trunc');
    const rows = results.map((r) => ({
      Name: r.name,
      Description: trunc ? ellipsis(r.description.replace(/[\r\n]/g, ' '), 45) : r.description.replace(/[\r\n]/g, ' '),
      StarCount: String(r.star_count),
      IsOfficial: r.is_official ? '[OK]' : '',
      IsAutomated: r.is_automated ? '[OK]' : '',
    }));
    const format = flags.string('format') || 'table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}';
    ctx.out(renderRows({ format, headers: { Name: 'NAME', Description: 'DESCRIPTION', StarCount: 'STARS', IsOfficial: 'OFFICIAL', IsAutomated: 'AUTOMATED' }, rows }));
    return 0;
  },
};
