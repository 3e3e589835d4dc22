// berthd: the daemon. The only place where concrete classes are wired together.
import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { parseDaemonFlags, resolveConfig, type DaemonConfig } from '../daemon/config.js';
import { lockDataRoot, type RootLock } from '../daemon/lock.js';
import { EventsService } from '../daemon/events.js';
import { BERTH_VERSION, SystemService, type SystemProviders } from '../daemon/system.js';
import { MetadataDb } from '../store/metadata/db.js';
import { buildApi, listen, type Listener } from '../api/server.js';
import { HijackRouter } from '../api/hijack.js';
import { systemRouter } from '../api/routers/system.js';
import { imagesRouter } from '../api/routers/images.js';
import { distributionRouter } from '../api/routers/distribution.js';
import { DistributionService } from '../daemon/distribution/index.js';
import { imageSummaryToWire } from '../api/compat/images.js';
import { ImageService } from '../daemon/images/service.js';
import { LocalContentStore, OverlaySnapshotter } from '../store/index.js';
import { setupContainers } from '../daemon/containers/setup.js';
import { setupSecurity, toHost } from '../runtime/security/index.js';
import { setupVolumes } from '../daemon/volumes/index.js';
import { volumesRouter } from '../api/routers/volumes.js';
import { volumeUsageToWire } from '../api/compat/volumes.js';
import { containersRouter } from '../api/routers/containers.js';
import { containerDiskUsage } from '../api/compat/containers.js';
import { NetworkService, networkSettingsFrom } from '../daemon/networks/index.js';
import { spawner } from '../network/spawner.js';
import { spawnPool } from '../runtime/spawn-pool.js';
import { ShellSpawner } from '../runtime/shell-spawner.js';
import { findBinary } from '../runtime/which.js';
import { usableBusybox } from '../runtime/probe.js';
import { setHelperExec } from '../store/snapshots/helper-exec.js';
import { networksRouter } from '../api/routers/networks.js';
import { containerNetworkSettings, summaryPorts } from '../api/compat/networks.js';
import { ContainerAttach, ContainerLogs, ContainerTop, ExecService } from '../daemon/streams/index.js';
import { containerStreamsRouter, registerStreamHijacks } from '../api/routers/container-streams.js';
import { StatsService } from '../daemon/stats/index.js';
import { statsRouter } from '../api/routers/stats.js';
import { ContainerFsService } from '../daemon/containerfs/index.js';
import { containerFsRouter } from '../api/routers/container-fs.js';
import type { FastifyPluginAsync } from 'fastify';

const USAGE = `Usage:	berthd [OPTIONS]

A Docker-compatible container engine daemon.

Options (as dockerd's):
      --config-file string     Daemon configuration file (default "/etc/berth/daemon.json")
      --data-root string       Root directory of persistent state (default "/var/lib/berth")
      --exec-root string       Root directory for execution state files (default "/run/berth")
  -H, --host list              Daemon socket(s) to connect to (default unix:///run/berth/berth.sock)
  -p, --pidfile string         Path to use for daemon PID file (default "/run/berth/berthd.pid")
  -l, --log-level string       Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
  -D, --debug                  Enable debug mode
      --label list             Set key=value labels to the daemon
      --default-runtime string Default OCI runtime for containers
      --live-restore           Keep containers running when the daemon stops (default true)
      --validate               Validate the configuration and exit
  -v, --version                Print version information and quit
`;

/** A step of start-up that registers what it needs closed on shutdown. */
export interface Closer {
  name: string;
  close(): Promise<void> | void;
}

