import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorFromResponse, isNetworkError, networkErrorText } from './errors.js';

test('networkErrorText: Go dialer and crypto/tls wording for Node errors (also when wrapped in cause)', () => {
  const e = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });
  assert.equal(networkErrorText(e('ECONNREFUSED'), '127.0.0.1:5000'), 'dial tcp 127.0.0.1:5000: connect: connection refused');
  assert.equal(networkErrorText(new TypeError('fetch failed', { cause: e('ENOTFOUND') }), 'reg.example:443'), 'dial tcp: lookup reg.example: no such host');
  for (const code of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']) {
    assert.equal(networkErrorText(e(code, 'unable to verify the first certificate; try running Node.js with --use-system-ca'), '10.0.0.2:5000'), 'tls: failed to verify certificate: x509: certificate signed by unknown authority');
    assert.equal(isNetworkError(e(code)), true);
  }
  assert.equal(networkErrorText(e('CERT_HAS_EXPIRED'), 'h:1'), 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid');
  assert.equal(networkErrorText(e('ERR_TLS_CERT_ALTNAME_INVALID'), '10.0.0.2:5000'), 'tls: failed to verify certificate: x509: certificate is not valid for 10.0.0.2');
  assert.equal(networkErrorText(e('EWHATEVER', 'plain message'), 'h:1'), 'plain message');
});

test('errorFromResponse: registry JSON errors, bearer challenges, bare statuses', () => {
  const m = errorFromResponse(404, JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
  assert.equal(m.message, 'manifest unknown: manifest unknown');
  assert.equal(m.kind, 'not-found');
  assert.equal(errorFromResponse(401, '', 'Bearer realm="x",error="invalid_token"').kind, 'unauthorized');
  assert.equal(errorFromResponse(502, '').message, 'unexpected status code 502 Bad Gateway');
});
