// End-to-end check of the correlator against generated traffic with exact ground truth.
//
// host-test/lib/generator.mjs produces ipmon lines (file or BSD-syslog format) from a seeded mix
// of scenarios (TCP handshakes/data/FIN, RSTs either side, rejected and unanswered SYNs, blocked
// scans, midstream pickups incl. server-side-first flips, SYN-ACK-first, port reuse, UDP DNS/NTP,
// ICMP echo, IPv6 TCP, `Nx` repeat lines) together with the flow records the engine must emit.
// Here the whole log goes through correlate() and we check:
//   (a) exact per-flow agreement: every expected flow found once, every field equal, no extras;
//   (b) conservation: packets/bytes over all flow records == totals over all lines == stats;
//   (c) every line accounted for: stats.lines_read == lines, unparsed_lines == 0.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { correlate } from '../host/index.mjs';
import { generateTraffic } from './lib/generator.mjs';

const YEAR = 2024;
const TIMEOUT = 300_000;

const CASES = [
  {
    name: 'file format (ipmon -a to a file)',
    opts: { seed: 1, connections: 12000, concurrency: 2000, format: 'file' },
    minLines: 100_000,
  },
  {
    name: 'BSD syslog, two observers interleaved (same 4-tuple on fw1 and fw2 stays two flows)',
    opts: { seed: 1, connections: 12000, concurrency: 2000, format: 'syslog', observers: ['fw1', 'fw2'] },
    minLines: 100_000,
  },
  {
    // engine.ts remembers the last four host names; six make it evict and look names up again
    name: 'BSD syslog, six observers interleaved (more hosts than the name cache holds)',
    opts: { seed: 4, connections: 3000, concurrency: 600, format: 'syslog', observers: ['fw1', 'fw2', 'fw3', 'fw4', 'fw5', 'fw6'] },
    minLines: 20_000,
  },
  {
    name: 'mixed file and syslog lines in one input',
    opts: { seed: 2, connections: 3000, concurrency: 1000, format: 'mixed', observers: ['fw1', 'fw2'] },
    minLines: 20_000,
  },
];

// ---------------------------------------------------------------------------------------------
// helpers

const pad6 = (n) => String(n).padStart(6, '0');
/** µs since epoch -> 2024-03-03T11:20:44.873412Z */
function isoUs(us) {
  const ms = Math.floor(us / 1000);
  return new Date(ms).toISOString().slice(0, 19) + '.' + pad6(us % 1_000_000) + 'Z';
}

const COMPARED = [
  'observer', 'transport', 'type', 'src_ip', 'src_port', 'dst_ip', 'dst_port', 'icmp_type', 'icmp_code',
  'src_packets', 'src_bytes', 'dst_packets', 'dst_bytes', 'event.start', 'event.end', 'event.duration',
  'conn_state', 'history', 'end_reason', 'event.reason', 'syn_seen', 'lines', 'action',
];

/** the comparable view of an expected flow */
function fromExpected(f) {
  return {
    observer: f.observer,
    transport: f.transport,
    type: f.type,
    src_ip: f.src_ip,
    src_port: f.src_port,
    dst_ip: f.dst_ip,
    dst_port: f.dst_port,
    icmp_type: f.transport === 'icmp' ? String(f.icmp_type) : null,
    icmp_code: f.transport === 'icmp' ? String(f.icmp_code) : null,
    src_packets: f.src_packets,
    src_bytes: f.src_bytes,
    dst_packets: f.dst_packets,
    dst_bytes: f.dst_bytes,
    'event.start': isoUs(f.start_us),
    'event.end': isoUs(f.end_us),
    'event.duration': (f.end_us - f.start_us) * 1000,
    conn_state: f.conn_state,
    history: f.history,
    end_reason: f.end_reason,
    'event.reason': f.end_reason,
    syn_seen: f.syn_seen,
    lines: f.lines,
    action: f.action,
  };
}

