// Instructions and first-level data cache misses per line, counted by valgrind's cachegrind:
// repeatable to the last digit on a shared, noisy machine, where seconds are not (the same
// binary, input and environment give the same count whatever else runs). Used for what a
// feature costs beside the same run without it; seconds are still printed by the other
// benches. Skipped when valgrind is not installed (apt-get install valgrind).
//
// Each figure is (count on N lines − count on 1,000 lines) / (N − 1,000): process start and
// compiling the module cancel out. --no-liftoff compiles the module once, optimised, so the
// count does not depend on when V8 tiers a function up. Beside the module, the correlator floor
// (lib/floor-correlator.ts, the least any correlator does a line) on the same lines.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFloor } from './lib/floor-correlator.mjs';

const ONCE = fileURLToPath(new URL('./lib/engine-once.mjs', import.meta.url));
const FLOOR = fileURLToPath(new URL('./lib/floor-correlator.mjs', import.meta.url));
const LINES = Number(process.env.BENCH_CG_LINES || 200_000);
const SMALL = 1_000;

/** Cachegrind's counts for one run of the engine over `file` (or, with `floor`, of the correlator floor). */
function count(file, config, floor = null) {
  return new Promise((resolve, reject) => {
    const script = floor ? [FLOOR, floor, file] : [ONCE, file, JSON.stringify(config)];
    const args = ['--tool=cachegrind', '--cache-sim=yes', '--cachegrind-out-file=/dev/null',
      process.execPath, '--no-liftoff', ...script];
    const child = spawn('valgrind', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('exit', (code) => {
      const num = (re) => Number((err.match(re) || [])[1]?.replace(/,/g, ''));
      const ir = num(/I\s+refs:\s+([\d,]+)/);
      const d1 = num(/D1\s+misses:\s+([\d,]+)/);
      if (code !== 0 || !Number.isFinite(ir)) reject(new Error(`valgrind exited ${code}: ${err.slice(-400)}`));
      else resolve({ ir, d1 });
    });
  });
}

/** Instructions and D1 misses a line for a config: two counts, start-up cancelled. */
async function perLine(small, big, config, floor = null) {
  const [a, b] = await Promise.all([count(small, config, floor), count(big, config, floor)]);
  return { ir: (b.ir - a.ir) / (LINES - SMALL), d1: (b.d1 - a.d1) / (LINES - SMALL) };
}

export async function run({ file }) {
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.log('valgrind is not installed: instruction counts skipped (apt-get install valgrind)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ipmon-cg-'));
  try {
    const lines = readFileSync(file, 'latin1').split('\n');
    const small = join(dir, 'small.log');
    const big = join(dir, 'big.log');
    writeFileSync(small, `${lines.slice(0, SMALL).join('\n')}\n`);
    writeFileSync(big, `${lines.slice(0, LINES).join('\n')}\n`);
    const on = await perLine(small, big, { year: 2024 });
    const off = await perLine(small, big, { year: 2024, pair_window: 0 });
    const floorWasm = join(dir, 'floor.wasm');
    writeFileSync(floorWasm, await compileFloor());
    const floor = await perLine(small, big, null, floorWasm);
    const f = (x) => x.toFixed(1);
    console.log(`per line, first ${LINES.toLocaleString('en-US')} lines of the plain log (cachegrind, repeatable):`);
    console.log(`  default        ${f(on.ir)} instructions, ${f(on.d1)} D1 misses`);
    console.log(`  pair_window 0  ${f(off.ir)} instructions, ${f(off.d1)} D1 misses`);
    console.log(`  pairing costs a host log ${f(on.ir - off.ir)} instructions a line: ratio ${(on.ir / off.ir).toFixed(3)}` +
      ` (D1 misses ${(on.d1 / off.d1).toFixed(3)})`);
    console.log(`  correlator floor (lib/floor-correlator.ts) ${f(floor.ir)} instructions, ${f(floor.d1)} D1 misses:` +
      ` the default at ${(on.ir / floor.ir).toFixed(2)}x its instructions`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
