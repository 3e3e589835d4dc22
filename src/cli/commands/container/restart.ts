import { perContainer, stopOptions, TIMEOUT_FLAGS } from './simple.js';

export const command = perContainer({ short: 'Restart one or more containers', flags: TIMEOUT_FLAGS, call: (c, id, f) => c.restartContainer(id, stopOptions(f)) });