/** the comparable view of an emitted flow record */
function fromRecord(r) {
  const icmp = r.network?.transport === 'icmp';
  const str = (v) => (v === undefined || v === null ? null : String(v));
  return {
    observer: r.observer?.hostname ?? null,
    transport: r.network?.transport,
    type: r.network?.type,
    src_ip: r.source?.ip,
    src_port: r.source?.port ?? null,
    dst_ip: r.destination?.ip,
    dst_port: r.destination?.port ?? null,
    icmp_type: icmp ? str(r.icmp?.type) : null,
    icmp_code: icmp ? str(r.icmp?.code) : null,
    src_packets: r.source?.packets,
    src_bytes: r.source?.bytes,
    dst_packets: r.destination?.packets,
    dst_bytes: r.destination?.bytes,
    'event.start': r.event?.start,
    'event.end': r.event?.end,
    'event.duration': r.event?.duration,
    conn_state: r.ipmon?.conn_state,
    history: r.ipmon?.history,
    end_reason: r.ipmon?.end_reason,
    'event.reason': r.event?.reason,
    syn_seen: r.ipmon?.syn_seen,
    lines: r.ipmon?.lines,
    action: r.ipmon?.action,
  };
}

/** direction-independent conversation key (observer + protocol + both endpoints) */
function convKey(v) {
  const a = `${v.src_ip} ${v.src_port}`;
  const b = `${v.dst_ip} ${v.dst_port}`;
  return `${v.observer} ${v.transport} ${a < b ? a + ' | ' + b : b + ' | ' + a}`;
}

