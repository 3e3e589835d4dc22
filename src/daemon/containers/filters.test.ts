import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterContainers } from './filters.js';
import { validateRestartPolicy } from './service.js';
import { normalizeName, randomName } from './names.js';
import { probeCommand, validateHealthConfig } from './health.js';
import type { ContainerRecord } from './types.js';

function rec(id: string, name: string, status: ContainerRecord['state']['status'], extra: Partial<ContainerRecord> = {}, created = 0): ContainerRecord {
  return {
    id,
    name,
    created: new Date(1_700_000_000_000 + created * 1000).toISOString(),
    imageId: 'sha256:' + 'b'.repeat(64),
    config: { Image: 'busybox', Labels: { app: name.slice(1) } },
    hostConfig: { NetworkMode: 'none' },
    path: 'sh',
    args: [],
    chainId: undefined,
    platform: 'linux',
    state: { status, pid: 0, conmonPid: 0, exitCode: status === 'exited' ? 3 : 0, error: '', oomKilled: false, startedAt: '', finishedAt: '', manuallyStopped: false },
    restartCount: 0,
    runtime: { name: 'crun', path: '', args: [], createPath: '', createArgs: [], root: '' },
    paths: {} as ContainerRecord['paths'],
    execIds: [],
    daemonStopped: false,
    ...extra,
  };
}

const all = [rec('a1'.padEnd(64, '0'), '/web', 'running', {}, 1), rec('b2'.padEnd(64, '0'), '/db', 'exited', {}, 2), rec('c3'.padEnd(64, '0'), '/job', 'created', {}, 3)];
const deps = { find: (x: string) => all.find((r) => r.id.startsWith(x) || r.name === `/${x}`), imageId: (ref: string) => (ref === 'busybox' ? 'sha256:' + 'b'.repeat(64) : undefined) };
const names = (rs: ContainerRecord[]): string[] => rs.map((r) => r.name);

test('list: running only by default, all newest first, limit', () => {
  assert.deepEqual(names(filterContainers(all, {}, deps)), ['/web']);
  assert.deepEqual(names(filterContainers(all, { all: true }, deps)), ['/job', '/db', '/web']);
  assert.deepEqual(names(filterContainers(all, { limit: 2 }, deps)), ['/job', '/db']);
});

test('list filters: status, exited, label, name, id, before/since, ancestor, health; unknown keys rejected', () => {
  assert.deepEqual(names(filterContainers(all, { filters: { status: ['exited'] } }, deps)), ['/db']);
  assert.deepEqual(names(filterContainers(all, { filters: { exited: ['3'] } }, deps)), ['/db']);
  assert.deepEqual(names(filterContainers(all, { all: true, filters: { label: ['app=job'] } }, deps)), ['/job']);
  assert.deepEqual(names(filterContainers(all, { all: true, filters: { name: ['d'] } }, deps)), ['/db']);
  assert.deepEqual(names(filterContainers(all, { all: true, filters: { id: ['a1'] } }, deps)), ['/web']);
  assert.deepEqual(names(filterContainers(all, { filters: { before: ['job'] } }, deps)), ['/db', '/web']);
  assert.deepEqual(names(filterContainers(all, { filters: { since: ['web'] } }, deps)), ['/job', '/db']);
  assert.deepEqual(names(filterContainers(all, { all: true, filters: { ancestor: ['busybox'] } }, deps)).length, 3);
  assert.deepEqual(names(filterContainers(all, { all: true, filters: { health: ['none'] } }, deps)).length, 3);
  assert.throws(() => filterContainers(all, { filters: { bogus: ['1'] } }, deps), /invalid filter 'bogus'/);
  assert.throws(() => filterContainers(all, { filters: { status: ['sleeping'] } }, deps), /invalid filter 'status=sleeping'/);
});

test('restart policy validation (Docker\'s messages)', () => {
  for (const ok of [undefined, { Name: '' }, { Name: 'no' }, { Name: 'always' }, { Name: 'unless-stopped' }, { Name: 'on-failure', MaximumRetryCount: 3 }]) validateRestartPolicy(ok, false);
  assert.throws(() => validateRestartPolicy({ Name: 'sometimes' }, false), /^BerthError: invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'$/);
  assert.throws(() => validateRestartPolicy({ Name: 'always', MaximumRetryCount: 1 }, false), /maximum retry count can only be used with 'on-failure'$/);
  assert.throws(() => validateRestartPolicy({ Name: 'always', MaximumRetryCount: -1 }, false), /can only be used with 'on-failure' and cannot be negative/);
  assert.throws(() => validateRestartPolicy({ Name: 'on-failure', MaximumRetryCount: -1 }, false), /maximum retry count cannot be negative/);
  assert.throws(() => validateRestartPolicy({ Name: 'always' }, true), /can't create 'AutoRemove' container with restart policy/);
});

test('names: Docker\'s rule and generator', () => {
  assert.equal(normalizeName('web-1'), '/web-1');
  assert.equal(normalizeName('/a.b_c'), '/a.b_c');
  assert.throws(() => normalizeName('x'), /Invalid container name \(x\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);
  assert.throws(() => normalizeName('-bad'), /Invalid container name/);
  assert.match(randomName(0), /^[a-z]+_[a-z]+$/);
  assert.match(randomName(1), /^[a-z]+_[a-z]+\d$/);
});

test('healthcheck commands and validation', () => {
  assert.deepEqual(probeCommand({ Test: ['CMD', 'true'] }), ['true']);
  assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'curl -f x || exit 1'] }), ['/bin/sh', '-c', 'curl -f x || exit 1']);
  assert.equal(probeCommand({ Test: ['NONE'] }), undefined);
  assert.equal(probeCommand(undefined), undefined);
  assert.throws(() => validateHealthConfig({ Interval: 1000 }), /Interval in Healthcheck cannot be less than 1ms/);
  assert.throws(() => validateHealthConfig({ Retries: -1 }), /Retries in Healthcheck cannot be negative/);
});
