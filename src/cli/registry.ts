// The command tree. Command modules load lazily (one dynamic import per invocation), so
// start-up parses only the entry point and the module that runs.
import type { Command } from './command.js';

export interface Entry {
  name: string;
  aliases?: string[];
  short: string;
  load?: () => Promise<{ command: Command }>;
  sub?: Entry[];
}

const L = {
  version: () => import('./commands/system/version.js'),
  info: () => import('./commands/system/info.js'),
  df: () => import('./commands/system/df.js'),
  events: () => import('./commands/system/events.js'),
  images: () => import('./commands/image/list.js'),
  imageInspect: () => import('./commands/image/inspect.js'),
  history: () => import('./commands/image/history.js'),
  tag: () => import('./commands/image/tag.js'),
  rmi: () => import('./commands/image/remove.js'),
  imagePrune: () => import('./commands/image/prune.js'),
  import: () => import('./commands/image/import.js'),
  load: () => import('./commands/image/load.js'),
  save: () => import('./commands/image/save.js'),
  pull: () => import('./commands/distribution/pull.js'),
  push: () => import('./commands/distribution/push.js'),
  login: () => import('./commands/distribution/login.js'),
  logout: () => import('./commands/distribution/logout.js'),
  search: () => import('./commands/distribution/search.js'),
  inspect: () => import('./commands/inspect.js'),
  create: () => import('./commands/container/create.js'),
  run: () => import('./commands/container/run.js'),
  start: () => import('./commands/container/start.js'),
  stop: () => import('./commands/container/stop.js'),
  restart: () => import('./commands/container/restart.js'),
  kill: () => import('./commands/container/kill.js'),
  pause: () => import('./commands/container/pause.js'),
  unpause: () => import('./commands/container/unpause.js'),
  rm: () => import('./commands/container/remove.js'),
  wait: () => import('./commands/container/wait.js'),
  rename: () => import('./commands/container/rename.js'),
  ps: () => import('./commands/container/list.js'),
  logs: () => import('./commands/container/logs.js'),
  exec: () => import('./commands/container/exec.js'),
  attach: () => import('./commands/container/attach.js'),
  top: () => import('./commands/container/top.js'),
  containerPrune: () => import('./commands/container/prune.js'),
  containerInspect: () => import('./commands/container/inspect.js'),
  port: () => import('./commands/container/port.js'),
  networkCreate: () => import('./commands/network/create.js'),
  networkConnect: () => import('./commands/network/connect.js'),
  networkDisconnect: () => import('./commands/network/disconnect.js'),
  networkInspect: () => import('./commands/network/inspect.js'),
  networkLs: () => import('./commands/network/list.js'),
  networkPrune: () => import('./commands/network/prune.js'),
  networkRm: () => import('./commands/network/remove.js'),
  volumeCreate: () => import('./commands/volume/create.js'),
  volumeInspect: () => import('./commands/volume/inspect.js'),
  volumeLs: () => import('./commands/volume/list.js'),
  volumePrune: () => import('./commands/volume/prune.js'),
  volumeRm: () => import('./commands/volume/remove.js'),
  registryServe: () => import('./commands/registry/serve.js'),
  registryGc: () => import('./commands/registry/gc.js'),
};

const D = {
  attach: 'Attach local standard input, output, and error streams to a running container',
  create: 'Create a new container',
  exec: 'Execute a command in a running container',
  history: 'Show the history of an image',
  images: 'List images',
  import: 'Import the contents from a tarball to create a filesystem image',
  info: 'Display system-wide information',
  inspect: 'Return low-level information on Docker objects',
  kill: 'Kill one or more running containers',
  load: 'Load an image from a tar archive or STDIN',
  logs: 'Fetch the logs of a container',
  pause: 'Pause all processes within one or more containers',
  port: 'List port mappings or a specific mapping for the container',
  ps: 'List containers',
  rename: 'Rename a container',
  restart: 'Restart one or more containers',
  rm: 'Remove one or more containers',
  rmi: 'Remove one or more images',
  run: 'Create and run a new container from an image',
  save: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  pull: 'Download an image from a registry',
  push: 'Upload an image to a registry',
  login: 'Authenticate to a registry',
  logout: 'Log out from a registry',
  search: 'Search Docker Hub for images',
  start: 'Start one or more stopped containers',
  stop: 'Stop one or more running containers',
  tag: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  top: 'Display the running processes of a container',
  unpause: 'Unpause all processes within one or more containers',
  version: 'Show the Docker version information',
  wait: 'Block until one or more containers stop, then print their exit codes',
  events: 'Get real time events from the server',
  df: 'Show docker disk usage',
};

