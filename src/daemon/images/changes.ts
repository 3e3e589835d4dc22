// `docker import --change` / `docker commit --change`: Dockerfile instructions applied to an
// image config (moby's dockerfile.BuildFromConfig with its list of valid commit commands).
import { invalidArgument } from '../../errdefs/index.js';
import type { ImageRunConfig } from './types.js';

const VALID = ['cmd', 'entrypoint', 'env', 'expose', 'healthcheck', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir'] as const;

/** Split words as the Dockerfile parser does: quotes group, backslash escapes, quotes removed. */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
      continue;
    }
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '"' || c === "'") quote = c;
    else if (c === '\\' && i + 1 < s.length) cur += s[++i];
    else cur += c;
  }
  if (quote) throw invalidArgument(`unexpected end of statement while looking for matching ${quote}`);
  if (inWord) words.push(cur);
  return words;
}

/** JSON form (["a","b"]) or undefined when the text is not a JSON array of strings. */
function jsonForm(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(rest);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    /* shell form */
  }
  return undefined;
}

function keyValues(name: string, rest: string, legacy: boolean): [string, string][] {
  const words = splitWords(rest);
  if (words.length === 0) throw invalidArgument(`${name.toUpperCase()} requires at least one argument`);
  if (legacy && !(words[0] ?? '').includes('=')) {
    // ENV key value with spaces (the old form): everything after the first word is the value.
    const m = /^\s*(\S+)\s+(.*)$/.exec(rest);
    if (!m) throw invalidArgument(`${name.toUpperCase()} must have two arguments`);
    return [[m[1] ?? '', splitWords(m[2] ?? '').join(' ')]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw invalidArgument(`${name.toUpperCase()} names can not be blank`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

const DURATION = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/;
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

function durationNs(flag: string, v: string): number {
  let total = 0;
  let rest = v;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m) throw invalidArgument(`time: invalid duration "${v}" for --${flag}`);
    total += Number(m[1]) * (UNIT_NS[m[2] ?? 's'] ?? 1);
    rest = rest.slice(m[0].length);
  }
  if (!DURATION.test(v) && total === 0) throw invalidArgument(`time: invalid duration "${v}" for --${flag}`);
  return Math.round(total);
}

function healthcheck(rest: string): NonNullable<ImageRunConfig['Healthcheck']> {
  const words = rest.trim();
  if (/^none$/i.test(words)) return { Test: ['NONE'] };
  const hc: NonNullable<ImageRunConfig['Healthcheck']> = {};
  let r = words;
  for (;;) {
    const m = /^--([a-z-]+)=(\S+)\s*/.exec(r);
    if (!m) break;
    const [, flag = '', value = ''] = m;
    if (flag === 'interval') hc.Interval = durationNs(flag, value);
    else if (flag === 'timeout') hc.Timeout = durationNs(flag, value);
    else if (flag === 'start-period') hc.StartPeriod = durationNs(flag, value);
    else if (flag === 'start-interval') hc.StartInterval = durationNs(flag, value);
    else if (flag === 'retries') {
      if (!/^\d+$/.test(value)) throw invalidArgument(`invalid value for --retries: ${value}`);
      hc.Retries = Number(value);
    } else throw invalidArgument(`unknown flag: --${flag}`);
    r = r.slice(m[0].length);
  }
  const cm = /^(\S+)\s*(.*)$/.exec(r);
  if (!cm || (cm[1] ?? '').toUpperCase() !== 'CMD') throw invalidArgument(`Unknown type ${JSON.stringify(cm?.[1] ?? '')} in HEALTHCHECK (try CMD)`);
  const cmdText = (cm[2] ?? '').trim();
  if (cmdText === '') throw invalidArgument('Missing command after HEALTHCHECK CMD');
  const json = jsonForm(cmdText);
  hc.Test = json ? ['CMD', ...json] : ['CMD-SHELL', cmdText];
  return hc;
}

function exposed(word: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(word);
  if (!m) throw invalidArgument(`invalid containerPort: ${word}`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi > 65535 || hi < lo) throw invalidArgument(`invalid port range: ${word}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  return out;
}

/**
 * Apply `changes` (one Dockerfile instruction each; a change may hold several lines) to a copy of
 * `base`. Invalid instructions are invalid-argument errors with Docker's messages.
 */
export function applyChanges(base: ImageRunConfig, changes: readonly string[]): ImageRunConfig {
  const cfg: ImageRunConfig = structuredClone(base);
  let cmdSet = false;
  const lines = changes.flatMap((c) => c.replace(/\\\r?\n/g, ' ').split(/\r?\n/)).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  for (const line of lines) {
    const m = /^(\S+)\s*(.*)$/s.exec(line);
    const name = (m?.[1] ?? '').toLowerCase();
    const rest = (m?.[2] ?? '').trim();
    if (!(VALID as readonly string[]).includes(name)) throw invalidArgument(`${name} is not a valid change command`);
    const needArg = (): void => {
      if (rest === '') throw invalidArgument(`${name.toUpperCase()} requires at least one argument`);
    };
    switch (name as (typeof VALID)[number]) {
      case 'cmd': {
        needArg();
        cfg.Cmd = jsonForm(rest) ?? ['/bin/sh', '-c', rest];
        cmdSet = true;
        break;
      }
      case 'entrypoint': {
        const json = jsonForm(rest);
        cfg.Entrypoint = json ?? (rest === '' ? null : ['/bin/sh', '-c', rest]);
        if (!cmdSet) cfg.Cmd = null;
        break;
      }
      case 'env': {
        const env = [...(cfg.Env ?? [])];
        for (const [k, v] of keyValues(name, rest, true)) {
          const i = env.findIndex((e) => e === k || e.startsWith(`${k}=`));
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        cfg.Env = env;
        break;
      }
      case 'label': {
        const labels = { ...(cfg.Labels ?? {}) };
        for (const [k, v] of keyValues(name, rest, false)) labels[k] = v;
        cfg.Labels = labels;
        break;
      }
      case 'expose': {
        needArg();
        const ports = { ...(cfg.ExposedPorts ?? {}) };
        for (const w of splitWords(rest)) for (const p of exposed(w)) ports[p] = {};
        cfg.ExposedPorts = ports;
        break;
      }
      case 'volume': {
        needArg();
        const vols = { ...(cfg.Volumes ?? {}) };
        for (const v of jsonForm(rest) ?? splitWords(rest)) {
          if (v.trim() === '') throw invalidArgument('VOLUME specified can not be an empty string');
          vols[v] = {};
        }
        cfg.Volumes = vols;
        break;
      }
      case 'user':
        needArg();
        cfg.User = splitWords(rest).join(' ');
        break;
      case 'workdir': {
        needArg();
        const dir = splitWords(rest).join(' ');
        cfg.WorkingDir = dir.startsWith('/') ? dir : `${(cfg.WorkingDir ?? '/').replace(/\/$/, '')}/${dir}`;
        break;
      }
      case 'stopsignal':
        needArg();
        cfg.StopSignal = rest;
        break;
      case 'onbuild': {
        needArg();
        const inner = (/^(\S+)/.exec(rest)?.[1] ?? '').toUpperCase();
        if (inner === 'ONBUILD') throw invalidArgument("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (inner === 'FROM' || inner === 'MAINTAINER') throw invalidArgument(`${inner} isn't allowed as an ONBUILD trigger`);
        cfg.OnBuild = [...(cfg.OnBuild ?? []), rest.replace(/^\S+/, inner)];
        break;
      }
      case 'healthcheck':
        needArg();
        cfg.Healthcheck = healthcheck(rest);
        break;
    }
  }
  return cfg;
}
