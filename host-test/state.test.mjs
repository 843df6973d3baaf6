// --state: the file format rejects every damaged or foreign file; a damaged file means a
// warning and a fresh start with correct numbers; kill -9 and restart, SIGTERM and restart, and
// rotation or truncation while stopped lose no flow and count no line twice, checked against
// the traffic generator's ground truth.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, truncateSync,
  unlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { correlate } from '../host/index.mjs';
import { decodeState, encodeState, readStateFile, StateError, STATE_VERSION, writeStateFile } from '../host/state.mjs';
import { generateTraffic } from './lib/generator.mjs';
import {
  CLI, compareToTruth, flowKey, flowsOf, killLeftovers, startCli, truthKey, waitConsumed, WAIT_MS,
} from './lib/live-cli.mjs';
import { withoutProbeSteps } from './lib/project.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'ipmon-flow-state-'));
test.after(async () => {
  await killLeftovers();
  rmSync(tmp, { recursive: true, force: true });
});

let dirN = 0;
const newDir = () => {
  const d = join(tmp, `t${dirN++}`);
  mkdirSync(d);
  return d;
};

// sweeps off (--sweep-lag): logs are replayed far faster than real time, and the result must
// match the ground truth exactly
const ARGS = ['--year', '2024', '--from-start', '--poll-interval', '0.02', '--state-interval', '0.05', '--sweep-lag', '86400'];

/** Splits generated traffic into `k` chunks of whole lines. */
function chunks(g, k) {
  const n = g.lines.length;
  return Array.from({ length: k }, (_, i) => g.lines.slice(Math.floor((n * i) / k), Math.floor((n * (i + 1)) / k)).join('\n') + '\n');
}

/** The last record of each event.id wins, as in an index keyed by _id. */
function lastWins(records) {
  const m = new Map();
  for (const r of flowsOf(records)) m.set(r.event.id, r);
  return [...m.values()];
}

function assertMatchesTruth(flows, g) {
  const truth = new Map(g.flows.map((f) => [truthKey(f), f]));
  assert.equal(flows.length, truth.size, 'one flow per ground-truth flow');
  for (const r of flows) {
    const f = truth.get(flowKey(r));
    assert.ok(f, `unexpected flow ${flowKey(r)}`);
    assert.deepEqual(compareToTruth(r, f), [], flowKey(r));
  }
}

const samplePartsState = () => ({
  meta: {
    format: STATE_VERSION,
    input: { path: '/x/ipmon.log', dev: '2049', ino: '123456789012345678', offset: 4096, head_len: 1024, head_sha256: 'a'.repeat(64) },
    clock: { event_us: '1709452804963728', wall_ms: 1_700_000_000_000 },
    config_sha256: null,
  },
  pending: Buffer.from('03/03/2024 08:00:04.96'),
  blob: Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 255)),
});

test('state format: round trip, and every truncation or bit flip is rejected as a StateError', () => {
  const parts = samplePartsState();
  const buf = encodeState(parts);
  const back = decodeState(buf);
  assert.deepEqual(back.meta, parts.meta);
  assert.deepEqual(back.pending, parts.pending);
  assert.deepEqual(back.blob, parts.blob);
  for (let len = 0; len < buf.length; len++) {
    assert.throws(() => decodeState(buf.subarray(0, len)), StateError, `truncated to ${len}`);
  }
  assert.throws(() => decodeState(Buffer.concat([buf, Buffer.from([0])])), StateError);
  for (let i = 0; i < buf.length; i++) {
    for (const bit of [0x01, 0x80]) {
      const bad = Buffer.from(buf);
      bad[i] ^= bit;
      assert.throws(() => decodeState(bad), StateError, `flip at ${i}`);
    }
  }
  assert.throws(() => decodeState(Buffer.from('{"not":"a state file"}')), /not an ipmon-flow state file/);
  const newer = Buffer.from(buf);
  newer.writeUInt16LE(STATE_VERSION + 1, 8);
  assert.throws(() => decodeState(newer), /format version/);
});

