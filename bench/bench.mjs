// npm run bench: throughput and memory figures, printed (never asserted: these machines are
// shared and noisy, so every figure is a median of interleaved runs, with ratios measured
// side by side in the same run).
//
//   1. the ipmon-flow CLI end to end on a generated log of ≥ 1M lines (lines/s)
//   2. the same log through the engine in-process (no file or stdout I/O), for comparison
//   3. a generated router log (every forwarded packet IN and OUT, L lines, three firewalls in
//      one relayed stream: host-test/lib/generator.mjs --mode router) through the CLI and the
//      engine, beside the plain log in the same run
//   4. what pairing costs a host log: the plain log with pairing off (pair_window 0) run right
//      beside the default, through the CLI and in-process, the ratio taken pair by pair
//   5. bytes of linear memory per tracked flow (the table's table_bytes / capacity, and from memory
//      growth between two capacities)
//   6. every bench/*.bench.mjs (e.g. the Fluent Bit entry point; instruction counts per line
//      under valgrind, repeatable where seconds are not) via its run()

import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlowEngine } from '../host/engine.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LINES = Number(process.env.BENCH_LINES || 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS || 5);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

function runNode(args, { stdout = 'ignore', stdin = 'ignore' } = {}) {
  return new Promise((resolve, reject) => {
    const out = stdout === 'null' ? openSync('/dev/null', 'w') : stdout;
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { stdio: [stdin, out, 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (typeof out === 'number') closeSync(out);
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}`));
      else resolve(Number(process.hrtime.bigint() - t0) / 1e9);
    });
  });
}

async function generate(dir) {
  const file = join(dir, 'bench.log');
  const out = createWriteStream(file);
  const gen = spawn(process.execPath, [join(ROOT, 'host-test/lib/generator.mjs'), '--lines', String(LINES), '--seed', '7', '--format', 'mixed']);
  gen.stdout.pipe(out);
  await new Promise((resolve, reject) => {
    out.on('finish', resolve);
    gen.on('error', reject);
  });
  return file;
}

/** A router log of about LINES lines (router mode writes ~24 lines per conversation). */
async function generateRouter(dir) {
  const file = join(dir, 'router.log');
  const out = createWriteStream(file);
  const gen = spawn(process.execPath, [join(ROOT, 'host-test/lib/generator.mjs'), '--mode', 'router', '--connections', String(Math.ceil(LINES / 24)), '--seed', '7', '--concurrency', '2000']);
  gen.stdout.pipe(out);
  await new Promise((resolve, reject) => {
    out.on('finish', resolve);
    gen.on('error', reject);
  });
  return file;
}

function engineRun(buf, config) {
  const engine = new FlowEngine(config);
  const t0 = process.hrtime.bigint();
  const CHUNK = 1 << 20;
  let outBytes = 0;
  for (let i = 0; i < buf.length; i += CHUNK) outBytes += engine.push(buf.subarray(i, i + CHUNK)).length;
  outBytes += engine.end().length;
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, outBytes };
}

/**
 * Linear memory per tracked flow: from memory growth between two capacities (the table has
 * pages of its own, so this is exact to a page), and from the table's own `table_bytes` (slots
 * and index; IPv6 flows add 32 bytes each in a pool grown on demand).
 */
function memoryPerFlow() {
  const small = new FlowEngine({ capacity: 1 << 16 });
  const large = new FlowEngine({ capacity: 1 << 19 });
  const tableBytes = (e) => JSON.parse(e.stats().toString('utf8')).ipmon.stats.table_bytes;
  return {
    growth: (large.memoryBytes() - small.memoryBytes()) / ((1 << 19) - (1 << 16)),
    table: tableBytes(small) / (1 << 16),
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'ipmon-flow-bench-'));
  try {
    const file = await generate(dir);
    const size = statSync(file).size;
    const lines = readFileSync(file, 'utf8').split('\n').length - 1;
    console.log(`input: ${fmt(lines)} generated lines (${(size / 1e6).toFixed(1)} MB, file + syslog mixed, 2 observers)`);
    const config = { year: 2024 };
    const buf = readFileSync(file);
    const rfile = await generateRouter(dir);
    const rbuf = readFileSync(rfile);
    const rlines = rbuf.toString('latin1').split('\n').length - 1;
    console.log(`router input: ${fmt(rlines)} generated lines (${(rbuf.length / 1e6).toFixed(1)} MB, 2 routers logging IN and OUT + 1 host, 3 time zones)`);
    const cli = [];
    const inproc = [];
    const cat = [];
    const rcli = [];
    const rinproc = [];
    const nopair = [];
    const cliNopair = [];
    const cliArgs = (f, ...more) => [join(ROOT, 'host/cli.mjs'), '--year', '2024', '--no-progress', ...more, f];
    engineRun(buf.subarray(0, 8 << 20), config); // warm-up
    for (let i = 0; i < RUNS; i++) {
      // interleaved, so load on the machine hits every variant alike; pairing on and off side
      // by side, in turns first, so each pair of runs gives a ratio under the same load
      const cliPair = [
        async () => cli.push(await runNode(cliArgs(file), { stdout: 'null' })),
        async () => cliNopair.push(await runNode(cliArgs(file, '--pair-window', '0'), { stdout: 'null' })),
      ];
      for (const run of i % 2 ? cliPair.reverse() : cliPair) await run();
      const inPair = [() => inproc.push(engineRun(buf, config).seconds), () => nopair.push(engineRun(buf, { ...config, pair_window: 0 }).seconds)];
      for (const run of i % 2 ? inPair.reverse() : inPair) run();
      cat.push(await runNode(['-e', `const fs=require('fs');const s=fs.createReadStream(${JSON.stringify(file)},{highWaterMark:1<<20});s.on('data',()=>{})`]));
      rcli.push(await runNode(cliArgs(rfile), { stdout: 'null' }));
      rinproc.push(engineRun(rbuf, config).seconds);
    }
    const out = engineRun(buf, config).outBytes;
    console.log(`\nCLI end to end (node host/cli.mjs FILE > /dev/null), median of ${RUNS}:`);
    console.log(`  ${fmt(lines / median(cli))} lines/s   (${median(cli).toFixed(3)} s; runs ${cli.map((s) => s.toFixed(2)).join(' ')})`);
    console.log(`engine in-process (1 MiB pushes, no I/O), median of ${RUNS}:`);
    console.log(`  ${fmt(lines / median(inproc))} lines/s   (${median(inproc).toFixed(3)} s), ${(out / 1e6).toFixed(1)} MB of NDJSON out`);
    console.log(`reading the file alone in a node process: ${median(cat).toFixed(3)} s (process start + read)`);
    console.log(`CLI / in-process time ratio: ${(median(cli) / median(inproc)).toFixed(2)}`);
    console.log(`\nrouter log (device auto: IN/OUT and L lines paired), median of ${RUNS}:`);
    console.log(`  CLI end to end   ${fmt(rlines / median(rcli))} lines/s   (${median(rcli).toFixed(3)} s; plain log beside it: ${fmt(lines / median(cli))} lines/s)`);
    console.log(`  engine in-process ${fmt(rlines / median(rinproc))} lines/s   (${median(rinproc).toFixed(3)} s; plain log: ${fmt(lines / median(inproc))} lines/s)`);
    const ratios = (a, b) => median(a.map((x, i) => x / b[i])).toFixed(3);
    console.log(`pairing on the plain log (what device auto costs a log with nothing to pair; time ratio = median of ${RUNS} side-by-side pairs):`);
    console.log(`  CLI end to end    ${fmt(lines / median(cli))} lines/s with it, ${fmt(lines / median(cliNopair))} with --pair-window 0: time ratio ${ratios(cli, cliNopair)}`);
    console.log(`  engine in-process ${fmt(lines / median(inproc))} lines/s with it, ${fmt(lines / median(nopair))} with pair_window 0: time ratio ${ratios(inproc, nopair)}`);
    const perFlow = memoryPerFlow();
    console.log(`\nlinear memory per tracked flow: ${perFlow.table.toFixed(1)} bytes (table_bytes / capacity: slot + index share); ${perFlow.growth.toFixed(1)} from memory growth between capacities 65,536 and 524,288 (target <= 128)`);

    const extra = readdirSync(join(ROOT, 'bench')).filter((f) => f.endsWith('.bench.mjs')).sort();
    for (const f of extra) {
      console.log(`\n== ${f}`);
      const mod = await import(join(ROOT, 'bench', f));
      await mod.run({ lines: LINES, file });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
