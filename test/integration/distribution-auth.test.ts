// Registry authentication through berthd: basic auth (htpasswd, bcrypt) with `docker login`,
// `berth login/logout` and X-Registry-Auth; bearer tokens from a token server (challenge realm,
// service and scope, tokens cached); wrong credentials get Docker's "unauthorized" messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, importBusybox, need, isRoot, hasDocker, type Daemon } from './harness.js';
import { NO_INTERNET_ENV, hasRegistry, startRegistry, startTokenServer, storeState, type Registry, type TokenServer } from './distribution-helpers.js';

let d: Daemon;
let basic: Registry;
let tokenReg: Registry;
let tokens: TokenServer;
let tokenDir = '';

before(async () => {
  if (!isRoot() || !hasRegistry()) return;
  basic = await startRegistry({ htpasswd: { users: { alice: 's3cret' } } });
  tokenDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-token-'));
  tokens = await startTokenServer(tokenDir, { bob: 'hunter2' });
  tokenReg = await startRegistry({ token: { realm: tokens.url, service: tokens.service, issuer: tokens.issuer, certFile: tokens.certFile } });
  d = await startDaemon({ env: NO_INTERNET_ENV });
  await importBusybox(d);
});
after(async () => {
  await d?.cleanup();
  await basic?.cleanup();
  await tokenReg?.cleanup();
  await tokens?.close();
  if (tokenDir) fs.rmSync(tokenDir, { recursive: true, force: true });
});

const ready = (t: import('node:test').TestContext): boolean => need(t, isRoot(), 'root') && need(t, hasRegistry(), 'docker-registry');
const xauth = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');

function streamError(text: string): string | undefined {
  for (const l of text.trim().split('\n')) {
    const m = JSON.parse(l) as { error?: string };
    if (m.error) return m.error;
  }
  return undefined;
}

test('basic auth: docker login (wrong then right password), docker push/pull with the stored credentials', async (t) => {
  if (!ready(t) || !need(t, hasDocker(), 'docker CLI')) return;
  const bad = await d.docker(['login', basic.host, '-u', 'alice', '--password-stdin'], { input: 'wrong\n' });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, new RegExp(`Error response from daemon: login attempt to http://${basic.host.replace(/\./g, '\\.')}/v2/ failed with status: 401 Unauthorized`));
  const api = await d.request('POST', '/auth', { body: { username: 'alice', password: 'wrong', serveraddress: basic.host } });
  assert.equal(api.status, 401);
  const good = await d.docker(['login', basic.host, '-u', 'alice', '--password-stdin'], { input: 's3cret\n' });
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /Login Succeeded/);
  const ok = await d.request('POST', '/auth', { body: { username: 'alice', password: 's3cret', serveraddress: `http://${basic.host}` } });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json(), { IdentityToken: '', Status: 'Login Succeeded' });
  const name = `${basic.host}/private/bb:1`;
  assert.equal((await d.docker(['tag', 'busybox', name])).code, 0);
  const push = await d.docker(['push', name]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /1: digest: sha256:/);
  // without credentials the registry refuses, in Docker's words, and nothing is stored
  const before = storeState(d.dataRoot);
  const anon = await d.request('POST', `/images/create?fromImage=${encodeURIComponent(`${basic.host}/private/bb`)}&tag=1`);
  assert.equal(anon.status, 401);
  assert.match(JSON.parse(anon.text).message, /no basic auth credentials/);
  const wrong = await d.request('POST', `/images/create?fromImage=${encodeURIComponent(`${basic.host}/private/bb`)}&tag=1`, { headers: { 'X-Registry-Auth': xauth({ username: 'alice', password: 'nope' }) } });
  assert.equal(wrong.status, 401);
  assert.equal(JSON.parse(wrong.text).message, 'unauthorized: authentication required');
  assert.deepEqual(storeState(d.dataRoot), before);
  // the docker CLI sends its stored credentials
  assert.equal((await d.docker(['rmi', name])).code, 0);
  const pull = await d.docker(['pull', name]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /Status: (Downloaded newer image|Image is up to date)/);
});

