// The one place that maps error kinds to HTTP status codes (moby's httpstatus table).
import { kindOf, type ErrorKind } from '../errdefs/index.js';

const STATUS: Record<ErrorKind, number> = {
  'invalid-argument': 400,
  'not-found': 404,
  conflict: 409,
  unauthorized: 401,
  forbidden: 403,
  unavailable: 503,
  'not-modified': 304,
  'not-implemented': 501,
  canceled: 499,
  deadline: 504,
  'data-loss': 500,
  system: 500,
  internal: 500,
};

export function statusForError(err: unknown): number {
  return STATUS[kindOf(err)];
}
