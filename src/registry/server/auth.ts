// HTTP basic auth against an htpasswd file with bcrypt entries (as distribution's htpasswd
// access controller). bcrypt is deliberately slow, so a verified Authorization header is cached
// (by its SHA-256) for a few minutes: a push makes dozens of requests with the same credentials.
import bcrypt from 'bcryptjs';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { registryError } from './errors.js';

export interface HtpasswdEntry {
  user: string;
  hash: string;
}

/** Parse "user:$2y$..." lines; blank lines and # comments are skipped; other hash kinds refused. */
export function parseHtpasswd(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`htpasswd line ${i + 1}: expected user:hash`);
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (!/^\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) throw new Error(`htpasswd line ${i + 1}: user ${user}: only bcrypt entries are supported`);
    out.set(user, hash);
  }
  return out;
}

const CACHE_MS = 5 * 60_000;

export class BasicAuth {
  readonly realm: string;
  readonly #users: Map<string, string>;
  readonly #ok = new Map<string, { user: string; until: number }>();

  constructor(users: Map<string, string>, realm: string) {
    this.#users = users;
    this.realm = realm;
  }

  static fromFile(file: string, realm: string): BasicAuth {
    return new BasicAuth(parseHtpasswd(fs.readFileSync(file, 'utf8')), realm);
  }

  get challenge(): string {
    return `Basic realm="${this.realm.replace(/"/g, '')}"`;
  }

  /** The user an Authorization header authenticates; UNAUTHORIZED (with the challenge) otherwise. */
  async check(header: string | undefined): Promise<string> {
    const fail = (message: string): never => {
      throw registryError('UNAUTHORIZED', { message, headers: { 'WWW-Authenticate': this.challenge } });
    };
    if (header === undefined || !/^basic /i.test(header)) return fail('authentication required');
    const key = createHash('sha256').update(header).digest('hex');
    const hit = this.#ok.get(key);
    if (hit && hit.until > Date.now()) return hit.user;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return fail('invalid authorization header');
    const user = decoded.slice(0, colon);
    const pass = decoded.slice(colon + 1);
    const hash = this.#users.get(user);
    if (hash === undefined || !(await bcrypt.compare(pass, hash))) return fail('invalid username or password');
    if (this.#ok.size > 1000) this.#ok.clear();
    this.#ok.set(key, { user, until: Date.now() + CACHE_MS });
    return user;
  }
}
