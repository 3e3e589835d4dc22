import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanSize, progressBar, progressToWire } from './progress.js';

test('human sizes as go-units', () => {
  assert.equal(humanSize(528), '528B');
  assert.equal(humanSize(1234567), '1.235MB');
  assert.equal(humanSize(2_000_000), '2MB');
});

test('progress bar as jsonmessage', () => {
  assert.equal(progressBar(0, 100), `[>${' '.repeat(50)}]       0B/100B`);
  assert.equal(progressBar(100, 100), `[${'='.repeat(50)}>] ` + '    100B/100B');
  assert.deepEqual(progressToWire({ id: 'abc', status: 'Pull complete', detail: true }), { status: 'Pull complete', progressDetail: {}, id: 'abc' });
  assert.deepEqual(progressToWire({ status: '', aux: { Tag: 'x' } }), { progressDetail: {}, aux: { Tag: 'x' } });
});
