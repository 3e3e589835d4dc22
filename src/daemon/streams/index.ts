// Container streams as the API layer uses them: logs, attach (+ resize), exec, top.
// Each service is built on the container service's narrow ContainerBackend.
export { ContainerLogs, type LogsOptions, type LogsResult } from './logs.js';
export { ContainerAttach, containerEventAttributes, type AttachOptions, type PreparedAttach } from './attach.js';
export { ExecService, mergeEnv, type ExecCreateOptions, type ExecStartOptions, type ExecState, type PreparedExecStart } from './exec.js';
export { ContainerTop, parsePsOutput, validatePsArgs, type TopResult } from './top.js';
export type { AttachClient, PumpResult } from '../../runtime/attach/index.js';
export type { LogMessage } from '../../runtime/logs/index.js';
