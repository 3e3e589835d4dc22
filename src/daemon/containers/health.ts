// Healthchecks: run the probe with `runtime exec` on the interval, keep Docker's state
// (starting/healthy/unhealthy, failing streak, the last 5 results) and report changes.
import type { Health, HealthConfig, HealthcheckResult } from '../../engine-api/container.js';
import { invalidArgument } from '../../errdefs/index.js';

const SECOND = 1_000_000_000;
export const HEALTH_DEFAULTS = { interval: 30 * SECOND, timeout: 30 * SECOND, startPeriod: 0, startInterval: 5 * SECOND, retries: 3 };
const MAX_LOG = 5;
const MAX_OUTPUT = 4096;

/** The probe command, or undefined when the container has no healthcheck. */
export function probeCommand(hc: HealthConfig | null | undefined): string[] | undefined {
  const test = hc?.Test;
  if (!test || test.length === 0) return undefined;
  switch (test[0]) {
    case 'NONE':
      return undefined;
    case 'CMD':
      return test.length > 1 ? test.slice(1) : undefined;
    case 'CMD-SHELL':
      return ['/bin/sh', '-c', test.slice(1).join(' ')];
    default:
      return ['/bin/sh', '-c', test.join(' ')];
  }
}

/** Docker's create-time validation of Healthcheck durations. */
export function validateHealthConfig(hc: HealthConfig | null | undefined): void {
  if (!hc) return;
  const min = 1_000_000; // 1ms
  const check = (v: number | undefined, name: string): void => {
    if (v !== undefined && v !== 0 && v < min) throw invalidArgument(`${name} in Healthcheck cannot be less than 1ms`);
  };
  check(hc.Interval, 'Interval');
  check(hc.Timeout, 'Timeout');
  check(hc.StartPeriod, 'StartPeriod');
  check(hc.StartInterval, 'StartInterval');
  if (hc.Retries !== undefined && hc.Retries < 0) throw invalidArgument('Retries in Healthcheck cannot be negative');
}

export interface ProbeOutcome {
  exitCode: number;
  output: string;
}

export interface HealthMonitorDeps {
  config: HealthConfig;
  command: string[];
  startedAt: number; // ms
  exec: (cmd: string[], timeoutMs: number, signal: AbortSignal) => Promise<ProbeOutcome>;
  /** called after every probe with the new state; `changed` when Status changed */
  report: (health: Health, changed: boolean) => void;
  initial: Health;
}

function fmtDuration(ns: number): string {
  const s = ns / SECOND;
  return Number.isInteger(s) ? `${s}s` : `${s}s`;
}

export class HealthMonitor {
  readonly #d: HealthMonitorDeps;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #health: Health;

  constructor(deps: HealthMonitorDeps) {
    this.#d = deps;
    this.#health = deps.initial;
  }

  get health(): Health {
    return this.#health;
  }

  #cfg(): { interval: number; timeout: number; startPeriod: number; startInterval: number; retries: number } {
    const c = this.#d.config;
    return {
      interval: c.Interval || HEALTH_DEFAULTS.interval,
      timeout: c.Timeout || HEALTH_DEFAULTS.timeout,
      startPeriod: c.StartPeriod || HEALTH_DEFAULTS.startPeriod,
      startInterval: c.StartInterval || HEALTH_DEFAULTS.startInterval,
      retries: c.Retries || HEALTH_DEFAULTS.retries,
    };
  }

  #inStartPeriod(): boolean {
    return Date.now() - this.#d.startedAt < this.#cfg().startPeriod / 1e6;
  }

  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#abort.abort();
    if (this.#timer) clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#abort.signal.aborted) return;
    const c = this.#cfg();
    const useStart = this.#health.Status === 'starting' && this.#inStartPeriod() && this.#d.config.StartInterval;
    const ns = useStart ? c.startInterval : c.interval;
    this.#timer = setTimeout(() => void this.#probe(), ns / 1e6);
    this.#timer.unref();
  }

  async #probe(): Promise<void> {
    const c = this.#cfg();
    const start = new Date();
    let outcome: ProbeOutcome;
    try {
      outcome = await this.#d.exec(this.#d.command, c.timeout / 1e6, this.#abort.signal);
    } catch (err) {
      outcome = { exitCode: -1, output: (err as Error).message };
    }
    if (this.#abort.signal.aborted) return;
    const result: HealthcheckResult = { Start: start.toISOString(), End: new Date().toISOString(), ExitCode: outcome.exitCode, Output: outcome.output.slice(0, MAX_OUTPUT) };
    const prev = this.#health.Status;
    const h: Health = { Status: prev, FailingStreak: this.#health.FailingStreak, Log: [...this.#health.Log, result].slice(-MAX_LOG) };
    if (outcome.exitCode === 0) {
      h.Status = 'healthy';
      h.FailingStreak = 0;
    } else if (!(prev === 'starting' && this.#inStartPeriod())) {
      h.FailingStreak++;
      if (h.FailingStreak >= c.retries) h.Status = 'unhealthy';
    }
    this.#health = h;
    this.#d.report(h, h.Status !== prev);
    this.#schedule();
  }

  static timeoutOutput(timeoutNs: number): string {
    return `Health check exceeded timeout (${fmtDuration(timeoutNs)})`;
  }
}
