// Memory under a SYN flood (issue 8 point 2): the CLI on 3M blocked SYNs from unique sources,
// 1 µs apart (host-test/lib/hostile.mjs synFlood: the table full after 65,536 lines, then an
// eviction record a line), at the default capacity. Prints the peak resident set (the kernel's
// maxrss, what `/usr/bin/time -v` calls "Maximum resident set size") and seconds, median of
// BENCH_RUNS, and a breakdown sampled inside the process at its peak; by default and with
// V8's worker pool at one thread (--v8-pool-size=1), interleaved.
//
//   node bench/flood.bench.mjs [--lines N] [--keep FILE]     (also run by npm run bench)
//
// The breakdown: process.memoryUsage() and the module's linear memory, sampled every 20 ms by a
// preloaded probe (bench/lib/rss-probe.mjs); the flood file is written to a temporary directory.

import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synFlood } from '../host-test/lib/hostile.mjs';
import { FlowEngine } from '../host/engine.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS || 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (bytes) => (bytes / 1048576).toFixed(1);

function writeFlood(file, lines) {
  const fd = openSync(file, 'w');
  for (let i = 0; i < lines; i += 100_000) writeSync(fd, synFlood(Math.min(100_000, lines - i), i));
  closeSync(fd);
}

/** One CLI run on the flood, `nodeFlags` before the script (e.g. --v8-pool-size=1). */
function once(file, nodeFlags = []) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const out = openSync('/dev/null', 'w');
    const child = spawn(process.execPath, [...nodeFlags, '--import', join(ROOT, 'bench/lib/rss-probe.mjs'), join(ROOT, 'host/cli.mjs'), '--year', '2024', '--no-progress', file],
      { stdio: ['ignore', out, 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      closeSync(out);
      const m = /^rss-probe (.*)$/m.exec(err);
      if (code !== 0 || !m) return reject(new Error(`cli exited ${code}: ${err}`));
      resolve({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, ...JSON.parse(m[1]) });
    });
  });
}

/**
 * npm run bench passes its own log's length as `lines`: the flood keeps issue 8's 3M lines
 * unless FLOOD_LINES (or --lines when run alone) says otherwise.
 */
export async function run({ keep = null } = {}, lines = Number(process.env.FLOOD_LINES || 3_000_000)) {
  const dir = mkdtempSync(join(tmpdir(), 'ipmon-flood-'));
  try {
    const file = keep ?? join(dir, 'flood.log');
    writeFlood(file, lines);
    // V8's default pool of 4 worker threads each get a glibc malloc arena, which keeps what the
    // thread freed: ~3 MB of the peak. One worker (README: memory on a small host) is the
    // variant run beside the default, interleaved.
    const variants = [{ name: 'default', flags: [], runs: [] }, { name: 'NODE_OPTIONS=--v8-pool-size=1', flags: ['--v8-pool-size=1'], runs: [] }];
    for (let i = 0; i < RUNS; i++) for (const v of variants) v.runs.push(await once(file, v.flags));
    // issue 8's bound: 64 MiB plus the flow table at the default capacity (its table_bytes)
    const table = JSON.parse(new FlowEngine().stats().toString('utf8')).ipmon.stats.table_bytes;
    const bound = 64 * 1024 + table / 1024;
    console.log(`SYN flood of ${lines.toLocaleString('en-US')} lines, CLI at the default capacity; bound 64 MiB + the table's ${mib(table)} MiB = ${bound} KiB`);
    for (const { name, runs } of variants) {
      const peak = median(runs.map((r) => r.maxRssKiB));
      const p = runs.find((r) => r.maxRssKiB === peak).atPeak;
      const over = runs.filter((r) => r.maxRssKiB > bound).length;
      console.log(`  ${name}: peak RSS ${peak} KiB (${(peak / 1024).toFixed(1)} MiB; runs ${runs.map((r) => r.maxRssKiB).join(', ')}), ` +
        `${median(runs.map((r) => r.seconds)).toFixed(2)} s (median of ${RUNS}): at ${(peak / bound).toFixed(3)} of the bound, ${over} of ${RUNS} runs over it`);
      console.log(`    at the sampled peak: rss ${mib(p.rss)} MiB, V8 heap ${mib(p.heapTotal)} (used ${mib(p.heapUsed)}), external ${mib(p.external)} ` +
        `(array buffers ${mib(p.arrayBuffers)}), linear memory ${mib(p.wasm)} MiB`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  await run({ keep: arg('--keep') ?? null }, Number(arg('--lines') ?? process.env.FLOOD_LINES ?? 3_000_000));
}
