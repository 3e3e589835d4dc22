import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChanges, splitWords } from './changes.js';
import { isInvalidArgument } from '../../errdefs/index.js';

test('splitWords: quotes group, backslash escapes', () => {
  assert.deepEqual(splitWords(`a "b c" 'd e' f\\ g`), ['a', 'b c', 'd e', 'f g']);
  assert.deepEqual(splitWords('k="x y"'), ['k=x y']);
});

test('CMD and ENTRYPOINT in JSON and shell form; ENTRYPOINT resets an inherited CMD', () => {
  assert.deepEqual(applyChanges({}, ['CMD ["sh"]']).Cmd, ['sh']);
  assert.deepEqual(applyChanges({}, ['CMD echo hi']).Cmd, ['/bin/sh', '-c', 'echo hi']);
  const c = applyChanges({ Cmd: ['old'] }, ['ENTRYPOINT ["/bin/tini","--"]']);
  assert.deepEqual(c.Entrypoint, ['/bin/tini', '--']);
  assert.equal(c.Cmd, null);
  const both = applyChanges({}, ['CMD ["x"]', 'ENTRYPOINT ["y"]']);
  assert.deepEqual(both.Cmd, ['x']);
});

test('ENV (both forms), LABEL, EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, ONBUILD, HEALTHCHECK', () => {
  const c = applyChanges({ Env: ['PATH=/bin'] }, [
    'ENV A=1 B="two words"',
    'ENV C legacy value',
    'ENV PATH=/usr/bin:/bin',
    'LABEL org.x=y "k k"=v',
    'EXPOSE 80 53/udp 8000-8001',
    'VOLUME ["/data"]',
    'VOLUME /a /b',
    'USER nobody',
    'WORKDIR /app',
    'WORKDIR sub',
    'STOPSIGNAL SIGINT',
    'onbuild run echo hi',
    'HEALTHCHECK --interval=5s --retries=3 CMD wget -q localhost',
  ]);
  assert.deepEqual(c.Env, ['PATH=/usr/bin:/bin', 'A=1', 'B=two words', 'C=legacy value']);
  assert.deepEqual(c.Labels, { 'org.x': 'y', 'k k': 'v' });
  assert.deepEqual(Object.keys(c.ExposedPorts ?? {}), ['80/tcp', '53/udp', '8000/tcp', '8001/tcp']);
  assert.deepEqual(Object.keys(c.Volumes ?? {}), ['/data', '/a', '/b']);
  assert.equal(c.User, 'nobody');
  assert.equal(c.WorkingDir, '/app/sub');
  assert.equal(c.StopSignal, 'SIGINT');
  assert.deepEqual(c.OnBuild, ['RUN echo hi']);
  assert.deepEqual(c.Healthcheck, { Interval: 5e9, Retries: 3, Test: ['CMD-SHELL', 'wget -q localhost'] });
});

test('invalid changes are invalid-argument errors with Docker\'s messages', () => {
  const bad = (changes: string[], msg: RegExp): void => {
    assert.throws(() => applyChanges({}, changes), (e: unknown) => isInvalidArgument(e) && msg.test((e as Error).message));
  };
  bad(['RUN echo'], /^run is not a valid change command$/);
  bad(['FROM busybox'], /^from is not a valid change command$/);
  bad(['EXPOSE abc'], /invalid containerPort: abc/);
  bad(['CMD'], /CMD requires at least one argument/);
  bad(['LABEL =x'], /LABEL names can not be blank/);
  bad(['ONBUILD ONBUILD RUN x'], /Chaining ONBUILD/);
});

test('a base config is not modified', () => {
  const base = { Env: ['A=1'] };
  applyChanges(base, ['ENV A=2']);
  assert.deepEqual(base, { Env: ['A=1'] });
});
