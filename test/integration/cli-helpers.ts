// Helpers for the berth CLI tests: run the same command with berth and with the real docker
// CLI against the same berthd and compare what a user sees.
import assert from 'node:assert/strict';
import type { Daemon, RunResult } from './harness.js';

/** docker's output with "docker" spelled "berth", for comparison. */
export function asBerth(text: string): string {
  return text.replace(/docker/g, 'berth');
}

/**
 * Assert berth and docker print the same thing and exit the same way. Output that depends on
 * the clock ("2 seconds ago") can differ at a second boundary, so a mismatch is retried.
 */
export async function sameAsDocker(d: Daemon, args: string[], opts: { input?: string; stdoutOnly?: boolean; attempts?: number } = {}): Promise<RunResult> {
  let last: { b: RunResult; k: RunResult } | undefined;
  for (let i = 0; i < (opts.attempts ?? 3); i++) {
    const run = { ...(opts.input !== undefined ? { input: opts.input } : {}) };
    const b = await d.berth(args, run);
    const k = await d.docker(args, run);
    last = { b, k };
    if (b.code === k.code && b.stdout === asBerth(k.stdout) && (opts.stdoutOnly || b.stderr === asBerth(k.stderr))) return b;
  }
  const { b, k } = last as { b: RunResult; k: RunResult };
  // On a busy machine the two runs can stay a second apart: compare durations loosely then.
  if (b.code === k.code && relaxTimes(b.stdout) === relaxTimes(asBerth(k.stdout)) && (opts.stdoutOnly || relaxTimes(b.stderr) === relaxTimes(asBerth(k.stderr)))) return b;
  assert.equal(b.stdout, asBerth(k.stdout), `stdout of berth ${args.join(' ')}`);
  if (!opts.stdoutOnly) assert.equal(b.stderr, asBerth(k.stderr), `stderr of berth ${args.join(' ')}`);
  assert.equal(b.code, k.code, `exit code of berth ${args.join(' ')}`);
  return b;
}

const DURATION = /(Less than a second|About a minute|About an hour|\d+ (second|minute|hour|day|week|month|year)s?)/g;

/** Durations ("12 seconds") made equal and column padding collapsed, for clock-dependent output. */
export function relaxTimes(text: string): string {
  return text.replace(DURATION, 'T').replace(/ {2,}/g, '  ');
}

export async function ok(d: Daemon, args: string[], input?: string): Promise<RunResult> {
  const r = await d.berth(args, input !== undefined ? { input } : {});
  assert.equal(r.code, 0, `berth ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r;
}
