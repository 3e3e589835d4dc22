import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ociRuntimeConfigValidator, SPECS_DIR } from '../../test/specs/schemas.js';
import { buildSpec, capabilities, DEFAULT_CAPS, daemonHardLimits, parseTmpfsOptions, type SpecInput } from './spec.js';
import { resolveUser } from './user.js';
import { hostsContent, resolvConfContent } from './etc-files.js';
import { parseSignal } from './signals.js';
import { mapCreateError } from './conmon.js';

function input(over: Partial<SpecInput> = {}): SpecInput {
  return {
    id: 'a'.repeat(64),
    config: { Image: 'busybox', Env: ['PATH=/bin', 'FOO=bar'], WorkingDir: '/tmp' },
    hostConfig: {},
    path: 'sh',
    args: ['-c', 'true'],
    rootfs: '/var/lib/berth/containers/x/merged',
    user: { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' },
    hostname: 'aaaaaaaaaaaa',
    etc: { hostsPath: '/c/hosts', hostnamePath: '/c/hostname', resolvConfPath: '/c/resolv.conf' },
    cgroupParent: '/berth',
    initPath: '/usr/bin/tini-static',
    ...over,
  };
}

test('generated config.json validates against the OCI runtime schema', (t) => {
  // the schemas are in the repository (test/specs): a missing one is a broken checkout, not a skip
  assert.ok(fs.existsSync(path.join(SPECS_DIR, 'oci-runtime', 'config-schema.json')), `OCI runtime schema missing under ${SPECS_DIR}`);
  void t;
  const validate = ociRuntimeConfigValidator();
  const cases: SpecInput[] = [
    input(),
    input({
      config: { Image: 'busybox', Tty: true, Env: [], User: '1000' },
      hostConfig: {
        ReadonlyRootfs: true,
        Tmpfs: { '/run': 'rw,size=64m,exec' },
        ShmSize: 1 << 20,
        Init: true,
        NetworkMode: 'host',
        CapAdd: ['NET_ADMIN'],
        CapDrop: ['MKNOD'],
        Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1 << 30 }],
        Memory: 64 << 20,
        NanoCpus: 500_000_000,
        PidsLimit: 100,
        Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rw' }],
        Sysctls: { 'net.ipv4.ip_forward': '1' },
        OomScoreAdj: 100,
        SecurityOpt: ['no-new-privileges'],
      },
    }),
    input({ hostConfig: { Privileged: true } }),
  ];
  for (const c of cases) {
    const spec = buildSpec(c);
    const ok = validate(JSON.parse(JSON.stringify(spec)));
    assert.ok(ok, JSON.stringify(validate.errors, null, 1));
  }
});