test('state file: written atomically (no temporary left), private, and read back', () => {
  const dir = newDir();
  const p = join(dir, 'x.state');
  writeStateFile(p, samplePartsState());
  writeStateFile(p, samplePartsState());
  assert.deepEqual(readdirSync(dir), ['x.state']);
  assert.equal(statSync(p).mode & 0o777, 0o600);
  assert.equal(readStateFile(p).state.meta.input.offset, 4096);
  assert.deepEqual(readStateFile(join(dir, 'none')), { missing: true });
  writeFileSync(p, 'garbage');
  assert.match(readStateFile(p).problem, /not an ipmon-flow state file/);
});

test('kill -9 and restart, three times: no flow lost, none counted twice (ground truth)', async () => {
  const dir = newDir();
  const log = join(dir, 'ipmon.log');
  const state = join(dir, 'ipmon-flow.state');
  const g = generateTraffic({ seed: 21, connections: 420, concurrency: 90 });
  const parts = chunks(g, 8);
  const records = [];
  writeFileSync(log, parts[0]);
  let next = 1;
  // checkpoints a second apart: a kill right after new output lands between two of them, so the
  // restart must replay lines whose flows were already written
  const args = ['--follow', log, '--state', state, ...ARGS, '--state-interval', '1'];
  let replayed = 0;
  for (let round = 0; round < 3; round++) {
    const run = startCli(args);
    await waitConsumed(state, log);
    const seen = run.records.length;
    appendFileSync(log, parts[next++]);
    await run.waitFor((r) => r.records.length > seen, 'output from the new lines');
    appendFileSync(log, parts[next++]); // and maybe still reading this
    run.signal('SIGKILL');
    await run.exited;
    replayed += run.records.length - seen;
    records.push(...run.records);
  }
  const last = startCli(args);
  while (next < parts.length) appendFileSync(log, parts[next++]);
  await waitConsumed(state, log);
  last.signal('SIGTERM');
  assert.equal((await last.exited).code, 0, last.stderr);
  records.push(...last.records);

  // a flow seen twice is a replay of lines read after the last checkpoint: identical copies
  const byId = new Map();
  let copies = 0;
  for (const r of flowsOf(records)) {
    if (byId.has(r.event.id)) {
      assert.deepEqual(r, byId.get(r.event.id), 'a replayed flow is the same record');
      copies++;
    }
    byId.set(r.event.id, r);
  }
  assert.ok(replayed > 0 && copies > 0, 'the kills hit between checkpoints (replays happened)');
  assertMatchesTruth([...byId.values()], g);
  // counters travel in the state: every line counted exactly once over all runs
  const stats = last.records.at(-1).ipmon.stats;
  assert.equal(stats.lines_read, g.lines.length);
  assert.equal(stats.packets, g.totals.packets);
  assert.equal(stats.bytes, g.totals.bytes);
});

test('SIGTERM and restart: open flows are written (forced_end), then continued under the same id', async () => {
  const dir = newDir();
  const log = join(dir, 'ipmon.log');
  const state = join(dir, 'ipmon-flow.state');
  const g = generateTraffic({ seed: 22, connections: 300, concurrency: 80 });
  const parts = chunks(g, 3);
  const records = [];
  for (const part of parts) {
    appendFileSync(log, part);
    const run = startCli(['--follow', log, '--state', state, ...ARGS]);
    await waitConsumed(state, log);
    run.signal('SIGTERM');
    assert.equal((await run.exited).code, 0, run.stderr);
    records.push(...run.records);
  }
  const flows = lastWins(records);
  assertMatchesTruth(flows, g);
  const provisional = flowsOf(records).filter((r) => r.ipmon.end_reason === 'forced_end'
    && flows.find((f) => f.event.id === r.event.id).ipmon.end_reason !== 'forced_end');
  assert.ok(provisional.length > 0, 'some flows were open at a restart and finished later');
  assert.equal(records.at(-1).ipmon.stats.lines_read, g.lines.length);
});

