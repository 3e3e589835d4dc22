import { perContainer } from './simple.js';

export const command = perContainer({ use: 'CONTAINER [CONTAINER...]', short: 'Pause all processes within one or more containers', call: (c, id) => c.pauseContainer(id) });
