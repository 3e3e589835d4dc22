import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTimestamp, LineSplitter, MessageAssembler, parseRecord, parseTimestamp } from './k8s-file.js';

test('timestamps: conmon offsets and Z parse to ns; Docker format is fixed-width UTC', () => {
  const a = parseTimestamp('2026-11-25T09:26:29.172099991+00:00');
  assert.equal(a, 1795598789172099991n);
  assert.equal(parseTimestamp('2026-11-25T10:26:29.172099991+01:00'), a);
  assert.equal(parseTimestamp('2026-11-25T09:26:29.1720999910Z'), undefined);
  assert.equal(parseTimestamp('2026-11-25T09:26:29Z'), 1795598789000000000n);
  assert.equal(parseTimestamp('2026-11-25T09:26:29.5Z'), 1795598789500000000n);
  assert.equal(parseTimestamp('garbage'), undefined);
  assert.equal(formatTimestamp(1795598789172099991n), '2026-11-25T09:26:29.172099991Z');
  assert.equal(formatTimestamp(1795598789000000001n), '2026-11-25T09:26:29.000000001Z');
});

test('records: stream, tag, text (spaces kept); malformed lines are rejected', () => {
  const r = parseRecord(Buffer.from('2026-11-25T09:26:29.172099991+00:00 stderr F  two  spaces '));
  assert.equal(r?.stream, 'stderr');
  assert.equal(r?.partial, false);
  assert.equal(r?.text.toString(), ' two  spaces ');
  const p = parseRecord(Buffer.from('2026-11-25T09:26:29.172099991+00:00 stdout P abc'));
  assert.equal(p?.partial, true);
  const empty = parseRecord(Buffer.from('2026-11-25T09:26:29.172099991+00:00 stdout F '));
  assert.equal(empty?.text.length, 0);
  const bare = parseRecord(Buffer.from('2026-11-25T09:26:29.172099991+00:00 stdout F'));
  assert.equal(bare?.text.length, 0);
  for (const bad of ['', 'x y z w', '2026-11-25T09:26:29Z stdin F x', '2026-11-25T09:26:29Z stdout X x', '2026-11-25T09:26:29Z stdout'])
    assert.equal(parseRecord(Buffer.from(bad)), undefined, bad);
});

test('P records join with the F that ends them, per stream; open partials flush', () => {
  const a = new MessageAssembler();
  const rec = (s: string) => {
    const r = parseRecord(Buffer.from(s));
    assert.ok(r);
    return r;
  };
  assert.equal(a.push(rec('2026-01-01T00:00:01Z stdout P hel')), undefined);
  const e = a.push(rec('2026-01-01T00:00:02Z stderr F err'));
  assert.equal(e?.line.toString(), 'err\n');
  const m = a.push(rec('2026-01-01T00:00:03Z stdout F lo'));
  assert.equal(m?.line.toString(), 'hello\n');
  assert.equal(m?.time, parseTimestamp('2026-01-01T00:00:01Z'), 'a joined message has its first chunk\'s time');
  a.push(rec('2026-01-01T00:00:04Z stdout P no newline'));
  assert.equal(a.hasPending, true);
  assert.deepEqual(
    a.flush().map((x) => x.line.toString()),
    ['no newline'],
  );
});

test('LineSplitter keeps an incomplete tail', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push(Buffer.from('a\nb')).map(String), ['a']);
  assert.equal(s.pending, 1);
  assert.deepEqual(s.push(Buffer.from('c\n\nd')).map(String), ['bc', '']);
});
