import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familiarName, familiarString, parseNormalizedNamed, splitRepoTag } from './reference.js';
import { getTimestamp } from './timestamps.js';
import { checkArgs } from './command.js';
import { exitCodeFor, startFailureStatus, ArgsError, FlagError, StatusError } from './exit-codes.js';
import { BerthError } from '../errdefs/index.js';

test('references normalize as docker\'s', () => {
  assert.deepEqual(parseNormalizedNamed('busybox'), { name: 'docker.io/library/busybox' });
  assert.deepEqual(parseNormalizedNamed('busybox:1.36'), { name: 'docker.io/library/busybox', tag: '1.36' });
  assert.deepEqual(parseNormalizedNamed('user/app'), { name: 'docker.io/user/app' });
  assert.deepEqual(parseNormalizedNamed('localhost:5000/app:v1'), { name: 'localhost:5000/app', tag: 'v1' });
  assert.deepEqual(parseNormalizedNamed('example.com/a/b'), { name: 'example.com/a/b' });
  const d = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseNormalizedNamed(`busybox@${d}`), { name: 'docker.io/library/busybox', digest: d });
  assert.throws(() => parseNormalizedNamed('BAD'), /repository name \(library\/BAD\) must be lowercase/);
  assert.throws(() => parseNormalizedNamed('a:b:c'), /invalid reference format/);
  assert.throws(() => parseNormalizedNamed(''), /invalid reference format/);
  assert.equal(familiarName('docker.io/library/busybox'), 'busybox');
  assert.equal(familiarName('docker.io/user/app'), 'user/app');
  assert.equal(familiarString(parseNormalizedNamed('busybox')), 'busybox:latest');
  assert.deepEqual(splitRepoTag('localhost:5000/app:v1'), { repo: 'localhost:5000/app', tag: 'v1' });
  assert.deepEqual(splitRepoTag('localhost:5000/app'), { repo: 'localhost:5000/app', tag: '' });
});

test('--since/--until values as timetypes.GetTimestamp', () => {
  const ref = Date.parse('2025-01-01T12:00:00Z');
  assert.equal(getTimestamp('10m', ref), String(ref / 1000 - 600));
  assert.equal(getTimestamp('1h30m', ref), String(ref / 1000 - 5400));
  assert.equal(getTimestamp('1700000000', ref), '1700000000');
  assert.equal(getTimestamp('1700000000.5', ref), '1700000000.5');
  assert.equal(getTimestamp('2025-01-01T10:00:00Z', ref), `${Date.parse('2025-01-01T10:00:00Z') / 1000}.000000000`);
  assert.equal(getTimestamp('2025-01-01T10:00:00.25+01:00', ref), `${Date.parse('2025-01-01T09:00:00Z') / 1000}.250000000`);
  assert.throws(() => getTimestamp('yesterday', ref), /failed to parse value as time or duration: "yesterday"/);
});

test('argument counts are worded as docker 28', () => {
  const msg = (rule: Parameters<typeof checkArgs>[1], n: number): string => {
    try {
      checkArgs('berth x', rule, n);
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof ArgsError);
      return e.message;
    }
  };
  assert.equal(msg({ min: 2, max: 2 }, 1), "'berth x' requires 2 arguments");
  assert.equal(msg({ min: 1, max: 1 }, 0), "'berth x' requires 1 argument");
  assert.equal(msg({ min: 1 }, 0), "'berth x' requires at least 1 argument");
  assert.equal(msg({ max: 1 }, 2), "'berth x' requires at most 1 argument");
  assert.equal(msg({ min: 0, max: 0 }, 1), "'berth x' accepts no arguments");
  assert.equal(msg({ min: 1, max: 2 }, 3), "'berth x' requires at least 1 and at most 2 arguments");
  assert.equal(msg({ min: 1 }, 3), 'ok');
});

test('exit codes: usage 125, arguments and daemon errors 1, status errors their own, start failures 125/126/127', () => {
  assert.equal(exitCodeFor(new FlagError('unknown flag: --x')), 125);
  assert.equal(exitCodeFor(new ArgsError('x')), 1);
  assert.equal(exitCodeFor(new BerthError('not-found', 'No such image')), 1);
  assert.equal(exitCodeFor(new StatusError(42, '')), 42);
  assert.equal(startFailureStatus(new Error('exec: "x": executable file not found in $PATH')), 127);
  assert.equal(startFailureStatus(new Error('exec: "/etc": permission denied')), 126);
  assert.equal(startFailureStatus(new Error('cgroup trouble')), 125);
});
