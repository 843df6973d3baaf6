// Engine behaviours that the fixtures do not pin down: fragments, port reuse, event time,
// several firewalls in one stream, dates, active timeout, snapshot/restore.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correlate, FlowEngine, parseNdjson } from '../host/index.mjs';
import { ofType } from './lib/project.mjs';

const flowsOf = async (lines, config = {}) => ofType(await correlate(lines.join('\n') + '\n', config), 'flow');

test('non-first fragments are counted in the flow of their first fragment', async () => {
  const flows = await flowsOf([
    '26/07/2021 09:21:00.700001 e1000g0 @0:10 p 10.50.1.60,2049 -> 10.50.12.32,1023 PR udp len 20 1500 K-F IN',
    '26/07/2021 09:21:00.700015 e1000g0 @0:10 p 10.50.1.60 -> 10.50.12.32 PR udp len 20 (1500) (frag 48879:1480@1480+) K-F IN',
    '26/07/2021 09:21:00.700029 e1000g0 @0:10 p 10.50.1.60 -> 10.50.12.32 PR udp len 20 (596) (frag 48879:576@2960) K-F IN',
    '26/07/2021 09:21:00.800029 e1000g0 @0:10 p 10.50.12.32,1023 -> 10.50.1.60,2049 PR udp len 20 100 K-F OUT',
    // a fragment from a host with no open flow keeps its own (port-less) flow
    '26/07/2021 09:21:00.900029 e1000g0 @0:10 p 10.50.1.61 -> 10.50.12.32 PR udp len 20 (596) (frag 4:576@2960) K-F IN',
  ]);
  assert.equal(flows.length, 2);
  assert.deepEqual([flows[0].source.packets, flows[0].source.bytes, flows[0].ipmon.lines], [3, 3596, 4]);
  assert.equal(flows[1].source.port, undefined);
  assert.equal(flows[1].network.bytes, 596);
});

test('port reuse: a SYN on a closed tuple starts a new flow at once', async () => {
  const l = (t, dir, flags, len = 52) =>
    dir === '>'
      ? `03/03/2024 10:00:${t} em0 @0:1 p 10.0.0.5,40000 -> 10.0.0.80,80 PR tcp len 20 ${len} -${flags} IN`
      : `03/03/2024 10:00:${t} em0 @0:1 p 10.0.0.80,80 -> 10.0.0.5,40000 PR tcp len 20 ${len} -${flags} OUT`;
  const flows = await flowsOf([
    l('00.000000', '>', 'S', 60), l('00.001000', '<', 'AS', 60), l('00.002000', '>', 'A'),
    l('01.000000', '>', 'AF'), l('01.001000', '<', 'AF'), l('01.002000', '>', 'A'),
    l('02.000000', '>', 'S', 60), l('02.001000', '<', 'AS', 60), l('02.002000', '>', 'AR', 40),
  ]);
  assert.equal(flows.length, 2);
  assert.deepEqual(flows.map((f) => [f.ipmon.conn_state, f.ipmon.history, f.ipmon.end_reason]), [
    ['SF', 'ShAFf', 'end_of_flow'],
    ['RSTO', 'ShR', 'forced_end'],
  ]);
  assert.equal(flows[0].event.end, '2024-03-03T10:00:01.001000Z', 'the trailing ACK is counted, not timed');
  assert.equal(flows[0].source.packets, 4);
});

test('event time: a replayed log expires flows by its own clock, not the wall clock', async () => {
  const flows = await flowsOf([
    '03/03/2001 10:00:00.000000 em0 @0:1 p 10.0.0.5,5353 -> 10.0.0.53,53 PR udp len 20 60 IN',
    '03/03/2001 10:00:59.000000 em0 @0:1 p 10.0.0.5,5354 -> 10.0.0.53,53 PR udp len 20 60 IN',
    '03/03/2001 10:01:00.000000 em0 @0:1 p 10.0.0.5,5355 -> 10.0.0.53,53 PR udp len 20 60 IN',
  ]);
  assert.deepEqual(flows.map((f) => [f.source.port, f.ipmon.end_reason]), [
    [5353, 'idle_timeout'], // 60 s after its packet, when the 10:01:00 line arrives
    [5354, 'forced_end'],
    [5355, 'forced_end'],
  ]);
});

