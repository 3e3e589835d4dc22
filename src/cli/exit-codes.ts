// The one place errors become exit codes (docker's conventions): 125 for usage errors and for
// `run`/`create` failures before the container runs, 126/127 when the command cannot be
// invoked/found, a container's own status passed through, 1 for everything else.
import { BerthError } from '../errdefs/index.js';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 125;
export const EXIT_CANNOT_INVOKE = 126;
export const EXIT_NOT_FOUND = 127;

/** An error carrying the exit status to use (docker's cli.StatusError). */
export class StatusError extends Error {
  readonly status: number;
  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StatusError';
    this.status = status;
  }
}

/** A bad flag or flag value: printed with the usage line, exit 125. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

/** Wrong number of positional arguments: printed with the usage line, exit 1 (as docker 28). */
export class ArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgsError';
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof StatusError) return err.status === 0 ? EXIT_ERROR : err.status;
  if (err instanceof FlagError) return EXIT_USAGE;
  if (err instanceof ArgsError) return EXIT_ERROR;
  return EXIT_ERROR;
}

/**
 * The exit status for a container that failed to start under `run`/`start -a`, as docker's
 * CLI computes it: 127 when the executable is missing, 126 when it cannot be executed, else 125.
 */
export function startFailureStatus(err: unknown): number {
  const msg = err instanceof Error ? err.message : String(err);
  if (/executable file not found|no such file or directory|not found in \$PATH/i.test(msg)) return EXIT_NOT_FOUND;
  if (/permission denied|cannot execute|not executable/i.test(msg)) return EXIT_CANNOT_INVOKE;
  if (err instanceof BerthError && err.kind === 'not-found' && /exec|command/i.test(msg)) return EXIT_NOT_FOUND;
  return EXIT_USAGE;
}
