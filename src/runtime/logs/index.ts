// Container logs: conmon's k8s-file format and a reader with Docker's `logs` options.
export { formatTimestamp, parseTimestamp, parseRecord, MessageAssembler, LineSplitter, type LogMessage, type LogRecord, type LogStream } from './k8s-file.js';
export { readLogs, readLogBatches, tailOffset, type ReadLogsOptions } from './reader.js';
