// Router-shaped logs (issue 7): a packet is counted once however many lines it has.
//
// host-test/lib/router.mjs writes what gateways log (IN and OUT of every forwarded packet,
// interleaved; `L` lines with hex rows; hairpins; blocks at ingress and egress; the firewall's
// own packets; retried SYNs; ICMP errors; fragments; a one-interface host; three firewalls in
// time zones six hours apart in one relayed stream, adjacent lines swapped) with the exact
// conversations behind it. Checked here, over the whole module as the CLI and Fluent Bit run it:
//   (a) device router and auto: every conversation is one flow with exactly its packets and
//       bytes each way, action, interfaces, network.direction, ipmon.icmp_error and start time;
//   (b) device host: every packet line is a packet (an `L` still folds into its decision);
//   (c) conservation: every line is counted, folded into another line's packet, or forwarded;
//   (d) firewalls whose clocks are hours apart (no utc_offset given) neither expire nor freeze
//       each other's flows; per-logging-host settings (observers) apply to their host only;
//   (e) retried SYNs stay one flow; syn_retry "zeek" splits them as Zeek does;
//   (f) the Fluent Bit filter (real split.lua in a Lua VM) gives the CLI's flows.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { correlate, parseNdjson } from '../host/index.mjs';
import { generateRouterTraffic } from './lib/router.mjs';
import { FluentBitPipeline } from './lib/fluentbit-emulator.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'host/cli.mjs');
const GENERATOR = join(ROOT, 'host-test/lib/generator.mjs');
const YEAR = 2024;
const SEC = 1_000_000;
const ZONES = { 'fw-paris': { utc_offset: '+01:00' }, 'fw-nyc': { utc_offset: '-05:00' } };
const TZ_MIN = { 'fw-paris': 60, 'fw-nyc': -300, web1: 0 };

const gen = generateRouterTraffic({ seed: 5, conversations: 4000, concurrency: 400 });

// ---------------------------------------------------------------------------------------------
// helpers

/** µs since the epoch of an RFC 3339 time with microseconds. */
const usOf = (iso) => Date.parse(iso.slice(0, 23) + 'Z') * 1000 + Number(iso.slice(23, 26));

/** Direction-independent key of a conversation. */
function convKey(obs, transport, a, ap, b, bp, icmpType) {
  const x = `${a} ${ap ?? ''}`, y = `${b} ${bp ?? ''}`;
  return `${obs} ${transport} ${x < y ? x + '|' + y : y + '|' + x} ${icmpType ?? ''}`;
}
const keyOfTruth = (t) => convKey(t.observer, t.transport, t.src_ip, t.src_port, t.dst_ip, t.dst_port, t.icmp_type);
const keyOfFlow = (f) => convKey(f.observer?.hostname, f.network.transport, f.source.ip, f.source.port, f.destination.ip, f.destination.port, f.icmp?.type);

const flowsOf = (records) => records.filter((r) => r.ipmon?.record_type === 'flow');
const statsOf = (records) => records.filter((r) => r.ipmon?.record_type === 'stats').at(-1).ipmon.stats;

/** Flows grouped by conversation. */
function byConversation(flows) {
  const m = new Map();
  for (const f of flows) {
    const k = keyOfFlow(f);
    if (!m.has(k)) m.set(k, []);
    m.get(k).push(f);
  }
  for (const list of m.values()) list.sort((a, b) => usOf(a.event.start) - usOf(b.event.start));
  return m;
}

/** What a flow says about a conversation (counts from the originator's view). */
function viewOf(f) {
  return {
    src_ip: f.source.ip,
    src_packets: f.source.packets, src_bytes: f.source.bytes,
    dst_packets: f.destination.packets, dst_bytes: f.destination.bytes,
  };
}

/**
 * Compares every conversation with its single flow; `counts(t)` picks the expected counts,
 * `extra(t, f)` more fields. Returns the conversations that differ (for one clear message).
 */
function mismatches(truth, flows, counts, extra = () => ({})) {
  const got = byConversation(flows);
  const bad = [];
  for (const t of truth) {
    const k = keyOfTruth(t);
    const fs = got.get(k) ?? [];
    got.delete(k);
    const want = { flows: 1, src_ip: t.src_ip, ...counts(t), ...extra(t, null) };
    const have = fs.length === 1 ? { flows: 1, ...viewOf(fs[0]), ...extra(t, fs[0]) } : { flows: fs.length };
    try { assert.deepEqual(have, want); } catch { bad.push({ scenario: t.scenario, key: k, want, have }); }
  }
  for (const [k, fs] of got) bad.push({ key: k, extra: fs.length });
  return bad;
}

