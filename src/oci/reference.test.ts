// Table-driven tests after distribution/reference's reference_test.go and normalize_test.go.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isInvalidArgument } from '../errdefs/index.js';
import { familiarString, parseAnyReference, parseDockerRef, parseNormalizedNamed, parseReference, ReferenceErrors, tagNameOnly } from './reference.js';

const F64 = 'f'.repeat(64);
const SHA = `sha256:${F64}`;

function errMessage(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.ok(isInvalidArgument(err), `not invalid-argument: ${String(err)}`);
    return (err as Error).message;
  }
}

describe('parseReference (grammar, no normalisation)', () => {
  const cases: Array<{ input: string; err?: string; domain?: string; path?: string; tag?: string; digest?: string }> = [
    { input: 'test_com', path: 'test_com' },
    { input: 'test.com:tag', path: 'test.com', tag: 'tag' },
    { input: 'test.com:5000', path: 'test.com', tag: '5000' },
    { input: 'test.com/repo:tag', domain: 'test.com', path: 'repo', tag: 'tag' },
    { input: 'test:5000/repo', domain: 'test:5000', path: 'repo' },
    { input: 'test:5000/repo:tag', domain: 'test:5000', path: 'repo', tag: 'tag' },
    { input: `test:5000/repo@${SHA}`, domain: 'test:5000', path: 'repo', digest: SHA },
    { input: `test:5000/repo:tag@${SHA}`, domain: 'test:5000', path: 'repo', tag: 'tag', digest: SHA },
    { input: '', err: ReferenceErrors.nameEmpty },
    { input: ':justtag', err: ReferenceErrors.invalidFormat },
    { input: `@${SHA}`, err: ReferenceErrors.invalidFormat },
    { input: `repo@sha256:${'f'.repeat(63)}`, err: 'invalid checksum digest length' },
    { input: `repo@sha256:${'f'.repeat(31)}`, err: ReferenceErrors.invalidFormat },
    { input: `validname@invaliddigest:${F64}`, err: 'unsupported digest algorithm' },
    { input: 'Uppercase:tag', err: ReferenceErrors.nameContainsUppercase },
    { input: 'test:5000/Uppercase/lowercase:tag', err: ReferenceErrors.nameContainsUppercase },
    { input: 'lowercase:Uppercase', path: 'lowercase', tag: 'Uppercase' },
    { input: `${'a/'.repeat(128)}a:tag`, err: ReferenceErrors.nameTooLong },
    { input: `${'a/'.repeat(127)}a:tag-puts-this-over-max`, domain: 'a', path: `${'a/'.repeat(126)}a`, tag: 'tag-puts-this-over-max' },
    { input: 'aa/asdf$$^/aa', err: ReferenceErrors.invalidFormat },
    { input: 'sub-dom1.foo.com/bar/baz/quux', domain: 'sub-dom1.foo.com', path: 'bar/baz/quux' },
    { input: 'sub-dom1.foo.com/bar/baz/quux:some-long-tag', domain: 'sub-dom1.foo.com', path: 'bar/baz/quux', tag: 'some-long-tag' },
    { input: 'b.gcr.io/test.example.com/my-app:test.example.com', domain: 'b.gcr.io', path: 'test.example.com/my-app', tag: 'test.example.com' },
    { input: 'xn--n3h.com/myimage:xn--n3h.com', domain: 'xn--n3h.com', path: 'myimage', tag: 'xn--n3h.com' },
    { input: `xn--7o8h.com/myimage:xn--7o8h.com@sha512:${'f'.repeat(128)}`, domain: 'xn--7o8h.com', path: 'myimage', tag: 'xn--7o8h.com', digest: `sha512:${'f'.repeat(128)}` },
    { input: 'foo_bar.com:8080', path: 'foo_bar.com', tag: '8080' },
    { input: 'foo/foo_bar.com:8080', domain: 'foo', path: 'foo_bar.com', tag: '8080' },
    { input: '192.168.1.1', path: '192.168.1.1' },
    { input: '192.168.1.1:tag', path: '192.168.1.1', tag: 'tag' },
    { input: '192.168.1.1:5000', path: '192.168.1.1', tag: '5000' },
    { input: '192.168.1.1/repo', domain: '192.168.1.1', path: 'repo' },
    { input: '192.168.1.1:5000/repo', domain: '192.168.1.1:5000', path: 'repo' },
    { input: '192.168.1.1:5000/repo:5050', domain: '192.168.1.1:5000', path: 'repo', tag: '5050' },
    { input: '[2001:db8::1]', err: ReferenceErrors.invalidFormat },
    { input: '[2001:db8::1]:5000', err: ReferenceErrors.invalidFormat },
    { input: '[2001:db8::1]:tag', err: ReferenceErrors.invalidFormat },
    { input: '[2001:db8::1]/repo', domain: '[2001:db8::1]', path: 'repo' },
    { input: '[2001:db8:1:2:3:4:5:6]/repo:tag', domain: '[2001:db8:1:2:3:4:5:6]', path: 'repo', tag: 'tag' },
    { input: '[2001:db8::1]:5000/repo', domain: '[2001:db8::1]:5000', path: 'repo' },
    { input: '[2001:db8::1]:5000/repo:tag', domain: '[2001:db8::1]:5000', path: 'repo', tag: 'tag' },
    { input: `[2001:db8::1]:5000/repo@${SHA}`, domain: '[2001:db8::1]:5000', path: 'repo', digest: SHA },
    { input: `[2001:db8::1]:5000/repo:tag@${SHA}`, domain: '[2001:db8::1]:5000', path: 'repo', tag: 'tag', digest: SHA },
    { input: '[2001:db8::]:5000/repo', domain: '[2001:db8::]:5000', path: 'repo' },
    { input: '[::1]:5000/repo', domain: '[::1]:5000', path: 'repo' },
    { input: '[fe80::1%eth0]:5000/repo', err: ReferenceErrors.invalidFormat },
    { input: '[fe80::1%@invalidzone]:5000/repo', err: ReferenceErrors.invalidFormat },
    { input: 'repo:tag:extra', err: ReferenceErrors.invalidFormat },
    { input: `repo:${'a'.repeat(129)}`, err: ReferenceErrors.invalidFormat },
    { input: 'a__b/c', domain: '', path: 'a__b/c' },
    { input: 'a___b', err: ReferenceErrors.invalidFormat },
    { input: 'a--b', path: 'a--b' },
    { input: '-a', err: ReferenceErrors.invalidFormat },
    { input: 'a/', err: ReferenceErrors.invalidFormat },
    { input: 'a//b', err: ReferenceErrors.invalidFormat },
  ];
  for (const c of cases) {
    test(c.input.length > 60 ? `${c.input.slice(0, 60)}...` : c.input || '(empty)', () => {
      if (c.err !== undefined) {
        assert.equal(errMessage(() => parseReference(c.input)), c.err);
        return;
      }
      const r = parseReference(c.input);
      assert.equal(r.domain, c.domain ?? (c.input.includes('/') ? r.domain : ''));
      assert.equal(r.path, c.path);
      assert.equal(r.tag, c.tag);
      assert.equal(r.digest, c.digest);
      assert.equal(r.toString(), c.input);
    });
  }
});

