// The ipmon-flow command: files, stdin, .gz, options, errors and exit codes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { correlate, parseNdjson } from '../host/index.mjs';
import { generateTraffic } from './lib/generator.mjs';

const CLI = fileURLToPath(new URL('../host/cli.mjs', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../fixtures/sample.log', import.meta.url));

function run(args, input) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 60_000, maxBuffer: 256 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'ipmon-flow-cli-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('a file gives the same records as the library', async () => {
  const r = run(['--year', '2026', SAMPLE]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  const lib = await correlate(readFileSync(SAMPLE), { year: 2026 });
  assert.deepEqual(parseNdjson(Buffer.from(r.out)), lib);
});

test('stdin, "-" and a .gz file give the same output', () => {
  const text = readFileSync(SAMPLE);
  const gz = join(tmp, 'sample.log.gz');
  writeFileSync(gz, gzipSync(text));
  const a = run(['--year', '2026'], text);
  const b = run(['--year', '2026', '-'], text);
  const c = run(['--year', '2026', gz]);
  assert.equal(a.code, 0);
  assert.equal(a.out, b.out);
  assert.equal(a.out, c.out);
  assert.ok(a.out.includes('"record_type":"flow"'));
});

test('a file of several read buffers (each reused for the next read) gives what stdin gives', () => {
  // 3 MB of lines: reads of 1 MiB cut lines, and every chunk overwrites the one before it
  const { text } = generateTraffic({ lines: 30_000, seed: 12, format: 'mixed' });
  const file = join(tmp, 'big.log');
  writeFileSync(file, text);
  assert.ok(text.length > 3 << 20);
  const a = run(['--year', '2024', '--no-progress', file]);
  const b = run(['--year', '2024'], text);
  assert.equal(a.code, 0, a.err);
  // the same records; their order may follow where the input was cut into calls
  const sorted = (out) => out.split('\n').filter(Boolean).map((l) => l.replace(/"table_probe_steps":\d+,?/, '')).sort();
  assert.ok(a.out.split('\n').length > 1000);
  assert.deepEqual(sorted(a.out), sorted(b.out));
});

test('several files are one stream, in order (rotated logs)', () => {
  const lines = readFileSync(SAMPLE, 'utf8').split('\n');
  const p1 = join(tmp, 'part1.log');
  const p2 = join(tmp, 'part2.log');
  writeFileSync(p1, lines.slice(0, 12).join('\n') + '\n');
  writeFileSync(p2, lines.slice(12).join('\n'));
  const whole = run(['--year', '2026', SAMPLE]);
  const parts = run(['--year', '2026', p1, p2]);
  assert.equal(parts.code, 0);
  assert.equal(parts.out, whole.out);
});

test('a last line without a newline is still read', () => {
  const r = run(['--year', '2026'], readFileSync(SAMPLE, 'utf8').trimEnd());
  const stats = parseNdjson(Buffer.from(r.out)).at(-1).ipmon.stats;
  assert.equal(stats.lines_read, 27);
});

test('--help and --version exit 0', () => {
  const h = run(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /Usage: ipmon-flow/);
  const v = run(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.out, /^\d+\.\d+\.\d+\n$/);
});

test('bad options, bad values and bad config exit 2 with a message naming the problem', () => {
  const cases = [
    [['--nope'], /Unknown option '--nope'/],
    [['--udp-timeout', 'soon'], /--udp-timeout needs a number/],
    [['--capacity', '3'], /'capacity' must be a whole number from 16/],
    [['--utc-offset', '+99:00'], /'utc_offset' must look like/],
  ];
  for (const [args, msg] of cases) {
    const r = run([...args, SAMPLE]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, msg);
    assert.equal(r.out, '');
  }
  const cfg = join(tmp, 'bad.json');
  writeFileSync(cfg, '{"udp_timout": 10}');
  const r = run(['--config', cfg, SAMPLE]);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown configuration key 'udp_timout'/);
  writeFileSync(cfg, '{"udp_timeout": 10,}');
  assert.match(run(['--config', cfg, SAMPLE]).err, /not valid JSON/);
});

