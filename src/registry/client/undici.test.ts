import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { undici } from './undici.js';

test('undici lite: request through an Agent and an EnvHttpProxyAgent (GET with a query, POST with a body), without loading undici\'s index', async () => {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${body}`);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const u = undici();
  const agent = new u.Agent({ connections: 2 });
  const proxied = new u.EnvHttpProxyAgent({ noProxy: '127.0.0.1' });
  try {
    const get = await u.request(`${base}/v2/x/tags/list?n=10`, { dispatcher: agent, headers: { 'user-agent': 't' } });
    assert.equal(get.statusCode, 200);
    assert.deepEqual(await get.body.json(), { ok: true });
    const post = await u.request(new URL(`${base}/token`), { dispatcher: proxied, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    assert.equal(post.statusCode, 200);
    await post.body.dump();
    assert.deepEqual(seen, ['GET /v2/x/tags/list?n=10 ', 'POST /token a=1']);
    const cache = createRequire(import.meta.url).cache;
    assert.ok(!Object.keys(cache).some((k) => /node_modules\/undici\/index\.js$/.test(k)), 'undici/index.js was not loaded');
  } finally {
    await agent.close();
    await proxied.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