export const ROOT: Entry[] = [
  { name: 'run', short: D.run, load: L.run },
  { name: 'exec', short: D.exec, load: L.exec },
  { name: 'ps', short: D.ps, load: L.ps },
  { name: 'images', short: D.images, load: L.images },
  { name: 'version', short: D.version, load: L.version },
  { name: 'info', short: D.info, load: L.info },
  {
    name: 'container',
    short: 'Manage containers',
    sub: [
      { name: 'attach', short: D.attach, load: L.attach },
      { name: 'create', short: D.create, load: L.create },
      { name: 'exec', short: D.exec, load: L.exec },
      { name: 'inspect', short: 'Display detailed information on one or more containers', load: L.containerInspect },
      { name: 'kill', short: D.kill, load: L.kill },
      { name: 'logs', short: D.logs, load: L.logs },
      { name: 'ls', aliases: ['list', 'ps'], short: D.ps, load: L.ps },
      { name: 'pause', short: D.pause, load: L.pause },
      { name: 'port', short: D.port, load: L.port },
      { name: 'prune', short: 'Remove all stopped containers', load: L.containerPrune },
      { name: 'rename', short: D.rename, load: L.rename },
      { name: 'restart', short: D.restart, load: L.restart },
      { name: 'rm', aliases: ['remove'], short: D.rm, load: L.rm },
      { name: 'run', short: D.run, load: L.run },
      { name: 'start', short: D.start, load: L.start },
      { name: 'stop', short: D.stop, load: L.stop },
      { name: 'top', short: D.top, load: L.top },
      { name: 'unpause', short: D.unpause, load: L.unpause },
      { name: 'wait', short: D.wait, load: L.wait },
    ],
  },
  {
    name: 'image',
    short: 'Manage images',
    sub: [
      { name: 'history', short: D.history, load: L.history },
      { name: 'import', short: D.import, load: L.import },
      { name: 'inspect', short: 'Display detailed information on one or more images', load: L.imageInspect },
      { name: 'load', short: D.load, load: L.load },
      { name: 'ls', aliases: ['list'], short: D.images, load: L.images },
      { name: 'prune', short: 'Remove unused images', load: L.imagePrune },
      { name: 'rm', aliases: ['remove'], short: D.rmi, load: L.rmi },
      { name: 'pull', short: D.pull, load: L.pull },
      { name: 'push', short: D.push, load: L.push },
      { name: 'save', short: D.save, load: L.save },
      { name: 'tag', short: D.tag, load: L.tag },
    ],
  },
  {
    name: 'registry',
    short: "Run berth's own image registry",
    sub: [
      { name: 'gc', short: 'Remove registry manifests and blobs that no tag reaches', load: L.registryGc },
      { name: 'serve', short: 'Run an OCI distribution registry', load: L.registryServe },
    ],
  },
  {
    name: 'volume',
    short: 'Manage volumes',
    sub: [
      { name: 'create', short: 'Create a volume', load: L.volumeCreate },
      { name: 'inspect', short: 'Display detailed information on one or more volumes', load: L.volumeInspect },
      { name: 'ls', aliases: ['list'], short: 'List volumes', load: L.volumeLs },
      { name: 'prune', short: 'Remove unused local volumes', load: L.volumePrune },
      { name: 'rm', aliases: ['remove'], short: 'Remove one or more volumes', load: L.volumeRm },
    ],
  },
  {
    name: 'network',
    short: 'Manage networks',
    sub: [
      { name: 'connect', short: 'Connect a container to a network', load: L.networkConnect },
      { name: 'create', short: 'Create a network', load: L.networkCreate },
      { name: 'disconnect', short: 'Disconnect a container from a network', load: L.networkDisconnect },
      { name: 'inspect', short: 'Display detailed information on one or more networks', load: L.networkInspect },
      { name: 'ls', aliases: ['list'], short: 'List networks', load: L.networkLs },
      { name: 'prune', short: 'Remove all unused networks', load: L.networkPrune },
      { name: 'rm', aliases: ['remove'], short: 'Remove one or more networks', load: L.networkRm },
    ],
  },
  {
    name: 'system',
    short: 'Manage Docker',
    sub: [
      { name: 'df', short: D.df, load: L.df },
      { name: 'events', short: D.events, load: L.events },
      { name: 'info', short: D.info, load: L.info },
    ],
  },
  { name: 'attach', short: D.attach, load: L.attach },
  { name: 'create', short: D.create, load: L.create },
  { name: 'events', short: D.events, load: L.events },
  { name: 'history', short: D.history, load: L.history },
  { name: 'import', short: D.import, load: L.import },
  { name: 'inspect', short: D.inspect, load: L.inspect },
  { name: 'kill', short: D.kill, load: L.kill },
  { name: 'load', short: D.load, load: L.load },
  { name: 'logs', short: D.logs, load: L.logs },
  { name: 'pause', short: D.pause, load: L.pause },
  { name: 'port', short: D.port, load: L.port },
  { name: 'rename', short: D.rename, load: L.rename },
  { name: 'restart', short: D.restart, load: L.restart },
  { name: 'rm', short: D.rm, load: L.rm },
  { name: 'rmi', short: D.rmi, load: L.rmi },
  { name: 'save', short: D.save, load: L.save },
  { name: 'pull', short: D.pull, load: L.pull },
  { name: 'push', short: D.push, load: L.push },
  { name: 'login', short: D.login, load: L.login },
  { name: 'logout', short: D.logout, load: L.logout },
  { name: 'search', short: D.search, load: L.search },
  { name: 'start', short: D.start, load: L.start },
  { name: 'stop', short: D.stop, load: L.stop },
  { name: 'tag', short: D.tag, load: L.tag },
  { name: 'top', short: D.top, load: L.top },
  { name: 'unpause', short: D.unpause, load: L.unpause },
  { name: 'wait', short: D.wait, load: L.wait },
];

export function findEntry(list: Entry[], name: string): Entry | undefined {
  return list.find((e) => e.name === name || e.aliases?.includes(name));
}

/** All the paths that run the same module ("berth image ls, berth image list, berth images"). */
export function aliasesOf(entry: Entry): string[] {
  const out: string[] = [];
  const walk = (list: Entry[], prefix: string): void => {
    for (const e of list) {
      if (e.load === entry.load && e.load !== undefined) for (const n of [e.name, ...(e.aliases ?? [])]) out.push(`${prefix}${n}`);
      if (e.sub) walk(e.sub, `${prefix}${e.name} `);
    }
  };
  walk(ROOT, 'berth ');
  // docker lists the management-command forms first, each name before its aliases
  return out.sort((a, b) => b.split(' ').length - a.split(' ').length);
}
