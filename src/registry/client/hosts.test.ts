import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RegistryHosts } from './hosts.js';
import { credentials, decodeAuthHeader } from './auth.js';

test('endpoints: HTTPS only for a public registry; HTTPS then HTTP for loopback and insecure-registries; docker.io mirrors first', async () => {
  const h = new RegistryHosts({ insecure: ['myreg.example:5000', '10.1.0.0/16'], mirrors: ['https://mirror.example/'], certsDirs: [] });
  try {
    assert.deepEqual(h.endpoints('quay.io').map((e) => e.url), ['https://quay.io']);
    assert.deepEqual(h.endpoints('127.0.0.1:5000').map((e) => e.url), ['https://127.0.0.1:5000', 'http://127.0.0.1:5000']);
    assert.deepEqual(h.endpoints('localhost:5000').map((e) => e.url), ['https://localhost:5000', 'http://localhost:5000']);
    assert.deepEqual(h.endpoints('myreg.example:5000').map((e) => e.url), ['https://myreg.example:5000', 'http://myreg.example:5000']);
    assert.equal(h.isInsecure('10.1.2.3:443'), true);
    assert.equal(h.isInsecure('10.2.2.3:443'), false);
    assert.deepEqual(h.endpoints('docker.io').map((e) => [e.url, e.mirror]), [['https://mirror.example', true], ['https://registry-1.docker.io', false]]);
  } finally {
    await h.close();
  }
});

test('certs.d: a host directory with ca.crt and a client cert is read without error', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certsd-'));
  try {
    fs.mkdirSync(path.join(dir, 'reg.example:5000'));
    fs.writeFileSync(path.join(dir, 'reg.example:5000', 'ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const h = new RegistryHosts({ certsDirs: [dir] });
    assert.ok(h.dispatcher('reg.example:5000', false));
    await h.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('certs.d: the dispatcher of a host is kept while its certs.d files stay the same, made again when they change', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certsd-'));
  const h = new RegistryHosts({ certsDirs: [dir] });
  try {
    const before = h.dispatcher('reg.example:5000', false);
    assert.equal(h.dispatcher('reg.example:5000', false), before, 'same files, same dispatcher');
    fs.mkdirSync(path.join(dir, 'reg.example:5000'));
    fs.writeFileSync(path.join(dir, 'reg.example:5000', 'ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const withCa = h.dispatcher('reg.example:5000', false);
    assert.notEqual(withCa, before, 'a CA added: a new dispatcher');
    assert.equal(h.dispatcher('reg.example:5000', false), withCa);
    assert.equal(h.dispatcher('other.example', false), h.dispatcher('other.example', false));
  } finally {
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('X-Registry-Auth: base64url JSON, std base64, and config.json-style auth', () => {
  const json = JSON.stringify({ username: 'u', password: 'p+/=', serveraddress: 'h' });
  assert.deepEqual(decodeAuthHeader(Buffer.from(json).toString('base64url')), { username: 'u', password: 'p+/=', serveraddress: 'h' });
  assert.deepEqual(decodeAuthHeader(Buffer.from(json).toString('base64')), { username: 'u', password: 'p+/=', serveraddress: 'h' });
  assert.equal(decodeAuthHeader(''), undefined);
  assert.deepEqual(decodeAuthHeader(Buffer.from('{}').toString('base64url')), {});
  assert.deepEqual(credentials({ auth: Buffer.from('alice:pa:ss').toString('base64') }), { username: 'alice', password: 'pa:ss' });
  assert.equal(credentials({}), undefined);
});