test('the same tuple on two firewalls is two flows', async () => {
  const flows = await flowsOf([
    'Mar  3 10:00:00 fw1 ipmon[1]: 10:00:00.000000 em0 @0:1 p 10.0.0.5,5353 -> 10.0.0.53,53 PR udp len 20 60 IN',
    'Mar  3 10:00:00 fw2 ipmon[1]: 10:00:00.000100 em0 @0:1 p 10.0.0.5,5353 -> 10.0.0.53,53 PR udp len 20 60 IN',
    'Mar  3 10:00:00 fw1 ipmon[1]: 10:00:00.010000 em0 @0:1 p 10.0.0.53,53 -> 10.0.0.5,5353 PR udp len 20 90 OUT',
  ], { year: 2024 });
  assert.deepEqual(flows.map((f) => [f.observer.hostname, f.network.packets]).sort(), [['fw1', 2], ['fw2', 1]]);
});

test('syslog dates: the year advances at New Year, the previous day before midnight', async () => {
  const flows = await flowsOf([
    'Dec 31 23:59:59 fw1 ipmon[1]: 23:59:59.900000 em0 @0:1 p 10.0.0.1,1 -> 10.0.0.2,53 PR udp len 20 60 IN',
    'Jan  1 00:00:01 fw1 ipmon[1]: 23:59:59.950000 em0 @0:1 p 10.0.0.1,2 -> 10.0.0.2,53 PR udp len 20 60 IN',
    'Jan  1 00:00:02 fw1 ipmon[1]: 00:00:02.000000 em0 @0:1 p 10.0.0.1,3 -> 10.0.0.2,53 PR udp len 20 60 IN',
  ], { year: 2025 });
  assert.deepEqual(flows.map((f) => f.event.start).sort(), [
    '2025-12-31T23:59:59.900000Z', '2025-12-31T23:59:59.950000Z', '2026-01-01T00:00:02.000000Z',
  ]);
});

test('utc_offset converts the firewall local time', async () => {
  const [f] = await flowsOf(['03/03/2024 10:00:00.000000 em0 @0:1 p 10.0.0.1,1 -> 10.0.0.2,53 PR udp len 20 60 IN'], { utc_offset: '+02:00' });
  assert.equal(f.event.start, '2024-03-03T08:00:00.000000Z');
});

test('active timeout: a long flow is reported in parts that add up', async () => {
  const lines = [];
  for (let m = 0; m < 10; m++) lines.push(`03/03/2024 10:0${m}:00.000000 em0 @0:1 p 10.0.0.1,5000 -> 10.0.0.2,53 PR udp len 20 100 IN`);
  const flows = await flowsOf(lines, { active_timeout: 180, udp_timeout: 600 });
  assert.deepEqual(flows.map((f) => f.ipmon.end_reason), ['active_timeout', 'active_timeout', 'active_timeout', 'forced_end']);
  assert.deepEqual(flows.map((f) => f.source.packets), [3, 3, 3, 1]);
  assert.equal(flows[0].event.type.includes('end'), false);
  assert.equal(flows[1].ipmon.continued, true);
});

test('snapshot and restore at any line give exactly the uninterrupted output', async () => {
  const lines = [];
  for (let i = 0; i < 300; i++) {
    const s = String(i % 60).padStart(2, '0');
    const m = String(Math.floor(i / 60)).padStart(2, '0');
    lines.push(`Mar  3 10:${m}:${s} fw${i % 2} ipmon[1]: 10:${m}:${s}.000000 em0 @0:${i % 5} p 10.0.${i % 7}.1,${1000 + (i % 13)} -> 10.0.0.2,${i % 3 ? 53 : 80} PR ${i % 3 ? 'udp' : 'tcp'} len 20 60${i % 3 ? '' : ' -S'} IN`);
  }
  const text = lines.join('\n') + '\n';
  // probe steps follow where flows sit in the index, which a restore rebuilds in its own order:
  // the one figure of the stats record that is not part of the output's truth
  const unprobed = (out) => out.replace(/"table_probe_steps":\d+/, '"table_probe_steps":-');
  const whole = new FlowEngine({ year: 2024 });
  const expected = unprobed(Buffer.concat([whole.push(text), whole.end()]).toString());
  for (const cut of [1, 77, 150, 299]) {
    const a = new FlowEngine({ year: 2024 });
    const out1 = a.push(lines.slice(0, cut).join('\n') + '\n');
    const b = new FlowEngine({ year: 2024 });
    const out2 = b.restore(a.snapshot());
    const out3 = Buffer.concat([b.push(lines.slice(cut).join('\n') + '\n'), b.end()]);
    assert.equal(unprobed(Buffer.concat([out1, out2, out3]).toString()), expected, `cut at ${cut}`);
  }
  const blob = new FlowEngine({ year: 2024 });
  blob.push(text);
  const good = blob.snapshot();
  const bad = Buffer.from(good);
  bad[bad.length >> 1] ^= 0xff;
  assert.throws(() => new FlowEngine().restore(bad), /checksum/);
  assert.throws(() => new FlowEngine().restore(good.subarray(0, 20)), /truncated/);
  assert.throws(() => new FlowEngine().restore(Buffer.from('{"not":"state"}')), /not an ipmon-flow state blob|truncated/);
  // flows that do not fit a smaller table are reported, not lost
  const small = new FlowEngine({ year: 2024, capacity: 16 });
  const evicted = parseNdjson(small.restore(good));
  const open = JSON.parse(blob.stats().toString()).ipmon.stats.flows_open;
  assert.equal(evicted.length, Math.max(0, open - 16));
});

