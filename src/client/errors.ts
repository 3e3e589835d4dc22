// HTTP status -> BerthError kind: the client side of api/http-status.ts. Daemon errors carry
// `details.fromDaemon` so the CLI can print "Error response from daemon: <message>".
import { BerthError, type ErrorKind } from '../errdefs/index.js';

export function kindForStatus(status: number): ErrorKind {
  switch (status) {
    case 304:
      return 'not-modified';
    case 400:
      return 'invalid-argument';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not-found';
    case 409:
      return 'conflict';
    case 499:
      return 'canceled';
    case 501:
      return 'not-implemented';
    case 503:
      return 'unavailable';
    case 504:
      return 'deadline';
    default:
      return status >= 500 ? 'system' : 'invalid-argument';
  }
}

/** Build the error for a non-2xx response; `body` is the raw response body. */
export function daemonError(status: number, body: string): BerthError {
  let message = body.trim();
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    /* plain-text body */
  }
  if (message === '') message = `request returned ${status} with an empty body`;
  return new BerthError(kindForStatus(status), message, { details: { fromDaemon: true, status } });
}

/** True when the error came back from the daemon (as opposed to a client-side failure). */
export function isDaemonError(err: unknown): boolean {
  return err instanceof BerthError && err.details['fromDaemon'] === true;
}

export function connectError(hostUrl: string, cause: unknown): BerthError {
  return new BerthError('unavailable', `Cannot connect to the berth daemon at ${hostUrl}. Is the berth daemon running?`, { cause });
}
