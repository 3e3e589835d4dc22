// Test support (not a test file): build a layer tarball from a list of entries with tar-stream.
// Shared by overlay.test.ts and extract-pool.test.ts.
import tar from 'tar-stream';

export interface TarEntry {
  name: string;
  type?: tar.Header['type'];
  body?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  devmajor?: number;
  devminor?: number;
}

/** A fixed mtime, so that layers built twice are byte-identical. */
export const T0 = new Date('2024-01-02T03:04:05Z');

/** The tarball of `entries`; uid/gid default to `defaults` (0 unless given), mtime to T0. */
export async function makeTar(entries: readonly TarEntry[], defaults: { uid?: number; gid?: number } = {}): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collecting = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const h: Parameters<tar.Pack['entry']>[0] = { name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), uid: e.uid ?? defaults.uid ?? 0, gid: e.gid ?? defaults.gid ?? 0, mtime: e.mtime ?? T0 };
    if (e.linkname !== undefined) h.linkname = e.linkname;
    if (e.devmajor !== undefined) h.devmajor = e.devmajor;
    if (e.devminor !== undefined) h.devminor = e.devminor;
    await new Promise<void>((res, rej) => {
      if (type === 'file') pack.entry(h, e.body ?? '', (err) => (err ? rej(err) : res()));
      else pack.entry(h, (err) => (err ? rej(err) : res()));
    });
  }
  pack.finalize();
  await collecting;
  return Buffer.concat(chunks);
}
