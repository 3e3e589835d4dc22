// The client's public surface: a typed Engine API client over a unix socket or TCP.
export { EngineClient, jsonLines, bigintReplacer, exactTimeNano, type ClientOptions, type Filters, type ExactEventMessage } from './client.js';
export { Transport, CLIENT_API_VERSION, compareVersions, encodeQuery, readBody, type HijackedStream, type RequestOptions } from './transport.js';
export { parseHost, DEFAULT_HOST, type HostAddress } from './host.js';
export { kindForStatus, daemonError, isDaemonError, connectError } from './errors.js';
export { StdcopyDemuxer, demuxStream, copyRaw, encodeFrame, STREAM_STDIN, STREAM_STDOUT, STREAM_STDERR, STREAM_SYSTEMERR } from './stdcopy.js';
export type * from './types.js';
