// Unpack an image archive (docker save / OCI layout tarball) into a private temp directory,
// refusing anything that could write outside it: absolute names, ".." components, links whose
// target leaves the directory. Device nodes and other special files are skipped: an image
// archive is only files, directories and (old docker save) relative symlinks between layers.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, type Header } from 'tar-stream';
import { BerthError, invalidArgument } from '../../errdefs/index.js';
import { decompressError, decompressed } from './compression.js';

/** A relative, clean name inside the archive, or an invalid-argument error. */
export function safeName(name: string): string {
  const n = name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (n === '' || n === '.') return '';
  if (n.startsWith('/') || n.split('/').some((p) => p === '..')) throw invalidArgument(`invalid archive: ${JSON.stringify(name)} is outside of the archive root`);
  return path.posix.normalize(n);
}

function tarError(err: unknown): unknown {
  if (err instanceof BerthError) return err;
  const mapped = decompressError(err);
  if (mapped !== err) return mapped;
  const msg = err instanceof Error ? err.message : String(err);
  if (/unexpected end of data/i.test(msg)) return invalidArgument('invalid archive: unexpected EOF', { cause: err });
  if (/invalid tar header|invalid header/i.test(msg)) return invalidArgument(`invalid archive: archive/tar: invalid tar header`, { cause: err });
  return err;
}

/**
 * Unpack `source` (a tar, optionally gzip/zstd compressed) into `dir` (which must exist and be
 * empty). Errors are invalid-argument for bad input; `dir` is left for the caller to remove.
 */
export async function extractArchive(source: Readable, dir: string, signal?: AbortSignal): Promise<void> {
  const root = await fsp.realpath(dir);
  let entries = 0;
  const ex = tarExtract();
  ex.on('entry', (header: Header, stream, next) => {
    handleEntry(root, header, stream as unknown as Readable).then(
      () => {
        entries++;
        next();
      },
      (err: unknown) => {
        stream.resume();
        next(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
  try {
    const { stream } = await decompressed(source);
    await pipeline(stream, ex, ...(signal ? [{ signal }] : []));
  } catch (err) {
    throw tarError(err);
  }
  if (entries === 0) throw invalidArgument('invalid archive: the archive is empty');
}

async function handleEntry(root: string, header: Header, stream: Readable): Promise<void> {
  const rel = safeName(header.name);
  const target = path.join(root, rel);
  switch (header.type) {
    case 'directory':
      await fsp.mkdir(target, { recursive: true, mode: 0o700 });
      stream.resume();
      return;
    case 'file':
    case 'contiguous-file': {
      if (rel === '') throw invalidArgument(`invalid archive: ${JSON.stringify(header.name)} is not a file name`);
      await fsp.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await pipeline(stream, fs.createWriteStream(target, { flags: 'wx', mode: 0o600 }));
      return;
    }
    case 'symlink':
    case 'link': {
      stream.resume();
      const linkname = header.linkname ?? '';
      const resolved = header.type === 'link' ? path.join(root, safeName(linkname)) : path.resolve(path.dirname(target), linkname);
      if (linkname.startsWith('/') || (resolved !== root && !resolved.startsWith(`${root}/`))) {
        throw invalidArgument(`invalid archive: link ${JSON.stringify(header.name)} -> ${JSON.stringify(linkname)} points outside of the archive root`);
      }
      await fsp.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      if (header.type === 'link') await fsp.link(resolved, target);
      else await fsp.symlink(linkname, target);
      return;
    }
    default:
      stream.resume();
  }
}

/** Resolve a name from an archive's metadata (manifest.json, index.json) to a file inside `root`. */
export async function archiveFile(root: string, name: string): Promise<string> {
  const rel = safeName(name);
  let real: string;
  try {
    real = await fsp.realpath(path.join(root, rel));
  } catch {
    throw invalidArgument(`invalid archive: ${name} is missing from the archive`);
  }
  const realRoot = await fsp.realpath(root);
  if (!real.startsWith(`${realRoot}/`)) throw invalidArgument(`invalid archive: ${name} points outside of the archive root`);
  const st = await fsp.stat(real);
  if (!st.isFile()) throw invalidArgument(`invalid archive: ${name} is not a regular file`);
  return real;
}
