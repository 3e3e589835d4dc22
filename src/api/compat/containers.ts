// Container records -> Docker's wire shapes (inspect, list summary, status text).
import type { ContainerRecord } from '../../daemon/containers/index.js';
import type { ContainerInspectResponse, ContainerState, ContainerSummary, EndpointSettings, MountPoint, NetworkSettings } from '../../engine-api/container.js';
import { mountPointToWire } from './volumes.js';

const ZERO = '0001-01-01T00:00:00Z';

/** go-units HumanDuration, as `docker ps` shows it. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** Docker's State.String(): "Up 5 seconds (healthy)", "Exited (0) 2 minutes ago", "Created"... */
export function statusText(r: ContainerRecord, now = Date.now()): string {
  const s = r.state;
  switch (s.status) {
    case 'running':
    case 'paused': {
      const up = humanDuration(now - Date.parse(s.startedAt));
      if (s.status === 'paused') return `Up ${up} (Paused)`;
      const h = s.health?.Status;
      if (h === 'starting') return `Up ${up} (health: starting)`;
      if (h === 'healthy' || h === 'unhealthy') return `Up ${up} (${h})`;
      return `Up ${up}`;
    }
    case 'restarting':
      return `Restarting (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'created':
      return 'Created';
    case 'exited':
      if (s.finishedAt === ZERO) return '';
      return `Exited (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
  }
}

export function stateToWire(r: ContainerRecord): ContainerState {
  const s = r.state;
  const st: ContainerState = {
    Status: s.status,
    Running: s.status === 'running' || s.status === 'paused' || s.status === 'restarting',
    Paused: s.status === 'paused',
    Restarting: s.status === 'restarting',
    OOMKilled: s.oomKilled,
    Dead: s.status === 'dead',
    Pid: s.pid,
    ExitCode: s.exitCode,
    Error: s.error,
    StartedAt: s.startedAt,
    FinishedAt: s.finishedAt,
  };
  if (s.health) st.Health = s.health;
  return st;
}

function networkName(r: ContainerRecord): string {
  const m = r.hostConfig.NetworkMode ?? 'default';
  return m === 'host' ? 'host' : 'none';
}

function endpoint(): EndpointSettings {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: '',
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

export function mountsToWire(r: ContainerRecord): MountPoint[] {
  if (r.mounts) return r.mounts.map(mountPointToWire);
  const out: MountPoint[] = [];
  for (const b of r.hostConfig.Binds ?? []) {
    const [src = '', dst = '', mode = ''] = b.split(':');
    const modes = mode.split(',').filter(Boolean);
    out.push({ Type: 'bind', Source: src, Destination: dst, Mode: mode, RW: !modes.includes('ro'), Propagation: modes.find((m) => /^r?(shared|slave|private)$/.test(m)) ?? 'rprivate' });
  }
  for (const m of r.hostConfig.Mounts ?? []) {
    if (m.Type === 'bind') out.push({ Type: 'bind', Source: m.Source ?? '', Destination: m.Target ?? '', Mode: '', RW: !m.ReadOnly, Propagation: m.BindOptions?.Propagation ?? 'rprivate' });
    else if (m.Type === 'tmpfs') out.push({ Type: 'tmpfs', Source: '', Destination: m.Target ?? '', Mode: '', RW: !m.ReadOnly, Propagation: '' });
  }
  return out;
}

function networkSettings(r: ContainerRecord): NetworkSettings {
  const net = networkName(r);
  return {
    Bridge: '',
    SandboxID: '',
    SandboxKey: r.state.pid > 0 && net !== 'host' ? `/proc/${r.state.pid}/ns/net` : '',
    Ports: {},
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: '',
    Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    MacAddress: '',
    Networks: { [net]: endpoint() },
  };
}

export function inspectToWire(r: ContainerRecord, size?: { rw: number; rootFs: number }): ContainerInspectResponse {
  const res: ContainerInspectResponse = {
    Id: r.id,
    Created: r.created,
    Path: r.path,
    Args: r.args,
    State: stateToWire(r),
    Image: r.imageId,
    ResolvConfPath: r.paths.resolvConfPath,
    HostnamePath: r.paths.hostnamePath,
    HostsPath: r.paths.hostsPath,
    LogPath: r.paths.logPath,
    Name: r.name,
    RestartCount: r.restartCount,
    Driver: 'overlay2',
    Platform: r.platform,
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: r.execIds.length > 0 ? r.execIds : null,
    HostConfig: {
      Binds: null,
      ContainerIDFile: '',
      LogConfig: { Type: 'json-file', Config: {} },
      NetworkMode: 'default',
      PortBindings: {},
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      AutoRemove: false,
      VolumeDriver: '',
      VolumesFrom: null,
      ConsoleSize: [0, 0],
      CapAdd: null,
      CapDrop: null,
      CgroupnsMode: 'host',
      Dns: [],
      DnsOptions: [],
      DnsSearch: [],
      ExtraHosts: null,
      GroupAdd: null,
      IpcMode: 'private',
      Cgroup: '',
      Links: null,
      OomScoreAdj: 0,
      PidMode: '',
      Privileged: false,
      PublishAllPorts: false,
      ReadonlyRootfs: false,
      SecurityOpt: null,
      UTSMode: '',
      UsernsMode: '',
      ShmSize: 67108864,
      Runtime: r.runtime.name,
      Isolation: '',
      CpuShares: 0,
      Memory: 0,
      NanoCpus: 0,
      CgroupParent: '',
      BlkioWeight: 0,
      CpuPeriod: 0,
      CpuQuota: 0,
      CpuRealtimePeriod: 0,
      CpuRealtimeRuntime: 0,
      CpusetCpus: '',
      CpusetMems: '',
      Devices: [],
      DeviceCgroupRules: null,
      MemoryReservation: 0,
      MemorySwap: 0,
      MemorySwappiness: null,
      OomKillDisable: null,
      PidsLimit: null,
      Ulimits: [],
      ...r.hostConfig,
    },
    GraphDriver: {
      Name: 'overlay2',
      Data: { MergedDir: `${r.paths.dir}/merged`, UpperDir: `${r.paths.dir}/upper`, WorkDir: `${r.paths.dir}/work` },
    },
    Mounts: mountsToWire(r),
    Config: {
      Hostname: '',
      Domainname: '',
      User: '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: [],
      Cmd: null,
      Image: '',
      Volumes: null,
      WorkingDir: '',
      Entrypoint: null,
      OnBuild: null,
      Labels: {},
      ...r.config,
    },
    NetworkSettings: networkSettings(r),
  };
  if (size) {
    res.SizeRw = size.rw;
    res.SizeRootFs = size.rootFs;
  }
  return res;
}

export function summaryToWire(r: ContainerRecord, size?: { rw: number; rootFs: number }): ContainerSummary {
  const net = networkName(r);
  const s: ContainerSummary = {
    Id: r.id,
    Names: [r.name],
    Image: r.config.Image ?? r.imageId,
    ImageID: r.imageId,
    Command: [r.path, ...r.args].join(' '),
    Created: Math.floor(Date.parse(r.created) / 1000),
    Ports: [],
    Labels: r.config.Labels ?? {},
    State: r.state.status,
    Status: statusText(r),
    HostConfig: { NetworkMode: r.hostConfig.NetworkMode ?? 'default' },
    NetworkSettings: { Networks: { [net]: endpoint() } },
    Mounts: mountsToWire(r),
  };
  if (size) {
    s.SizeRw = size.rw;
    s.SizeRootFs = size.rootFs;
  }
  return s;
}

/** A /system/df container entry: the summary with its writable layer size. */
export function containerDiskUsage(svc: { sizeRw(r: ContainerRecord): number }, r: ContainerRecord): ContainerSummary {
  const rw = svc.sizeRw(r);
  return summaryToWire(r, { rw, rootFs: rw });
}