test('an unreadable input exits 1 before any output', () => {
  const r = run([SAMPLE, join(tmp, 'missing.log')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /cannot read .*missing\.log: no such file/);
  assert.equal(r.out, '');
  const d = run([tmp]);
  assert.equal(d.code, 1);
  assert.match(d.err, /EISDIR/);
});

test('a corrupt .gz reports the error, still emits what was read, and exits 1', () => {
  const gz = join(tmp, 'broken.log.gz');
  const full = gzipSync(readFileSync(SAMPLE));
  writeFileSync(gz, full.subarray(0, full.length - 20));
  const r = run(['--year', '2026', gz]);
  assert.equal(r.code, 1);
  assert.match(r.err, /error reading .*broken\.log\.gz/);
  const records = parseNdjson(Buffer.from(r.out));
  assert.equal(records.at(-1).ipmon.record_type, 'stats');
});

test('a .gz of many chunks (inflated on a worker, chunks handed back and refilled) gives what the plain file gives', () => {
  // 12 MB inflated: a dozen 1 MiB chunks through the worker, two in flight at a time
  const { text } = generateTraffic({ lines: 100_000, seed: 21, format: 'mixed' });
  assert.ok(text.length > 10 << 20);
  const file = join(tmp, 'many.log');
  writeFileSync(file, text);
  writeFileSync(`${file}.gz`, gzipSync(text));
  const a = run(['--year', '2024', '--no-progress', file]);
  const b = run(['--year', '2024', '--no-progress', `${file}.gz`]);
  assert.equal(b.code, 0, b.err);
  const sorted = (out) => out.split('\n').filter(Boolean).map((l) => l.replace(/"table_probe_steps":\d+,?/, '')).sort();
  assert.ok(a.out.split('\n').length > 5000);
  assert.deepEqual(sorted(b.out), sorted(a.out));
});

test('a .gz cut off after megabytes reports the error after every flow of what was inflated, and exits 1', () => {
  const { text } = generateTraffic({ lines: 60_000, seed: 22, format: 'mixed' });
  const full = gzipSync(text);
  const gz = join(tmp, 'cut.log.gz');
  writeFileSync(gz, full.subarray(0, full.length >> 1));
  const r = run(['--year', '2024', '--no-progress', gz]);
  assert.equal(r.code, 1);
  assert.match(r.err, /error reading .*cut\.log\.gz: Z_BUF_ERROR/);
  const records = parseNdjson(Buffer.from(r.out));
  const { stats } = records.at(-1).ipmon;
  // about half the lines were inflated before the cut, and all of them are counted
  assert.ok(stats.lines_read > 20_000 && stats.lines_read < 40_000, `lines_read ${stats.lines_read}`);
  assert.ok(records.filter((x) => x.ipmon?.record_type === 'flow').length > 1000);
});

test('config flags reach the module: a short UDP timeout splits a DNS flow', () => {
  const lines = [
    '26/07/2021 09:00:00.000000 em0 @0:1 p 10.0.0.1,5000 -> 10.0.0.2,53 PR udp len 20 60 IN',
    '26/07/2021 09:00:20.000000 em0 @0:1 p 10.0.0.1,5000 -> 10.0.0.2,53 PR udp len 20 60 IN',
  ].join('\n');
  const flows = (args) => parseNdjson(Buffer.from(run(args, lines).out)).filter((r) => r.ipmon.record_type === 'flow');
  assert.equal(flows([]).length, 1);
  const split = flows(['--udp-timeout', '10']);
  assert.equal(split.length, 2);
  assert.equal(split[0].ipmon.end_reason, 'idle_timeout');
  assert.equal(flows(['--no-stats']).length, 1);
  assert.equal(run(['--no-stats'], lines).out.includes('"stats"'), false);
});

test('SIGTERM stops the read of a big file between chunks: what was read is reported, nothing more', async () => {
  // Regular files are read in place (readSync) and stdout to a file is written in place too, so
  // nothing else gives the event loop a turn: this fails if the read loop does not, since the
  // signal would then wait for the end of the file.
  const { spawn } = await import('node:child_process');
  const { openSync, closeSync, statSync } = await import('node:fs');
  const { synFlood } = await import('./lib/hostile.mjs');
  const LINES = 1_000_000;
  const input = join(tmp, 'flood.log');
  writeFileSync(input, '');
  for (let i = 0; i < LINES; i += 100_000) writeFileSync(input, synFlood(100_000, i), { flag: 'a' });
  const outFile = join(tmp, 'flood.ndjson');
  const fd = openSync(outFile, 'w');
  const child = spawn(process.execPath, [CLI, '--year', '2024', '--no-progress', input], { stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.on('close', resolve));
  // the table fills after 65,536 SYNs; then every line evicts a flow, so output starts early
  const poll = setInterval(() => {
    if (statSync(outFile).size > 0) {
      clearInterval(poll);
      child.kill('SIGTERM');
    }
  }, 5);
  const code = await exited;
  clearInterval(poll);
  assert.equal(code, 143, err);
  const records = readFileSync(outFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const { stats } = records.at(-1).ipmon;
  assert.ok(stats.packets < LINES / 2, `read ${stats.packets} of ${LINES} lines before stopping`);
  // every SYN read is in one flow record: evicted, or written at the stop
  assert.equal(records.filter((r) => r.ipmon?.record_type === 'flow').length, stats.packets);
});

test('a reader that goes away (| head) ends the run quietly with the SIGPIPE status', async () => {
  const { spawn } = await import('node:child_process');
  const lines = [];
  for (let i = 0; i < 200000; i++) lines.push(`26/07/2021 09:00:${String(i % 60).padStart(2, '0')}.000000 em0 @0:1 p 10.0.${(i >> 8) & 255}.${i & 255},${1024 + (i % 60000)} -> 10.1.0.1,53 PR udp len 20 60 IN`);
  const input = join(tmp, 'big.log');
  writeFileSync(input, lines.join('\n') + '\n');
  const child = spawn(process.execPath, [CLI, '--udp-timeout', '1', input], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 141);
  assert.equal(err, '');
});

test('a batch run does not load node:crypto (initialising OpenSSL costs resident memory for the whole run)', () => {
  const probe = 'data:text/javascript,' + encodeURIComponent(
    "process.on('exit', () => process.stderr.write('loaded crypto: ' + process.moduleLoadList.includes('NativeModule crypto') + '\\n'));");
  const r = spawnSync(process.execPath, ['--import', probe, CLI, '--year', '2024', '--no-progress', SAMPLE], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(parseNdjson(Buffer.from(r.stdout)).length > 0);
  assert.match(r.stderr, /loaded crypto: false/);
});
