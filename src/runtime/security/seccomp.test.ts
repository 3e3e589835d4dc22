import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerDefaultProfile, parseProfile, renderProfile, SeccompCache } from './seccomp.js';
import { DOCKER_DEFAULT_CAPS } from './caps.js';

const names = (p: { syscalls: { names: string[] }[] }): Set<string> => new Set(p.syscalls.flatMap((s) => s.names));

test('the embedded default profile renders for amd64 with the default caps', () => {
  const p = renderProfile(dockerDefaultProfile(), { caps: DOCKER_DEFAULT_CAPS, arch: 'amd64', kernelRelease: '6.18.44' });
  assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(p.defaultErrnoRet, 1);
  assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const n = names(p);
  for (const s of ['read', 'write', 'clone', 'arch_prctl', 'chroot', 'ptrace']) assert.ok(n.has(s), s);
  for (const s of ['mount', 'umount2', 'init_module', 'finit_module', 'reboot', 'kexec_load', 'sync_file_range2', 'unshare', 'setns']) assert.ok(!n.has(s), s);
  // clone with namespace flags masked (excludes caps CAP_SYS_ADMIN; the s390 variant is not for amd64)
  const clone = p.syscalls.filter((s) => s.names.includes('clone'));
  assert.equal(clone.length, 1);
  assert.equal(clone[0]?.args?.[0]?.op, 'SCMP_CMP_MASKED_EQ');
  // clone3 gets ENOSYS (38) without CAP_SYS_ADMIN
  assert.equal(p.syscalls.find((s) => s.names.includes('clone3'))?.errnoRet, 38);
  assert.ok(p.syscalls.every((s) => !('includes' in s) && !('excludes' in s) && !('comment' in s)), 'OCI form only');
});

test('includes/excludes by caps, arches and minKernel', () => {
  const admin = renderProfile(dockerDefaultProfile(), { caps: [...DOCKER_DEFAULT_CAPS, 'CAP_SYS_ADMIN'], arch: 'amd64', kernelRelease: '6.1.0' });
  const n = names(admin);
  assert.ok(n.has('mount') && n.has('unshare') && n.has('setns'));
  assert.ok(!admin.syscalls.some((s) => s.names.includes('clone3') && s.action === 'SCMP_ACT_ERRNO'), 'clone3 allowed with CAP_SYS_ADMIN');
  const arm = renderProfile(dockerDefaultProfile(), { caps: DOCKER_DEFAULT_CAPS, arch: 'arm64', kernelRelease: '6.1.0' });
  assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.ok(names(arm).has('sync_file_range2') && !names(arm).has('arch_prctl'));
  const old = renderProfile(dockerDefaultProfile(), { caps: DOCKER_DEFAULT_CAPS, arch: 'amd64', kernelRelease: '4.4.0' });
  const newer = renderProfile(dockerDefaultProfile(), { caps: DOCKER_DEFAULT_CAPS, arch: 'amd64', kernelRelease: '4.8.0' });
  assert.ok(names(newer).size > names(old).size, 'minKernel 4.8 rules only on >= 4.8');
});

test('rendered profiles are cached by capability set', () => {
  const c = new SeccompCache();
  const a = c.forDefault(['CAP_KILL', 'CAP_CHOWN']);
  const b = c.forDefault(['CAP_CHOWN', 'CAP_KILL']);
  assert.equal(a, b);
  assert.equal(c.renders, 1);
  c.forDefault(['CAP_CHOWN']);
  assert.equal(c.renders, 2);
  const text = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW' });
  assert.equal(c.forCustom(text, []), c.forCustom(text, []));
  assert.equal(c.renders, 3);
});

test('malformed profiles: Docker-shaped errors', () => {
  assert.throws(() => parseProfile('{"defaultAction": '), /^BerthError: Decoding seccomp profile failed: /);
  assert.throws(() => parseProfile('{"defaultAction": 5}'), { message: 'Decoding seccomp profile failed: json: cannot unmarshal into Go struct field Seccomp.defaultAction of type string' });
  assert.throws(() => parseProfile('{"defaultAction": "SCMP_ACT_NOPE"}'), { message: 'Decoding seccomp profile failed: invalid default action "SCMP_ACT_NOPE"' });
  assert.throws(() => parseProfile('[]'), /Decoding seccomp profile failed/);
  assert.throws(() => renderProfile(parseProfile('{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": null}]}'), { caps: [] }), /use either 'architectures' or 'archMap'/);
});
