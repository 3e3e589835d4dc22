// Public surface of the container service. Other daemon parts (streams: attach, logs, exec,
// top, resize; images: usage; system: counts and df) use only what is exported here.
//
//   const c = containers.get(idOrName)          // ContainerRecord: config, state, paths, runtime
//   containers.beforeStart(c.id, async () => {   // one-shot, awaited before `runtime start`
//     await connectToAttachSocket(c.paths.attachSocket)
//   })
//   await containers.wait(c.id, 'next-exit', signal)   // {statusCode, error}
//   const off = containers.onChange(c.id, (rec) => ...) // every state change
//
// Events (EventsService, type "container"): create, start, die (exitCode), stop, kill (signal),
// pause, unpause, destroy, rename (oldName), oom, health_status: <status>, restart.
export type {
  ContainerBackend,
  ContainerPaths,
  ContainerRecord,
  ContainerStateRecord,
  ContainerStatus,
  RuntimeHandle,
  WaitCondition,
  WaitResult,
} from './types.js';
export { ContainerService, validateRestartPolicy, type ContainerServiceOptions, type CreateOptions, type ListOptions, type StopOptions } from './service.js';
