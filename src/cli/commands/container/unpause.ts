import { perContainer } from './simple.js';

export const command = perContainer({ use: 'CONTAINER [CONTAINER...]', short: 'Unpause all processes within one or more containers', call: (c, id) => c.unpauseContainer(id) });
