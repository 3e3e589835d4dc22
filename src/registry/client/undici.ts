// undici, loaded at first use. Importing it costs the daemon about 3 MiB of RSS (its sources
// and node's internal copy of undici, which it pulls in), and a daemon that never talks to a
// registry never needs it. undici is CommonJS, so require() gives it synchronously.
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);
let mod: typeof Undici | undefined;

export function undici(): typeof Undici {
  return (mod ??= require('undici') as typeof Undici);
}
