import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveRemap, subIdRanges, toHost } from './userns.js';
import { checkSysctl, parseSecurityOpts } from './policy.js';

test('subordinate id ranges by name or uid, in file order', () => {
  const text = 'alice:100000:65536\n# comment\nbob:165536:65536\n1001:300000:1000\nalice:400000:10\n';
  assert.deepEqual(subIdRanges(text, 'alice', 1000), [{ containerID: 0, hostID: 100000, size: 65536 }, { containerID: 65536, hostID: 400000, size: 10 }]);
  assert.deepEqual(subIdRanges(text, 'carol', 1001), [{ containerID: 0, hostID: 300000, size: 1000 }]);
  const map = subIdRanges(text, 'alice', undefined);
  assert.equal(toHost(map, 0), 100000);
  assert.equal(toHost(map, 65537), 400001);
  assert.equal(toHost(map, 70000), -1);
});

test('resolveRemap against an /etc copy', () => {
  const etc = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-etc-'));
  try {
    fs.writeFileSync(path.join(etc, 'passwd'), 'root:x:0:0::/root:/bin/sh\nsvc:x:1500:1500::/:/bin/false\n');
    fs.writeFileSync(path.join(etc, 'group'), 'root:x:0:\nsvc:x:1500:\nother:x:1600:\n');
    fs.writeFileSync(path.join(etc, 'subuid'), 'svc:200000:65536\n');
    fs.writeFileSync(path.join(etc, 'subgid'), 'svc:200000:65536\nother:500000:65536\n');
    assert.equal(resolveRemap(undefined, etc), undefined);
    assert.deepEqual(resolveRemap('svc', etc)?.uidMap, [{ containerID: 0, hostID: 200000, size: 65536 }]);
    assert.deepEqual(resolveRemap('1500:other', etc)?.gidMap, [{ containerID: 0, hostID: 500000, size: 65536 }]);
    assert.throws(() => resolveRemap('nobody-here', etc), { message: 'userns-remap: no such user: nobody-here' });
    assert.throws(() => resolveRemap('root', etc), { message: 'userns-remap: no subuid ranges found for user "root"' });
  } finally {
    fs.rmSync(etc, { recursive: true, force: true });
  }
});

test('--security-opt parsing as moby', () => {
  assert.deepEqual(parseSecurityOpts(['no-new-privileges']), { seccomp: undefined, noNewPrivileges: true });
  assert.deepEqual(parseSecurityOpts(['no-new-privileges:false', 'seccomp=unconfined', 'label=disable', 'apparmor=x']), { seccomp: 'unconfined', noNewPrivileges: false });
  assert.throws(() => parseSecurityOpts(['bogus']), { message: 'invalid --security-opt 1: "bogus"' });
  assert.throws(() => parseSecurityOpts(['no-new-privileges=maybe']), { message: 'invalid --security-opt 2: "no-new-privileges=maybe"' });
  assert.throws(() => parseSecurityOpts(['systempaths=unconfined']), { message: 'invalid --security-opt 2: "systempaths=unconfined"' });
});

test('sysctls: namespaced only', () => {
  assert.doesNotThrow(() => checkSysctl('net.ipv4.ip_forward', '1', {}));
  assert.doesNotThrow(() => checkSysctl('kernel.shmmax', '1', {}));
  assert.doesNotThrow(() => checkSysctl('fs.mqueue.msg_max', '1', {}));
  assert.throws(() => checkSysctl('kernel.hostname', 'x', {}), { message: "sysctl 'kernel.hostname=x' is not allowed" });
  assert.throws(() => checkSysctl('net.ipv4.ip_forward', '1', { NetworkMode: 'host' }), { message: '--sysctl net.ipv4.ip_forward is not allowed in host network namespace' });
});
