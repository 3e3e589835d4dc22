// berth CLI basics against a real berthd: version, info, global flags, usage errors, exit codes,
// help; output compared with the real docker CLI on the same daemon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, need, isRoot, hasDocker, BERTH, run, type Daemon } from './harness.js';
import { sameAsDocker, ok } from './cli-helpers.js';

let d: Daemon;
before(async () => {
  if (!isRoot()) return;
  d = await startDaemon();
});
after(async () => d?.cleanup());

test('version: client and server sections; the server section is docker\'s', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const r = await ok(d, ['version']);
  assert.match(r.stdout, /^Client:\n Version: {11}0\.1\.0\n API version: {7}1\.50\n/);
  assert.match(r.stdout, /\nServer: berth\n Engine:\n  Version: {10}\S+\n  API version: {6}1\.50 \(minimum version 1\.24\)\n/);
  // when the daemon was built, as the docker CLI shows it (Go's ANSIC)
  assert.match(r.stdout, /\n  Built: +\w{3} \w{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}\n  OS\/Arch:/);
  // the default runtime's component: what `crun --version` (or runc's) says, as dockerd shows runc's
  const info = (await d.request('GET', '/info')).json<{ DefaultRuntime: string; Runtimes: Record<string, { path: string }> }>();
  const rtPath = info.Runtimes[info.DefaultRuntime]?.path ?? '';
  const said = (await run(rtPath, ['--version'])).stdout;
  const rtVersion = /^\S+ version (\S+)/m.exec(said)?.[1] ?? '?';
  const rtCommit = /^commit: (\S+)/m.exec(said)?.[1] ?? '?';
  assert.ok(r.stdout.includes(`\n ${info.DefaultRuntime}:\n  Version:          ${rtVersion}\n  GitCommit:        ${rtCommit}\n`), r.stdout);
  if (!need(t, hasDocker(), 'docker CLI')) return;
  const k = await d.docker(['version']);
  assert.equal(k.code, 0);
  assert.equal(r.stdout.slice(r.stdout.indexOf('\nServer:')), k.stdout.slice(k.stdout.indexOf('\nServer:')));
  await sameAsDocker(d, ['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}} {{json .Server.Os}}']);
  const j = JSON.parse((await ok(d, ['version', '--format', 'json'])).stdout) as { Client: { Version: string }; Server: { ApiVersion: string } };
  assert.equal(j.Server.ApiVersion, '1.50');
});

test('version without a daemon: the client section, then docker\'s connection error, exit 1', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const r = await run(BERTH, ['-H', 'unix:///nonexistent/berth.sock', 'version']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^Client:\n/);
  assert.equal(r.stderr, 'Cannot connect to the berth daemon at unix:///nonexistent/berth.sock. Is the berth daemon running?\n');
  const r2 = await run(BERTH, ['images'], { env: { ...process.env, BERTH_HOST: 'unix:///nonexistent/x.sock', DOCKER_HOST: '' } });
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /Cannot connect to the berth daemon at unix:\/\/\/nonexistent\/x\.sock/);
});

test('-H, BERTH_HOST and DOCKER_HOST select the daemon; -v prints the client version', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const viaFlag = await run(BERTH, ['-H', d.host, 'info', '--format', '{{.DockerRootDir}}'], { env: { ...process.env, BERTH_HOST: '', DOCKER_HOST: '' } });
  assert.equal(viaFlag.stdout, `${d.dataRoot}\n`);
  const viaDocker = await run(BERTH, ['info', '--format', '{{.DockerRootDir}}'], { env: { ...process.env, BERTH_HOST: '', DOCKER_HOST: d.host } });
  assert.equal(viaDocker.stdout, `${d.dataRoot}\n`);
  const v = await run(BERTH, ['-v']);
  assert.match(v.stdout, /^berth version 0\.1\.0, build \S+\n$/);
  const lvl = await d.berth(['--log-level', 'loud', 'version']);
  assert.equal(lvl.code, 1);
  assert.match(lvl.stderr, /Unable to parse logging level: loud/);
});

test('info: docker\'s layout and --format', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const r = await ok(d, ['info']);
  assert.match(r.stdout, /^Client:\n Version: {4}0\.1\.0\n Context: {4}default\n Debug Mode: false\n\nServer:\n Containers: \d+\n  Running: \d+\n/);
  assert.match(r.stdout, /\n Storage Driver: overlay2\n/);
  assert.match(r.stdout, new RegExp(`\\n Docker Root Dir: ${d.dataRoot}\\n`));
  if (!need(t, hasDocker(), 'docker CLI')) return;
  await sameAsDocker(d, ['info', '--format', '{{.Images}} {{.Driver}} {{json .Plugins.Volume}} {{.OSType}}']);
  await sameAsDocker(d, ['info', 'extra']);
});

test('usage errors: unknown flags exit 125, argument counts exit 1, both worded as docker', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const r = await d.berth(['run', '--foo']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, "unknown flag: --foo\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n");
  const tag = await d.berth(['tag', 'a']);
  assert.equal(tag.code, 1);
  assert.equal(tag.stderr, "berth: 'berth tag' requires 2 arguments\n\nUsage:  berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nRun 'berth tag --help' for more information\n");
  if (!need(t, hasDocker(), 'docker CLI')) return;
  for (const args of [
    ['run', '-x'],
    ['--foo'],
    ['image', 'ls', '--foo'],
    ['run', '--name'],
    ['ps', '-n'],
    ['stop', '-t', 'abc', 'x'],
    ['run', '-p'],
    ['version', '--foo'],
    ['tag'],
    ['logs'],
    ['rmi'],
    ['inspect'],
    ['run'],
    ['run', '-it'],
    ['exec', 'x'],
    ['ps', 'a'],
    ['port'],
    ['rename', 'a'],
    ['history'],
    ['load', 'a'],
    ['system', 'df', 'x'],
    ['container', 'prune', 'x'],
    ['foo'],
    ['image', 'foo'],
    ['events', '--since', 'abc'],
  ]) {
    await sameAsDocker(d, args);
  }
});

test('--help: usage, aliases and options; group help lists subcommands', async (t) => {
  if (!need(t, isRoot(), 'root')) return;
  const h = await ok(d, ['images', '--help']);
  assert.match(h.stdout, /^Usage:  berth images \[OPTIONS\] \[REPOSITORY\[:TAG\]\]\n\nList images\n\nAliases:\n  berth image ls, berth image list, berth images\n\nOptions:\n/);
  assert.match(h.stdout, /\n  -a, --all +Show all images/);
  const run = await ok(d, ['run', '--help']);
  assert.match(run.stdout, /\n  -h, --hostname string +Container host name\n/);
  const g = await ok(d, ['image']);
  assert.match(g.stdout, /^Usage:  berth image COMMAND\n\nManage images\n\nCommands:\n/);
  const root = await ok(d, ['--help']);
  assert.match(root.stdout, /Management Commands:\n  container +Manage containers\n/);
});
