// The floor and the classic (issue 8): the CLI end to end (node host/cli.mjs --year 2024
// --no-progress FILE > /dev/null) in lines/s, beside a plain `wc -l` of the same file (the reading
// floor) and beside SEC running the classic rule set (../shared/reference/sec/flows.sec) on the
// first 200k lines of the same log, all in this one run, for each of:
//   plain   the generated host log (bench.mjs's, or one made here when run standalone)
//   router  a router log (IN and OUT, L lines), generated here as bench.mjs does; SEC's rate
//           depends on the log's shape, so SEC runs on its own first 200k lines too
//   .gz     both logs gzipped (zlib, default level): the CLI on FILE.gz beside `wc -l` of the
//           uncompressed file and `zcat FILE.gz | wc -l` (the floor for compressed input). The
//           CLI's createGunzip() inflates on the libuv threadpool, so decompression may use the
//           second core: user+sys CPU seconds against wall seconds (GNU time) shows how much.
//   floor   the correlator floor (lib/floor-correlator.ts): the least work any correlator does
//           per line (find it, parse it, keyed hash, probe, counters; no time, state or output),
//           as a fresh node process reading FILE in 1 MiB pieces like the CLI. Its rate is where
//           any Wasm correlator on this machine tops out, so the CLI's share of it is what the
//           features cost, and 200x SEC is printed beside it. Also run in this process, warm (V8
//           has tiered it up; median of 3 after one warm-up): the steady rate of a long file.
// Every variant runs once per round, interleaved; medians of BENCH_RUNS (default 5), SEC at most
// 3 runs. SEC only where it is installed (Debian: apt-get install sec). Printed, never asserted.
//
//   node bench/floor.bench.mjs   (standalone, BENCH_LINES default 1M; `npm run bench` calls run())

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, createReadStream, createWriteStream, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createGzip } from 'node:zlib';
import { compileFloor, floorFile } from './lib/floor-correlator.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RULES = join(ROOT, '..', 'shared', 'reference', 'sec', 'flows.sec');
const RUNS = Number(process.env.BENCH_RUNS || 5);
const SEC_LINES = 200_000;
const GNU_TIME = '/usr/bin/time';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

