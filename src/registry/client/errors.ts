// Registry errors as Docker shows them. The registry's JSON error body ({"errors":[{code,message,
// detail}]}) becomes distribution's errcode text ("manifest unknown: manifest unknown"), with a
// BerthError kind from the code; transport failures read like Go's url.Error
// ("Get \"http://h/v2/\": dial tcp 127.0.0.1:5000: connect: connection refused").
import { BerthError, type ErrorKind } from '../../errdefs/index.js';

export interface RegistryErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/** The kind for a distribution error code (errcode descriptors' HTTP statuses). */
const CODE_KINDS: Record<string, ErrorKind> = {
  UNAUTHORIZED: 'unauthorized',
  DENIED: 'forbidden',
  UNSUPPORTED: 'not-implemented',
  TOOMANYREQUESTS: 'unavailable',
  UNAVAILABLE: 'unavailable',
  MANIFEST_UNKNOWN: 'not-found',
  NAME_UNKNOWN: 'not-found',
  BLOB_UNKNOWN: 'not-found',
  BLOB_UPLOAD_UNKNOWN: 'not-found',
  MANIFEST_BLOB_UNKNOWN: 'invalid-argument',
  MANIFEST_INVALID: 'invalid-argument',
  NAME_INVALID: 'invalid-argument',
  TAG_INVALID: 'invalid-argument',
  DIGEST_INVALID: 'invalid-argument',
  SIZE_INVALID: 'invalid-argument',
  BLOB_UPLOAD_INVALID: 'invalid-argument',
};

/** errcode's default messages, for bodies that carry a code without one. */
const DEFAULT_MESSAGES: Record<string, string> = {
  UNAUTHORIZED: 'authentication required',
  DENIED: 'requested access to the resource is denied',
  MANIFEST_UNKNOWN: 'manifest unknown',
  NAME_UNKNOWN: 'repository name not known to registry',
  BLOB_UNKNOWN: 'blob unknown to registry',
  TOOMANYREQUESTS: 'too many requests',
  UNSUPPORTED: 'The operation is unsupported.',
};

export class RegistryError extends BerthError {
  /** the first error code of the registry's answer, e.g. "MANIFEST_UNKNOWN" ('' when none) */
  readonly code: string;
  readonly status: number;
  constructor(kind: ErrorKind, message: string, code: string, status: number) {
    super(kind, message, { details: { registryCode: code, httpStatus: status } });
    this.name = 'RegistryError';
    this.code = code;
    this.status = status;
  }
}

/** errcode.ErrorCode.Error(): "MANIFEST_UNKNOWN" -> "manifest unknown". */
export function codeText(code: string): string {
  return code.toLowerCase().replace(/_/g, ' ');
}

function kindForStatus(status: number): ErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 429 || status === 503) return 'unavailable';
  if (status >= 400 && status < 500) return 'invalid-argument';
  return 'unavailable';
}

/**
 * distribution's HandleErrorResponse: a registry answer with a 4xx/5xx status -> RegistryError.
 * `body` may be empty (HEAD). `wwwAuthenticate` carries RFC 6750 bearer errors.
 */
export function errorFromResponse(status: number, body: string, wwwAuthenticate?: string): RegistryError {
  if (wwwAuthenticate && /^\s*bearer/i.test(wwwAuthenticate)) {
    const m = /error="([^"]*)"/.exec(wwwAuthenticate);
    const d = /error_description="([^"]*)"/.exec(wwwAuthenticate);
    if (m?.[1] === 'invalid_token') return new RegistryError('unauthorized', `unauthorized: ${d?.[1] || DEFAULT_MESSAGES['UNAUTHORIZED']}`, 'UNAUTHORIZED', status);
    if (m?.[1] === 'insufficient_scope') return new RegistryError('forbidden', `denied: ${d?.[1] || DEFAULT_MESSAGES['DENIED']}`, 'DENIED', status);
  }
  let parsed: unknown;
  try {
    parsed = body.trim() === '' ? undefined : JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const errs = (parsed as { errors?: unknown } | undefined)?.errors;
  if (Array.isArray(errs) && errs.length > 0) {
    const entries = errs.filter((e): e is RegistryErrorEntry => typeof e === 'object' && e !== null && typeof (e as RegistryErrorEntry).code === 'string');
    if (entries.length > 0) {
      const first = entries[0] as RegistryErrorEntry;
      const text = entries.map((e) => `${codeText(e.code)}: ${e.message || DEFAULT_MESSAGES[e.code] || codeText(e.code)}`).join(', ');
      return new RegistryError(CODE_KINDS[first.code] ?? kindForStatus(status), text, first.code, status);
    }
  }
  const details = (parsed as { details?: unknown } | undefined)?.details;
  if (status === 401) {
    const msg = typeof details === 'string' && details !== '' ? details : DEFAULT_MESSAGES['UNAUTHORIZED'];
    return new RegistryError('unauthorized', `unauthorized: ${msg}`, 'UNAUTHORIZED', status);
  }
  if (status === 429) return new RegistryError('unavailable', `toomanyrequests: ${DEFAULT_MESSAGES['TOOMANYREQUESTS']}`, 'TOOMANYREQUESTS', status);
  const snippet = body.trim().slice(0, 200);
  const text = snippet === '' ? `unexpected status code ${status} ${statusText(status)}` : `unexpected status code ${status} ${statusText(status)}: ${snippet}`;
  return new RegistryError(kindForStatus(status), text, '', status);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
  413: 'Request Entity Too Large', 416: 'Requested Range Not Satisfiable', 429: 'Too Many Requests', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? '';
}

/** Go's dialer wording for a Node network error ("dial tcp 127.0.0.1:1: connect: connection refused"). */
export function networkErrorText(err: unknown, host: string): string {
  const e = err as { code?: string; message?: string; cause?: unknown };
  const inner = (e.cause ?? e) as { code?: string; message?: string };
  const code = inner.code ?? e.code;
  switch (code) {
    case 'ECONNREFUSED':
      return `dial tcp ${host}: connect: connection refused`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset by peer';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${host.replace(/:\d+$/, '')}: no such host`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `dial tcp ${host}: i/o timeout`;
    case 'EHOSTUNREACH':
      return `dial tcp ${host}: connect: no route to host`;
    // certificate checks, as Go's crypto/tls words them (Node's text suggests a Node flag)
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is not valid for ${host.replace(/:\d+$/, '')}`;
    default:
      return inner.message ?? e.message ?? String(err);
  }
}

/** Is this a failure to reach the endpoint at all (try the next endpoint / retry)? */
export function isNetworkError(err: unknown): boolean {
  if (err instanceof BerthError) return false;
  const e = err as { code?: string; cause?: { code?: string } };
  const code = e.cause?.code ?? e.code ?? '';
  return /^(E[A-Z]+|UND_ERR_(SOCKET|CONNECT_TIMEOUT|CLOSED|HEADERS_TIMEOUT|BODY_TIMEOUT)|ERR_SSL_.*|ERR_TLS_.*|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_.*|CERT_.*)$/.test(code);
}
