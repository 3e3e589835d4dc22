// berth: the client. Kept tiny so start-up only parses what the invoked command needs.
import { main } from '../cli/main.js';

// A closed pipe (berth events | head) ends the program quietly, as it does docker.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Streams to pipes and files are synchronous on Linux; exit now rather than wait for idle sockets or stdin.
    if (process.stdout.writableLength === 0) process.exit(code);
    else process.stdout.once('drain', () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
