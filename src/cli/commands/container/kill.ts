import { perContainer } from './simple.js';

export const command = perContainer({
  short: 'Kill one or more running containers',
  flags: [{ name: 'signal', short: 's', type: 'string', usage: 'Signal to send to the container' }],
  call: (c, id, f) => c.killContainer(id, f.optString('signal')),
});
