import { perContainer, stopOptions, TIMEOUT_FLAGS } from './simple.js';

export const command = perContainer({ short: 'Stop one or more running containers', flags: TIMEOUT_FLAGS, call: (c, id, f) => c.stopContainer(id, stopOptions(f)) });
