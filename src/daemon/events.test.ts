import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventsService, eventMatches, nowNano } from './events.js';

test('subscribe replays since and stops at until', async () => {
  const ev = new EventsService();
  const t0 = nowNano();
  ev.publish('image', 'tag', 'sha256:abc', { name: 'busybox:latest' });
  ev.publish('container', 'start', 'c1', { name: 'web', image: 'busybox' });
  const got: string[] = [];
  const ctl = new AbortController();
  for await (const e of ev.subscribe({ since: t0, until: nowNano(), filters: { type: ['image'] } }, ctl.signal)) got.push(e.action);
  assert.deepEqual(got, ['tag']);
});

test('filters by label and container name', () => {
  const e = { type: 'container' as const, action: 'die', actor: { id: 'abc123', attributes: { name: 'web', a: 'b' } }, scope: 'local' as const, timeNano: 1n };
  assert.ok(eventMatches(e, { container: ['web'], label: ['a=b'] }));
  assert.ok(!eventMatches(e, { label: ['a=c'] }));
  assert.ok(!eventMatches(e, { type: ['image'] }));
  assert.ok(eventMatches(e, { event: ['die'] }));
});
