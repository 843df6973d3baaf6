// A .gz file inflated on a worker thread, so decompression runs on the second core while the
// main thread feeds the engine (issue 8: "decompression may use the second core"). A zlib
// stream on the main thread did not overlap: its inflate runs on the thread pool, but each
// 16 KiB step is handed over and back by the main thread, and a run took the engine's time
// plus the inflate's (bench/floor.bench.mjs: 0.65 of the plain file's rate).
//
//   worker: file ─read─▶ gunzip ─copy─▶ 1 MiB chunk ─transfer─▶ main: engine
//                                      ◀──── transferred back ────
//
// At most AHEAD chunks are in flight (sent, not yet given back): the worker pauses the
// inflate until the main thread is done with one, so memory stays bounded when the engine is
// the slower side (it is: inflate is ~4x faster than correlation).

import { Worker } from 'node:worker_threads';

const CHUNK = 1 << 20;
const AHEAD = 2;

/**
 * Yields the inflated bytes of the .gz file at `path` in chunks of up to 1 MiB (each a Buffer
 * of its own, valid until the next is asked for). `onRead(bytes)` gets the compressed bytes read
 * so far (a progress bar over the file's size); an aborted `signal` ends the iteration. A read
 * or inflate error is thrown after every chunk inflated before it (what was read is reported),
 * with the error's code (ENOENT, Z_DATA_ERROR, ...).
 */
export async function* gunzipChunks(path, { signal, onRead } = {}) {
  const worker = new Worker(new URL('./gunzip-worker.mjs', import.meta.url), {
    workerData: { path, chunk: CHUNK, ahead: AHEAD },
    // the worker holds only small, short-lived objects: a small young generation keeps its
    // peak about 1 MB lower (6 pairs on a 1M-line .gz), at the same speed
    resourceLimits: { maxYoungGenerationSizeMb: 2 },
  });
  const queue = [];
  let ended = false;
  let failure = null;
  let wake = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  worker.on('message', (m) => {
    if (m.chunk) queue.push(m);
    else if (m.error) failure ??= Object.assign(new Error(m.error), { code: m.code });
    else if (m.end) ended = true;
    notify();
  });
  worker.on('error', (err) => {
    failure ??= err;
    notify();
  });
  worker.on('exit', () => {
    ended = true;
    notify();
  });
  signal?.addEventListener('abort', notify, { once: true });
  try {
    while (!signal?.aborted) {
      if (queue.length > 0) {
        const { chunk, length, read } = queue.shift();
        onRead?.(read);
        yield Buffer.from(chunk, 0, length);
        // the caller asked for the next chunk, so it is done with this one: its memory goes
        // back to be filled again (a fresh 1 MiB per chunk was garbage V8 freed late: +50 MB)
        worker.postMessage(chunk, [chunk]);
      } else if (failure) {
        throw failure;
      } else if (ended) {
        return;
      } else {
        await new Promise((resolve) => (wake = resolve));
      }
    }
  } finally {
    signal?.removeEventListener('abort', notify);
    await worker.terminate();
  }
}
