// Scan records (issue 9): a hand-checked fixture, then generated scanners, sweeps, busy
// clients and a spoofed-source flood, with the truth from host-test/lib/scangen.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { correlate } from '../host/index.mjs';
import { ofType, projectFlow } from './lib/project.mjs';
import { generateScans } from './lib/scangen.mjs';
import { generateTraffic } from './lib/generator.mjs';
import { FluentBitPipeline } from './lib/fluentbit-emulator.mjs';

const fixture = (name) => new URL(`../fixtures/${name}`, import.meta.url);

const projectScan = (r) => ({
  action: r.event.action,
  observer: r.observer.hostname,
  source: r.source.ip,
  destination: r.destination?.ip ?? r.destination?.port ?? null,
  transport: r.network?.transport ?? null,
  start: r.event.start,
  end: r.event.end,
  ...r.ipmon.scan,
});

const distinct = (r) => r.ipmon.scan.distinct_ports ?? r.ipmon.scan.distinct_hosts;

test('fixture scans.log gives exactly the hand-checked scan records', async () => {
  // fixtures/scans.log, one firewall (fw-edge):
  // - 203.0.113.9 tries 18 ports of 192.0.2.10, one every 2 s from 10:00:00; 17 blocked, 443
  //   passed and answered with RST (REJ: rejected). The 15th distinct port (993 at 10:00:28)
  //   crosses port_scan_threshold 15: the "ongoing" record ends there with 15 attempts (14
  //   blocked, 1 rejected); the "ended" one has all 18 (last at 10:00:34).
  // - 2001:db8:bad::7 sends unanswered SYNs to port 22 of 26 hosts, one a second from
  //   10:01:00: the 25th (10:01:24) crosses address_scan_threshold 25; 26 in the end.
  // - 10.0.0.8 opens 30 answered connections to 30 hosts on 443: not a scan.
  // - 198.51.100.77 tries 20 ports every 25 s: at most 13 fall in one 300 s window.
  const expected = JSON.parse(readFileSync(fixture('scans.expected.json'), 'utf8'));
  const records = await correlate(readFileSync(fixture('scans.log')), expected.config);
  const scans = ofType(records, 'scan');
  assert.deepEqual(scans.map(projectScan), expected.scans);
  // each episode's two records share one event.id, and episodes differ
  assert.equal(scans[0].event.id, scans[2].event.id);
  assert.equal(scans[1].event.id, scans[3].event.id);
  assert.notEqual(scans[0].event.id, scans[1].event.id);
  for (const s of scans) {
    assert.deepEqual(s.event.category, ['network', 'intrusion_detection']);
    assert.deepEqual(s.event.type, ['info']);
    assert.equal(s.event.dataset, 'ipmon.scan');
  }
  const stats = ofType(records, 'stats')[0].ipmon.stats;
  assert.equal(stats.scan_records, 4);
  assert.equal(stats.scan_episodes, 2);
  assert.equal(stats.lines_read, 155);
  assert.equal(stats.flow_lines, 155);
  assert.equal(ofType(records, 'flow').reduce((n, f) => n + f.ipmon.lines, 0), 155);
});

test('scan detection leaves the flow records exactly as they are; scan_detection: false writes none', async () => {
  const text = readFileSync(fixture('scans.log'));
  const on = await correlate(text, { year: 2026 });
  const off = await correlate(text, { year: 2026, scan_detection: false });
  assert.deepEqual(ofType(on, 'flow').map(projectFlow), ofType(off, 'flow').map(projectFlow));
  assert.deepEqual(ofType(on, 'flow').map((f) => f.event.id), ofType(off, 'flow').map((f) => f.event.id));
  assert.equal(ofType(off, 'scan').length, 0);
  assert.equal(ofType(off, 'stats')[0].ipmon.stats.scan_records, 0);
});

