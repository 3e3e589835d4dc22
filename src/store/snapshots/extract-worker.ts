// The unpack worker: runs layer extractions (decompression, diff-ID hash, tar parsing, file
// writes: extract.ts's LayerIngest) for the jobs extract-pool.ts sends it, several at a time (the
// file writes are synchronous, the decompression runs on the thread pool, so jobs interleave).
// Each batch's buffer goes back to the main thread once the extraction is done with it.
// Protocol: extract-protocol.ts.
import { parentPort } from 'node:worker_threads';
import { LayerIngest } from './extract.js';
import { serializeError, type FromWorker, type ToWorker } from './extract-protocol.js';

const port = parentPort;
if (!port) throw new Error('extract-worker.js runs as a worker thread');

function post(m: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(m, transfer);
}

const jobs = new Map<number, LayerIngest>();

port.on('message', (m: ToWorker) => {
  if (m.t === 'start') {
    const ingest = new LayerIngest(m.root, { sync: m.sync });
    jobs.set(m.id, ingest);
    ingest.done.then(
      (result) => {
        jobs.delete(m.id);
        post({ t: 'done', id: m.id, result });
      },
      (err: unknown) => {
        jobs.delete(m.id);
        post({ t: 'error', id: m.id, error: serializeError(err) });
      },
    );
    return;
  }
  const ingest = jobs.get(m.id);
  if (!ingest) return; // finished already (failed early): late batches are dropped
  switch (m.t) {
    case 'data': {
      const { id, buf } = m;
      ingest.write(Buffer.from(buf, 0, m.len), () => {
        if (jobs.has(id)) post({ t: 'ack', id, buf }, [buf]);
      });
      return;
    }
    case 'end':
      ingest.end();
      return;
    case 'abort': {
      const err = new Error('The operation was aborted');
      err.name = 'AbortError';
      ingest.abort(err);
      return;
    }
  }
});