test('spec: Docker defaults (caps, masked paths, namespaces, cgroupsPath, env)', () => {
  const s = buildSpec(input());
  assert.deepEqual(s['process'].capabilities.bounding, [...DEFAULT_CAPS]);
  assert.equal(s['linux'].cgroupsPath, `/berth/${'a'.repeat(64)}`);
  assert.ok(s['linux'].maskedPaths.includes('/proc/kcore'));
  assert.ok(s['linux'].readonlyPaths.includes('/proc/sys'));
  assert.deepEqual(s['linux'].namespaces.map((n: { type: string }) => n.type).sort(), ['ipc', 'mount', 'network', 'pid', 'uts']);
  assert.deepEqual(s['process'].env, ['PATH=/bin', 'HOSTNAME=aaaaaaaaaaaa', 'FOO=bar', 'HOME=/root']);
  assert.equal(s['process'].cwd, '/tmp');
  assert.equal(s['hostname'], 'aaaaaaaaaaaa');
  const shm = s['mounts'].find((m: { destination: string }) => m.destination === '/dev/shm');
  assert.ok(shm.options.includes(`size=${64 * 1024 * 1024}`));
  for (const d of ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf']) assert.ok(s['mounts'].some((m: { destination: string }) => m.destination === d));
});

test('spec: host network has no netns; --init wraps the command; rlimits are clamped to our own', () => {
  const s = buildSpec(input({ hostConfig: { NetworkMode: 'host', Init: true, Ulimits: [{ Name: 'nofile', Soft: 1 << 30, Hard: 1 << 30 }] } }));
  assert.ok(!s['linux'].namespaces.some((n: { type: string }) => n.type === 'network'));
  assert.deepEqual(s['process'].args.slice(0, 3), ['/sbin/docker-init', '--', 'sh']);
  assert.ok(s['mounts'].some((m: { destination: string; source: string }) => m.destination === '/sbin/docker-init' && m.source === '/usr/bin/tini-static'));
  const max = daemonHardLimits().get('RLIMIT_NOFILE') ?? 0;
  const r = s['process'].rlimits.find((x: { type: string }) => x.type === 'RLIMIT_NOFILE');
  assert.equal(r.hard, Math.min(1 << 30, max));
  assert.ok(r.soft <= r.hard);
});

test('spec: bad input is Docker\'s 400', () => {
  assert.throws(() => capabilities({ CapAdd: ['NOPE'] }), /unknown capability: "CAP_NOPE"/);
  assert.throws(() => buildSpec(input({ hostConfig: { Ulimits: [{ Name: 'bogus', Soft: 1, Hard: 1 }] } })), /invalid ulimit type: bogus/);
  assert.deepEqual(capabilities({ CapDrop: ['ALL'], CapAdd: ['chown'] }), ['CAP_CHOWN']);
  assert.deepEqual(parseTmpfsOptions('rw,exec,size=1m'), ['nosuid', 'nodev', 'rw', 'size=1m']);
});

test('user resolution from the rootfs passwd and group files', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-user-'));
  try {
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/var/www:/bin/false\n');
    fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nwheel:x:10:root,www\nwww:x:33:\nstaff:x:50:\n');
    assert.deepEqual(resolveUser(root, ''), { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' });
    assert.deepEqual(resolveUser(root, 'www'), { uid: 33, gid: 33, additionalGids: [33, 10], home: '/var/www' });
    assert.deepEqual(resolveUser(root, 'www:staff'), { uid: 33, gid: 50, additionalGids: [50], home: '/var/www' });
    assert.deepEqual(resolveUser(root, '1234:5'), { uid: 1234, gid: 5, additionalGids: [5], home: '/' });
    assert.throws(() => resolveUser(root, 'nobody'), /unable to find user nobody: no matching entries in passwd file/);
    assert.throws(() => resolveUser(root, 'www:nogroup'), /unable to find group nogroup: no matching entries in group file/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('/etc files: --add-host, --dns, --dns-search, --dns-option', () => {
  const base = { hostname: 'h', hostNetwork: false, dns: [], dnsSearch: [], dnsOptions: [] };
  const hosts = hostsContent({ ...base, extraHosts: ['db:10.0.0.5', 'v6:[::1]'] });
  assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);
  assert.match(hosts, /^10\.0\.0\.5\tdb$/m);
  assert.match(hosts, /^::1\tv6$/m);
  const rc = resolvConfContent({ ...base, extraHosts: [], dns: ['1.1.1.1'], dnsSearch: ['a.example'], dnsOptions: ['ndots:2'] });
  assert.equal(rc, 'nameserver 1.1.1.1\nsearch a.example\noptions ndots:2\n');
});

test('signals as Docker parses them', () => {
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal('kill'), 9);
  assert.equal(parseSignal('1'), 1);
  assert.throws(() => parseSignal('FOO'), /^BerthError: Invalid signal: FOO$/);
  assert.throws(() => parseSignal('0'), /Invalid signal: 0/);
});

test('runtime create errors map to Docker\'s exit codes and messages', () => {
  const crun = mapCreateError('executable file `foo` not found in $PATH: No such file or directory');
  assert.equal(crun.exitCode, 127);
  assert.equal(crun.message, 'exec: "foo": executable file not found in $PATH');
  const runc = mapCreateError('time="x" level=error msg="runc create failed: unable to start container process: exec: \\"bar\\": executable file not found in $PATH"');
  assert.equal(runc.exitCode, 127);
  assert.equal(mapCreateError('open /etc/x: permission denied').exitCode, 126);
  assert.equal(mapCreateError('something else broke').exitCode, 125);
});
