// Follow mode and clean shutdown: start at the end, quiet logs still report flows on time,
// SIGTERM/SIGINT flush every open flow, a file that appears later, stdin following, and the
// option rules. Waits are generous and nothing asserts how fast anything happened.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNdjson } from '../host/index.mjs';
import { CLI, flowsOf, killLeftovers, startCli, WAIT_MS } from './lib/live-cli.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'ipmon-flow-live-'));
test.after(async () => {
  await killLeftovers();
  rmSync(tmp, { recursive: true, force: true });
});

const FAST = ['--year', '2024', '--poll-interval', '0.02', '--state-interval', '0.05'];
const line = (t, body) => `03/03/2024 ${t} em0 @0:1 p ${body}`;
const udp = (t, a, b) => line(t, `${a} -> ${b} PR udp len 20 60 IN`);

async function waitForFile(path) {
  const t0 = Date.now();
  while (!existsSync(path)) {
    if (Date.now() - t0 > WAIT_MS) throw new Error(`${path} never appeared`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('starts at the end of the file, and reads a half-written last line whole', async () => {
  const log = join(tmp, 'end.log');
  const state = join(tmp, 'end.state');
  const old = udp('08:00:00.000000', '10.0.0.1,5000', '10.0.0.2,53');
  const next = udp('08:00:01.000000', '10.0.0.3,5000', '10.0.0.4,53');
  writeFileSync(log, `${old}\n${next.slice(0, 30)}`); // the writer is in the middle of a line
  const run = startCli(['--follow', log, '--state', state, ...FAST]);
  await waitForFile(state); // the first checkpoint is written once the start position is known
  appendFileSync(log, `${next.slice(30)}\n${udp('08:00:02.000000', '10.0.0.3,5000', '10.0.0.4,53')}\n`);
  // lines already in the file when the signal comes are still read
  run.signal('SIGTERM');
  assert.equal((await run.exited).code, 0, run.stderr);
  const flows = flowsOf(run.records);
  assert.equal(flows.length, 1, JSON.stringify(run.records));
  assert.equal(flows[0].source.ip, '10.0.0.3');
  assert.equal(flows[0].source.packets, 2);
  assert.equal(flows[0].ipmon.end_reason, 'forced_end');
  const stats = run.records.at(-1).ipmon.stats;
  assert.equal(stats.lines_read, 2);
  assert.equal(stats.unparsed_lines, 0);
});

test('a quiet log still reports flows within their timeout (wall clock drives event time)', async () => {
  const log = join(tmp, 'quiet.log');
  const tcp = (t, dir, flags, len = 52) => line(t, dir === 'o'
    ? `10.0.0.5,40000 -> 10.0.0.6,80 PR tcp len 20 ${len} -${flags} IN`
    : `10.0.0.6,80 -> 10.0.0.5,40000 PR tcp len 20 ${len} -${flags} OUT`);
  writeFileSync(log, [
    udp('09:00:00.000000', '10.0.0.1,5000', '10.0.0.2,53'),
    tcp('09:00:00.100000', 'o', 'S', 60),
    tcp('09:00:00.101000', 'r', 'AS', 60),
    tcp('09:00:00.102000', 'o', 'A'),
    tcp('09:00:00.200000', 'o', 'AF'),
    tcp('09:00:00.201000', 'r', 'AF'),
    tcp('09:00:00.202000', 'o', 'A'),
  ].join('\n') + '\n');
  const run = startCli(['--follow', log, '--from-start', ...FAST, '--udp-timeout', '2', '--close-grace', '1', '--sweep-lag', '0']);
  // no further line: only the wall clock can end these flows
  await run.waitFor((r) => flowsOf(r.records).length === 2, 'both flows to be reported while the log is quiet');
  const flows = flowsOf(run.records);
  const byProto = Object.fromEntries(flows.map((f) => [f.network.transport, f]));
  assert.equal(byProto.udp.ipmon.end_reason, 'idle_timeout');
  assert.equal(byProto.tcp.ipmon.end_reason, 'end_of_flow');
  assert.equal(byProto.tcp.ipmon.conn_state, 'SF');
  assert.equal(run.done, false, 'reported before any shutdown');
  run.signal('SIGTERM');
  assert.equal((await run.exited).code, 0);
  assert.equal(flowsOf(run.records).length, 2, 'nothing reported twice at shutdown');
  assert.equal(run.records.at(-1).ipmon.record_type, 'stats');
});

test('SIGINT, like SIGTERM, writes every open flow (forced_end) and the stats record', async () => {
  const log = join(tmp, 'int.log');
  const state = join(tmp, 'int.state');
  writeFileSync(log, `${udp('10:00:00.000000', '10.0.0.1,5000', '10.0.0.2,53')}\n`);
  const run = startCli(['--follow', log, '--from-start', '--state', state, ...FAST, '--sweep-lag', '86400']);
  await waitForFile(state); // signal handlers are in place by then
  appendFileSync(log, `${udp('10:00:01.000000', '10.0.0.7,5000', '10.0.0.8,53')}\n`);
  run.signal('SIGINT');
  assert.equal((await run.exited).code, 0, run.stderr);
  const flows = flowsOf(run.records);
  assert.deepEqual(flows.map((f) => f.source.ip).sort(), ['10.0.0.1', '10.0.0.7']);
  assert.ok(flows.every((f) => f.ipmon.end_reason === 'forced_end'));
  assert.equal(run.records.at(-1).ipmon.stats.lines_read, 2);
});

test('a file that does not exist yet is waited for, then read from its start', async () => {
  const log = join(tmp, 'later.log');
  const run = startCli(['--follow', log, ...FAST]);
  await run.waitFor((r) => /waiting for .*later\.log/.test(r.stderr), 'the waiting notice');
  writeFileSync(log, `${udp('11:00:00.000000', '10.0.0.1,5000', '10.0.0.2,53')}\n`);
  await run.waitFor((r) => /appeared/.test(r.stderr), 'the file to be noticed');
  run.signal('SIGTERM');
  assert.equal((await run.exited).code, 0);
  assert.equal(flowsOf(run.records).length, 1);
});

test('--follow - reads stdin: the end of stdin flushes everything, as in batch mode', () => {
  const text = [
    udp('12:00:00.000000', '10.0.0.1,5000', '10.0.0.2,53'),
    udp('12:05:00.000000', '10.0.0.3,5000', '10.0.0.4,53'),
    udp('12:05:01.000000', '10.0.0.3,5000', '10.0.0.4,53'),
  ].join('\n'); // no final newline: the last line still counts
  const live = spawnSync(process.execPath, [CLI, '--follow', '-', '--year', '2024'], { input: text, timeout: WAIT_MS });
  const batch = spawnSync(process.execPath, [CLI, '--year', '2024'], { input: text, timeout: WAIT_MS });
  assert.equal(live.status, 0, live.stderr.toString());
  assert.deepEqual(parseNdjson(live.stdout), parseNdjson(batch.stdout));
  assert.equal(parseNdjson(live.stdout).at(-1).ipmon.stats.lines_read, 3);
});

test('--follow - sweeps a quiet pipe too', async () => {
  const run = startCli(['--follow', '-', '--year', '2024', '--udp-timeout', '1', '--sweep-lag', '0'], { stdin: 'pipe' });
  run.child.stdin.write(`${udp('13:00:00.000000', '10.0.0.1,5000', '10.0.0.2,53')}\n`);
  await run.waitFor((r) => flowsOf(r.records).length === 1, 'the flow to time out on a quiet pipe');
  assert.equal(flowsOf(run.records)[0].ipmon.end_reason, 'idle_timeout');
  run.child.stdin.end();
  assert.equal((await run.exited).code, 0);
  assert.equal(run.records.at(-1).ipmon.record_type, 'stats');
});

test('batch mode: SIGTERM on a pipe writes the open flows and stats, exit 143', async () => {
  const run = startCli(['--year', '2024'], { stdin: 'pipe' });
  run.child.stdin.write([
    udp('14:00:00.000000', '10.0.0.1,5000', '10.0.0.2,53'),
    udp('14:05:00.000000', '10.0.0.3,5000', '10.0.0.4,53'), // ends the first flow (idle)
    // half a line: the signal cuts it off, it must not be counted
    udp('14:05:01.000000', '10.0.0.3,5000', '10.0.0.4,53').slice(0, 40),
  ].join('\n'));
  await run.waitFor((r) => flowsOf(r.records).length === 1, 'the first flow');
  run.signal('SIGTERM');
  const { code } = await run.exited;
  assert.equal(code, 143);
  const flows = flowsOf(run.records);
  assert.equal(flows.length, 2);
  assert.equal(flows[1].ipmon.end_reason, 'forced_end');
  assert.equal(run.records.at(-1).ipmon.stats.lines_read, 2);
  assert.match(run.stderr, /ignored an unfinished last line/);
});

test('option rules: bad combinations exit 2 with a message', () => {
  const cases = [
    [['--state', 's'], /--state needs --follow FILE/],
    [['--follow', '-', '--state', 's'], /--state needs --follow FILE/],
    [['--follow', 'a.log', 'b.log'], /--follow takes one file/],
    [['--from-start'], /--from-start needs --follow FILE/],
    [['--output', 'kafka'], /--output must be ndjson or elasticsearch/],
    [['--es-url', 'http://127.0.0.1:9'], /--es-url needs --output elasticsearch/],
    [['--output', 'elasticsearch'], /needs --es-url/],
    [['--follow', 'x', '--sweep-lag=-1'], /--sweep-lag needs a number of seconds/],
  ];
  for (const [args, msg] of cases) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: WAIT_MS, env: { ...process.env, IPMON_FLOW_ES_URL: '' } });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, msg);
    assert.equal(r.stdout, '');
  }
});
