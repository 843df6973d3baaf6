// Preloaded (--import) by bench/flood.bench.mjs: samples process.memoryUsage() and the size of
// every module instance's linear memory every 20 ms, and at exit writes one stderr line,
// `rss-probe {json}`: maxRssKiB (the kernel's peak, VmHWM) and the
// sample with the highest rss.

import { readFileSync } from 'node:fs';

const memories = [];
const Instance = WebAssembly.Instance;
WebAssembly.Instance = function (mod, imports) {
  const instance = new Instance(mod, imports);
  if (instance.exports.memory) memories.push(instance.exports.memory);
  return instance;
};
WebAssembly.Instance.prototype = Instance.prototype;

let atPeak = null;
function sample() {
  const u = process.memoryUsage();
  if (atPeak && u.rss <= atPeak.rss) return;
  atPeak = { ...u, wasm: memories.reduce((n, m) => n + m.buffer.byteLength, 0) };
}
setInterval(sample, 20).unref();
/**
 * The process's own peak: VmHWM, which starts again at exec. getrusage's maxrss does not on
 * Linux: a child forked from a big parent (npm run bench holds its logs in memory) reported
 * the parent's 318 MiB.
 */
function peakKiB() {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux: getrusage's figure
  }
  return process.resourceUsage().maxRSS;
}

process.on('exit', () => {
  sample();
  process.stderr.write(`rss-probe ${JSON.stringify({ maxRssKiB: peakKiB(), atPeak })}\n`);
});
