// berth image commands against a real berthd, compared with the docker CLI on the same daemon:
// import, images (formats, filters), inspect, history, tag, rmi, save/load, prune, system df,
// events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, need, isRoot, hasDocker, busyboxTar, type Daemon } from './harness.js';
import { sameAsDocker, ok } from './cli-helpers.js';

let d: Daemon;
before(async () => {
  if (!isRoot()) return;
  d = await startDaemon();
});
after(async () => d?.cleanup());

test('import from a file and from stdin, with --change and --message', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const r = await ok(d, ['import', '-c', 'CMD ["sh"]', '-c', 'ENV A=1', '-m', 'from berth', busyboxTar(), 'busybox:latest']);
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const id = r.stdout.trim();
  const cfg = JSON.parse((await ok(d, ['image', 'inspect', '-f', '{{json .Config}}', 'busybox'])).stdout) as { Cmd: string[]; Env: string[] };
  assert.deepEqual(cfg.Cmd, ['sh']);
  assert.ok(cfg.Env.includes('A=1'));
  const stdin = await d.berth(['import', '-', 'fromstdin:v1'], { input: fs.readFileSync(busyboxTar()) });
  assert.equal(stdin.code, 0, stdin.stderr);
  assert.match(stdin.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const ids = (await ok(d, ['images', '-q', '--no-trunc'])).stdout.trim().split('\n');
  assert.ok(ids.includes(id));
  const missing = await d.berth(['import', '/nonexistent.tar']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'open /nonexistent.tar: no such file or directory\n');
  const badRef = await d.berth(['import', busyboxTar(), 'UPPER:x']);
  assert.equal(badRef.code, 1);
  assert.match(badRef.stderr, /invalid reference format: repository name \(library\/UPPER\) must be lowercase/);
});

test('images: table, -q, --digests, --no-trunc, --filter, --format, json — as docker prints them', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const r = await ok(d, ['images']);
  assert.match(r.stdout, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n/);
  assert.match(r.stdout, /\nbusybox +latest +[0-9a-f]{12} +\S.* ago +[\d.]+[kM]B\n/);
  if (!need(t, hasDocker(), 'docker CLI')) return;
  for (const args of [
    ['images'],
    ['images', '-q'],
    ['images', '-a'],
    ['images', '--digests'],
    ['images', '--no-trunc'],
    ['images', 'busybox'],
    ['images', '--filter', 'reference=busy*'],
    ['images', '--format', '{{.Repository}}:{{.Tag}}\t{{.ID}} {{.Size}}'],
    ['images', '--format', 'table {{.Repository}}\t{{.CreatedAt}}'],
    ['images', '--format', 'json'],
    ['image', 'ls', '--format', '{{json .}}'],
    ['images', '--filter', 'bogus=1'],
  ]) {
    await sameAsDocker(d, args);
  }
});

test('inspect, image inspect and history match docker', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const r = await ok(d, ['image', 'inspect', 'busybox']);
  const parsed = JSON.parse(r.stdout) as { Id: string }[];
  assert.equal(parsed.length, 1);
  assert.match(parsed[0]?.Id ?? '', /^sha256:/);
  if (!need(t, hasDocker(), 'docker CLI')) return;
  for (const args of [
    ['image', 'inspect', 'busybox'],
    ['inspect', 'busybox'],
    ['inspect', '--type', 'image', '-f', '{{.Id}} {{.Config.Cmd}} {{index .RepoTags 0}}', 'busybox'],
    ['inspect', '-f', '{{range .RepoTags}}[{{.}}]{{end}} {{len .RootFS.Layers}}', 'busybox'],
    ['inspect', 'nope'],
    ['history', 'busybox'],
    ['history', '--no-trunc', 'busybox'],
    ['history', '-H=false', 'busybox'],
    ['history', '-q', 'busybox'],
    ['history', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Comment}}', 'busybox'],
  ]) {
    await sameAsDocker(d, args);
  }
  // the daemon's error text, printed after the (empty) result
  const nope = await d.berth(['image', 'inspect', 'nope']);
  assert.equal(nope.code, 1);
  assert.equal(nope.stdout, '[]\n');
  assert.equal(nope.stderr, 'Error response from daemon: No such image: nope:latest\n');
});

