// Preloaded (--import) by bench/flood.bench.mjs: samples process.memoryUsage() and the size of
// every module instance's linear memory every 20 ms, and at exit writes one stderr line,
// `rss-probe {json}`: maxRssKiB (the kernel's peak, process.resourceUsage().maxRSS) and the
// sample with the highest rss.

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
process.on('exit', () => {
  sample();
  process.stderr.write(`rss-probe ${JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, atPeak })}\n`);
});
