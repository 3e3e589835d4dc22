import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Flags, FlagValues, parseGoDuration, parseRamBytes, type FlagSpec } from './flags.js';
import { FlagError } from './exit-codes.js';

const specs: FlagSpec[] = [
  { name: 'interactive', short: 'i', type: 'bool', usage: '' },
  { name: 'tty', short: 't', type: 'bool', usage: '' },
  { name: 'detach', short: 'd', type: 'bool', usage: '' },
  { name: 'rm', type: 'bool', usage: '' },
  { name: 'sig-proxy', type: 'bool', usage: '', default: true },
  { name: 'name', type: 'string', usage: '' },
  { name: 'env', short: 'e', type: 'list', usage: '' },
  { name: 'publish', short: 'p', type: 'list', usage: '' },
  { name: 'time', short: 't2', type: 'int', usage: '' },
  { name: 'tail', short: 'n', type: 'string', usage: '', default: 'all' },
  { name: 'memory', short: 'm', type: 'bytes', usage: '' },
  { name: 'timeout', type: 'int', usage: '' },
  { name: 'health-interval', type: 'duration', usage: '' },
];
const flags = new Flags(specs);
const parse = (argv: string[], interspersed = true): FlagValues => new FlagValues(flags, flags.parse(argv, { interspersed }));

test('combined short flags, attached values and long forms', () => {
  const v = parse(['-it', '--name=web', '-e', 'A=1', '-eB=2', '--env', 'C=3', '-p8080:80', 'busybox', 'sh']);
  assert.equal(v.bool('interactive'), true);
  assert.equal(v.bool('tty'), true);
  assert.equal(v.string('name'), 'web');
  assert.deepEqual(v.list('env'), ['A=1', 'B=2', 'C=3']);
  assert.deepEqual(v.list('publish'), ['8080:80']);
  assert.deepEqual(v.args, ['busybox', 'sh']);
  assert.ok(v.changed('name'));
  assert.ok(!v.changed('rm'));
});

test('bool flags take =false; defaults apply', () => {
  const v = parse(['--sig-proxy=false', '-d=false', '--rm']);
  assert.equal(v.bool('sig-proxy'), false);
  assert.equal(v.bool('detach'), false);
  assert.equal(v.bool('rm'), true);
  assert.equal(parse([]).bool('sig-proxy'), true);
  assert.equal(parse([]).string('tail'), 'all');
  assert.throws(() => parse(['--rm=maybe']), /invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax/);
});

test('interspersed flags vs stopping at the first positional', () => {
  assert.deepEqual(parse(['img', '-d', 'x']).args, ['img', 'x']);
  const v = parse(['-d', 'img', 'ls', '-l', '--rm'], false);
  assert.equal(v.bool('detach'), true);
  assert.equal(v.bool('rm'), false);
  assert.deepEqual(v.args, ['img', 'ls', '-l', '--rm']);
});

test('-- ends flags; - alone is positional', () => {
  assert.deepEqual(parse(['--', '--rm', '-x']).args, ['--rm', '-x']);
  assert.deepEqual(parse(['-']).args, ['-']);
});

test('docker/pflag error messages', () => {
  const msg = (argv: string[]): string => {
    try {
      parse(argv);
    } catch (e) {
      assert.ok(e instanceof FlagError);
      return e.message;
    }
    return 'no error';
  };
  assert.equal(msg(['--foo']), 'unknown flag: --foo');
  assert.equal(msg(['-x']), "unknown shorthand flag: 'x' in -x");
  assert.equal(msg(['-ix']), "unknown shorthand flag: 'x' in -x");
  assert.equal(msg(['--name']), 'flag needs an argument: --name');
  assert.equal(msg(['-e']), "flag needs an argument: 'e' in -e");
  assert.equal(msg(['--timeout', 'abc']), 'invalid argument "abc" for "--timeout" flag: strconv.ParseInt: parsing "abc": invalid syntax');
  assert.equal(msg(['-m', 'lots']), 'invalid argument "lots" for "-m, --memory" flag: invalid size: \'lots\'');
  assert.equal(msg(['--health-interval', '5']), 'invalid argument "5" for "--health-interval" flag: time: missing unit in duration "5"');
});

test('--help and -h are recognised unless -h is taken', () => {
  assert.equal(flags.parse(['--help']).help, true);
  assert.equal(flags.parse(['-h']).help, true);
  const withH = new Flags([{ name: 'hostname', short: 'h', type: 'string', usage: '' }]);
  const p = withH.parse(['-h', 'box']);
  assert.equal(p.help, false);
  assert.equal(p.values.get('hostname'), 'box');
});

test('value parsers: Go durations and RAM sizes', () => {
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('-10m'), -600_000);
  assert.equal(parseGoDuration('300ms'), 300);
  assert.throws(() => parseGoDuration('abc'), /time: invalid duration "abc"/);
  assert.equal(parseRamBytes('512m'), 512 * 1024 * 1024);
  assert.equal(parseRamBytes('1g'), 1024 ** 3);
  assert.equal(parseRamBytes('1GB'), 1024 ** 3);
  assert.equal(parseRamBytes('100'), 100);
  assert.equal(parseRamBytes('1.5k'), 1536);
  assert.throws(() => parseRamBytes('x'), /invalid size: 'x'/);
});
