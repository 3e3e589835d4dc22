// WWW-Authenticate challenges (RFC 7235), as distribution's challenge package parses them:
// `Bearer realm="https://auth.example/token",service="registry",scope="repository:x:pull"`.

export interface Challenge {
  /** lower case: "basic", "bearer" */
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const values = Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  for (const v of values) out.push(...parseOne(v));
  return out;
}

function parseOne(s: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const skipWs = (): void => {
    while (i < s.length && /[\s,]/.test(s[i] ?? '')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(s[i] ?? '')) i++;
    return s.slice(start, i);
  };
  let cur: Challenge | undefined;
  while (i < s.length) {
    skipWs();
    const name = token();
    if (name === '') {
      i++;
      continue;
    }
    while (i < s.length && s[i] === ' ') i++;
    if (s[i] === '=') {
      i++;
      while (i < s.length && s[i] === ' ') i++;
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        i++;
      } else {
        value = token();
      }
      if (cur) cur.params[name.toLowerCase()] = value;
    } else {
      cur = { scheme: name.toLowerCase(), params: {} };
      out.push(cur);
    }
  }
  return out;
}