test('binary and hostile input never traps and is accounted for', async () => {
  const junk = [
    Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]),
    Buffer.from('x'.repeat(200000) + '\n'),
    Buffer.from('26/07/2021 09:21:00.700001 e1000g0 @0:10 p 999.1.1.1,1 -> 1.1.1.1,2 PR udp len 20 60 IN\n'),
    Buffer.from('26/07/2021 09:21:00.700001 e1000g0 @0:10 p 1.1.1.1,99999 -> 1.1.1.1,2 PR udp len 20 60 IN\n'),
    Buffer.from('26/07/2021 09:21:00.700001 e1000g0 @0:10 p 1.1.1.1,1 -> 1.1.1.1,2 PR tcp len 20 60 -XYZ IN\n'),
    Buffer.from('26/07/2021 25:61:00.700001 e1000g0 @0:10 p 1.1.1.1,1 -> 1.1.1.1,2 PR udp len 20 60 IN\n'),
    Buffer.from('31/02/2021 09:21:00.700001 e1000g0 @0:10 p 1.1.1.1,1 -> 1.1.1.1,2 PR udp len 20 60 IN\n'),
    Buffer.from('26/07/2021 09:21:00.700001 e1000g0 @0:10 p 1.1.1.1,1 -> ::1,2 PR udp len 20 60 IN\n'),
    Buffer.from('\r\n\n   \n'),
  ];
  const records = await correlate(Buffer.concat(junk));
  const s = ofType(records, 'stats')[0].ipmon.stats;
  assert.equal(s.lines_read, 11);
  assert.equal(s.blank_lines, 3);
  assert.equal(s.unparsed_lines, 8);
  const unparsed = ofType(records, 'unparsed');
  assert.equal(unparsed.length, 8);
  assert.equal(unparsed[0].message, '\ufffd\ufffd\u0000A');
  for (const r of unparsed) assert.ok(r.error.message.length > 0);
});

test('one line with a wild timestamp is an outlier: it does not expire or freeze the other flows', async () => {
  const { generateTraffic } = await import('./lib/generator.mjs');
  const g = generateTraffic({ seed: 31, connections: 3000, concurrency: 400, format: 'file' });
  const bad = '01/01/2099 00:00:00.000000 em0 @0:1 p 192.0.2.250,4444 -> 198.51.100.250,53 PR udp len 20 60 IN';
  const mid = g.lines.length >> 1;
  const withBad = [...g.lines.slice(0, mid), bad, ...g.lines.slice(mid)].join('\n') + '\n';
  const clean = ofType(await correlate(g.text, { year: 2024 }), 'flow');
  const records = await correlate(withBad, { year: 2024 });
  const flows = ofType(records, 'flow');
  const key = (f) => `${f.event.id} ${f.ipmon.end_reason} ${f.network.packets}`;
  const outlier = flows.filter((f) => f.event.start.startsWith('2099'));
  assert.equal(outlier.length, 1);
  assert.deepEqual(flows.filter((f) => !f.event.start.startsWith('2099')).map(key).sort(), clean.map(key).sort());
  const stats = ofType(records, 'stats')[0].ipmon.stats;
  assert.equal(stats.clock_outliers, 1);
  assert.equal(stats.clock_steps, 0);
});

