// The floor and the classic (issue 8): the CLI end to end beside a plain `wc -l` of the same
// file (the reading floor) and beside SEC running the classic rule set
// (../shared/reference/sec/flows.sec) on the first 200k lines of it, all in this one run.
// Ratios of medians; SEC only where it is installed (Debian: apt-get install sec).

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RULES = join(ROOT, '..', 'shared', 'reference', 'sec', 'flows.sec');
const RUNS = Number(process.env.BENCH_RUNS || 5);
const SEC_LINES = 200_000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

/** Wall seconds of a command, stdout to /dev/null. */
function timed(cmd, args) {
  return new Promise((resolve, reject) => {
    const out = openSync('/dev/null', 'w');
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', out, 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => {
      closeSync(out);
      if (code !== 0) reject(new Error(`${cmd} exited ${code}`));
      else resolve(Number(process.hrtime.bigint() - t0) / 1e9);
    });
  });
}

export async function run({ file }) {
  const lines = readFileSync(file).reduce((n, b) => n + (b === 10 ? 1 : 0), 0);
  const sec = spawnSync('sec', ['--version'], { stdio: 'ignore' }).status === 0 && existsSync(RULES);
  const dir = mkdtempSync(join(tmpdir(), 'ipmon-flow-floor-'));
  try {
    const head = join(dir, 'head.log');
    const text = readFileSync(file, 'latin1');
    let cut = 0;
    for (let i = 0; i < SEC_LINES && cut >= 0; i++) cut = text.indexOf('\n', cut) + 1 || -1;
    writeFileSync(head, text.slice(0, cut > 0 ? cut : text.length), 'latin1');
    const cli = [];
    const wc = [];
    const secs = [];
    for (let i = 0; i < RUNS; i++) {
      cli.push(await timed(process.execPath, [join(ROOT, 'host/cli.mjs'), '--year', '2024', '--no-progress', file]));
      wc.push(await timed('wc', ['-l', file]));
      if (sec && i < 3) secs.push(await timed('sec', [`--conf=${RULES}`, `--input=${head}`, '--notail', '--log=/dev/null']));
    }
    const cliRate = lines / median(cli);
    console.log(`CLI end to end: ${fmt(cliRate)} lines/s; wc -l: ${fmt(lines / median(wc))} lines/s; ` +
      `the CLI at ${(cliRate / (lines / median(wc))).toFixed(3)} of the reading floor (median of ${RUNS})`);
    if (sec) {
      const secRate = SEC_LINES / median(secs);
      console.log(`SEC with flows.sec on the first ${fmt(SEC_LINES)} lines: ${fmt(secRate)} lines/s (median of ${secs.length}); ` +
        `the CLI at ${(cliRate / secRate).toFixed(1)}x SEC (target 200x)`);
    } else {
      console.log('SEC: not installed (apt-get install sec) or ../shared/reference/sec/flows.sec missing: no ratio');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