/** Every line is counted, folded into another line's packet, or forwarded (README: stats). */
function assertConservation(records, lines) {
  const s = statsOf(records);
  assert.equal(s.lines_read, lines.length, 'lines_read');
  assert.equal(s.blank_lines + s.flow_lines + s.folded_lines + s.uncorrelated_lines + s.other_lines + s.unparsed_lines, s.lines_read, 'every line in one bucket');
  assert.equal(s.folded_lines, s.folded_out_lines + s.folded_log_lines + s.folded_decision_lines, 'folded lines by kind');
  assert.equal(s.packet_lines, s.flow_lines + s.folded_lines + s.uncorrelated_lines, 'packet lines');
  assert.equal(s.unparsed_lines, 0, 'unparsed');
  assert.equal(s.uncorrelated_lines, 0, 'uncorrelated');
  assert.equal(s.other_lines, s.hexdump_lines, 'only hex rows are forwarded');
  assert.equal(s.hexdump_lines, gen.totals.hex, 'hex rows');
  const flows = flowsOf(records);
  assert.equal(flows.reduce((n, f) => n + f.ipmon.lines, 0), s.flow_lines, 'ipmon.lines over flows = flow_lines');
  assert.equal(flows.reduce((n, f) => n + f.network.packets, 0), s.packets, 'packets over flows = stats');
  assert.equal(flows.reduce((n, f) => n + f.network.bytes, 0), s.bytes, 'bytes over flows = stats');
  const forwarded = records.filter((r) => !['flow', 'stats'].includes(r.ipmon?.record_type)).length;
  assert.equal(forwarded, s.other_lines, 'one record per forwarded line');
  return s;
}

/** The fields a router adds, for device router and auto. */
function routerFields(t, f) {
  if (f === null) {
    return {
      action: t.action, ingress: t.ingress, egress: t.egress, direction: t.direction,
      icmp_error: t.icmp_error, start_us: t.start_us,
    };
  }
  const e = f.ipmon.icmp_error;
  return {
    action: f.ipmon.action,
    ingress: f.observer?.ingress?.interface?.name ?? null,
    egress: f.observer?.egress?.interface?.name ?? null,
    direction: f.network.direction,
    icmp_error: e ? { count: e.count, type: e.type, code: e.code } : null,
    start_us: usOf(f.event.start),
  };
}

const CONFIG = { year: YEAR, local_networks: ['private'], observers: ZONES };

