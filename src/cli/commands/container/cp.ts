// berth cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-  /  berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH
// As docker's cli/command/container/cp.go: the path rules (trailing "/." copies a directory's
// contents, a missing destination takes the source's place, -L follows a source symlink) are
// applied on the client by renaming archive entries; the daemon only archives and extracts.
import path from 'node:path';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Command, CommandContext } from '../../command.js';
import { StatusError } from '../../exit-codes.js';
import { humanSize } from '../../format/units.js';
import { counter, getRebaseName, localDestination, prepareArchiveCopy, rebaseEntries, splitPathDirEntry, tarLocal, untarLocal, type CopyInfo } from './cp-archive.js';

interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const MODE_TYPE = (2 ** 31) | (2 ** 27) | (2 ** 26) | (2 ** 25) | (2 ** 24) | (2 ** 21) | (2 ** 19);
const isDirMode = (m: number): boolean => (m & MODE_DIR) !== 0 || m >= MODE_DIR;
const isSymlinkMode = (m: number): boolean => Math.floor(m / MODE_SYMLINK) % 2 === 1;

function splitCpArg(arg: string): { container: string; path: string } {
  if (arg.startsWith('/')) return { container: '', path: arg };
  const i = arg.indexOf(':');
  if (i < 0 || arg.startsWith('.')) return { container: '', path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

const enc = encodeURIComponent;

function decodeStat(h: string | string[] | undefined): PathStat {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) throw new StatusError(1, 'unable to get resource stat from response');
  return JSON.parse(Buffer.from(v, 'base64').toString('utf8')) as PathStat;
}

async function statPath(ctx: CommandContext, container: string, p: string): Promise<PathStat> {
  const res = await ctx.client().transport.request({ method: 'HEAD', path: `/containers/${enc(container)}/archive`, query: { path: p } });
  res.resume();
  return decodeStat(res.headers['x-docker-container-path-stat']);
}

function resolveLocal(p: string): string {
  const abs = path.resolve(p);
  // keep the trailing "/." or "/" that path.resolve drops
  if (p.endsWith('/.') || p === '.') return abs === '/' ? '/.' : `${abs}/.`;
  if (p.endsWith('/')) return abs === '/' ? '/' : `${abs}/`;
  return abs;
}

async function copyFromContainer(ctx: CommandContext, container: string, srcPathIn: string, dstPathIn: string, o: { followLink: boolean; quiet: boolean }): Promise<void> {
  let srcPath = srcPathIn;
  let dstPath = dstPathIn;
  if (dstPath !== '-') dstPath = resolveLocal(dstPath);
  let rebaseName = '';
  if (o.followLink) {
    try {
      const st = await statPath(ctx, container, srcPath);
      if (isSymlinkMode(st.mode)) {
        let target = st.linkTarget;
        if (!target.startsWith('/')) target = path.posix.join(splitPathDirEntry(srcPath)[0], target);
        [srcPath, rebaseName] = getRebaseName(srcPath, target);
      }
    } catch {
      /* the GET below reports it */
    }
  }
  const res = await ctx.client().transport.request({ path: `/containers/${enc(container)}/archive`, query: { path: srcPath } });
  const stat = decodeStat(res.headers['x-docker-container-path-stat']);
  if (dstPath === '-') {
    await pipeline(res, ctx.stdout, { end: false });
    return;
  }
  const srcInfo: CopyInfo = { path: srcPath, exists: true, isDir: isDirMode(stat.mode), rebaseName };
  let content: Readable = res;
  if (rebaseName !== '') content = rebaseEntries(res, splitPathDirEntry(srcPath)[1], rebaseName);
  const dstInfo = localDestination(dstPath);
  const { dir, archive } = prepareArchiveCopy(content, srcInfo, dstInfo);
  const count = counter();
  await untarLocal(archive.pipe(count), dir, { chown: false });
  if (!o.quiet && ctx.stderr.isTTY) ctx.err(`Successfully copied ${humanSize(stat.size > 0 && !srcInfo.isDir ? stat.size : count.bytes)} to ${dstPathIn}\n`);
}

async function copyToContainer(ctx: CommandContext, srcPathIn: string, container: string, dstPath: string, o: { followLink: boolean; copyUIDGID: boolean; quiet: boolean }): Promise<void> {
  let srcPath = srcPathIn;
  if (srcPath !== '-') srcPath = resolveLocal(srcPath);
  const dstInfo: CopyInfo = { path: dstPath, exists: false, isDir: false, rebaseName: '' };
  let dstStat: PathStat | undefined;
  try {
    dstStat = await statPath(ctx, container, dstPath);
    if (isSymlinkMode(dstStat.mode)) {
      let target = dstStat.linkTarget;
      if (!target.startsWith('/')) target = path.posix.join(splitPathDirEntry(dstPath)[0], target);
      dstInfo.path = target;
      dstStat = await statPath(ctx, container, target);
    }
  } catch {
    dstStat = undefined;
  }
  if (dstStat) {
    const type = dstStat.mode & MODE_TYPE;
    if (type !== 0 && !isDirMode(dstStat.mode)) throw new StatusError(1, `destination "${container}:${dstPath}" must be a directory or a regular file`);
    dstInfo.exists = true;
    dstInfo.isDir = isDirMode(dstStat.mode);
  }
  let content: Readable;
  let resolvedDst: string;
  if (srcPath === '-') {
    if (!dstInfo.isDir) throw new StatusError(1, `destination "${container}:${dstPath}" must be a directory`);
    content = ctx.stdin;
    resolvedDst = dstInfo.path;
  } else {
    let resolved = srcPath;
    let rebase = '';
    if (o.followLink) {
      [resolved, rebase] = getRebaseName(srcPath, fs.realpathSync(srcPath));
    } else {
      const [d, b] = splitPathDirEntry(srcPath);
      try {
        resolved = path.join(fs.realpathSync(d), b);
        if (b === '.') resolved = `${fs.realpathSync(d)}/.`;
      } catch {
        throw new StatusError(1, `lstat ${srcPath}: no such file or directory`);
      }
    }
    let st: fs.Stats;
    try {
      st = fs.lstatSync(resolved.replace(/\/\.$/, '') || '/');
    } catch {
      throw new StatusError(1, `lstat ${srcPath.replace(/\/\.?$/, '')}: no such file or directory`);
    }
    const srcInfo: CopyInfo = { path: resolved, exists: true, isDir: st.isDirectory(), rebaseName: rebase };
    const prepared = prepareArchiveCopy(tarLocal(resolved, { rebaseName: rebase }), srcInfo, dstInfo);
    content = prepared.archive;
    resolvedDst = prepared.dir;
  }
  const count = counter();
  const res = await ctx.client().transport.request({
    method: 'PUT',
    path: `/containers/${enc(container)}/archive`,
    query: { path: resolvedDst, noOverwriteDirNonDir: 'true', copyUIDGID: o.copyUIDGID ? 'true' : undefined },
    body: content.pipe(count),
    headers: { 'Content-Type': 'application/x-tar' },
  });
  res.resume();
  if (!o.quiet && ctx.stderr.isTTY) ctx.err(`Successfully copied ${humanSize(count.bytes)} to ${container}:${dstInfo.path}\n`);
}

export const command: Command = {
  use: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  short: 'Copy files/folders between a container and the local filesystem',
  args: { min: 2, max: 2 },
  flags: [
    { name: 'archive', short: 'a', type: 'bool', usage: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', type: 'bool', usage: 'Always follow symbol link in SRC_PATH' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
  ],
  async run(ctx, flags) {
    const [srcArg, dstArg] = flags.args as [string, string];
    const src = splitCpArg(srcArg);
    const dst = splitCpArg(dstArg);
    if (src.path === '') throw new StatusError(1, 'source can not be empty');
    if (dst.path === '') throw new StatusError(1, 'destination can not be empty');
    if (src.container !== '' && dst.container !== '') throw new StatusError(1, 'copying between containers is not supported');
    if (src.container === '' && dst.container === '') throw new StatusError(1, 'must specify at least one container source');
    const quiet = flags.bool('quiet');
    if (src.container !== '') await copyFromContainer(ctx, src.container, src.path, dst.path, { followLink: flags.bool('follow-link'), quiet });
    else await copyToContainer(ctx, src.path, dst.container, dst.path, { followLink: flags.bool('follow-link'), copyUIDGID: flags.bool('archive'), quiet });
    return 0;
  },
};
