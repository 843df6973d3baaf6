// The worker of gunzip.mjs: reads and inflates one .gz file, and hands its bytes to the main
// thread in chunks of its own (transferred, not copied), at most `ahead` not yet given back.

import { parentPort, workerData } from 'node:worker_threads';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

const { path, chunk: CHUNK, ahead: AHEAD } = workerData;

const file = createReadStream(path, { highWaterMark: 64 << 10 });
const gunzip = createGunzip({ chunkSize: 64 << 10 });
let inFlight = 0;
const free = []; // chunks the main thread gave back
let buf = Buffer.allocUnsafeSlow(CHUNK);
let used = 0;

/** Transfers the chunk filled so far to the main thread; pauses while AHEAD are unread. */
function send() {
  if (used === 0) return;
  parentPort.postMessage({ chunk: buf.buffer, length: used, read: file.bytesRead }, [buf.buffer]);
  inFlight++;
  const back = free.pop();
  buf = back ? Buffer.from(back) : Buffer.allocUnsafeSlow(CHUNK);
  used = 0;
  if (inFlight >= AHEAD) gunzip.pause();
}

parentPort.on('message', (chunk) => {
  free.push(chunk);
  inFlight--;
  if (inFlight < AHEAD) gunzip.resume();
});

gunzip.on('data', (data) => {
  for (let at = 0; at < data.length;) {
    const n = Math.min(data.length - at, CHUNK - used);
    data.copy(buf, used, at, at + n);
    used += n;
    at += n;
    if (used === CHUNK) send();
  }
});
gunzip.on('end', () => {
  send();
  parentPort.postMessage({ end: true });
});

// what was inflated before the error goes first, so the caller reports it
const fail = (err) => {
  send();
  parentPort.postMessage({ error: err.message, code: err.code });
};
file.on('error', fail);
gunzip.on('error', fail);
file.pipe(gunzip);
