// berth registry serve: run berth's OCI distribution registry in the foreground until SIGTERM/SIGINT.
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';
import { loadRegistryServer } from './load-server.js';

export const command: Command = {
  use: '[OPTIONS]',
  short: 'Run an OCI distribution registry',
  args: { max: 0 },
  flags: [
    { name: 'addr', type: 'string', usage: 'Address to listen on (host:port; port 0 picks a free one)', default: '127.0.0.1:5000' },
    { name: 'root', type: 'string', usage: 'Storage root directory', default: '/var/lib/berth-registry' },
    { name: 'tls-cert', type: 'string', usage: 'TLS certificate file (PEM)' },
    { name: 'tls-key', type: 'string', usage: 'TLS key file (PEM)' },
    { name: 'htpasswd', type: 'string', usage: 'Require basic auth against this htpasswd file (bcrypt entries)' },
    { name: 'realm', type: 'string', usage: 'Basic auth realm', default: 'berth-registry' },
    { name: 'read-only', type: 'bool', usage: 'Refuse every write (405 UNSUPPORTED)' },
    { name: 'log-level', type: 'string', usage: 'Access and error log level (trace, debug, info, warn, error)', default: 'info' },
  ],
  async run(_ctx, flags) {
    const certFile = flags.optString('tls-cert');
    const keyFile = flags.optString('tls-key');
    if ((certFile === undefined) !== (keyFile === undefined)) throw new StatusError(1, '--tls-cert and --tls-key must be given together');
    const htpasswd = flags.optString('htpasswd');
    const mod = await loadRegistryServer();
    let server;
    try {
      server = await mod.startRegistryServer({
        addr: flags.string('addr'),
        root: flags.string('root'),
        realm: flags.string('realm'),
        readOnly: flags.bool('read-only'),
        logLevel: flags.string('log-level'),
        ...(certFile !== undefined && keyFile !== undefined ? { tlsCert: certFile, tlsKey: keyFile } : {}),
        ...(htpasswd !== undefined ? { htpasswd } : {}),
      });
    } catch (e) {
      throw new StatusError(1, `berth registry: ${(e as Error).message}`, { cause: e });
    }
    const running = server;
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        // A second Ctrl-C stops at once; a repeated SIGTERM changes nothing.
        if (stopping && signal === 'SIGINT') process.exit(130);
        if (stopping) return;
        stopping = true;
        // In-flight requests finish; a stuck client gets 30 s.
        setTimeout(() => process.exit(1), 30_000).unref();
        process.stderr.write(`${JSON.stringify({ level: 30, time: Date.now(), service: 'berth-registry', msg: `${signal}: shutting down` })}\n`);
        running.close().then(resolve, resolve);
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
    return 0;
  },
};