test('rotation while stopped: the old file is finished first (found by its inode), then the new one', async () => {
  const dir = newDir();
  const log = join(dir, 'ipmon.log');
  const state = join(dir, 'ipmon-flow.state');
  const g = generateTraffic({ seed: 23, connections: 200, concurrency: 50 });
  const [a, b, c] = chunks(g, 3);
  writeFileSync(log, a);
  const run1 = startCli(['--follow', log, '--state', state, ...ARGS]);
  await waitConsumed(state, log);
  run1.signal('SIGTERM');
  await run1.exited;
  appendFileSync(log, b); // written after the stop, before the rotation
  renameSync(log, `${log}.1`);
  writeFileSync(log, c);
  const run2 = startCli(['--follow', log, '--state', state, ...ARGS]);
  await waitConsumed(state, log);
  run2.signal('SIGTERM');
  assert.equal((await run2.exited).code, 0, run2.stderr);
  assert.match(run2.stderr, /rotated while stopped; finishing .*ipmon\.log\.1 first/);
  assertMatchesTruth(lastWins([...run1.records, ...run2.records]), g);
  assert.equal(run2.records.at(-1).ipmon.stats.lines_read, g.lines.length);
});

test('copytruncate while stopped: the unread rest comes from the copy', async () => {
  const dir = newDir();
  const log = join(dir, 'ipmon.log');
  const state = join(dir, 'ipmon-flow.state');
  const g = generateTraffic({ seed: 24, connections: 200, concurrency: 50 });
  const [a, b, c] = chunks(g, 3);
  writeFileSync(log, a);
  const run1 = startCli(['--follow', log, '--state', state, ...ARGS]);
  await waitConsumed(state, log);
  run1.signal('SIGTERM');
  await run1.exited;
  appendFileSync(log, b);
  copyFileSync(log, `${log}-20261128`);
  truncateSync(log, 0);
  appendFileSync(log, c);
  const run2 = startCli(['--follow', log, '--state', state, ...ARGS]);
  await waitConsumed(state, log);
  run2.signal('SIGTERM');
  assert.equal((await run2.exited).code, 0, run2.stderr);
  assert.match(run2.stderr, /truncated while stopped; reading the rest from its copy/);
  assertMatchesTruth(lastWins([...run1.records, ...run2.records]), g);
});

/** Follows `log` with `args` until it is read to its end, then SIGTERM; returns the run. */
async function followToEnd(log, state, args) {
  const run = startCli(['--follow', log, '--state', state, ...args]);
  await waitConsumed(state, log);
  run.signal('SIGTERM');
  assert.equal((await run.exited).code, 0, run.stderr);
  return run;
}

test('a state file of another log: a warning naming that log, and a fresh start equal to a clean run', async () => {
  const dir = newDir();
  const logA = join(dir, 'a.log');
  const logB = join(dir, 'b.log');
  const state = join(dir, 'ipmon-flow.state');
  const gA = generateTraffic({ seed: 27, connections: 120, concurrency: 30 });
  const gB = generateTraffic({ seed: 28, connections: 90, concurrency: 25 });
  writeFileSync(logA, gA.text);
  writeFileSync(logB, gB.text);
  const runA = await followToEnd(logA, state, ARGS);
  assert.ok(flowsOf(runA.records).some((r) => r.ipmon.end_reason === 'forced_end'), 'A had open flows at the stop');
  const stateOfA = readFileSync(state);
  const clean = await followToEnd(logB, join(dir, 'clean.state'), ARGS);

  const runB = await followToEnd(logB, state, ARGS);
  assert.match(runB.stderr, /state file .*ipmon-flow\.state belongs to another log: it was written while following .*a\.log \(inode \d+\), which is neither .*b\.log nor a rotated file next to it; ignoring it and starting fresh/);
  assert.doesNotMatch(runB.stderr, /is gone|resuming|rotated while stopped/);
  // nothing of A comes along: no open flow, no counter
  // table_probe_steps depends on each process's random hash key, so it is left out
  assert.deepEqual(withoutProbeSteps(runB.records), withoutProbeSteps(clean.records), 'exactly the output of a clean run over b.log');
  assertMatchesTruth(flowsOf(runB.records), gB);
  assert.equal(runB.records.at(-1).ipmon.stats.lines_read, gB.lines.length);
  assert.equal(readStateFile(state).state.meta.log_path, resolve(logB), 'the state file now records b.log');

  // without --from-start the fresh start is at the end of b.log, as for any fresh start
  writeFileSync(state, stateOfA);
  const atEnd = startCli(['--follow', logB, '--state', state, ...ARGS.filter((a) => a !== '--from-start')]);
  await atEnd.waitFor(() => readStateFile(state).state?.meta.log_path === resolve(logB), 'a checkpoint for b.log');
  const extra = gB.lines.slice(0, 3).join('\n') + '\n'; // three lines appended to b.log
  appendFileSync(logB, extra);
  await waitConsumed(state, logB);
  atEnd.signal('SIGTERM');
  assert.equal((await atEnd.exited).code, 0, atEnd.stderr);
  assert.match(atEnd.stderr, /belongs to another log/);
  assert.equal(atEnd.records.at(-1).ipmon.stats.lines_read, 3, 'only the lines appended after the start');
});