test('generated scanners and sweeps: one episode each above the threshold, exact counts; none below; busy clients none', async () => {
  for (const seed of [1, 2, 3]) {
    const g = generateScans({ seed, portScanners: 6, sweepers: 6, busyClients: 4 });
    const records = await correlate(g.text, { year: 2024 });
    const scans = ofType(records, 'scan');
    const want = g.scanners.filter((s) => s.distinct >= (s.kind === 'port_scan' ? 15 : 25));
    assert.equal(scans.length, want.length * 2, `seed ${seed}: two records per episode`);
    for (const s of want) {
      const mine = scans.filter((r) => r.source.ip === s.src);
      assert.equal(mine.length, 2, `seed ${seed}: ${s.src}`);
      const [first, last] = mine;
      assert.equal(first.event.action, s.kind);
      assert.equal(first.event.id, last.event.id);
      assert.equal(first.ipmon.scan.status, 'ongoing');
      assert.equal(distinct(first), s.kind === 'port_scan' ? 15 : 25);
      assert.equal(last.ipmon.scan.status, 'ended');
      assert.equal(distinct(last), s.distinct);
      assert.equal(last.ipmon.scan.attempts, s.attempts);
      assert.equal(last.ipmon.scan.blocked, s.attempts);
      assert.equal(last.ipmon.scan.distinct_exact, s.distinct <= 64);
      if (s.kind === 'port_scan') assert.equal(last.destination.ip, s.target);
      else assert.equal(last.destination.port, s.target);
    }
    const flowLines = ofType(records, 'flow').reduce((n, f) => n + f.ipmon.lines, 0);
    assert.equal(flowLines, g.lines, 'every line counted in a flow');
  }
});

test('a spoofed-source flood cannot grow the tracker; the scanners in it are still found', async () => {
  const g = generateScans({ seed: 9, portScanners: 2, sweepers: 2, busyClients: 1, floodSources: 30000 });
  const records = await correlate(g.text, { year: 2024, capacity: 65536 });
  const stats = ofType(records, 'stats')[0].ipmon.stats;
  assert.ok(stats.scan_candidates_evicted > 0, 'the flood filled the tracker');
  assert.equal(stats.scans_tracked, 0, 'all ended at the end of input');
  assert.equal(ofType(records, 'flow').reduce((n, f) => n + f.ipmon.lines, 0), g.lines);
  // scanners whose attempts come often enough stay recently seen and keep their candidates
  const want = g.scanners.filter((s) => s.distinct >= (s.kind === 'port_scan' ? 15 : 25));
  const scans = ofType(records, 'scan');
  const found = new Set(scans.map((r) => r.source.ip));
  for (const s of want) {
    assert.ok(found.has(s.src), `${s.src} found under the flood`);
    const last = scans.filter((r) => r.source.ip === s.src).at(-1);
    // a candidate opened while the flood evicted others may have lost its first attempts,
    // and then says so: exact counts are exact, others are lower bounds
    if (last.ipmon.scan.distinct_exact) assert.equal(distinct(last), s.distinct, `${s.src}: every target counted`);
    else assert.ok(distinct(last) <= s.distinct && distinct(last) >= s.distinct - 3, `${s.src}: ${distinct(last)} of ${s.distinct}`);
  }
  for (const ip of found) assert.ok(!ip.startsWith('100.'), 'no spoofed one-shot source is a scanner');
});

test('generated everyday traffic (several firewalls, IPv6, ICMP) holds no scans', async () => {
  const g = generateTraffic({ seed: 5, connections: 2000, concurrency: 80, format: 'mixed', observers: ['fw1', 'fw2'] });
  const records = await correlate(g.text, { year: 2024 });
  assert.deepEqual(ofType(records, 'scan').map(projectScan), []);
});

test('Fluent Bit (the module behind the real split.lua) writes the same scan records as the CLI', async () => {
  const text = readFileSync(fixture('scans.log'), 'utf8');
  const pipe = new FluentBitPipeline();
  const wall = Date.UTC(2026, 10, 28, 9, 0, 0) * 1000;
  const out = [...pipe.push('fw.tick', wall - 1, { ipmon_flow: { year: 2026 } })];
  text.split('\n').filter(Boolean).forEach((line, i) => out.push(...pipe.push('fw.ipmon', wall + i, { log: line })));
  out.push(...pipe.push('fw.tick', wall + 1e6, { ipmon_flow: 'flush' }));
  const cli = ofType(await correlate(text, { year: 2026 }), 'scan');
  const fb = ofType(out, 'scan');
  assert.equal(fb.length, 4);
  assert.deepEqual(fb, cli);
});
