// One error model for the whole engine (after moby's errdefs): every failure that can reach a
// client is a BerthError with a kind. Only api/http-status.ts maps kinds to HTTP statuses and
// only cli/exit-codes.ts maps them to exit codes. Never match on messages.

export const ERROR_KINDS = [
  'invalid-argument',
  'not-found',
  'conflict',
  'unauthorized',
  'forbidden',
  'unavailable',
  'not-modified',
  'not-implemented',
  'canceled',
  'deadline',
  'data-loss',
  'system',
  'internal',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface BerthErrorOptions {
  cause?: unknown;
  /** Extra machine-readable fields (e.g. a container exit code) carried to the API layer. */
  details?: Record<string, unknown>;
}

export class BerthError extends Error {
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown>;

  constructor(kind: ErrorKind, message: string, options: BerthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BerthError';
    this.kind = kind;
    this.details = options.details ?? {};
  }
}

function make(kind: ErrorKind) {
  return (message: string, options?: BerthErrorOptions): BerthError => new BerthError(kind, message, options);
}

export const invalidArgument = make('invalid-argument');
export const notFound = make('not-found');
export const conflict = make('conflict');
export const unauthorized = make('unauthorized');
export const forbidden = make('forbidden');
export const unavailable = make('unavailable');
export const notModified = make('not-modified');
export const notImplemented = make('not-implemented');
export const canceled = make('canceled');
export const dataLoss = make('data-loss');
export const systemError = make('system');
export const internal = make('internal');

/** The kind of an error, walking `cause` chains; plain errors are `internal`. */
export function kindOf(err: unknown): ErrorKind {
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 16; depth++) {
    if (cur instanceof BerthError) return cur.kind;
    if (cur instanceof Error && cur.name === 'AbortError') return 'canceled';
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return 'internal';
}

/** Wrap an error with a message prefix, keeping its kind (Go's fmt.Errorf("%s: %w")). */
export function wrap(err: unknown, message: string): BerthError {
  const inner = err instanceof Error ? err.message : String(err);
  const e = new BerthError(kindOf(err), `${message}: ${inner}`, { cause: err });
  if (err instanceof BerthError) Object.assign(e.details, err.details);
  return e;
}

export const isNotFound = (err: unknown): boolean => kindOf(err) === 'not-found';
export const isConflict = (err: unknown): boolean => kindOf(err) === 'conflict';
export const isInvalidArgument = (err: unknown): boolean => kindOf(err) === 'invalid-argument';
export const isCanceled = (err: unknown): boolean => kindOf(err) === 'canceled';
export const isNotModified = (err: unknown): boolean => kindOf(err) === 'not-modified';

/** Node system errors (ENOENT...) carry a string code. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