test('tag and rmi: normalized references, Untagged/Deleted lines, docker\'s errors', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  await ok(d, ['tag', 'busybox', 'example.com/team/bb:1']);
  // not a hex string: a name that is also a prefix of the image ID is taken as the ID by rmi (as Docker)
  await ok(d, ['tag', 'busybox', 'bbx']);
  const tags = (await ok(d, ['image', 'inspect', '-f', '{{join .RepoTags ","}}', 'busybox'])).stdout;
  assert.match(tags, /example\.com\/team\/bb:1/);
  assert.match(tags, /bbx:latest/);
  const digest = await d.berth(['tag', 'busybox', `x@sha256:${'0'.repeat(64)}`]);
  assert.equal(digest.code, 1);
  assert.equal(digest.stderr, 'refusing to create a tag with a digest reference\n');
  const upper = await d.berth(['tag', 'busybox', 'BAD:x']);
  assert.equal(upper.code, 1);
  assert.equal(upper.stderr, 'Error parsing reference: "BAD:x" is not a valid repository/tag: invalid reference format: repository name (library/BAD) must be lowercase\n');
  const missing = await d.berth(['tag', 'nope', 'x']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'Error response from daemon: No such image: nope:latest\n');
  const rm = await ok(d, ['rmi', 'bbx', 'example.com/team/bb:1']);
  assert.equal(rm.stdout, 'Untagged: bbx:latest\nUntagged: example.com/team/bb:1\n');
  const some = await d.berth(['rmi', 'nope', 'fromstdin:v1']);
  assert.equal(some.code, 1);
  assert.equal(some.stderr, 'Error response from daemon: No such image: nope:latest\n');
  assert.match(some.stdout, /^Untagged: fromstdin:v1\nDeleted: sha256:[0-9a-f]{64}\n/);
});

test('save to a file or a pipe, load back; load -q', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const out = path.join(d.root, 'bb.tar');
  await ok(d, ['save', '-o', out, 'busybox']);
  const names = fs.readFileSync(out).toString('latin1');
  assert.ok(names.includes('manifest.json'));
  assert.deepEqual(fs.readdirSync(d.root).filter((f) => f.includes('.tmp')), []);
  const piped = await d.berth(['save', 'busybox']);
  assert.equal(piped.code, 0);
  assert.ok(piped.stdout.length > 1000);
  const badDir = await d.berth(['save', '-o', '/nonexistent/dir/x.tar', 'busybox']);
  assert.equal(badDir.code, 1);
  await ok(d, ['tag', 'busybox', 'roundtrip:1']);
  await ok(d, ['save', '-o', out, 'roundtrip:1']);
  await ok(d, ['rmi', 'roundtrip:1']);
  const loaded = await ok(d, ['load', '-i', out]);
  assert.equal(loaded.stdout, 'Loaded image: roundtrip:1\n');
  await ok(d, ['rmi', 'roundtrip:1']);
  const quiet = await d.berth(['load', '-q'], { input: fs.readFileSync(out) });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stdout, 'Loaded image: roundtrip:1\n');
  const none = await d.berth(['load', '-i', '/nonexistent.tar']);
  assert.equal(none.code, 1);
  assert.equal(none.stderr, 'open /nonexistent.tar: no such file or directory\n');
});

test('image prune: dangling only by default, -a, total reclaimed space', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const dangling = (await d.berth(['import', busyboxTar()])).stdout.trim();
  assert.match(dangling, /^sha256:/);
  const r = await ok(d, ['image', 'prune', '-f']);
  assert.ok(r.stdout.startsWith(`Deleted Images:\ndeleted: ${dangling}\n`), r.stdout);
  assert.match(r.stdout, /\n\nTotal reclaimed space: [\d.]+[kM]?B\n$/);
  const again = await ok(d, ['image', 'prune', '-f']);
  assert.equal(again.stdout, 'Total reclaimed space: 0B\n');
  const cancelled = await d.berth(['image', 'prune'], { input: 'n\n' });
  assert.equal(cancelled.code, 1);
  assert.equal(cancelled.stdout, 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ');
  if (!need(t, hasDocker(), 'docker CLI')) return;
  await sameAsDocker(d, ['image', 'prune', '-f']);
});

test('system df and events match docker', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const df = await ok(d, ['system', 'df']);
  assert.match(df.stdout, /^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +\d+ +\d+ +\S+ +\S+/);
  const ev = await ok(d, ['events', '--since', '10m', '--until', '0s', '--filter', 'type=image']);
  assert.match(ev.stdout, / image import sha256:[0-9a-f]{64} \(name=busybox:latest\)\n/);
  const bad = await d.berth(['events', '--since', 'yesterday']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'failed to parse value as time or duration: "yesterday"\n');
  if (!need(t, hasDocker(), 'docker CLI')) return;
  for (const args of [
    ['system', 'df'],
    ['system', 'df', '--format', '{{.Type}}: {{.Size}}'],
    ['system', 'df', '--format', 'json'],
    ['events', '--since', '10m', '--until', '0s'],
    ['events', '--since', '10m', '--until', '0s', '--format', 'json'],
    ['events', '--since', '10m', '--until', '0s', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'],
    ['events', '--since', '10m', '--until', '0s', '--filter', 'event=tag'],
    ['events', '--since', new Date(Date.now() - 600_000).toISOString(), '--until', '0s'],
  ]) {
    await sameAsDocker(d, args);
  }
});