test('berth login / logout: config.json auths as docker writes them, used by pull and push', async (t) => {
  if (!ready(t)) return;
  const cfgDir = path.join(d.root, 'berth-config');
  const bad = await d.berth(['login', basic.host, '-u', 'alice', '--password-stdin'], { input: 'wrong' });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /login attempt to .* failed with status: 401 Unauthorized/);
  const both = await d.berth(['login', basic.host, '-u', 'alice', '-p', 'x', '--password-stdin']);
  assert.match(both.stderr, /--password and --password-stdin are mutually exclusive/);
  const login = await d.berth(['login', basic.host, '-u', 'alice', '--password-stdin'], { input: 's3cret\n' });
  assert.equal(login.code, 0, login.stderr);
  assert.equal(login.stdout, 'Login Succeeded\n');
  const cfg = JSON.parse(fs.readFileSync(path.join(cfgDir, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.equal(Buffer.from(cfg.auths[basic.host]?.auth ?? '', 'base64').toString(), 'alice:s3cret');
  assert.equal((await d.berth(['tag', 'busybox', `${basic.host}/berth/bb:2`])).code, 0);
  const push = await d.berth(['push', `${basic.host}/berth/bb:2`]);
  assert.equal(push.code, 0, push.stderr);
  const pull = await d.berth(['pull', `${basic.host}/berth/bb:2`]);
  assert.equal(pull.code, 0, pull.stderr);
  const logout = await d.berth(['logout', basic.host]);
  assert.equal(logout.stdout, `Removing login credentials for ${basic.host}\n`);
  const again = await d.berth(['logout', basic.host]);
  assert.equal(again.stdout, `Not logged in to ${basic.host}\n`);
  // without berth's credentials (and with an empty docker config, which berth also reads)
  const emptyDocker = path.join(d.root, 'empty-docker-config');
  fs.mkdirSync(emptyDocker, { recursive: true });
  const denied = await d.berth(['pull', `${basic.host}/berth/bb:2`], { env: { DOCKER_CONFIG: emptyDocker } });
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /no basic auth credentials/);
});

test('token auth: anonymous pull token, push with credentials, scopes asked as Docker does, wrong password refused', async (t) => {
  if (!ready(t)) return;
  const name = `${tokenReg.host}/team/bb`;
  assert.equal((await d.request('POST', `/images/busybox/tag?repo=${encodeURIComponent(name)}&tag=1`)).status, 201);
  // anonymous push: the token grants pull only, the registry says no
  const anon = await d.request('POST', `/images/${encodeURIComponent(name)}/push?tag=1`, { headers: { 'X-Registry-Auth': xauth({}) } });
  assert.equal(anon.status, 200);
  assert.match(streamError(anon.text) ?? '', /unauthorized|denied/);
  const wrong = await d.request('POST', `/images/${encodeURIComponent(name)}/push?tag=1`, { headers: { 'X-Registry-Auth': xauth({ username: 'bob', password: 'nope', serveraddress: tokenReg.host }) } });
  assert.match(streamError(wrong.text) ?? '', /unauthorized: incorrect username or password/);
  const login = await d.request('POST', '/auth', { body: { username: 'bob', password: 'nope', serveraddress: tokenReg.host } });
  assert.equal(login.status, 401);
  assert.match(JSON.parse(login.text).message, /unauthorized: incorrect username or password/);
  const okLogin = await d.request('POST', '/auth', { body: { username: 'bob', password: 'hunter2', serveraddress: tokenReg.host } });
  assert.equal(okLogin.status, 200, okLogin.text);
  tokens.requests.length = 0;
  const push = await d.request('POST', `/images/${encodeURIComponent(name)}/push?tag=1`, { headers: { 'X-Registry-Auth': xauth({ username: 'bob', password: 'hunter2', serveraddress: tokenReg.host }) } });
  assert.equal(streamError(push.text), undefined, push.text);
  assert.match(push.text, /"aux":\{"Tag":"1","Digest":"sha256:/);
  assert.ok(tokens.requests.some((r) => r.account === 'bob' && r.scope.includes('repository:team/bb:pull,push')), JSON.stringify(tokens.requests));
  // tokens are cached per scope: one token request for the whole push
  assert.equal(tokens.requests.filter((r) => r.account === 'bob').length, 1, JSON.stringify(tokens.requests));
  assert.equal((await d.request('DELETE', `/images/${encodeURIComponent(`${name}:1`)}`)).status, 200);
  tokens.requests.length = 0;
  const pull = await d.request('POST', `/images/create?fromImage=${encodeURIComponent(name)}&tag=1`);
  assert.equal(pull.status, 200, pull.text);
  assert.equal(streamError(pull.text), undefined, pull.text);
  assert.ok(tokens.requests.some((r) => r.account === null && r.scope.includes('repository:team/bb:pull')), JSON.stringify(tokens.requests));
});

test('docker login against the token registry', async (t) => {
  if (!ready(t) || !need(t, hasDocker(), 'docker CLI')) return;
  const bad = await d.docker(['login', tokenReg.host, '-u', 'bob', '--password-stdin'], { input: 'nope\n' });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /unauthorized: incorrect username or password/);
  const ok = await d.docker(['login', tokenReg.host, '-u', 'bob', '--password-stdin'], { input: 'hunter2\n' });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /Login Succeeded/);
});