test('a real gap in the log (confirmed by the next line) moves the clock and ends the idle flows', async () => {
  const records = await correlate([
    '03/03/2024 10:00:00.000000 em0 @0:1 p 10.0.0.1,5000 -> 10.0.0.2,53 PR udp len 20 60 IN',
    '03/03/2024 13:00:00.000000 em0 @0:1 p 10.0.0.1,5001 -> 10.0.0.2,53 PR udp len 20 60 IN',
    '03/03/2024 13:00:01.000000 em0 @0:1 p 10.0.0.1,5002 -> 10.0.0.2,53 PR udp len 20 60 IN',
    '03/03/2024 13:02:00.000000 em0 @0:1 p 10.0.0.1,5003 -> 10.0.0.2,53 PR udp len 20 60 IN',
  ].join('\n') + '\n', {});
  const flows = ofType(records, 'flow');
  assert.deepEqual(flows.map((f) => [f.source.port, f.ipmon.end_reason]), [
    [5000, 'idle_timeout'], [5001, 'idle_timeout'], [5002, 'idle_timeout'], [5003, 'forced_end'],
  ]);
  const stats = ofType(records, 'stats')[0].ipmon.stats;
  assert.equal(stats.clock_steps, 1);
  assert.equal(stats.clock_outliers, 1);
});

test('a clock stepped back (confirmed) moves every timer with it: flows still end on time', async () => {
  const records = await correlate([
    '03/03/2024 12:00:00.000000 em0 @0:1 p 10.0.0.1,5000 -> 10.0.0.2,53 PR udp len 20 60 IN',
    '03/03/2024 10:00:00.000000 em0 @0:1 p 10.0.0.1,6000 -> 10.0.0.2,53 PR udp len 20 60 IN',
    '03/03/2024 10:00:01.000000 em0 @0:1 p 10.0.0.1,6001 -> 10.0.0.2,53 PR udp len 20 60 IN',
    '03/03/2024 10:02:00.000000 em0 @0:1 p 10.0.0.1,6002 -> 10.0.0.2,53 PR udp len 20 60 IN',
  ].join('\n') + '\n', {});
  const flows = ofType(records, 'flow');
  // 10:02 is more than 60 s after the step: the flows from before it have timed out
  assert.deepEqual(flows.map((f) => [f.source.port, f.ipmon.end_reason]).sort(), [
    [5000, 'idle_timeout'], [6000, 'idle_timeout'], [6001, 'idle_timeout'], [6002, 'forced_end'],
  ]);
  assert.equal(ofType(records, 'stats')[0].ipmon.stats.clock_steps, 1);
});

test('without a year, a log spanning New Year read in January keeps December in the old year', async () => {
  const flows = await flowsOf([
    'Dec 31 23:59:58 fw1 ipmon[1]: 23:59:58.000000 em0 @0:1 p 10.0.0.1,1 -> 10.0.0.2,53 PR udp len 20 60 IN',
    'Jan  1 00:00:01 fw1 ipmon[1]: 00:00:01.000000 em0 @0:1 p 10.0.0.2,53 -> 10.0.0.1,1 PR udp len 20 60 OUT',
  ], { reference_time: Date.UTC(2027, 0, 2) / 1000 });
  assert.equal(flows.length, 1);
  assert.equal(flows[0].event.start, '2026-12-31T23:59:58.000000Z');
  assert.equal(flows[0].event.end, '2027-01-01T00:00:01.000000Z');
});

test('thousands of rule names cannot make two firewalls share a flow', async () => {
  const lines = [];
  for (let i = 0; i < 8200; i++) {
    lines.push(`Mar  3 10:00:00 fw0 ipmon[1]: 10:00:00.${String(i).padStart(6, '0')} em0 @g${i}:1 p 10.1.${i >> 8}.${i & 255},1000 -> 10.2.0.1,53 PR udp len 20 60 IN`);
  }
  lines.push('Mar  3 10:00:01 fwA ipmon[1]: 10:00:01.000000 em0 @0:1 p 10.0.0.1,5353 -> 10.0.0.2,53 PR udp len 20 60 IN');
  lines.push('Mar  3 10:00:01 fwB ipmon[1]: 10:00:01.000001 em0 @0:1 p 10.0.0.1,5353 -> 10.0.0.2,53 PR udp len 20 60 IN');
  const records = await correlate(lines.join('\n') + '\n', { year: 2024 });
  const pair = ofType(records, 'flow').filter((f) => f.source.ip === '10.0.0.1');
  assert.deepEqual(pair.map((f) => [f.observer.hostname, f.network.packets]).sort(), [['fwA', 1], ['fwB', 1]]);
  // rules past the pool's share are left out, never written as another rule's name
  const fw0 = ofType(records, 'flow').filter((f) => f.observer.hostname === 'fw0');
  assert.equal(fw0.length, 8200);
  const withRule = fw0.filter((f) => f.rule !== undefined);
  assert.ok(withRule.length > 7000 && withRule.length < 8200, `${withRule.length} flows kept their rule`);
  for (const f of withRule) {
    const [, b, c] = f.source.ip.split('.').map(Number).slice(1);
    assert.equal(f.rule.ruleset, `g${b * 256 + c}`);
  }
});