const ep = (ip, port) => (port === null || port === undefined ? ip : ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
const label = (v) => `${v.observer ?? '-'} ${v.transport} ${ep(v.src_ip, v.src_port)} -> ${ep(v.dst_ip, v.dst_port)} start ${v['event.start']}`;

/**
 * Pair expected and emitted flows: same conversation key, then in order of start time (port
 * reuse gives several flows per key). Returns a readable report of the first differences.
 */
function compareFlows(expected, records) {
  const groups = new Map();
  const add = (side, v, src) => {
    const k = convKey(v);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { exp: [], act: [] }));
    g[side].push({ v, src });
  };
  for (const f of expected) add('exp', fromExpected(f), f);
  for (const r of records) add('act', fromRecord(r), r);

  const mismatched = [];
  const missing = [];
  const extra = [];
  const fieldCounts = {};
  const byStart = (x, y) => (x.v['event.start'] < y.v['event.start'] ? -1 : x.v['event.start'] > y.v['event.start'] ? 1 : 0);
  for (const g of groups.values()) {
    g.exp.sort(byStart);
    g.act.sort(byStart);
    const n = Math.min(g.exp.length, g.act.length);
    for (let i = 0; i < n; i++) {
      const e = g.exp[i].v;
      const a = g.act[i].v;
      const bad = COMPARED.filter((k) => !Object.is(e[k], a[k]));
      if (bad.length) {
        for (const k of bad) fieldCounts[k] = (fieldCounts[k] || 0) + 1;
        mismatched.push({ e, a, bad, scenario: g.exp[i].src.scenario });
      }
    }
    for (let i = n; i < g.exp.length; i++) missing.push(g.exp[i]);
    for (let i = n; i < g.act.length; i++) extra.push(g.act[i]);
  }

  const out = [];
  if (mismatched.length || missing.length || extra.length) {
    out.push(`expected ${expected.length} flows, engine emitted ${records.length}: ` +
      `${mismatched.length} differ, ${missing.length} missing, ${extra.length} unexpected`);
    if (mismatched.length) {
      out.push('fields that differ (number of flows): ' +
        Object.entries(fieldCounts).sort((x, y) => y[1] - x[1]).map(([k, c]) => `${k}=${c}`).join(', '));
      for (const m of mismatched.slice(0, 5)) {
        out.push(`  ${label(m.e)} [scenario ${m.scenario}]`);
        for (const k of m.bad) out.push(`      ${k}: expected ${JSON.stringify(m.e[k])}, actual ${JSON.stringify(m.a[k])}`);
      }
    }
    for (const m of missing.slice(0, 5)) out.push(`  missing: ${label(m.v)} [scenario ${m.src.scenario}] ${JSON.stringify(m.src)}`);
    for (const x of extra.slice(0, 5)) out.push(`  unexpected: ${label(x.v)} ${JSON.stringify(x.src)}`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------

for (const c of CASES) {
  describe(`generated traffic: ${c.name}`, { timeout: TIMEOUT }, () => {
    let gen;
    let flowRecs;
    let statsRecs;

    before(async () => {
      gen = generateTraffic(c.opts);
      const records = await correlate(gen.text, { year: YEAR });
      assert.ok(Array.isArray(records), 'correlate() must resolve to an array of records');
      flowRecs = records.filter((r) => r?.ipmon?.record_type === 'flow');
      statsRecs = records.filter((r) => r?.ipmon?.record_type === 'stats');
    }, { timeout: TIMEOUT });

    test('generator produced the intended volume', () => {
      assert.ok(gen.lines.length >= c.minLines, `only ${gen.lines.length} lines generated`);
      assert.equal(gen.totals.lines, gen.lines.length);
    });

    test('(a) every expected flow is emitted once with every field equal, and nothing else', () => {
      const report = compareFlows(gen.flows, flowRecs);
      assert.ok(report === '', report);
    });

    test('(b) packets and bytes are conserved', () => {
      let packets = 0;
      let bytes = 0;
      let lines = 0;
      for (const r of flowRecs) {
        packets += (r.source?.packets ?? 0) + (r.destination?.packets ?? 0);
        bytes += (r.source?.bytes ?? 0) + (r.destination?.bytes ?? 0);
        lines += r.ipmon?.lines ?? 0;
      }
      assert.equal(statsRecs.length, 1, `expected exactly one stats record, got ${statsRecs.length}`);
      const s = statsRecs[0].ipmon.stats;
      assert.deepEqual(
        { flow_packets: packets, flow_bytes: bytes, stats_packets: s.packets, stats_bytes: s.bytes },
        { flow_packets: gen.totals.packets, flow_bytes: gen.totals.bytes, stats_packets: gen.totals.packets, stats_bytes: gen.totals.bytes },
      );
      assert.equal(lines, gen.totals.lines, 'sum of ipmon.lines over flow records != packet lines in the log');
    });

    test('(c) every line is accounted for', () => {
      assert.equal(statsRecs.length, 1, `expected exactly one stats record, got ${statsRecs.length}`);
      const s = statsRecs[0].ipmon.stats;
      assert.deepEqual(
        { lines_read: s.lines_read, unparsed_lines: s.unparsed_lines, packet_lines: s.packet_lines, other_lines: s.other_lines },
        { lines_read: gen.lines.length, unparsed_lines: 0, packet_lines: gen.lines.length, other_lines: 0 },
      );
    });

    test('stats.flows_emitted matches the flow records', () => {
      assert.equal(statsRecs.length, 1);
      assert.equal(statsRecs[0].ipmon.stats.flows_emitted, flowRecs.length);
    });
  });
}

test('generator is deterministic and seed-sensitive', () => {
  const o = { seed: 5, connections: 300, concurrency: 100, format: 'syslog', observers: ['fw1', 'fw2'] };
  const a = generateTraffic(o);
  const b = generateTraffic(o);
  const d = generateTraffic({ ...o, seed: 6 });
  assert.equal(a.text, b.text);
  assert.deepEqual(a.flows, b.flows);
  assert.notEqual(a.text, d.text);
  assert.equal(a.text, a.lines.join('\n') + '\n');
});
