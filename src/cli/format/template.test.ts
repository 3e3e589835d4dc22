import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTemplate as r, sprintf, Template, TemplateError } from './template.js';

const data = {
  Name: 'web',
  Id: 'abc123',
  Count: 3,
  Ratio: 1.5,
  Empty: '',
  Tags: ['a:1', 'b:2'],
  Labels: { zeta: 'z', alpha: 'a' },
  State: { Running: true, Health: null, ExitCode: 0 },
  Nested: { Deep: { Value: 'x' } },
};

test('field chains, dot and missing keys', () => {
  assert.equal(r('{{.Name}}', data), 'web');
  assert.equal(r('{{.Nested.Deep.Value}}', data), 'x');
  assert.equal(r('{{.State.Running}}', data), 'true');
  assert.equal(r('{{.Nope}}', data), '<no value>');
  assert.equal(r('{{.State.Health}}', data), '<nil>');
  assert.equal(r('{{.}}', 'plain'), 'plain');
  assert.equal(r('{{.Tags}}', data), '[a:1 b:2]');
  assert.equal(r('{{.Labels}}', data), 'map[alpha:a zeta:z]');
  assert.equal(r('{{.Ratio}} {{.Count}}', data), '1.5 3');
  assert.equal(r('id={{ .Id }}\tname={{.Name}}', data), 'id=abc123\tname=web');
});

test('getters and methods on context objects are called', () => {
  class Ctx {
    get ID(): string {
      return 'x1';
    }
    Size(): string {
      return '1MB';
    }
  }
  assert.equal(r('{{.ID}} {{.Size}}', new Ctx()), 'x1 1MB');
  assert.throws(() => r('{{.Nope}}', new Ctx()), /can't evaluate field Nope/);
});

test('json, pipelines and parentheses', () => {
  assert.equal(r('{{json .}}', { a: 1, b: ['x'] }), '{"a":1,"b":["x"]}');
  assert.equal(r('{{.Labels | json}}', data), '{"zeta":"z","alpha":"a"}');
  assert.equal(r('{{json .Nope}}', data), 'null');
  assert.equal(r('{{.Name | upper}}', data), 'WEB');
  assert.equal(r('{{upper (index .Tags 1)}}', data), 'B:2');
  assert.equal(r('{{(index .Tags 0) | len}}', data), '3');
  assert.equal(r('{{(index .Nested "Deep").Value}}', data), 'x');
  assert.equal(r('{{json "<&>"}}', {}), '"<&>"');
});

test('string functions', () => {
  assert.equal(r('{{join .Tags ", "}}', data), 'a:1, b:2');
  assert.equal(r('{{split "a,b,c" ","}}', data), '[a b c]');
  assert.equal(r('{{index (split "a:b" ":") 1}}', data), 'b');
  assert.equal(r('{{lower "ABC"}} {{upper "abc"}} {{title "hello big world"}}', data), 'abc ABC Hello Big World');
  assert.equal(r('{{truncate .Id 3}}|{{truncate "ab" 5}}', data), 'abc|ab');
  assert.equal(r('[{{pad .Name 2 1}}]', data), '[  web ]');
  assert.equal(r('{{len .Tags}} {{len .Labels}} {{len .Name}}', data), '2 2 3');
  assert.equal(r('{{index .Labels "alpha"}} {{index .Tags 0}}', data), 'a a:1');
  assert.equal(r('{{slice .Id 1 3}}', data), 'bc');
});

test('printf and println', () => {
  assert.equal(r('{{printf "%s-%d" .Name .Count}}', data), 'web-3');
  assert.equal(r('{{printf "%-5s|%5s|%05d|%.2f|%q|%v|%t" "a" "b" 42 3.14159 "q" .Tags true}}', data), 'a    |    b|00042|3.14|"q"|[a:1 b:2]|true');
  assert.equal(r('{{println .Name .Count}}', data), 'web 3\n');
  assert.equal(sprintf('%x %X %%', [255, 255]), 'ff FF %');
  assert.equal(sprintf('%s', []), '%!s(MISSING)');
});

test('if / else if / else, with, comparisons and logic', () => {
  assert.equal(r('{{if .State.Running}}up{{else}}down{{end}}', data), 'up');
  assert.equal(r('{{if .Empty}}x{{else if eq .Count 3}}three{{else}}other{{end}}', data), 'three');
  assert.equal(r('{{if not .Empty}}empty{{end}}', data), 'empty');
  assert.equal(r('{{if and .Name .Count}}both{{end}}{{if or .Empty .Nope}}x{{else}}neither{{end}}', data), 'bothneither');
  assert.equal(r('{{if gt .Count 2}}gt{{end}}{{if lt .Count 2}}lt{{end}}{{if ne .Name "x"}}ne{{end}}{{if eq .Name "a" "web"}}in{{end}}', data), 'gtnein');
  assert.equal(r('{{with .Nested.Deep}}{{.Value}}{{end}}{{with .Nope}}x{{else}}none{{end}}', data), 'xnone');
  assert.equal(r('{{if .State.Health}}h{{else}}no health{{end}}', data), 'no health');
});

test('range over lists and maps, with variables and else', () => {
  assert.equal(r('{{range .Tags}}[{{.}}]{{end}}', data), '[a:1][b:2]');
  assert.equal(r('{{range $i, $t := .Tags}}{{$i}}={{$t}} {{end}}', data), '0=a:1 1=b:2 ');
  assert.equal(r('{{range $k, $v := .Labels}}{{$k}}:{{$v}},{{end}}', data), 'alpha:a,zeta:z,');
  assert.equal(r('{{range .Nope}}x{{else}}empty{{end}}', data), 'empty');
  assert.equal(r('{{range .Tags}}{{$.Name}}/{{.}} {{end}}', data), 'web/a:1 web/b:2 ');
  assert.equal(r('{{$n := .Name}}{{range .Tags}}{{$n}}{{end}}', data), 'webweb');
  assert.equal(r('{{range .Tags}}{{.}}{{"\\n"}}{{end}}', data), 'a:1\nb:2\n');
});

test('trim markers and comments', () => {
  assert.equal(r('a  {{- .Name -}}  b', data), 'awebb');
  assert.equal(r('{{/* note */}}x', data), 'x');
});

test('parse and execution errors', () => {
  assert.throws(() => new Template('{{.Name'), TemplateError);
  assert.throws(() => new Template('{{if .Name}}x'), /unexpected EOF/);
  assert.throws(() => new Template('{{nosuch .Name}}'), /function "nosuch" not defined/);
  assert.throws(() => new Template('{{end}}'), /unexpected \{\{end\}\}/);
  assert.throws(() => r('{{index .Tags 5}}', data), /index out of range/);
  assert.throws(() => r('{{.Name.Foo}}', data), /can't evaluate field Foo in type string/);
  assert.throws(() => r('{{$x}}', data), /undefined variable/);
});
