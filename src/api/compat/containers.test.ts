import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, statusText } from './containers.js';
import type { ContainerRecord } from '../../daemon/containers/index.js';

test('humanDuration as go-units', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(42_000), '42 seconds');
  assert.equal(humanDuration(60_000), 'About a minute');
  assert.equal(humanDuration(5 * 60_000), '5 minutes');
  assert.equal(humanDuration(3_600_000), 'About an hour');
  assert.equal(humanDuration(5 * 3_600_000), '5 hours');
  assert.equal(humanDuration(3 * 86_400_000), '3 days');
  assert.equal(humanDuration(21 * 86_400_000), '3 weeks');
  assert.equal(humanDuration(90 * 86_400_000), '3 months');
  assert.equal(humanDuration(3 * 365 * 86_400_000), '3 years');
});

test('status text as docker ps shows it', () => {
  const now = Date.parse('2026-01-01T00:01:00Z');
  const r = (status: ContainerRecord['state']['status'], extra: Partial<ContainerRecord['state']> = {}): ContainerRecord =>
    ({ state: { status, exitCode: 0, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:30Z', ...extra } }) as ContainerRecord;
  assert.equal(statusText(r('running'), now), 'Up About a minute');
  assert.equal(statusText(r('paused'), now), 'Up About a minute (Paused)');
  assert.equal(statusText(r('running', { health: { Status: 'healthy', FailingStreak: 0, Log: [] } }), now), 'Up About a minute (healthy)');
  assert.equal(statusText(r('running', { health: { Status: 'starting', FailingStreak: 0, Log: [] } }), now), 'Up About a minute (health: starting)');
  assert.equal(statusText(r('exited', { exitCode: 3 }), now), 'Exited (3) 30 seconds ago');
  assert.equal(statusText(r('created'), now), 'Created');
  assert.equal(statusText(r('restarting', { exitCode: 1 }), now), 'Restarting (1) 30 seconds ago');
});
