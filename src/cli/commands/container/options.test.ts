import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Flags, FlagValues } from '../../flags.js';
import { CREATE_FLAGS, RUN_ONLY_FLAGS, buildCreateRequest, parseMount, parsePorts } from './options.js';

const flags = new Flags([...CREATE_FLAGS, ...RUN_ONLY_FLAGS]);
function req(argv: string[]) {
  const parsed = flags.parse(argv, { interspersed: false });
  return buildCreateRequest(new FlagValues(flags, parsed), parsed.args);
}
type Body = Record<string, unknown> & { HostConfig: Record<string, unknown> };

test('the image and command come after the flags; container flags stay with the command', () => {
  const r = req(['--rm', '-e', 'A=1', 'busybox', 'ls', '-l', '--rm']);
  const b = r.body as Body;
  assert.equal(b['Image'], 'busybox');
  assert.deepEqual(b['Cmd'], ['ls', '-l', '--rm']);
  assert.deepEqual(b['Env'], ['A=1']);
  assert.equal(b.HostConfig['AutoRemove'], true);
  assert.equal(b['AttachStdout'], true);
  assert.equal(b['AttachStdin'], false);
});

test('-it, -d and -a decide what is attached', () => {
  const it = req(['-it', 'busybox']).body as Body;
  assert.equal(it['Tty'], true);
  assert.equal(it['OpenStdin'], true);
  assert.equal(it['AttachStdin'], true);
  assert.equal(it['StdinOnce'], true);
  const d = req(['-d', 'busybox']).body as Body;
  assert.equal(d['AttachStdout'], false);
  assert.equal(d['AttachStderr'], false);
  const a = req(['-a', 'stderr', 'busybox']).body as Body;
  assert.deepEqual([a['AttachStdin'], a['AttachStdout'], a['AttachStderr']], [false, false, true]);
  assert.throws(() => req(['-d', '-a', 'stdout', 'busybox']), /Conflicting options: -a and -d/);
});

test('ports: docker\'s nat.ParsePortSpecs', () => {
  assert.deepEqual(parsePorts(['8080:80'], []), { exposed: { '80/tcp': {} }, bindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } });
  assert.deepEqual(parsePorts(['127.0.0.1::53/udp'], []).bindings, { '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
  assert.deepEqual(parsePorts(['[::1]:80:80'], []).bindings, { '80/tcp': [{ HostIp: '::1', HostPort: '80' }] });
  assert.deepEqual(Object.keys(parsePorts(['7000-7002:8000-8002'], []).bindings), ['8000/tcp', '8001/tcp', '8002/tcp']);
  assert.equal(parsePorts(['7000-7002:8000-8002'], []).bindings['8002/tcp']?.[0]?.HostPort, '7002');
  assert.deepEqual(parsePorts([], ['90-91/udp']).exposed, { '90/udp': {}, '91/udp': {} });
  assert.throws(() => parsePorts(['abc'], []), /invalid containerPort: abc/);
  assert.throws(() => parsePorts(['1.2.3:80:80'], []), /invalid IP address: 1.2.3/);
});

test('--mount, volumes, tmpfs, restart, resources and health flags', () => {
  assert.deepEqual(parseMount('type=bind,source=/a,target=/b,readonly,bind-propagation=rshared'), { Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true, BindOptions: { Propagation: 'rshared' } });
  assert.deepEqual(parseMount('type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770'), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1770 } });
  assert.throws(() => parseMount('type=bind'), /target is required/);
  const b = req([
    '-v', '/anon', '-v', '/host:/ctr:ro', '--tmpfs', '/run:size=1m', '--restart', 'on-failure:3', '-m', '1g', '--memory-swap', '-1', '--cpus', '0.5',
    '--health-cmd', 'true', '--health-interval', '1m30s', '--entrypoint', '', '--add-host', 'h=1.2.3.4', '--sysctl', 'net.ipv4.ip_forward=1', 'img',
  ]).body as Body;
  assert.deepEqual(b['Volumes'], { '/anon': {} });
  assert.deepEqual(b.HostConfig['Binds'], ['/host:/ctr:ro']);
  assert.deepEqual(b.HostConfig['Tmpfs'], { '/run': 'size=1m' });
  assert.deepEqual(b.HostConfig['RestartPolicy'], { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.equal(b.HostConfig['Memory'], 1024 ** 3);
  assert.equal(b.HostConfig['MemorySwap'], -1);
  assert.equal(b.HostConfig['NanoCpus'], 500_000_000);
  assert.deepEqual(b['Healthcheck'], { Test: ['CMD-SHELL', 'true'], Interval: 90_000_000_000 });
  assert.deepEqual(b['Entrypoint'], ['']);
  assert.deepEqual(b.HostConfig['ExtraHosts'], ['h:1.2.3.4']);
  assert.deepEqual(b.HostConfig['Sysctls'], { 'net.ipv4.ip_forward': '1' });
  assert.throws(() => req(['--no-healthcheck', '--health-cmd', 'x', 'img']), /--no-healthcheck conflicts with --health-\* options/);
  assert.throws(() => req(['--restart', 'on-failure:x', 'img']), /maximum retry count must be an integer/);
  assert.throws(() => req(['--pull', 'sometimes', 'img']), /invalid pull option: 'sometimes'/);
});

test('-v with a relative host path is made absolute, as docker\'s CLI does', () => {
  const r = req(['-v', './data:/data:ro', '-v', 'named:/n', '-v', '/abs:/a', 'busybox']);
  const binds = (r.body['HostConfig'] as { Binds: string[] }).Binds;
  assert.deepEqual(binds, [`${process.cwd()}/data:/data:ro`, 'named:/n', '/abs:/a']);
});
