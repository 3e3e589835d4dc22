import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesSize, containerStatus, humanDuration, humanSize, timeAgo } from './units.js';
import { tabwrite } from './tabwriter.js';
import { preFormat, renderRows } from './formatter.js';

test('humanSize matches go-units', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(1000), '1kB');
  assert.equal(humanSize(1234567), '1.235MB');
  assert.equal(humanSize(1234567, 3), '1.23MB');
  assert.equal(humanSize(4_270_000, 3), '4.27MB');
  assert.equal(humanSize(1_500_000_000), '1.5GB');
  assert.equal(humanSize(999_950), '1000kB');
  assert.equal(humanSize(10 ** 13), '10TB');
  assert.equal(bytesSize(25_275_580_416), '23.54GiB');
  assert.equal(bytesSize(1024), '1KiB');
});

test('humanDuration matches go-units', () => {
  const s = 1000;
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1 * s), '1 second');
  assert.equal(humanDuration(59 * s), '59 seconds');
  assert.equal(humanDuration(60 * s), 'About a minute');
  assert.equal(humanDuration(2 * 60 * s), '2 minutes');
  assert.equal(humanDuration(60 * 60 * s), 'About an hour');
  assert.equal(humanDuration(3 * 3600 * s), '3 hours');
  assert.equal(humanDuration(3 * 86400 * s), '3 days');
  assert.equal(humanDuration(15 * 86400 * s), '2 weeks');
  assert.equal(humanDuration(90 * 86400 * s), '3 months');
  assert.equal(humanDuration(800 * 86400 * s), '2 years');
  assert.equal(timeAgo(100, 220_000), '2 minutes ago');
});

test('container status texts', () => {
  const now = Date.parse('2025-01-01T00:01:00Z');
  assert.equal(containerStatus({ Status: 'running', StartedAt: '2025-01-01T00:00:57Z' }, now), 'Up 3 seconds');
  assert.equal(containerStatus({ Status: 'exited', ExitCode: 0, FinishedAt: '2025-01-01T00:00:55Z' }, now), 'Exited (0) 5 seconds ago');
  assert.equal(containerStatus({ Status: 'paused', StartedAt: '2025-01-01T00:00:00Z' }, now), 'Up About a minute (Paused)');
  assert.equal(containerStatus({ Status: 'created' }, now), 'Created');
});

test('tabwriter aligns like Go tabwriter (minwidth 10, padding 3)', () => {
  const out = tabwrite('REPOSITORY\tTAG\tIMAGE ID\tSIZE\nbusybox\tlatest\t0123456789ab\t4.27MB\n');
  assert.equal(out, 'REPOSITORY   TAG       IMAGE ID       SIZE\nbusybox      latest    0123456789ab   4.27MB\n');
  // cells in a column block only; the last cell of a line is never padded
  assert.equal(tabwrite('a\tb\nccc\n'), 'a         b\nccc\n');
  assert.equal(tabwrite('x\ty\n', { minWidth: 0, padding: 1 }), 'x y\n');
});

test('formatter: table headers, plain templates, json', () => {
  const rows = [{ ID: 'abc', Name: 'one' }, { ID: 'defghi', Name: 'two' }];
  const headers = { ID: 'CONTAINER ID', Name: 'NAMES' };
  assert.equal(renderRows({ format: 'table {{.ID}}\\t{{.Name}}', headers, rows }), 'CONTAINER ID   NAMES\nabc            one\ndefghi         two\n');
  assert.equal(renderRows({ format: '{{.ID}}:{{.Name}}', headers, rows }), 'abc:one\ndefghi:two\n');
  assert.equal(renderRows({ format: 'json', headers, rows }), '{"ID":"abc","Name":"one"}\n{"ID":"defghi","Name":"two"}\n');
  assert.equal(renderRows({ format: 'table {{upper .Name}}', headers, rows }), 'NAMES\nONE\nTWO\n');
  assert.equal(preFormat('table  {{.A}}\\t{{.B}} '), '{{.A}}\t{{.B}}');
});
