// berth images / berth image ls
import type { Command } from '../../command.js';
import type { ImageSummary } from '../../../client/types.js';
import { filterFlag, formatFlag, parseFilters, shortId } from '../common.js';
import { renderRows } from '../../format/formatter.js';
import { goTimeString, humanSize, timeAgo } from '../../format/units.js';
import { splitRepoTag } from '../../reference.js';

export interface ImageRow {
  Containers: string;
  CreatedAt: string;
  CreatedSince: string;
  Digest: string;
  ID: string;
  Repository: string;
  SharedSize: string;
  Size: string;
  Tag: string;
  UniqueSize: string;
  VirtualSize: string;
}

function row(img: ImageSummary, repo: string, tag: string, digest: string, trunc: boolean): ImageRow {
  const na = (n: number | undefined): string => (n === undefined || n < 0 ? 'N/A' : humanSize(n, 3));
  return {
    Containers: img.Containers < 0 ? 'N/A' : String(img.Containers),
    CreatedAt: goTimeString(new Date(img.Created * 1000)),
    CreatedSince: timeAgo(img.Created),
    Digest: digest,
    ID: trunc ? shortId(img.Id) : img.Id,
    Repository: repo,
    SharedSize: na(img.SharedSize),
    Size: humanSize(img.Size, 3),
    Tag: tag,
    UniqueSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.Size - img.SharedSize, 3),
    VirtualSize: humanSize(img.VirtualSize ?? img.Size),
  };
}

/** docker's imageFormat: a row per repository:tag, digest-only rows, or <none>:<none>. */
export function imageRows(images: ImageSummary[], opts: { digests: boolean; trunc: boolean }): ImageRow[] {
  const out: ImageRow[] = [];
  for (const img of images) {
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const ref of img.RepoTags ?? []) {
      if (ref === '<none>:<none>') continue;
      const { repo, tag } = splitRepoTag(ref);
      repoTags.set(repo, [...(repoTags.get(repo) ?? []), tag]);
    }
    for (const ref of img.RepoDigests ?? []) {
      const at = ref.indexOf('@');
      if (at < 0 || ref === '<none>@<none>') continue;
      const repo = ref.slice(0, at);
      repoDigests.set(repo, [...(repoDigests.get(repo) ?? []), ref.slice(at + 1)]);
    }
    for (const [repo, tags] of repoTags) {
      const digests = opts.digests ? (repoDigests.get(repo) ?? []) : [];
      repoDigests.delete(repo);
      for (const tag of tags) {
        if (digests.length === 0) out.push(row(img, repo, tag, '<none>', opts.trunc));
        else for (const d of digests) out.push(row(img, repo, tag, d, opts.trunc));
      }
    }
    for (const [repo, digests] of repoDigests) {
      if (opts.digests) for (const d of digests) out.push(row(img, repo, '<none>', d, opts.trunc));
      else out.push(row(img, repo, '<none>', '<none>', opts.trunc));
    }
    if (repoTags.size === 0 && repoDigests.size === 0) out.push(row(img, '<none>', '<none>', '<none>', opts.trunc));
  }
  return out;
}

export const IMAGE_HEADERS = {
  Containers: 'CONTAINERS',
  CreatedAt: 'CREATED AT',
  CreatedSince: 'CREATED',
  Digest: 'DIGEST',
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  SharedSize: 'SHARED SIZE',
  Size: 'SIZE',
  Tag: 'TAG',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'VIRTUAL SIZE',
};

export const command: Command = {
  use: '[OPTIONS] [REPOSITORY[:TAG]]',
  short: 'List images',
  args: { max: 1 },
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Show all images (default hides intermediate images)' },
    { name: 'digests', type: 'bool', usage: 'Show digests' },
    filterFlag(),
    formatFlag(),
    { name: 'no-trunc', type: 'bool', usage: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Only show image IDs' },
    { name: 'tree', type: 'bool', usage: 'List multi-platform images as a tree (EXPERIMENTAL)', hidden: true },
  ],
  async run(ctx, flags) {
    const filters = parseFilters(flags.list('filter'));
    const ref = flags.args[0];
    if (ref !== undefined) (filters['reference'] ??= []).push(ref);
    const digests = flags.bool('digests');
    const quiet = flags.bool('quiet');
    const images = await ctx.client().listImages({ all: flags.bool('all'), filters, digests: true });
    let format = flags.string('format');
    if (quiet) format = '{{.ID}}';
    else if (format === '' || format === 'table') format = digests ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}' : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
    const rows = imageRows(images, { digests: digests || format.includes('.Digest'), trunc: !flags.bool('no-trunc') });
    ctx.out(renderRows({ format, headers: IMAGE_HEADERS, rows }));
    return 0;
  },
};