async function main(): Promise<number> {
  let flags;
  let config: DaemonConfig;
  try {
    flags = parseDaemonFlags(process.argv.slice(2));
    if (flags.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (flags.version) {
      process.stdout.write(`berthd version ${BERTH_VERSION}\n`);
      return 0;
    }
    config = resolveConfig(flags);
    if (flags.validate) {
      process.stdout.write('configuration OK\n');
      return 0;
    }
  } catch (err) {
    process.stderr.write(`berthd: ${(err as Error).message}\n`);
    return 1;
  }

  const logger = pino({ level: config.logLevel, base: { pid: process.pid }, redact: ['req.headers.authorization', 'req.headers["x-registry-auth"]', '*.password', '*.auth'] }, pino.destination(2));
  const closers: Closer[] = [];
  let lock: RootLock | undefined;
  try {
    fs.mkdirSync(config.dataRoot, { recursive: true, mode: 0o710 });
    fs.mkdirSync(config.execRoot, { recursive: true, mode: 0o700 });
    // runtime commands, mount(8) and conmon are spawned by a small shell rather than by forks of
    // berthd (shell-spawner.ts); busybox's where there is one (static: the cheapest fork and exec)
    const busybox = findBinary('busybox');
    const shell = new ShellSpawner(busybox ? [busybox, 'sh'] : ['/bin/sh'], path.join(config.execRoot, 'spawn'));
    spawnPool.useShell(shell);
    spawner.useShell(shell);
    lock = lockDataRoot(config.dataRoot);
    fs.mkdirSync(path.dirname(config.pidfile), { recursive: true });
    fs.writeFileSync(config.pidfile, `${process.pid}`);

    // nothing is served yet: the network tools run from this thread, no worker isolate is started
    spawner.setInline(true);
    const db = new MetadataDb(path.join(config.dataRoot, 'berth.db'));
    closers.push({ name: 'database', close: () => db.close() });
    const events = new EventsService();
    const hijack = new HijackRouter();
    const routers: FastifyPluginAsync[] = [];

    // --- services (each issue's subsystem is wired here) ---
    // images: blobs + overlay layers + the image service; `images` is the ImageResolver others take.
    const content = new LocalContentStore(config.dataRoot);
    const snapshots = new OverlaySnapshotter({ dataRoot: config.dataRoot, db });
    const images = new ImageService({ db, content, snapshots, events, logger: logger.child({ component: 'images' }), tmpDir: path.join(config.dataRoot, 'tmp') });
    for (const p of await content.cleanupTemp()) logger.info({ path: p }, 'removed an interrupted blob ingest');
    for (const p of await snapshots.verify()) logger.warn({ layer: p }, 'snapshot store repaired');
    await images.recover();
    const systemProviders: SystemProviders = { imageCount: () => images.count(), diskUsage: { images: async () => { const u = await images.diskUsage(); return { layersSize: u.layersSize, images: u.images.map(imageSummaryToWire) }; } } };
    const system = new SystemService(config, systemProviders);
    routers.push(systemRouter({ system, events }));
    // distribution: pull, push, login, search against registries.
    const distribution = new DistributionService({
      images, content, snapshots, logger: logger.child({ component: 'distribution' }),
      maxConcurrentDownloads: config.maxConcurrentDownloads, maxConcurrentUploads: config.maxConcurrentUploads,
      maxDownloadAttempts: config.maxDownloadAttempts,
      registryMirrors: config.registryMirrors, insecureRegistries: config.insecureRegistries, userAgent: `berth/${BERTH_VERSION}`,
    });
    closers.push({ name: 'distribution', close: () => distribution.close() });
    routers.push(imagesRouter({ images, distribution }));
    routers.push(distributionRouter({ distribution }));
    // containers: runtimes probed, running containers adopted; closes before the database does.
    // volumes: local driver + plugins; the containers' MountResolver.
    // security: limits, seccomp, capabilities, userns-remap (remapped layer copies as the rootfs mounter)
    const security = setupSecurity({ config, layers: snapshots, rootfs: snapshots });
    const remappedRoot = security.remap ? { uid: toHost(security.remap.uidMap, 0), gid: toHost(security.remap.gidMap, 0) } : undefined;
    const volumes = await setupVolumes({ config, db, events, logger: logger.child({ component: 'volumes' }), rootOwner: remappedRoot });
    // networks: bridges, berth's nftables table, embedded DNS, published ports; the containers' NetworkAttacher.
    // Closes after the containers (unshifted first), so a shutdown without live-restore releases networks.
    const network = new NetworkService({ db, events, logger: logger.child({ component: 'network' }), settings: networkSettingsFrom(config.raw), execRoot: config.execRoot });
    await network.restore();
    closers.unshift({ name: 'network', close: () => network.close() });
    const containers = await setupContainers({ config, db, events, images, rootfs: security.rootfs, logger: logger.child({ component: 'containers' }), mounts: volumes.mounts, network, security: security.policy });
    network.setContainers(containers.service);
    await network.reconcile((id) => ['running', 'paused', 'restarting'].includes(containers.service.find(id)?.state.status ?? ''));
    routers.push(networksRouter({ networks: network }));
    volumes.service.pruneRefs(new Set(containers.service.list().map((r) => r.id)));
    systemProviders.volumeDrivers = () => volumes.drivers.names();
    systemProviders.diskUsage = { ...systemProviders.diskUsage, volumes: async () => (await volumes.service.diskUsage()).map(volumeUsageToWire) };
    routers.push(volumesRouter({ volumes: volumes.service }));
    closers.unshift({ name: 'containers', close: () => containers.service.close() });
    Object.assign(systemProviders, containers.providers);
    systemProviders.diskUsage = { ...systemProviders.diskUsage, containers: async () => containers.service.list().map((r) => containerDiskUsage(containers.service, r)) };
    routers.push(containersRouter({ containers: containers.service, imageId: (ref) => { try { return images.resolve(ref).id; } catch { return undefined; } }, network: { settings: (r) => containerNetworkSettings(network, r), ports: (r) => summaryPorts(network, r) } }));
    // streams: logs, attach, resize, exec, top over the container service.
    const streams = { logs: new ContainerLogs(containers.service), attach: new ContainerAttach(containers.service, events), exec: new ExecService(containers.service, events), top: new ContainerTop(containers.service) };
    closers.unshift({ name: 'streams', close: () => { streams.attach.close(); streams.exec.close(); } });
    routers.push(containerStreamsRouter(streams));
    registerStreamHijacks(hijack, streams, logger.child({ component: 'streams' }));
    // stats and filesystem operations (cp, diff, export, commit) over the container service.
    routers.push(statsRouter({ stats: new StatsService({ containers: containers.service }) }));
    routers.push(containerFsRouter({ fs: new ContainerFsService({ containers: containers.service, rootfs: snapshots, snapshots, content, images, events, logger: logger.child({ component: 'containerfs' }), version: BERTH_VERSION }) }));

    const app = await buildApi({ logger: logger.child({ component: 'api' }), routers, hijack, serverHeader: `berth/${BERTH_VERSION} (linux)` });
    const listeners: Listener[] = [];
    for (const host of config.hosts) listeners.push(await listen(app, host, hijack, logger));
    spawner.setInline(false);
    // from now on the snapshotter's helpers (mount/umount of container rootfs, sync -f, chattr)
    // run from the runtime's spawn pool; busybox's mount and umount where its applets do
    // (usableBusybox): a static binary, half the exec cost of util-linux's (libmount, libblkid,
    // libselinux); overlay options go through as is
    setHelperExec(async (cmd, args, cwd) => {
      const mounts = cmd === 'mount' || cmd === 'umount';
      const bb = mounts ? usableBusybox() : '';
      // a syncfs after a big pull on a slow disk may take minutes: no time limit for it
      const r = await spawnPool.run({ cmd: bb || cmd, args: bb ? [cmd, ...args] : args, ...(cwd ? { cwd } : {}), ...(mounts ? { timeoutMs: 60_000 } : {}) });
      return { code: r.code, stderr: r.stderr.trim() || (r.code !== 0 ? `${cmd} exited with status ${r.code}` : '') };
    });
    // Listeners close first so no new request starts while services shut down.
    closers.unshift({ name: 'api', close: async () => { await Promise.all(listeners.map((l) => l.close())); await app.close(); } });
    logger.info({ hosts: config.hosts, dataRoot: config.dataRoot, version: BERTH_VERSION }, 'berthd is ready');
    events.publish('daemon', 'start', system.id, { name: system.host.kernelVersion });

    await waitForSignals(logger, flags.configFile, (next) => {
      logger.level = next.logLevel;
      system.reload(next);
      events.publish('daemon', 'reload', system.id, { 'log-level': next.logLevel, labels: next.labels.join(',') });
    });
  } catch (err) {
    logger.fatal({ err }, `berthd failed to start: ${(err as Error).message}`);
    await shutdown(closers, logger);
    lock?.release();
    return 1;
  }
  await shutdown(closers, logger);
  fs.rmSync(config.pidfile, { force: true });
  lock?.release();
  logger.info('berthd stopped');
  logger.flush();
  return 0;
}

async function shutdown(closers: Closer[], logger: Logger): Promise<void> {
  for (const c of closers) {
    try {
      await c.close();
    } catch (err) {
      logger.error({ err, component: c.name }, 'shutdown step failed');
    }
  }
  closers.length = 0;
}

/** Resolve on SIGTERM/SIGINT; on SIGHUP re-read the config file and apply what is reloadable. */
function waitForSignals(logger: Logger, configFile: string | undefined, onReload: (c: DaemonConfig) => void): Promise<void> {
  return new Promise((resolve) => {
    const stop = (sig: string) => () => {
      logger.info({ signal: sig }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', stop('SIGTERM'));
    process.once('SIGINT', stop('SIGINT'));
    process.on('SIGHUP', () => {
      try {
        const next = resolveConfig({ ...parseDaemonFlags(process.argv.slice(2)), configFile });
        onReload(next);
        logger.info({ logLevel: next.logLevel, labels: next.labels }, 'configuration reloaded');
      } catch (err) {
        logger.error({ err }, `reload failed, keeping the current configuration: ${(err as Error).message}`);
      }
    });
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`berthd: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
