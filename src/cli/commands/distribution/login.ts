// berth login [OPTIONS] [SERVER]
import type { Command } from '../../command.js';
import { StatusError } from '../../exit-codes.js';
import { INDEX_SERVER, authKey, loadAuth, saveAuth } from './credentials.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks).toString('utf8');
}

async function readLine(stream: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      if (buf.includes('\n')) done();
    };
    const done = (): void => {
      stream.off('data', onData);
      stream.off('end', done);
      stream.pause();
      resolve(buf.split('\n')[0]?.replace(/\r$/, '') ?? '');
    };
    stream.on('data', onData);
    stream.on('end', done);
  });
}

export const command: Command = {
  use: '[OPTIONS] [SERVER]',
  short: 'Authenticate to a registry',
  args: { min: 0, max: 1 },
  flags: [
    { name: 'password', short: 'p', type: 'string', usage: 'Password or Personal Access Token (PAT)' },
    { name: 'password-stdin', type: 'bool', usage: 'Take the Password or Personal Access Token (PAT) from stdin' },
    { name: 'username', short: 'u', type: 'string', usage: 'Username' },
  ],
  async run(ctx, flags) {
    const server = (flags.args[0] as string | undefined) ?? INDEX_SERVER;
    let username = flags.string('username').trim();
    let password = flags.string('password');
    if (flags.changed('password')) ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    if (flags.bool('password-stdin')) {
      if (flags.changed('password')) throw new StatusError(1, '--password and --password-stdin are mutually exclusive');
      if (username === '') throw new StatusError(1, 'Must provide --username with --password-stdin');
      password = (await readAll(ctx.stdin)).replace(/\r?\n$/, '');
    }
    const key = authKey(server);
    if (username === '' && password === '') {
      const stored = loadAuth(ctx.globals.configDir, key);
      if (stored) {
        ctx.out('Authenticating with existing credentials...\n');
        username = stored.username;
        password = stored.password;
      }
    }
    if (username === '') {
      if (!ctx.stdin.isTTY) throw new StatusError(1, 'Error: Cannot perform an interactive login from a non TTY device');
      ctx.out('Username: ');
      username = (await readLine(ctx.stdin)).trim();
      if (username === '') throw new StatusError(1, 'Error: Non-null Username Required');
    }
    if (password === '') {
      if (!ctx.stdin.isTTY) throw new StatusError(1, 'Error: Cannot perform an interactive login from a non TTY device');
      ctx.out('Password: ');
      ctx.stdin.setRawMode?.(false);
      password = await readLine(ctx.stdin);
      ctx.out('\n');
      if (password === '') throw new StatusError(1, 'Error: Password Required');
    }
    const res = await ctx.client().transport.json<{ Status?: string; IdentityToken?: string }>({ method: 'POST', path: '/auth', body: { username, password, serveraddress: key } });
    const file = saveAuth(ctx.globals.configDir, { username, password, serveraddress: key, ...(res?.IdentityToken ? { identitytoken: res.IdentityToken } : {}) });
    ctx.err(`WARNING! Your credentials are stored unencrypted in '${file}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`);
    ctx.out(`${res?.Status ?? 'Login Succeeded'}\n`);
    return 0;
  },
};
