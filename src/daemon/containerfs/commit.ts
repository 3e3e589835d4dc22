// `docker commit`: the container's upper dir as one more layer (overlay whiteouts as .wh.
// entries) on top of its image's layers, and an image config built as moby's
// CreateImageFromContainer does: the container's config with --change applied, merged with the
// container's config (moby daemon/commit.go merge), history and rootfs extended (an empty layer
// is not added: history says empty_layer, the chain stays the parent's).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { ContainerConfig } from '../../engine-api/container.js';
import type { ImageConfig, ImageConfigConfig, HistoryEntry } from '../../oci/types.js';
import { INIT_LAYER_PATHS } from './changes.js';

/** diffID of an empty tar (1024 zero bytes): Docker's layer.EmptyLayer. */
export const EMPTY_LAYER_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfafe4c30d9b2a';

function initPath(name: string): boolean {
  let p = `/${name.replace(/^\.?\/+/, '').replace(/\/+$/, '')}`;
  const base = p.slice(p.lastIndexOf('/') + 1);
  if (base.startsWith('.wh.') && !base.startsWith('.wh..wh.')) p = `${p.slice(0, p.lastIndexOf('/') + 1)}${base.slice(4)}`;
  return INIT_LAYER_PATHS.has(p) || p.startsWith('/dev/') || p.startsWith('/proc/') || p.startsWith('/sys/');
}

/** The layer tar without what Docker keeps in its init layer (mount points, /etc/hosts...). */
export function withoutInitPaths(layer: Readable): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  const piping = pipeline(layer, extract);
  piping.catch(() => undefined);
  void (async () => {
    for await (const entry of extract) {
      if (initPath(entry.header.name)) {
        for await (const _ of entry) void _;
        continue;
      }
      let sink!: ReturnType<tar.Pack['entry']>;
      const done = new Promise<void>((resolve, reject) => {
        sink = pack.entry(entry.header, (err?: Error | null) => (err ? reject(err) : resolve()));
      });
      done.catch(() => undefined);
      await pipeline(entry, sink);
      await done;
    }
    await piping;
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  pack.on('error', () => undefined);
  return Readable.from(pack, { objectMode: false });
}

type RunConfig = ContainerConfig;

/** moby daemon/commit.go merge(): fill what the user config leaves empty from the container's. */
export function mergeConfig(user: RunConfig, container: RunConfig): RunConfig {
  const u: RunConfig = { ...user };
  if (!u.User) u.User = container.User ?? '';
  if (!u.ExposedPorts || Object.keys(u.ExposedPorts).length === 0) {
    if (container.ExposedPorts) u.ExposedPorts = container.ExposedPorts;
  } else if (container.ExposedPorts) {
    u.ExposedPorts = { ...container.ExposedPorts, ...u.ExposedPorts };
  }
  if (!u.Env || u.Env.length === 0) {
    if (container.Env) u.Env = container.Env;
  } else {
    const keys = new Set(u.Env.map((e) => e.split('=', 1)[0]));
    for (const e of container.Env ?? []) if (!keys.has(e.split('=', 1)[0])) u.Env = [...u.Env, e];
  }
  u.Labels = { ...(container.Labels ?? {}), ...(u.Labels ?? {}) };
  if (!u.Entrypoint || u.Entrypoint.length === 0) {
    if (!u.Cmd || u.Cmd.length === 0) u.Cmd = container.Cmd ?? null;
    if (u.Entrypoint === undefined || u.Entrypoint === null) u.Entrypoint = container.Entrypoint ?? null;
  }
  if (container.Healthcheck && !u.Healthcheck) u.Healthcheck = container.Healthcheck;
  if (!u.WorkingDir) u.WorkingDir = container.WorkingDir ?? '';
  if (!u.Volumes || Object.keys(u.Volumes).length === 0) u.Volumes = container.Volumes ?? null;
  else u.Volumes = { ...u.Volumes, ...(container.Volumes ?? {}) };
  if (!u.StopSignal && container.StopSignal) u.StopSignal = container.StopSignal;
  return u;
}

/** moby image.NewChildImage: the committed image's config. */
export function childImageConfig(o: {
  parent: ImageConfig;
  config: RunConfig;
  containerId: string;
  containerConfig: RunConfig;
  author: string;
  comment: string;
  diffId: string | undefined;
  dockerVersion: string;
  created: string;
}): ImageConfig {
  const history: HistoryEntry & { empty_layer?: boolean } = { created: o.created };
  if (o.author) history.author = o.author;
  const cmd = (o.containerConfig.Cmd ?? []).join(' ');
  if (cmd) history.created_by = cmd;
  if (o.comment) history.comment = o.comment;
  if (o.diffId === undefined) history.empty_layer = true;
  const cfg: ImageConfig = {
    architecture: o.parent.architecture,
    ...(o.author ? { author: o.author } : {}),
    ...(o.comment ? { comment: o.comment } : {}),
    config: o.config as ImageConfigConfig,
    container: o.containerId,
    container_config: o.containerConfig as ImageConfigConfig,
    created: o.created,
    docker_version: o.dockerVersion,
    history: [...(o.parent.history ?? []), history],
    os: o.parent.os,
    ...(o.parent['os.version'] ? { 'os.version': o.parent['os.version'] } : {}),
    ...(o.parent['os.features'] ? { 'os.features': o.parent['os.features'] } : {}),
    ...(o.parent.variant ? { variant: o.parent.variant } : {}),
    rootfs: { type: 'layers', diff_ids: [...(o.parent.rootfs?.diff_ids ?? []), ...(o.diffId !== undefined ? [o.diffId] : [])] as ImageConfig['rootfs']['diff_ids'] },
  };
  return cfg;
}
