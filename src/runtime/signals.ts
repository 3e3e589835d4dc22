// Signal names and numbers as Docker parses them (moby/sys/signal): "SIGTERM", "TERM", "15".
import os from 'node:os';
import { invalidArgument } from '../errdefs/index.js';

const SIGNALS = os.constants.signals as Record<string, number>;

/** Parse a signal; throws Docker's `Invalid signal: X` (400). Returns the number. */
export function parseSignal(raw: string): number {
  const s = raw.trim();
  if (/^\d+$/.test(s)) {
    const n = Number.parseInt(s, 10);
    if (n === 0 || n > 64) throw invalidArgument(`Invalid signal: ${raw}`);
    return n;
  }
  const up = s.toUpperCase();
  const name = up.startsWith('SIG') ? up : `SIG${up}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt) return name.startsWith('SIGRTMIN') ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0);
  const n = SIGNALS[name];
  if (n === undefined) throw invalidArgument(`Invalid signal: ${raw}`);
  return n;
}

/** The name Docker shows for a signal number (events' "signal" attribute uses the number). */
export function signalName(n: number): string {
  for (const [k, v] of Object.entries(SIGNALS)) if (v === n) return k;
  return String(n);
}
