import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { test } from 'node:test';
import { BasicAuth, parseHtpasswd } from './auth.js';
import { isRegistryError } from './errors.js';

test('htpasswd: bcrypt entries only', () => {
  const h = bcrypt.hashSync('pw', 4);
  const users = parseHtpasswd(`# comment\n\nalice:${h}\nbob:${h.replace(/^\$2b\$/, '$2y$')}\n`);
  assert.deepEqual([...users.keys()], ['alice', 'bob']);
  assert.throws(() => parseHtpasswd('carol:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g='), /only bcrypt/);
  assert.throws(() => parseHtpasswd('no-colon'), /user:hash/);
});

test('basic auth: the right password passes, anything else is UNAUTHORIZED with a challenge', async () => {
  const auth = new BasicAuth(parseHtpasswd(`alice:${bcrypt.hashSync('pw', 4).replace(/^\$2b\$/, '$2y$')}`), 'r');
  const hdr = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;
  assert.equal(await auth.check(hdr('alice:pw')), 'alice');
  assert.equal(await auth.check(hdr('alice:pw')), 'alice'); // cached
  for (const bad of [undefined, 'Bearer x', hdr('alice:nope'), hdr('bob:pw'), hdr('nocolon')]) {
    await assert.rejects(auth.check(bad), (e) => isRegistryError(e, 'UNAUTHORIZED') && e.headers['WWW-Authenticate'] === 'Basic realm="r"', String(bad));
  }
});
