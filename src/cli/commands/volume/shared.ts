// Helpers of the volume commands: Engine API calls over the client's transport, and the
// volume row docker's formatter shows.
import type { CommandContext } from '../../command.js';
import { filtersParam } from '../../../client/client.js';
import type { Volume, VolumeCreateOptions, VolumeListResponse, VolumePruneResponse } from '../../../engine-api/volume.js';

export type Filters = Record<string, string[]>;

const enc = encodeURIComponent;

export const volumesApi = (ctx: CommandContext) => {
  const t = ctx.client().transport;
  return {
    create: (body: VolumeCreateOptions): Promise<Volume> => t.json({ method: 'POST', path: '/volumes/create', body }),
    list: (filters: Filters): Promise<VolumeListResponse> => t.json({ path: '/volumes', query: { filters: filtersParam(filters) } }),
    inspect: (name: string): Promise<Volume> => t.json({ path: `/volumes/${enc(name)}` }),
    remove: async (name: string, force: boolean): Promise<void> => {
      await t.json({ method: 'DELETE', path: `/volumes/${enc(name)}`, query: { force: force || undefined } });
    },
    prune: (filters: Filters): Promise<VolumePruneResponse> => t.json({ method: 'POST', path: '/volumes/prune', query: { filters: filtersParam(filters) } }),
  };
};

/** docker's volumeContext: the fields a --format template can use. */
export interface VolumeRow {
  Availability: string;
  Driver: string;
  Group: string;
  Labels: string;
  Links: string;
  Mountpoint: string;
  Name: string;
  Scope: string;
  Size: string;
  Status: string;
  Label(name: string): string;
}

export function volumeRow(v: Volume, humanSize: (n: number) => string): VolumeRow {
  const labels = v.Labels ?? {};
  return {
    Availability: 'N/A',
    Driver: v.Driver,
    Group: 'N/A',
    Labels: Object.entries(labels).map(([k, x]) => `${k}=${x}`).join(','),
    Links: v.UsageData && v.UsageData.RefCount >= 0 ? String(v.UsageData.RefCount) : 'N/A',
    Mountpoint: v.Mountpoint,
    Name: v.Name,
    Scope: v.Scope,
    Size: v.UsageData && v.UsageData.Size >= 0 ? humanSize(v.UsageData.Size) : 'N/A',
    Status: 'N/A',
    Label: (name: string) => labels[name] ?? '',
  };
}

/** Go's sortorder.NaturalLess on names: digit runs compare by value. */
export function naturalLess(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'variant' });
}
