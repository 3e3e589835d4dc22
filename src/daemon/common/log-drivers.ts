// The log drivers berth has: every readable one is conmon's k8s-file log underneath (the name is
// kept for inspect), and `none` keeps nothing. A container's --log-driver and the daemon's
// log-driver setting are checked against this list.
export const LOG_DRIVERS: ReadonlySet<string> = new Set(['json-file', 'local', 'k8s-file', 'none']);
