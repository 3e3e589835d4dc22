import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { encodeRequest, miniRequest, miniUpgrade, parseResponse, MiniHttpError } from './mini-http.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

test('parseResponse: Content-Length, chunked with trailers, read-to-close, 1xx skipped, no body for HEAD/204', () => {
  const cl = parseResponse(b('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}'), 'GET', true);
  assert.equal(cl?.status, 200);
  assert.equal(cl?.headers['content-type'], 'application/json');
  assert.equal(cl?.body.toString(), '{"a":1}');
  const chunked = parseResponse(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nX-T: 1\r\n\r\n'), 'GET', true);
  assert.equal(chunked?.body.toString(), 'abcdefg');
  const toClose = parseResponse(b('HTTP/1.0 200 OK\r\n\r\nuntil the end'), 'GET', true);
  assert.equal(toClose?.body.toString(), 'until the end');
  const cont = parseResponse(b('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'), 'POST', true);
  assert.equal(cont?.status, 201);
  assert.equal(cont?.body.toString(), 'ok');
  assert.equal(parseResponse(b('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'), 'HEAD', true)?.body.length, 0);
  assert.equal(parseResponse(b('HTTP/1.1 204 No Content\r\n\r\n'), 'DELETE', true)?.body.length, 0);
  const two = parseResponse(b('HTTP/1.1 200 OK\r\nVary: a\r\nVary: b\r\nContent-Length: 0\r\n\r\n'), 'GET', true);
  assert.equal(two?.headers['vary'], 'a, b');
});

test('parseResponse: incomplete input waits, or is an error once the connection closed', () => {
  assert.equal(parseResponse(b('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab'), 'GET', false), undefined);
  assert.throws(() => parseResponse(b('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab'), 'GET', true), /closed before the body ended/);
  assert.throws(() => parseResponse(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'), 'GET', true), /middle of a chunked body/);
  assert.throws(() => parseResponse(b('HTTP/1.1 200 OK\r\nCont'), 'GET', true), /before the response headers ended/);
  assert.throws(() => parseResponse(b('SSH-2.0-OpenSSH\r\n\r\n'), 'GET', true), MiniHttpError);
  assert.throws(() => parseResponse(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'), 'GET', true), /bad chunk size/);
  assert.throws(() => parseResponse(b('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'), 'GET', true), /bad Content-Length/);
});

test('encodeRequest: request line, Host, Connection: close, Content-Length for a body; no header injection', () => {
  const req = encodeRequest('POST', '/v1.50/containers/create?name=x', 'api.moby.localhost', { 'Content-Type': 'application/json' }, Buffer.from('{}')).toString('latin1');
  assert.equal(req, 'POST /v1.50/containers/create?name=x HTTP/1.1\r\nHost: api.moby.localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
  assert.throws(() => encodeRequest('GET', '/', 'h', { 'X-Reg': 'a\r\nEvil: 1' }), MiniHttpError);
});

test('miniRequest: against a node:http server on a unix socket (JSON, chunked, errors), and a missing socket', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mini-http-'));
  const sock = path.join(dir, 's.sock');
  const seen: { method?: string; url?: string; host?: string; body?: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '', body: Buffer.concat(chunks).toString() });
      if (req.url === '/chunked') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('[1,');
        setTimeout(() => res.end('2]'), 20);
      } else if (req.url === '/missing') {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end('{"message":"No such container: x"}');
      } else {
        res.end(JSON.stringify({ echo: Buffer.concat(chunks).toString() }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    const post = await miniRequest({ socketPath: sock }, encodeRequest('POST', '/echo', 'api.moby.localhost', {}, Buffer.from('hello')), 'POST');
    assert.equal(post.status, 200);
    assert.deepEqual(JSON.parse(post.body.toString()), { echo: 'hello' });
    assert.deepEqual(seen[0], { method: 'POST', url: '/echo', host: 'api.moby.localhost', body: 'hello' });
    const chunked = await miniRequest({ socketPath: sock }, encodeRequest('GET', '/chunked', 'h', {}), 'GET');
    assert.equal(chunked.headers['transfer-encoding'], 'chunked');
    assert.deepEqual(JSON.parse(chunked.body.toString()), [1, 2]);
    const missing = await miniRequest({ socketPath: sock }, encodeRequest('GET', '/missing', 'h', {}), 'GET');
    assert.equal(missing.status, 404);
    assert.match(missing.body.toString(), /No such container/);
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(miniRequest({ socketPath: sock }, encodeRequest('GET', '/chunked', 'h', {}), 'GET', aborted.signal), { code: 'ABORT_ERR' });
    await assert.rejects(miniRequest({ socketPath: path.join(dir, 'nope.sock') }, encodeRequest('GET', '/', 'h', {}), 'GET'), { code: 'ENOENT' });
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('miniUpgrade: a 101 gives the raw socket with the bytes after the head kept; another status gives the response', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mini-http-'));
  const sock = path.join(dir, 's.sock');
  const server = http.createServer((_req, res) => {
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end('{"message":"No such container: nope"}');
  });
  server.on('upgrade', (req, socket) => {
    assert.equal(req.headers.upgrade, 'tcp');
    // the head and the first stream bytes in one write, as a daemon may send them
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhello ');
    socket.on('data', (d: Buffer) => socket.end(`echo:${d.toString()}`));
  });
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    const up = await miniUpgrade({ socketPath: sock }, encodeRequest('POST', '/containers/x/attach?stream=1', 'h', { Connection: 'Upgrade', Upgrade: 'tcp' }, Buffer.alloc(0)));
    assert.ok('socket' in up);
    assert.equal(up.headers['content-type'], 'application/vnd.docker.raw-stream');
    // paused until read (the client reads with async iteration): nothing is lost meanwhile
    up.socket.write('ping');
    const got: Buffer[] = [];
    for await (const d of up.socket) got.push(d as Buffer);
    assert.equal(Buffer.concat(got).toString(), 'hello echo:ping');
    up.socket.destroy();
    const no = await miniUpgrade({ socketPath: sock }, encodeRequest('POST', '/containers/nope/attach', 'h', {}, Buffer.alloc(0)));
    assert.ok('response' in no);
    assert.equal(no.response.status, 404);
    assert.match(no.response.body.toString(), /No such container/);
    await assert.rejects(miniUpgrade({ socketPath: path.join(dir, 'nope.sock') }, encodeRequest('POST', '/', 'h', {})), { code: 'ENOENT' });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
