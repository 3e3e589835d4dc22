// The unpack worker: runs layer extractions (decompression, diff-ID hash, tar parsing, file
// writes: extract.ts's LayerIngest) for the jobs extract-pool.ts sends it, several at a time (the
// file writes are synchronous, the decompression runs on the thread pool, so jobs interleave).
// The bytes arrive in slots of a shared ring; each slot is acked once the extraction is done
// with it. Protocol: extract-protocol.ts.
import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { LayerIngest } from './extract.js';
import { serializeError, type FromWorker, type ToWorker } from './extract-protocol.js';

const port = parentPort;
if (!port) throw new Error('extract-worker.js runs as a worker thread');

function post(m: FromWorker): void {
  port?.postMessage(m);
}

interface Job {
  ingest: LayerIngest;
  ring: SharedArrayBuffer;
  slotSize: number;
}

const jobs = new Map<number, Job>();

/**
 * Almost all the worker allocates is decompressed chunks (256 KiB, off-heap), dead once written;
 * its JS heap hardly grows, so V8 collects them late (after tens of MB, with a full GC). A
 * scavenge every few MB of input frees them while they are young: measured in the pull bench,
 * 15 MB less RSS and 0.5 s less CPU. The gc function comes from --expose-gc, set at run time
 * (a worker may not have V8 flags of its own); V8 flags are per process, so that exposes gc()
 * to contexts created later, and nothing else. Without it the worker runs as well, collecting
 * later.
 */
const collectYoung = ((): (() => void) | undefined => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as ((opts: { type: 'minor' | 'major' }) => void) | undefined;
    return gc ? () => gc({ type: 'minor' }) : undefined;
  } catch {
    return undefined;
  }
})();
const SLOTS_PER_GC = 8;
let slotsSinceGc = 0;

port.on('message', (m: ToWorker) => {
  if (m.t === 'start') {
    const ingest = new LayerIngest(m.root, { sync: m.sync });
    jobs.set(m.id, { ingest, ring: m.ring, slotSize: m.slotSize });
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
  const job = jobs.get(m.id);
  if (!job) return; // finished already (failed early): late batches are dropped
  const { ingest } = job;
  switch (m.t) {
    case 'data': {
      const { id, slot } = m;
      ingest.write(Buffer.from(job.ring, slot * job.slotSize, m.len), () => {
        if (jobs.has(id)) post({ t: 'ack', id, slot });
        if (collectYoung && ++slotsSinceGc >= SLOTS_PER_GC) {
          slotsSinceGc = 0;
          collectYoung();
        }
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
