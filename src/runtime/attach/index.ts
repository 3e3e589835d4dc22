// Attach plumbing: conmon's SOCK_SEQPACKET attach socket, the control FIFO (resize), Docker's
// detach keys and the client <-> conmon pump.
export { ConmonAttachSocket, resizeTty, reopenLogs, CONMON_STDOUT, CONMON_STDERR } from './conmon-socket.js';
export { parseDetachKeys, DetachWatcher, DEFAULT_DETACH_KEYS } from './detach-keys.js';
export { pump, type AttachClient, type PumpOptions, type PumpResult } from './pump.js';