describe('parseNormalizedNamed', () => {
  const valid: Array<[string, string, string]> = [
    // input, full name, familiar name
    ['busybox', 'docker.io/library/busybox', 'busybox'],
    ['docker/docker', 'docker.io/docker/docker', 'docker/docker'],
    ['library/debian', 'docker.io/library/debian', 'debian'],
    ['docker.io/docker/docker', 'docker.io/docker/docker', 'docker/docker'],
    ['docker.io/library/debian', 'docker.io/library/debian', 'debian'],
    ['docker.io/debian', 'docker.io/library/debian', 'debian'],
    ['index.docker.io/docker/docker', 'docker.io/docker/docker', 'docker/docker'],
    ['index.docker.io/library/debian', 'docker.io/library/debian', 'debian'],
    ['index.docker.io/debian', 'docker.io/library/debian', 'debian'],
    ['127.0.0.1:5000/docker/docker', '127.0.0.1:5000/docker/docker', '127.0.0.1:5000/docker/docker'],
    ['127.0.0.1:5000/library/debian', '127.0.0.1:5000/library/debian', '127.0.0.1:5000/library/debian'],
    ['127.0.0.1:5000/debian', '127.0.0.1:5000/debian', '127.0.0.1:5000/debian'],
    ['localhost:5000/a/b', 'localhost:5000/a/b', 'localhost:5000/a/b'],
    ['localhost/privatebase', 'localhost/privatebase', 'localhost/privatebase'],
    ['localhost:8000/private/moonbase', 'localhost:8000/private/moonbase', 'localhost:8000/private/moonbase'],
    ['example.com/privatebase', 'example.com/privatebase', 'example.com/privatebase'],
    ['example.com:8000/private/moonbase', 'example.com:8000/private/moonbase', 'example.com:8000/private/moonbase'],
    ['other/library', 'docker.io/other/library', 'other/library'],
    ['nonlibrary/ubuntu', 'docker.io/nonlibrary/ubuntu', 'nonlibrary/ubuntu'],
    ['ubuntu-12.04-base', 'docker.io/library/ubuntu-12.04-base', 'ubuntu-12.04-base'],
    ['docker.io/library/a/b', 'docker.io/library/a/b', 'library/a/b'],
    ['thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnevereds', 'docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnevereds', 'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnevereds'],
    ['Docker/docker', 'Docker/docker', 'Docker/docker'],
    ['[fc00::1]:5000/docker/docker', '[fc00::1]:5000/docker/docker', '[fc00::1]:5000/docker/docker'],
    ['docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', 'docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a'],
  ];
  for (const [input, full, familiar] of valid) {
    test(`valid ${input.slice(0, 60)}`, () => {
      const r = parseNormalizedNamed(input);
      assert.equal(r.name(), full);
      assert.equal(r.familiarName(), familiar);
      assert.equal(r.tag, undefined);
    });
  }

  const invalid: Array<[string, string]> = [
    ['https://github.com/docker/docker', ReferenceErrors.invalidFormat],
    ['docker/Docker', 'invalid reference format: repository name (docker/Docker) must be lowercase'],
    ['Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
    ['Busybox:latest', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
    ['-docker', ReferenceErrors.invalidFormat],
    ['-docker/docker', ReferenceErrors.invalidFormat],
    ['-docker.io/docker/docker', ReferenceErrors.invalidFormat],
    ['docker///docker', ReferenceErrors.invalidFormat],
    ['docker.io/docker/Docker', 'invalid reference format: repository name (docker/Docker) must be lowercase'],
    ['docker.io/docker///docker', ReferenceErrors.invalidFormat],
    ['', ReferenceErrors.invalidFormat],
    ['busybox:', ReferenceErrors.invalidFormat],
    ['busybox:la$t', ReferenceErrors.invalidFormat],
    ['1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', 'invalid repository name (1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a), cannot specify 64-byte hexadecimal strings'],
  ];
  for (const [input, message] of invalid) {
    test(`invalid ${input || '(empty)'}`, () => {
      assert.equal(errMessage(() => parseNormalizedNamed(input)), message);
    });
  }

  test('tags and digests survive normalisation', () => {
    const r = parseNormalizedNamed(`busybox:1.36@${SHA}`);
    assert.equal(r.toString(), `docker.io/library/busybox:1.36@${SHA}`);
    assert.equal(r.familiarString(), `busybox:1.36@${SHA}`);
    const d = parseNormalizedNamed(`localhost:5000/a/b@${SHA}`);
    assert.equal(d.domain, 'localhost:5000');
    assert.equal(d.path, 'a/b');
    assert.equal(d.digest, SHA);
    assert.equal(d.tag, undefined);
  });
});

describe('parseDockerRef / tagNameOnly / familiar forms', () => {
  const cases: Array<[string, string, string]> = [
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['localhost:5000/a/b:t', 'localhost:5000/a/b:t', 'localhost:5000/a/b:t'],
    ['localhost:5000/a/b', 'localhost:5000/a/b:latest', 'localhost:5000/a/b:latest'],
    ['myuser/app', 'docker.io/myuser/app:latest', 'myuser/app:latest'],
    [`busybox@${SHA}`, `docker.io/library/busybox@${SHA}`, `busybox@${SHA}`],
    [`busybox:tag@${SHA}`, `docker.io/library/busybox@${SHA}`, `busybox@${SHA}`],
  ];
  for (const [input, full, familiar] of cases) {
    test(input.slice(0, 60), () => {
      const r = parseDockerRef(input);
      assert.equal(r.toString(), full);
      assert.equal(r.familiarString(), familiar);
      assert.equal(familiarString(full), familiar);
    });
  }

  test('tagNameOnly keeps an existing tag or digest', () => {
    assert.equal(tagNameOnly(parseNormalizedNamed('a:b')).toString(), 'docker.io/library/a:b');
    assert.equal(tagNameOnly(parseNormalizedNamed(`a@${SHA}`)).toString(), `docker.io/library/a@${SHA}`);
  });

  test('withTag validates the tag', () => {
    const r = parseNormalizedNamed('busybox');
    assert.equal(r.withTag('v1.0_rc-1').familiarString(), 'busybox:v1.0_rc-1');
    assert.equal(errMessage(() => r.withTag('-bad')), ReferenceErrors.tagInvalidFormat);
    assert.equal(errMessage(() => r.withTag('a'.repeat(129))), ReferenceErrors.tagInvalidFormat);
  });
});

describe('parseAnyReference', () => {
  test('a 64-hex string is an ID, not a name', () => {
    assert.deepEqual(parseAnyReference(F64), { kind: 'id', id: SHA });
    assert.deepEqual(parseAnyReference(SHA), { kind: 'id', id: SHA });
  });
  test('anything else is a normalised name', () => {
    const r = parseAnyReference('busybox:1');
    assert.equal(r.kind, 'named');
    if (r.kind === 'named') assert.equal(r.ref.toString(), 'docker.io/library/busybox:1');
    // a short hex prefix is a valid name (the image service tries IDs first)
    const s = parseAnyReference('abc123');
    assert.equal(s.kind, 'named');
  });
  test('errors are Docker\'s', () => {
    assert.equal(errMessage(() => parseAnyReference('Busybox')), 'invalid reference format: repository name (library/Busybox) must be lowercase');
    assert.equal(errMessage(() => parseAnyReference('a b')), ReferenceErrors.invalidFormat);
  });
});