test('the same log under another path (a hard link; a rotated file next to it): resumed, each line counted once', async () => {
  const dir = newDir();
  const log = join(dir, 'ipmon.log');
  const state = join(dir, 'ipmon-flow.state');
  const g = generateTraffic({ seed: 29, connections: 150, concurrency: 40 });
  const [a, b, c, d] = chunks(g, 4);
  writeFileSync(log, a);
  const run1 = await followToEnd(log, state, ARGS);
  appendFileSync(log, b);
  // the same file under another name
  const alias = join(dir, 'alias.log');
  linkSync(log, alias);
  const run2 = await followToEnd(alias, state, ARGS);
  assert.match(run2.stderr, /was written while following .*ipmon\.log; .*alias\.log is that file; resuming/);
  assert.doesNotMatch(run2.stderr, /belongs to another log/);
  // rotated while stopped, then followed through another spelling of the directory (a symlink):
  // the checkpointed file is found next to the new path by its inode and finished first
  unlinkSync(alias);
  appendFileSync(log, c);
  renameSync(log, `${log}.1`);
  writeFileSync(log, d);
  const via = join(tmp, `via-${dirN}`);
  symlinkSync(dir, via);
  const run3 = await followToEnd(join(via, 'ipmon.log'), state, ARGS);
  assert.match(run3.stderr, /that file is next to .*ipmon\.log, rotated \(.*ipmon\.log\.1\); resuming/);
  assert.match(run3.stderr, /rotated while stopped; finishing .*ipmon\.log\.1 first/);
  assert.doesNotMatch(run3.stderr, /belongs to another log/);
  assertMatchesTruth(lastWins([...run1.records, ...run2.records, ...run3.records]), g);
  assert.equal(run3.records.at(-1).ipmon.stats.lines_read, g.lines.length);
});

test('the followed file gone while stopped: a warning, the new file from its start, no crash', async () => {
  const dir = newDir();
  const log = join(dir, 'ipmon.log');
  const state = join(dir, 'ipmon-flow.state');
  const g = generateTraffic({ seed: 25, connections: 60, concurrency: 20 });
  const [a, , c] = chunks(g, 3);
  writeFileSync(log, a);
  const run1 = startCli(['--follow', log, '--state', state, ...ARGS]);
  await waitConsumed(state, log);
  run1.signal('SIGTERM');
  await run1.exited;
  unlinkSync(log);
  writeFileSync(log, c);
  const run2 = startCli(['--follow', log, '--state', state, ...ARGS]);
  await waitConsumed(state, log);
  run2.signal('SIGTERM');
  assert.equal((await run2.exited).code, 0, run2.stderr);
  // a new file may even get the old inode back: then its first bytes tell them apart
  assert.match(run2.stderr, /is gone; lines written to it after the checkpoint are lost|was truncated or replaced while stopped/);
  const lines = (s) => s.split('\n').length - 1;
  assert.equal(run2.records.at(-1).ipmon.stats.lines_read, lines(a) + lines(c));
});

