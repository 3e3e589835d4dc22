import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transfers } from './pull.js';

const noEmit = (): void => undefined;

test('Transfers: a cancelled sole user can wait until the transfer has stopped; with another user it need not', async () => {
  const transfers = new Transfers();
  // sole user: cancelling it aborts the transfer, which takes a while to stop
  let stopped = false;
  const a = new AbortController();
  const sole = transfers.join('k1', noEmit, a.signal, async (signal) => {
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => setTimeout(resolve, 100), { once: true }));
    stopped = true;
  });
  a.abort(new Error('cancelled'));
  await assert.rejects(sole.done, /cancelled/);
  assert.equal(stopped, false);
  await sole.settled();
  assert.equal(stopped, true);

  // two users: the one that leaves does not stop the transfer, and does not wait for it
  let finish!: () => void;
  const b = new AbortController();
  const first = transfers.join('k2', noEmit, b.signal, () => new Promise<void>((resolve) => (finish = resolve)));
  const second = transfers.join('k2', noEmit, undefined, () => Promise.reject(new Error('not started twice')));
  assert.equal(second.shared, true);
  b.abort(new Error('gone'));
  await assert.rejects(first.done, /gone/);
  let settledAtOnce = false;
  await Promise.race([first.settled().then(() => (settledAtOnce = true)), new Promise((r) => setTimeout(r, 50))]);
  assert.equal(settledAtOnce, true);
  finish();
  await second.done;
});