/** The ipmon-flow CLI's records for a log, with a --config file, run as a user would. */
function runCli(text, config) {
  const dir = mkdtempSync(join(tmpdir(), 'ipmon-router-'));
  try {
    writeFileSync(join(dir, 'router.log'), text);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    return parseNdjson(execFileSync(process.execPath, [CLI, '--no-progress', '--config', join(dir, 'config.json'), join(dir, 'router.log')], { maxBuffer: 1 << 28 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

describe('router logs: each packet once', () => {
  for (const device of ['router', 'auto']) {
    test(`device ${device}: every conversation is one flow with its exact packets, bytes, action, interfaces, direction, ICMP errors`, async () => {
      assert.ok(gen.lines.length > 60_000, `${gen.lines.length} lines`);
      const records = await correlate(gen.text, { ...CONFIG, device });
      const bad = mismatches(gen.convs, flowsOf(records), (t) => t.router, routerFields);
      assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of ${gen.convs.length} conversations differ`);
      const s = assertConservation(records, gen.lines);
      assert.equal(s.packets, gen.totals.packets);
      assert.equal(s.bytes, gen.totals.bytes);
      // folded lines: the lines of a packet beyond its first, none counted twice
      assert.equal(s.flow_lines, gen.totals.packet_lines - s.folded_lines);
      if (device === 'auto') assert.equal(s.routers_judged, 2, 'fw-paris and fw-nyc judged routers, web1 (one interface) never');
    });
  }

  test('dense: 3,000 conversations at once (250k lines, fragment sets and pairing ring reused): every conversation exact', async () => {
    const g = generateRouterTraffic({ seed: 1, conversations: 10_000, concurrency: 3000 });
    assert.ok(g.lines.length > 200_000);
    const records = await correlate(g.text, { ...CONFIG, device: 'router' });
    const bad = mismatches(g.convs, flowsOf(records), (t) => t.router);
    assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of ${g.convs.length} conversations differ`);
    const s = statsOf(records);
    assert.equal(s.packets, g.totals.packets);
    assert.equal(s.lines_read, s.flow_lines + s.folded_lines + s.other_lines);
  });

  test('every scenario the generator knows is in the log', () => {
    const seen = new Set(gen.convs.map((t) => t.scenario));
    for (const s of ['tcp_out', 'tcp_in', 'tcp_syn_retry_linux', 'tcp_syn_retry_windows', 'tcp_hairpin', 'blocked_in', 'blocked_egress',
      'firewall_ntp', 'udp_dns', 'udp_refused', 'icmp_unreach', 'icmp_echo', 'icmp_log_only', 'udp_fragments', 'host_https', 'host_blocked']) {
      assert.ok(seen.has(s), s);
    }
    assert.ok(gen.totals.swapped > 100, `${gen.totals.swapped} adjacent lines swapped by the relay`);
    assert.ok(gen.lines.some((l) => / \dx /.test(l)), 'Nx repeats');
  });

  test('device host: every IN and OUT line is a packet; an L line still folds into its decision', async () => {
    const records = await correlate(gen.text, { ...CONFIG, device: 'host' });
    const s = assertConservation(records, gen.lines);
    assert.equal(s.packets, gen.totals.host_packets);
    assert.equal(s.bytes, gen.totals.host_bytes);
    assert.equal(s.folded_out_lines, 0, 'no IN/OUT pairing');
    // fragmented replies too: a tail's copy on the egress interface goes to the datagram its
    // first copy completed (same IP id), not to the other reply waiting for the same offset
    const bad = mismatches(gen.convs, flowsOf(records), (t) => t.host, (t, f) => (f === null
      ? { icmp_error: t.icmp_error_host }
      : { icmp_error: f.ipmon.icmp_error ? { count: f.ipmon.icmp_error.count, type: f.ipmon.icmp_error.type, code: f.ipmon.icmp_error.code } : null }));
    assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of ${gen.convs.length} conversations differ`);
  });

  test('firewalls six hours apart, no utc_offset given: no flow expires or freezes by another host\'s clock', async () => {
    // Without observers' utc_offset every host's local time is taken as UTC: fw-paris is an
    // hour ahead of web1, fw-nyc five hours behind. Each keeps its own clock, so the counts
    // stay exact and each flow starts at its host's local time.
    const records = await correlate(gen.text, { year: YEAR, device: 'auto' });
    const bad = mismatches(gen.convs, flowsOf(records), (t) => t.router, (t, f) => ({
      start_us: f === null ? t.start_us + TZ_MIN[t.observer] * 60 * SEC : usOf(f.event.start),
    }));
    assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of ${gen.convs.length} conversations differ`);
    const s = assertConservation(records, gen.lines);
    assert.equal(s.clock_steps, 0);
    assert.equal(s.clock_outliers, 0);
    assert.ok(flowsOf(records).some((f) => f.ipmon.end_reason === 'idle_timeout'), 'flows do expire on their own host\'s clock');
  });

  test('a firewall six hours ahead does not make another one\'s packets forget their OUT lines', async () => {
    // fwB logs 2,000 packets IN; fwA, whose clock is six hours ahead, logs 2,000 lines OUT
    // (its own packets); then fwB's OUT lines come. Pairing state is shared by all hosts
    // (hash buckets), so fwA's lines meet fwB's waiting packets: they must not take them for
    // stale by fwA's clock.
    const N = 2000;
    const at = (h, us) => `Mar  3 ${h}:00:00 ${h === '16' ? 'fwA' : 'fwB'} ipmon[1]: ${h}:00:00.${String(us).padStart(6, '0')} `;
    const lines = [];
    const b = (i) => `10.0.${i >> 8}.${i & 255},${20000 + i} -> 198.51.100.1,443 PR tcp len 20 60 -S`;
    for (let i = 0; i < N; i++) lines.push(at('10', 100000 + i) + `em0 @0:1 p ${b(i)} IN`);
    for (let i = 0; i < N; i++) lines.push(at('16', 100000 + i) + `em1 @0:1 p 192.0.2.1,${20000 + i} -> 203.0.113.9,53 PR udp len 20 60 OUT`);
    for (let i = 0; i < N; i++) lines.push(at('10', 100010 + i) + `em1 @0:1 p ${b(i)} OUT`);
    for (const device of ['router', 'auto']) {
      const records = await correlate(lines.join('\n') + '\n', { year: YEAR, device });
      const s = statsOf(records);
      assert.equal(s.packets, 2 * N, device);
      assert.equal(s.folded_out_lines, N, device);
    }
  });

  test('a relay\'s batches (hosts by turns a few hundred ms behind) do not ratchet the clocks ahead', async () => {
    // fw-a logs a SYN and, 3 s later, its retry (Windows) and is otherwise quiet, so its clock
    // follows the stream. fw-b and fw-c reach the relay in batches, each by turns 0.2 s behind
    // the other: lags that small are jitter, not slower clocks, and must not push the stream
    // (and fw-a's clock with it) ahead of the time the lines carry.
    const at = (host, us) => {
      const s = Math.floor(us / 1e6);
      const hms = `10:00:${String(s).padStart(2, '0')}`;
      return `Mar  3 ${hms} ${host} ipmon[1]: ${hms}.${String(us % 1e6).padStart(6, '0')} `;
    };
    const udp = (host, us, port) => at(host, us) + `em0 @0:1 p 10.0.0.1,${port} -> 10.0.0.2,53 PR udp len 20 60 IN`;
    const syn = (us) => at('fw-a', us) + 'em0 @0:1 p 10.0.0.9,40000 -> 198.51.100.2,443 PR tcp len 20 60 -S IN';
    const lines = [syn(0)];
    let port = 3000;
    for (let k = 0; k < 29; k++) {
      // by turns: one host's batch first, then the other's, which starts 80 ms further back
      const [first, second] = k % 2 ? ['fw-b', 'fw-c'] : ['fw-c', 'fw-b'];
      const base = 10_000 + k * 100_000;
      lines.push(udp(first, base + 85_000, port++), udp(first, base + 90_000, port++));
      lines.push(udp(second, base + 5_000, port++), udp(second, base + 95_000, port++));
    }
    lines.push(syn(3_000_000));
    const records = await correlate(lines.join('\n') + '\n', { year: YEAR });
    const attempt = flowsOf(records).filter((f) => f.source.port === 40000);
    assert.equal(attempt.length, 1, 'one attempt, retry included');
    assert.equal(attempt[0].source.packets, 2);
  });

  test('New Year on one firewall while the other is still in the afternoon: every conversation exact', async () => {
    // 22:59 UTC on 31 December: fw-paris (+01:00) logs into 2025 within the first minute,
    // fw-nyc (-05:00) stays on 31 December 2024; syslog dates carry no year.
    const g = generateRouterTraffic({ seed: 12, conversations: 1500, concurrency: 300, startUs: Date.UTC(2024, 11, 31, 22, 59, 0) * 1000 });
    assert.ok(g.lines.some((l) => l.startsWith('Jan  1 00:') && l.includes(' fw-paris ')) && g.lines.some((l) => l.startsWith('Dec 31 1') && l.includes(' fw-nyc ')));
    const records = await correlate(g.text, { ...CONFIG, device: 'auto' });
    const bad = mismatches(g.convs, flowsOf(records), (t) => t.router, (t, f) => ({ start_us: f === null ? t.start_us : usOf(f.event.start) }));
    assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of ${g.convs.length} conversations differ`);
    assert.equal(statsOf(records).packets, g.totals.packets);
  });

  test('per-logging-host settings: fw-paris a router at +01:00, fw-nyc at -05:00 with the top-level device host', async () => {
    const config = {
      year: YEAR,
      device: 'host',
      observers: { 'fw-paris': { utc_offset: '+01:00', device: 'router', local_networks: ['10.1.0.0/16', '172.16.1.0/24'] }, 'fw-nyc': { utc_offset: '-05:00' } },
    };
    const records = await correlate(gen.text, config);
    const bad = mismatches(gen.convs, flowsOf(records), (t) => (t.observer === 'fw-paris' ? t.router : t.host), (t, f) => (f === null
      ? { start_us: t.start_us, direction: t.observer === 'fw-paris' ? t.direction : undefined }
      : { start_us: usOf(f.event.start), direction: f.network.direction }));
    assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of ${gen.convs.length} conversations differ`);
    assertConservation(records, gen.lines);
  });

  test('retried SYNs (Linux 1-32 s, Windows 3, 6 s) stay one flow with their late SYN-ACK; syn_retry "zeek" splits them as Zeek does', async () => {
    const retried = gen.convs.filter((t) => t.zeek);
    assert.ok(retried.some((t) => t.zeek.length >= 4), 'Linux retries up to 32 s apart');
    assert.ok(retried.some((t) => t.scenario.endsWith('windows') && t.zeek.length === 2), 'Windows retry at 9 s');
    // default: covered conversation by conversation above; here the attempt's flow itself
    const one = byConversation(flowsOf(await correlate(gen.text, { ...CONFIG, device: 'router' })));
    for (const t of retried) {
      const fs = one.get(keyOfTruth(t));
      assert.equal(fs.length, 1, t.scenario);
      assert.equal(fs[0].ipmon.syn_seen, true);
      assert.match(fs[0].ipmon.history, /^Sh/);
    }
    const zeek = await correlate(gen.text, { ...CONFIG, device: 'router', syn_retry: 'zeek' });
    const got = byConversation(flowsOf(zeek));
    for (const t of retried) {
      const fs = got.get(keyOfTruth(t));
      assert.deepEqual(fs.map((f) => ({ start_us: usOf(f.event.start), ...viewOf(f) })).map(({ src_ip, ...x }) => x), t.zeek, `${t.scenario} ${keyOfTruth(t)}`);
      for (const f of fs.slice(0, -1)) assert.equal(f.ipmon.conn_state, 'S0');
    }
    // everything else is as without the setting
    const others = gen.convs.filter((t) => !t.zeek);
    const bad = mismatches(others, flowsOf(zeek).filter((f) => !retried.some((t) => keyOfTruth(t) === keyOfFlow(f))), (t) => t.router);
    assert.deepEqual(bad.slice(0, 5), [], `${bad.length} differ`);
    assertConservation(zeek, gen.lines);
  });

  test('the CLI gives the same flows from the generator\'s router log (generator --mode router, ipmon-flow --device)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipmon-router-'));
    try {
      const log = join(dir, 'router.log');
      const truth = join(dir, 'truth.ndjson');
      writeFileSync(log, execFileSync(process.execPath, [GENERATOR, '--mode', 'router', '--connections', '600', '--seed', '9', '--truth', truth], { maxBuffer: 1 << 28 }));
      const cfg = join(dir, 'config.json');
      writeFileSync(cfg, JSON.stringify({ observers: ZONES }));
      const out = parseNdjson(execFileSync(process.execPath, [CLI, '--no-progress', '--year', String(YEAR), '--device', 'router', '--local-nets', 'private', '--config', cfg, log], { maxBuffer: 1 << 28 }));
      const convs = parseNdjson(execFileSync('cat', [truth]));
      assert.ok(convs.length >= 600);
      const bad = mismatches(convs, flowsOf(out), (t) => t.router, (t, f) => ({ direction: f === null ? t.direction : f.network.direction }));
      assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of ${convs.length} conversations differ`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const help = execFileSync(process.execPath, [GENERATOR, '--help'], { encoding: 'utf8' });
    assert.match(help, /--mode router/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('router log through Fluent Bit (emulated filter, real split.lua)', () => {
  test('same flows as the CLI, config (device, observers, local_networks) in the first heartbeat', async () => {
    const g = generateRouterTraffic({ seed: 8, conversations: 1200, concurrency: 300 });
    const config = { ...CONFIG, device: 'auto' };
    const cli = flowsOf(runCli(g.text, config));
    // Fluent Bit tails the relay's file: each record stamped with when the relay wrote it
    // (years later, so the wall clock never equals event time), a heartbeat every second.
    const pipe = new FluentBitPipeline();
    const WALL0 = Date.UTC(2026, 10, 28, 9, 0, 0) * 1000;
    const shift = WALL0 - g.times[0];
    const out = [...pipe.push('fw.tick', WALL0 - 1, { ipmon_flow: config })];
    let nextTick = WALL0;
    let wall = WALL0;
    g.lines.forEach((line, i) => {
      wall = Math.max(wall, g.times[i] + shift);
      for (; nextTick <= wall; nextTick += SEC) out.push(...pipe.push('fw.tick', nextTick, { ipmon_flow: 'tick' }));
      out.push(...pipe.push('fw.ipmon', wall, { log: line }));
    });
    out.push(...pipe.push('fw.tick', wall, { ipmon_flow: 'flush' }));
    out.push(...pipe.push('fw.tick', wall, { ipmon_flow: 'stats' }));
    assert.equal(pipe.wasm.stats.traps, 0);
    const fb = flowsOf(out);
    const byId = (list) => new Map(list.map((f) => [f.event.id, f]));
    const want = byId(cli);
    const got = byId(fb);
    assert.equal(got.size, fb.length, 'no flow twice');
    assert.equal(got.size, want.size, 'flow count');
    for (const [id, f] of want) assert.deepEqual(got.get(id), f, id);
    const bad = mismatches(g.convs, fb, (t) => t.router);
    assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of ${g.convs.length} conversations differ`);
    const s = out.filter((r) => r.ipmon?.record_type === 'stats').at(-1).ipmon.stats;
    assert.equal(s.lines_read, g.lines.length);
    assert.equal(s.packets, g.totals.packets);
  });
});
