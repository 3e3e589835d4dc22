import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePsOutput, validatePsArgs, pidsInNamespaceOf } from './top.js';

const PS = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 10:00 ?        00:00:01 /sbin/init splash
root        4242       1  0 10:01 ?        00:00:00 sleep 100
root        4243    4242  0 10:01 pts/0    00:00:00 sh -c echo a  b
root        9999       1  0 10:01 ?        00:00:00 other
`;

test('ps output: only the container\'s pids; the last column keeps its spaces', () => {
  const r = parsePsOutput(PS, new Set([4242, 4243]));
  assert.deepEqual(r.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.deepEqual(r.Processes, [
    ['root', '4242', '1', '0', '10:01', '?', '00:00:00', 'sleep 100'],
    ['root', '4243', '4242', '0', '10:01', 'pts/0', '00:00:00', 'sh -c echo a b'],
  ]);
});

test('thread lines ("-" pid) follow a kept process; no PID column is an error', () => {
  const ps = 'PID TID CMD\n10 - a\n- 11 t\n20 - b\n- 21 u\n';
  assert.deepEqual(parsePsOutput(ps, new Set([10])).Processes, [
    ['10', '-', 'a'],
    ['-', '11', 't'],
  ]);
  assert.throws(() => parsePsOutput('USER CMD\nroot x\n', new Set()), /Couldn't find PID field/);
});

test('ps_args that rename a field to PID are refused', () => {
  assert.throws(() => validatePsArgs('-o user=PID'), /specifying "user=PID" is not allowed/);
  validatePsArgs('-o pid=PID');
  validatePsArgs('aux');
});

test('pids in our own pid namespace include ourselves', () => {
  assert.ok(pidsInNamespaceOf(process.pid).has(process.pid));
  assert.equal(pidsInNamespaceOf(-5).size, 0);
});