function countLines(buf) {
  let n = 0;
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * Wall seconds of a command, stdout to /dev/null; with `cpu` (and GNU time present), also its
 * user+sys CPU seconds, children included (GNU time's -o file, so stderr stays the command's).
 */
function timed(cmd, args, { cpu = null } = {}) {
  return new Promise((resolve, reject) => {
    const out = openSync('/dev/null', 'w');
    const [c, a] = cpu ? [GNU_TIME, ['-f', '%U %S', '-o', cpu, cmd, ...args]] : [cmd, args];
    const t0 = process.hrtime.bigint();
    const child = spawn(c, a, { stdio: ['ignore', out, 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      closeSync(out);
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`));
      if (!cpu) return resolve({ wall });
      // the last line: GNU time puts "Command exited..." lines before it on failure
      const [user, sys] = readFileSync(cpu, 'utf8').trim().split('\n').pop().split(' ').map(Number);
      resolve({ wall, cpu: user + sys });
    });
  });
}

/** The first SEC_LINES lines of `file` into `out`; returns how many lines that is. */
function writeHead(file, out) {
  const buf = readFileSync(file);
  let cut = 0;
  let n = 0;
  while (n < SEC_LINES) {
    const nl = buf.indexOf(10, cut);
    if (nl < 0) break;
    cut = nl + 1;
    n++;
  }
  writeFileSync(out, buf.subarray(0, cut));
  return n;
}

/** The generator's stdout into `file`; rejects if it fails. */
async function written(gen, file) {
  const exit = new Promise((resolve, reject) => gen.on('error', reject).on('exit', resolve));
  await pipeline(gen.stdout, createWriteStream(file));
  const code = await exit;
  if (code !== 0) throw new Error(`generator exited ${code}`);
  return file;
}

/** A router log of about `lines` lines, as bench.mjs's generateRouter makes it (~24 lines a conversation). */
async function generateRouter(dir, lines) {
  const file = join(dir, 'router.log');
  const gen = spawn(process.execPath, [join(ROOT, 'host-test/lib/generator.mjs'), '--mode', 'router',
    '--connections', String(Math.ceil(lines / 24)), '--seed', '7', '--concurrency', '2000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return written(gen, file);
}

/** A plain mixed host log of `lines` lines, as bench.mjs's generate makes it (for the standalone run). */
async function generatePlain(dir, lines) {
  const file = join(dir, 'bench.log');
  const gen = spawn(process.execPath, [join(ROOT, 'host-test/lib/generator.mjs'), '--lines', String(lines), '--seed', '7', '--format', 'mixed'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  return written(gen, file);
}

export async function run({ lines: wanted, file, routerFile } = {}) {
  const sec = spawnSync('sec', ['--version'], { stdio: 'ignore' }).status === 0 && existsSync(RULES);
  const gnuTime = spawnSync(GNU_TIME, ['-f', '%U', 'true'], { stdio: 'ignore' }).status === 0;
  const dir = mkdtempSync(join(tmpdir(), 'ipmon-flow-floor-'));
  try {
    const floorBytes = await compileFloor();
    const floorWasm = join(dir, 'floor.wasm');
    writeFileSync(floorWasm, floorBytes);
    const floorRunner = join(ROOT, 'bench/lib/floor-correlator.mjs');
    const plainLines = countLines(readFileSync(file));
    const kinds = [
      { name: 'plain', file, lines: plainLines },
      { name: 'router', file: routerFile ?? await generateRouter(dir, wanted ?? plainLines) },
    ];
    kinds[1].lines = countLines(readFileSync(kinds[1].file));
    for (const k of kinds) {
      k.gz = join(dir, `${k.name}.log.gz`);
      await pipeline(createReadStream(k.file), createGzip(), createWriteStream(k.gz));
      k.head = join(dir, `${k.name}.head.log`);
      k.headLines = writeHead(k.file, k.head);
      Object.assign(k, { cli: [], wc: [], gzCli: [], zcat: [], sec: [], floor: [] });
      console.log(`${k.name} log: ${fmt(k.lines)} lines, ${(statSync(k.file).size / 1e6).toFixed(1)} MB (.gz ${(statSync(k.gz).size / 1e6).toFixed(1)} MB)`);
    }
    for (const k of kinds) {
      floorFile(floorBytes, k.file);
      const warm = [];
      for (let i = 0; i < 3; i++) {
        const t0 = process.hrtime.bigint();
        floorFile(floorBytes, k.file);
        warm.push(Number(process.hrtime.bigint() - t0) / 1e9);
      }
      k.floorWarm = k.lines / median(warm);
    }
    const cpu = gnuTime ? join(dir, 'time.out') : null;
    const cli = (f) => timed(process.execPath, [join(ROOT, 'host/cli.mjs'), '--year', '2024', '--no-progress', f], { cpu });
    for (let i = 0; i < RUNS; i++) {
      for (const k of kinds) {
        k.cli.push(await cli(k.file));
        k.wc.push(await timed('wc', ['-l', k.file]));
        k.floor.push(await timed(process.execPath, [floorRunner, floorWasm, k.file], { cpu }));
        k.gzCli.push(await cli(k.gz));
        k.zcat.push(await timed('sh', ['-c', 'zcat "$1" | wc -l', 'sh', k.gz], { cpu }));
      }
      if (sec && i < 3) {
        for (const k of kinds) k.sec.push(await timed('sec', [`--conf=${RULES}`, `--input=${k.head}`, '--notail', '--log=/dev/null']));
      }
    }
    console.log(`median of ${RUNS} interleaved runs (SEC: of ${Math.min(RUNS, 3)}, on the first ${fmt(SEC_LINES)} lines of each log)` +
      (gnuTime ? '; CPU = user+sys seconds of the process and its threads (GNU time)' : '; no /usr/bin/time: no CPU figures'));
    for (const k of kinds) {
      const wall = (rs) => median(rs.map((r) => r.wall));
      const rate = (rs) => k.lines / wall(rs);
      const cpuWall = (rs) => (gnuTime ? `; CPU ${median(rs.map((r) => r.cpu)).toFixed(2)} s / wall ${wall(rs).toFixed(2)} s` +
        ` (${(median(rs.map((r) => r.cpu)) / wall(rs)).toFixed(2)} cores)` : '');
      const secRate = sec ? k.headLines / wall(k.sec) : 0;
      const vsSec = (r) => (sec ? `; CLI at ${(r / secRate).toFixed(1)}x SEC (target 200x)` : '');
      const [c, w, g, z, f] = [rate(k.cli), rate(k.wc), rate(k.gzCli), rate(k.zcat), rate(k.floor)];
      console.log(`${k.name}: CLI ${fmt(c)} lines/s; wc -l ${fmt(w)} lines/s; CLI at ${(c / w).toFixed(3)} of the floor` +
        (sec ? `; SEC ${fmt(secRate)} lines/s` : '') + vsSec(c) + cpuWall(k.cli));
      console.log(`${k.name} correlator floor: ${fmt(f)} lines/s; CLI at ${(c / f).toFixed(3)} of it` +
        (sec ? `; 200x SEC would be ${fmt(200 * secRate)} lines/s, ${(200 * secRate / f).toFixed(2)}x the correlator floor` : '') +
        cpuWall(k.floor));
      console.log(`${k.name} correlator floor in this process, warm: ${fmt(k.floorWarm)} lines/s` +
        (sec ? `; 200x SEC is ${(200 * secRate / k.floorWarm).toFixed(2)}x that` : ''));
      console.log(`${k.name} .gz: CLI ${fmt(g)} lines/s (${(g / c).toFixed(2)} of its plain-file rate); wc -l ${fmt(w)} lines/s (uncompressed); ` +
        `CLI at ${(g / w).toFixed(3)} of that floor; zcat|wc -l ${fmt(z)} lines/s; CLI at ${(g / z).toFixed(3)} of the compressed floor` +
        vsSec(g) + cpuWall(k.gzCli) + (gnuTime ? `; zcat|wc -l CPU ${median(k.zcat.map((r) => r.cpu)).toFixed(2)} s / wall ${wall(k.zcat).toFixed(2)} s` : ''));
    }
    if (!sec) console.log('SEC: not installed (apt-get install sec) or ../shared/reference/sec/flows.sec missing: no ratio');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const lines = Number(process.env.BENCH_LINES || 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'ipmon-flow-floor-main-'));
  try {
    await run({ lines, file: await generatePlain(dir, lines) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