test('a corrupt, truncated, foreign or newer state file: a warning and a fresh start with correct numbers', async () => {
  const dir = newDir();
  const log = join(dir, 'ipmon.log');
  const state = join(dir, 'good.state');
  const g = generateTraffic({ seed: 26, connections: 80, concurrency: 20 });
  writeFileSync(log, g.text);
  const run = startCli(['--follow', log, '--state', state, ...ARGS]);
  await waitConsumed(state, log);
  run.signal('SIGTERM');
  await run.exited;
  const good = readFileSync(state);
  const parsed = decodeState(good);
  const expected = (await correlate(g.text, { year: 2024 })).filter((r) => r.ipmon.record_type === 'flow');

  const variants = {
    'checksum mismatch': (() => {
      const b = Buffer.from(good);
      b[Math.floor(b.length / 2)] ^= 0x10;
      return b;
    })(),
    truncated: good.subarray(0, Math.floor(good.length / 2)),
    'not an ipmon-flow state file': Buffer.from(g.text.slice(0, 500)),
    empty: Buffer.alloc(0),
    'format version': (() => {
      const b = Buffer.from(good);
      b.writeUInt16LE(99, 8);
      return b;
    })(),
    // a well-formed file around an engine snapshot the module does not accept
    'cannot restore state': encodeState({ ...parsed, blob: Buffer.from('definitely not an engine snapshot') }),
  };
  for (const [why, bytes] of Object.entries(variants)) {
    const p = join(dir, `bad-${why.replaceAll(' ', '-')}.state`);
    writeFileSync(p, bytes);
    const r = startCli(['--follow', log, '--state', p, ...ARGS]);
    // the bad file is replaced by a good first checkpoint once the CLI is up
    await r.waitFor(() => readStateFile(p).state && !readFileSync(p).equals(bytes), `${why}: a fresh checkpoint`);
    r.signal('SIGTERM'); // what the file holds is still read before the exit
    assert.equal((await r.exited).code, 0, `${why}: ${r.stderr}`);
    assert.match(r.stderr, /is unusable/, why);
    if (why !== 'empty') assert.match(r.stderr, new RegExp(why), why);
    assert.deepEqual(flowsOf(r.records), expected, `${why}: a fresh start from the beginning gives exactly the batch result`);
  }
});

test('an unwritable state path fails at start-up with a clear message (exit 1)', () => {
  const dir = newDir();
  const log = join(dir, 'ipmon.log');
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, [CLI, '--follow', log, '--state', join(dir, 'missing-dir', 'x.state')], { encoding: 'utf8', timeout: WAIT_MS });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot write the state file .*x\.state: ENOENT/);
  assert.equal(existsSync(join(dir, 'missing-dir')), false);
});

test('quiet time goes on across a restart: a flow open at the stop still ends by idle timeout', async () => {
  const dir = newDir();
  const log = join(dir, 'ipmon.log');
  const state = join(dir, 'ipmon-flow.state');
  writeFileSync(log, '03/03/2024 08:00:00.000000 em0 @0:1 p 10.0.0.1,5000 -> 10.0.0.2,53 PR udp len 20 60 IN\n');
  const args = ['--follow', log, '--state', state, '--year', '2024', '--from-start', '--poll-interval', '0.02', '--state-interval', '0.05',
    '--udp-timeout', '3', '--sweep-lag', '0'];
  const run1 = startCli(args);
  await waitConsumed(state, log);
  run1.signal('SIGTERM');
  await run1.exited;
  assert.equal(flowsOf(run1.records)[0].ipmon.end_reason, 'forced_end', 'written at the stop, provisionally');
  const run2 = startCli(args);
  await run2.waitFor((r) => flowsOf(r.records).length === 1, 'the flow to time out after the restart');
  const [flow] = flowsOf(run2.records);
  assert.equal(flow.ipmon.end_reason, 'idle_timeout');
  assert.equal(flow.event.id, flowsOf(run1.records)[0].event.id, 'the same flow, the same id');
  run2.signal('SIGTERM');
  assert.equal((await run2.exited).code, 0);
  assert.equal(flowsOf(run2.records).length, 1);
});
