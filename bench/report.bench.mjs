// `ipmon-flow report` on the bench's generated log: time to write the page, its size, and how
// long headless Chromium takes to open it from disk until the page's script has drawn every
// panel (median of several opens). Printed, never asserted (issue 10: < 15 MB, < 3 s for 1M lines).
// Run alone: node bench/report.bench.mjs FILE (a log; default: generate BENCH_LINES lines).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../host-test/lib/browser.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function runCli(args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [join(ROOT, 'host/cli.mjs'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t0) / 1e9) : reject(new Error(`report exited ${code}: ${err}`))));
  });
}

/** Opens `html` `rounds` times in fresh pages; returns wall times (s) from navigation to ready. */
async function openTimes(html, rounds) {
  const browser = await launchChromium();
  try {
    const times = [];
    const inPage = [];
    for (let i = 0; i < rounds; i++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const t0 = process.hrtime.bigint();
      await page.goto(`file://${html}`, { waitUntil: 'commit' });
      await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
      inPage.push(await page.evaluate(() => performance.now() / 1000)); // since the navigation started
      await page.close();
    }
    return { times, inPage };
  } finally {
    await browser.close();
  }
}

/** Entry used by bench/bench.mjs. */
export async function run({ file, rounds = 5, log = console.log } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ipmon-report-bench-'));
  try {
    const html = join(dir, 'report.html');
    const write = [];
    for (let i = 0; i < 3; i++) write.push(await runCli(['report', '--year', '2024', file, '-o', html]));
    const size = statSync(html).size;
    const data = JSON.parse(readFileSync(html, 'utf8').match(/<script type="application\/json" id="report-data">(.*?)<\/script>/s)[1]);
    log(`report of ${(statSync(file).size / 1e6).toFixed(1)} MB of log: ${data.meta.conversations.toLocaleString('en-US')} conversations, ${data.meta.listed.toLocaleString('en-US')} listed, ${data.left_out.count.toLocaleString('en-US')} left out`);
    log(`  writing the page (ipmon-flow report FILE -o report.html), median of 3: ${median(write).toFixed(2)} s`);
    log(`  page size: ${(size / 1e6).toFixed(2)} MB (target < 15 MB)`);
    const { times, inPage } = await openTimes(html, rounds);
    log(`  open in headless Chromium until every panel is drawn, median of ${rounds}: ${median(times).toFixed(2)} s wall (runs ${times.map((s) => s.toFixed(2)).join(' ')}); page clock ${median(inPage).toFixed(2)} s (target < 3 s)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  if (!process.argv[2]) {
    console.error('usage: node bench/report.bench.mjs FILE (npm run bench runs it on its generated log)');
    process.exit(2);
  }
  await run({ file: process.argv[2] });
}
