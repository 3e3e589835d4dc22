import { perContainer } from './simple.js';

export const command = perContainer({
  short: 'Remove one or more containers',
  flags: [
    { name: 'force', short: 'f', type: 'bool', usage: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'link', short: 'l', type: 'bool', usage: 'Remove the specified link' },
    { name: 'volumes', short: 'v', type: 'bool', usage: 'Remove anonymous volumes associated with the container' },
  ],
  call: (c, id, f) => c.removeContainer(id, { force: f.bool('force'), volumes: f.bool('volumes'), link: f.bool('link') }),
});
