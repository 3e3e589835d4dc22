// The client's own version (shown by `berth version` and `berth -v`).
export const CLIENT_VERSION = '0.1.0';
export const CLIENT_COMMIT = 'berth';
