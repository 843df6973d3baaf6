// The module inside Fluent Bit, emulated call for call (host-test/lib/fluentbit-emulator.mjs):
// records go through the `wasm` filter entry (filter_ipmon_flow) and the shipped split.lua,
// run for real in a Lua VM, exactly as fluent-bit/fluent-bit.yaml chains them. Checked here:
//   - the same log gives the same flows as the CLI (config first, config late, heartbeats only)
//   - no flow is lost or duplicated whatever the heartbeat interleaving
//   - heartbeats expire idle flows by elapsed wall time and never jump the clock to the wall
//   - configuration via the heartbeat record, and clear errors for bad configuration
//   - malformed records of every kind get a defined result and never trap
//   - linear memory stays flat over 1M records, and WAMR's app heap is never written
//   - the shipped configs name what the module exports and recognises
// No timing assertions: speed is bench/fluentbit.bench.mjs's business.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { correlate, parseNdjson } from '../host/index.mjs';
import { generateTraffic } from './lib/generator.mjs';
import {
  DEFAULT_WASM, FUNCTION_NAME, FluentBitPipeline, LuaFilter, SPLIT_CALL, SPLIT_LUA, WasmFilter, encodeRecordJson,
  escapeJsonBytes, withExtraPages,
} from './lib/fluentbit-emulator.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'host/cli.mjs');
const SEC = 1_000_000;
/** Fluent Bit's wall clock in these tests: years after the logs' own dates. */
const WALL0 = Date.UTC(2026, 10, 28, 9, 0, 0) * 1000;
const MONTHS = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** Event time (µs, UTC) of a generated file- or syslog-format line. */
function lineTimeUs(line, year) {
  let m = /^(\d\d)\/(\d\d)\/(\d{4}) (\d\d):(\d\d):(\d\d)\.(\d{6})/.exec(line);
  if (m) return Date.UTC(+m[3], +m[2] - 1, +m[1], +m[4], +m[5], +m[6]) * 1000 + +m[7];
  m = /^(\w{3}) +(\d+) [\d:]+ \S+ [^:]+: (\d\d):(\d\d):(\d\d)\.(\d{6})/.exec(line);
  if (m) return Date.UTC(year, MONTHS[m[1]], +m[2], +m[3], +m[4], +m[5]) * 1000 + +m[6];
  throw new Error(`no time in ${line}`);
}

const tick = (extra) => ({ ipmon_flow: extra ?? 'tick' });

/**
 * Feeds a log as a live tail would: each line is a record stamped with its own event time
 * shifted to WALL0 (so the wall clock never equals event time), with a heartbeat at every
 * whole wall second in between. Returns every record that reaches the output.
 */
function replayLive(pipe, lines, year, { config, configAfter = 0, end = 'flush', tickEvery = SEC, key = 'log', afterTick } = {}) {
  const out = [];
  const shift = WALL0 - lineTimeUs(lines[0], year);
  let nextTick = null;
  let configured = config === undefined;
  if (!configured && configAfter === 0) {
    out.push(...pipe.push('fw.tick', WALL0 - 1, tick(config)));
    configured = true;
  }
  lines.forEach((line, i) => {
    const wall = lineTimeUs(line, year) + shift;
    if (configured) {
      if (nextTick === null) nextTick = Math.ceil(wall / tickEvery) * tickEvery;
      for (; nextTick <= wall; nextTick += tickEvery) {
        out.push(...pipe.push('fw.tick', nextTick, tick()));
        afterTick?.(nextTick);
      }
    }
    out.push(...pipe.push('fw.ipmon', wall, { [key]: line }));
    if (!configured && i + 1 === configAfter) {
      out.push(...pipe.push('fw.tick', wall, tick(config)));
      configured = true;
    }
  });
  const last = lineTimeUs(lines.at(-1), year) + shift;
  if (end === 'flush') {
    out.push(...pipe.push('fw.tick', last, tick('flush')));
    out.push(...pipe.push('fw.tick', last, tick('stats')));
  } else if (end === 'ticks') {
    for (let t = Math.ceil(last / SEC) * SEC; t <= last + 400 * SEC; t += SEC) out.push(...pipe.push('fw.tick', t, tick()));
    out.push(...pipe.push('fw.tick', last + 401 * SEC, tick('stats')));
  }
  return out;
}

/** Records by kind: flows keyed by event.id (asserting no duplicate), the rest in order. */
function split(records) {
  const flows = new Map();
  const forwarded = [];
  const stats = [];
  const other = [];
  for (const r of records) {
    const type = r.ipmon?.record_type;
    if (type === 'flow') {
      assert.ok(!flows.has(r.event.id), `duplicate flow ${r.event.id}`);
      flows.set(r.event.id, r);
    } else if (type === 'stats') stats.push(r);
    else if (r.event?.dataset?.startsWith('ipmon.') && type !== 'rejected' && type !== 'config_error') forwarded.push(r);
    else other.push(r);
  }
  return { flows, forwarded, stats, other };
}

/** The CLI's records for a log, run as a user would run it. */
function runCli(text, args) {
  const dir = mkdtempSync(join(tmpdir(), 'ipmon-fb-'));
  try {
    const file = join(dir, 'ipmon.log');
    writeFileSync(file, text);
    return parseNdjson(execFileSync(process.execPath, [CLI, '--no-progress', ...args, file], { maxBuffer: 1 << 28 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function assertSameFlows(fb, cli, { forcedEndMayExpire = false } = {}) {
  assert.equal(fb.size, cli.size, 'flow count');
  for (const [id, want] of cli) {
    const got = fb.get(id);
    assert.ok(got, `flow ${id} missing`);
    if (forcedEndMayExpire && want.event.reason === 'forced_end') {
      // open at the end of the CLI's input; under heartbeats it ends by its own timeout instead
      assert.match(got.event.reason, /^(idle_timeout|end_of_flow)$/, id);
      assert.deepEqual(
        { ...got, event: { ...got.event, reason: 'forced_end' }, ipmon: { ...got.ipmon, end_reason: 'forced_end' } },
        want,
        id,
      );
    } else {
      assert.deepEqual(got, want, id);
    }
  }
}

function assertHealthy(wasm) {
  assert.equal(wasm.stats.traps, 0, `traps: ${wasm.log.join('; ')}`);
  assert.equal(wasm.stats.invalid, 0, 'invalid return pointers');
  assert.equal(wasm.stats.corrupt, 0, 'concatenated objects');
}

// ── the module as Fluent Bit loads it ────────────────────────────────────────────────────────

describe('module ABI for Fluent Bit', () => {
  test('one import, WASI random_get (WAMR links it); exports the entry, _initialize and memory, and no allocator, so WAMR copies records into its own app heap (§1.5, §1.6)', () => {
    const mod = new WebAssembly.Module(readFileSync(DEFAULT_WASM));
    assert.deepEqual(WebAssembly.Module.imports(mod), [{ module: 'wasi_snapshot_preview1', name: 'random_get', kind: 'function' }]);
    const exports = Object.fromEntries(WebAssembly.Module.exports(mod).map((e) => [e.name, e.kind]));
    for (const name of [FUNCTION_NAME, '_initialize']) assert.equal(exports[name], 'function', name);
    // any of these would make WAMR call into the module for every copy (wasm_loader.c)
    for (const name of ['malloc', 'free', '__new', '__pin', '__unpin', '__retain', '__release']) assert.equal(exports[name], undefined, name);
    // WAMR would put its heap at __heap_base and treat a mutable global as the C stack pointer
    for (const name of ['__heap_base', '__data_end']) assert.equal(exports[name], undefined, name);
    assert.equal(exports.memory, 'memory');
  });

  test('WAMR\'s app heap sits after the declared initial pages, which hosts/wamrheap.ts assumes (16)', () => {
    const bytes = readFileSync(DEFAULT_WASM);
    assert.equal(withExtraPages(bytes, 0).declaredPages, 16, 'asconfig.json initialMemory and DECLARED_PAGES must agree');
    // without inserted pages (Node, the CLI) nothing is reserved
    const x = new WebAssembly.Instance(new WebAssembly.Module(bytes), { wasi_snapshot_preview1: { random_get: () => 0 } }).exports;
    x._initialize();
    assert.equal(x.host_heap_start.value, 0);
    assert.equal(x.host_heap_end.value, 0);
  });

  for (const heapSize of [8192, 100_000, 1 << 20, 5 << 20, 16 << 20]) {
    test(`Wasm_Heap_Size ${heapSize}: the module never writes into WAMR's app heap, over configs, flows, multi-line and rejected records`, () => {
      const wasm = new WasmFilter({ wasmHeapSize: heapSize });
      const heap = wasm.appHeap;
      assert.equal(heap.start, 16 * 65536);
      // one block kept over all of it, starting below
      assert.ok(wasm.x.host_heap_start.value <= heap.start && wasm.x.host_heap_end.value >= heap.start + heap.size);
      assert.ok(heap.intact(), 'start-up wrote into the heap');
      wasm.call('fw.tick', WALL0 / SEC, 0, tick({ year: 2024, capacity: 4096 }));
      const gen = generateTraffic({ seed: 9, lines: 6000, concurrency: 300, format: 'syslog', observers: ['fw1'] });
      let out = 0;
      gen.lines.forEach((line, i) => {
        const wall = WALL0 + i * 1000;
        const body = i % 50 === 0 ? { log: `${line}\n${gen.lines[(i + 1) % gen.lines.length]}` } : i % 333 === 0 ? { msg: line } : { log: line };
        const r = wasm.call('fw.ipmon', Math.floor(wall / SEC), (wall % SEC) * 1000, body);
        if (r.status === 'record') out += r.records.length;
        if (i % 100 === 0) wasm.call('fw.tick', Math.floor(wall / SEC), 0, tick());
      });
      const f = wasm.call('fw.tick', WALL0 / SEC + 100, 0, tick('flush'));
      out += f.records?.length ?? 0;
      assertHealthy(wasm);
      assert.ok(out > 500, `records out: ${out}`);
      assert.ok(heap.intact(), 'the module wrote into WAMR\'s app heap');
    });
  }

  test('a Wasm_Heap_Size the module cannot keep apart (over 16 MiB and not a TLSF class size) stops it at load', () => {
    assert.throws(() => new WasmFilter({ wasmHeapSize: (16 << 20) + 65536 }), /unreachable/);
    assert.throws(() => new WasmFilter({ wasmHeapSize: (64 << 20) + 65536 }), /unreachable/);
  });

  test('a record bigger than the app heap (WAMR passes address 0) is rejected as heap_full, saying what to raise', () => {
    const wasm = new WasmFilter();
    wasm.call('fw.tick', 1, 0, tick());
    const r = wasm.call('fw.ipmon', 2, 0, { log: 'x'.repeat(70_000) });
    assert.equal(r.records[0].ipmon.reason, 'heap_full');
    assert.match(r.records[0].error.message, /Wasm_Heap_Size/);
    assert.equal(r.records[0].ipmon.record_bytes, 70_010);
    assert.ok(wasm.appHeap.intact());
    assertHealthy(wasm);
  });

  test('a record with nothing due returns 0, so Fluent Bit drops it', () => {
    const wasm = new WasmFilter();
    wasm.call('fw.tick', 1, 0, tick({ year: 2026 }));
    const r = wasm.call('fw.ipmon', 2, 0, { log: '28/11/2026 10:00:00.000001 xl0 @0:1 p 10.0.0.1,1234 -> 192.0.2.1,53 PR udp len 20 60 OUT' });
    assert.equal(r.status, 'drop');
    assertHealthy(wasm);
  });

  test('several records due come back as one envelope object, and split.lua makes one record of each', () => {
    const pipe = new FluentBitPipeline();
    pipe.push('fw.tick', WALL0, tick({ year: 2026 }));
    for (let i = 0; i < 5; i++) {
      pipe.push('fw.ipmon', WALL0 + i, { log: `28/11/2026 10:00:0${i}.000001 xl0 @0:1 p 10.0.0.${i + 1},1234 -> 192.0.2.1,53 PR udp len 20 60 OUT` });
    }
    const r = pipe.wasm.call('fw.tick', WALL0 / SEC + 1, 0, tick('flush'));
    assert.equal(r.status, 'record');
    assert.deepEqual(Object.keys(r.body), ['records', 'ipmon_envelope']);
    assert.equal(r.body.ipmon_envelope, '1', 'the marker rewrite_tag routes on (a string: its rules match no arrays)');
    assert.equal(r.records.length, 5);
    const out = pipe.lua.filter('fw.tick', WALL0 / SEC + 1, r.body);
    assert.equal(out.length, 5);
    assert.deepEqual(out.map((o) => o.body), r.records);
    assert.ok(out.every((o) => o.time === WALL0 / SEC + 1), 'the timestamp is kept (return code 2)');
  });

  test('one record due comes back as it is, not wrapped', () => {
    const pipe = new FluentBitPipeline();
    pipe.push('fw.tick', WALL0, tick({ year: 2026 }));
    pipe.push('fw.ipmon', WALL0, { log: '28/11/2026 10:00:00.000001 xl0 @0:1 p 10.0.0.1,1234 -> 192.0.2.1,53 PR udp len 20 60 OUT' });
    const r = pipe.wasm.call('fw.tick', WALL0 / SEC + 1, 0, tick('flush'));
    assert.equal(r.status, 'record');
    assert.equal(r.body.ipmon.record_type, 'flow');
    assert.equal(r.body.records, undefined);
    assert.deepEqual(pipe.lua.filter('fw.tick', WALL0 / SEC + 1, r.body).map((o) => o.body), [r.body]);
  });

  test('split.lua passes records that are not envelopes through untouched', () => {
    const lua = new LuaFilter();
    const body = { log: 'x', n: 1, nested: { a: [1, 2, 'x'], b: {} } };
    assert.deepEqual(lua.filter('other', 12.5, body), [{ time: 12.5, body }]);
  });
});

// ── same flows as the CLI ────────────────────────────────────────────────────────────────────

describe('same flows as the CLI', () => {
  const YEAR = 2024;
  const gen = generateTraffic({ seed: 7, connections: 2500, concurrency: 800, format: 'mixed', observers: ['fw1', 'fw2'] });
  const cliRecords = runCli(gen.text, ['--year', String(YEAR)]);
  const cli = split(cliRecords);

  test('generated log: flows and other records identical, config in the first heartbeat', () => {
    const pipe = new FluentBitPipeline();
    const fb = split(replayLive(pipe, gen.lines, YEAR, { config: { year: YEAR } }));
    assert.equal(cli.flows.size, gen.flows.length);
    assertSameFlows(fb.flows, cli.flows);
    assert.deepEqual(fb.forwarded, cli.forwarded);
    assert.deepEqual(fb.other, []);
    // every counter but the probe steps, which follow each process's own hash key
    const counted = ({ table_probe_steps: _probes, ...rest }) => rest;
    assert.deepEqual(counted(fb.stats.at(-1).ipmon.stats), counted(cli.stats.at(-1).ipmon.stats));
    assertHealthy(pipe.wasm);
  });

  test('records due together in a log call leave one per call: few envelopes, none past a heartbeat, same records', () => {
    const pipe = new FluentBitPipeline();
    let waitingAtTick = 0;
    // right after a heartbeat nothing waits: a log record that makes nothing due gets 0
    const afterTick = (t) => {
      if (pipe.wasm.call('fw.ipmon', Math.floor(t / SEC), 0, { log: '' }).status !== 'drop') waitingAtTick++;
    };
    const fb = split(replayLive(pipe, gen.lines, YEAR, { config: { year: YEAR }, afterTick }));
    assertSameFlows(fb.flows, cli.flows);
    assert.deepEqual(fb.forwarded, cli.forwarded);
    assert.equal(waitingAtTick, 0, 'records still waiting right after a heartbeat');
    // calls that make two records due come back with one, the other on the next call; only
    // heartbeats with several due (and the final flush) need an envelope
    assert.ok(pipe.envelopes * 50 < pipe.answers, `${pipe.envelopes} envelopes in ${pipe.answers} answers`);
    assertHealthy(pipe.wasm);
  });

  test('config arriving after 500 log records (held until then): identical', () => {
    const pipe = new FluentBitPipeline();
    const fb = split(replayLive(pipe, gen.lines, YEAR, { config: { year: YEAR }, configAfter: 500 }));
    assertSameFlows(fb.flows, cli.flows);
    assert.deepEqual(fb.forwarded, cli.forwarded);
    assertHealthy(pipe.wasm);
  });

  test('heartbeats only, no flush: every flow once; flows open at the end expire by their timeouts', () => {
    const pipe = new FluentBitPipeline();
    const fb = split(replayLive(pipe, gen.lines, YEAR, { config: { year: YEAR }, end: 'ticks' }));
    assertSameFlows(fb.flows, cli.flows, { forcedEndMayExpire: true });
    assert.equal(fb.stats.at(-1).ipmon.stats.flows_open, 0);
    assertHealthy(pipe.wasm);
  });

  test('key "message", heartbeat every 5 s: identical', () => {
    const pipe = new FluentBitPipeline();
    const fb = split(replayLive(pipe, gen.lines, YEAR, { config: { year: YEAR, key: 'message' }, key: 'message', tickEvery: 5 * SEC }));
    assertSameFlows(fb.flows, cli.flows);
  });

  test('file-format log with the default config (dates carry their year): identical', () => {
    const g = generateTraffic({ seed: 11, connections: 800, concurrency: 300, format: 'file' });
    const want = split(runCli(g.text, ['--year', '1999']));
    const pipe = new FluentBitPipeline();
    const fb = split(replayLive(pipe, g.lines, 2024, { config: {} }));
    assertSameFlows(fb.flows, want.flows);
  });
});

// ── no loss, no duplicates ───────────────────────────────────────────────────────────────────

test('no flow lost or duplicated under bursty reads and random heartbeats', () => {
  // Fluent Bit reads the log in batches (every line of a batch gets the batch's read time) and
  // the heartbeat fires whenever: every packet must still come out exactly once, in one flow.
  const YEAR = 2024;
  const gen = generateTraffic({ seed: 21, connections: 1500, concurrency: 500, format: 'syslog', observers: ['fw1', 'fw2'] });
  let seed = 99;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const shift = WALL0 - lineTimeUs(gen.lines[0], YEAR);
  const pipe = new FluentBitPipeline();
  const out = [];
  out.push(...pipe.push('fw.tick', WALL0 - 1, tick({ year: YEAR })));
  let readAt = WALL0;
  for (const line of gen.lines) {
    const written = lineTimeUs(line, YEAR) + shift;
    while (readAt < written) {
      const next = readAt + Math.floor((0.05 + 2 * rand()) * SEC);
      if (rand() < 0.5) out.push(...pipe.push('fw.tick', readAt + Math.floor(rand() * (next - readAt)), tick()));
      readAt = next;
    }
    out.push(...pipe.push('fw.ipmon', readAt, { log: line }));
  }
  for (let i = 1; i <= 400; i++) out.push(...pipe.push('fw.tick', readAt + i * SEC, tick()));
  out.push(...pipe.push('fw.tick', readAt + 401 * SEC, tick('stats')));
  const { flows, stats, other } = split(out); // asserts that no event.id repeats
  assert.deepEqual(other, []);
  const conversation = (obs, transport, a, b) => [obs, transport, ...[a, b].sort()].join('|');
  const sums = (list, keyOf, pk, by) => {
    const m = new Map();
    for (const f of list) {
      const k = keyOf(f);
      const [p, b] = m.get(k) ?? [0, 0];
      m.set(k, [p + pk(f), b + by(f)]);
    }
    return m;
  };
  const want = sums(gen.flows, (f) => conversation(f.observer, f.transport, `${f.src_ip},${f.src_port}`, `${f.dst_ip},${f.dst_port}`),
    (f) => f.src_packets + f.dst_packets, (f) => f.src_bytes + f.dst_bytes);
  const got = sums([...flows.values()],
    (f) => conversation(f.observer.hostname, f.network.transport, `${f.source.ip},${f.source.port ?? null}`, `${f.destination.ip},${f.destination.port ?? null}`),
    (f) => f.network.packets, (f) => f.network.bytes);
  assert.deepEqual(got, want);
  const last = stats.at(-1).ipmon.stats;
  assert.equal(last.lines_read, gen.lines.length);
  assert.equal(last.packets, gen.totals.packets);
  assert.equal(last.flows_open, 0);
  assert.equal(last.flows_emitted, flows.size);
  assert.ok(flows.size >= gen.flows.length);
  assert.equal(pipe.lua.errors.length, 0);
  assertHealthy(pipe.wasm);
});

// ── heartbeats and the event clock ───────────────────────────────────────────────────────────

describe('heartbeats', () => {
  const udp = (time, sport, dir = 'OUT') =>
    `02/06/2019 ${time} igb1 @0:1 p 192.168.4.38,${sport} -> 192.168.4.19,53 PR udp len 20 60 ${dir}`;

  test('an idle flow comes out within the idle timeout plus one heartbeat, by elapsed wall time', () => {
    const pipe = new FluentBitPipeline();
    pipe.push('fw.tick', WALL0, tick({ udp_timeout: 30 }));
    assert.deepEqual(pipe.push('fw.ipmon', WALL0 + 0.5 * SEC, { log: udp('19:17:05.000000', 40000) }), []);
    const seen = [];
    for (let s = 1; s <= 40 && seen.length === 0; s++) {
      const out = pipe.push('fw.tick', WALL0 + s * SEC, tick());
      if (out.length) seen.push([s, out]);
    }
    assert.equal(seen.length, 1);
    const [s, [flow]] = seen[0];
    // quiet since wall 0.5 s; the tick at 1 s anchors there, 30 s later is 30.5 s -> tick 31
    assert.equal(s, 31);
    assert.equal(flow.event.reason, 'idle_timeout');
    assert.equal(flow.event.end, '2019-06-02T19:17:05.000000Z', 'times stay the log\'s own');
  });

  test('the clock never jumps to the wall clock: a 2019 log continues across heartbeats in 2026', () => {
    const pipe = new FluentBitPipeline();
    pipe.push('fw.tick', WALL0, tick({ udp_timeout: 30 }));
    pipe.push('fw.ipmon', WALL0 + 1, { log: udp('19:17:05.000000', 40001) });
    for (let s = 1; s <= 10; s++) assert.deepEqual(pipe.push('fw.tick', WALL0 + s * SEC, tick()), []);
    // 10 s of wall time later the log goes on 20 s later in event time: same flow, not a new one
    assert.deepEqual(pipe.push('fw.ipmon', WALL0 + 10 * SEC + 1, { log: udp('19:17:25.000000', 40001, 'IN') }), []);
    const [flow] = pipe.push('fw.tick', WALL0 + 11 * SEC, tick('flush'));
    assert.equal(flow.network.packets, 2);
    assert.equal(flow.event.start, '2019-06-02T19:17:05.000000Z');
    assert.equal(flow.event.reason, 'forced_end');
  });

  test('records stamped with old parsed times do not make a heartbeat jump the clock', () => {
    const pipe = new FluentBitPipeline();
    pipe.push('fw.tick', WALL0, tick({ udp_timeout: 30 }));
    const t2019 = Date.UTC(2019, 5, 2, 19, 17, 5) * 1000;
    pipe.push('fw.ipmon', t2019, { log: udp('19:17:05.000000', 40002) });
    for (let s = 1; s <= 5; s++) assert.deepEqual(pipe.push('fw.tick', WALL0 + s * SEC, tick()), []);
    pipe.push('fw.ipmon', t2019 + 2 * SEC, { log: udp('19:17:07.000000', 40002, 'IN') });
    const [flow] = pipe.push('fw.tick', WALL0 + 6 * SEC, tick('flush'));
    assert.equal(flow.network.packets, 2, 'one flow: the heartbeats moved the clock by at most their own spacing');
  });

  test('a heartbeat before any log line, or with a wall clock that steps back, changes nothing', () => {
    const pipe = new FluentBitPipeline();
    assert.deepEqual(pipe.push('fw.tick', WALL0, tick()), []);
    pipe.push('fw.ipmon', WALL0 + SEC, { log: udp('19:17:05.000000', 40003) });
    assert.deepEqual(pipe.push('fw.tick', WALL0 + 2 * SEC, tick()), []);
    assert.deepEqual(pipe.push('fw.tick', WALL0 - 3600 * SEC, tick()), []);
    const [flow] = pipe.push('fw.tick', WALL0 - 3599 * SEC, tick('flush'));
    assert.equal(flow.event.reason, 'forced_end');
  });

  test('stats on request and every stats_interval seconds of heartbeat time', () => {
    const pipe = new FluentBitPipeline();
    pipe.push('fw.tick', WALL0, tick({ stats_interval: 10 }));
    pipe.push('fw.ipmon', WALL0, { log: udp('19:17:05.000000', 40004) });
    let stats = 0;
    for (let s = 1; s <= 35; s++) stats += pipe.push('fw.tick', WALL0 + s * SEC, tick()).filter((r) => r.ipmon.record_type === 'stats').length;
    assert.equal(stats, 3);
    const [r] = pipe.push('fw.tick', WALL0 + 36 * SEC, tick('stats'));
    assert.equal(r.ipmon.stats.lines_read, 1);
    assert.equal(r.ipmon.stats.flows_open, 1);
  });
});

// ── configuration ────────────────────────────────────────────────────────────────────────────

describe('configuration through the heartbeat record', () => {
  const bsd = (host, time) => `Nov 27 ${time} ${host} ipmon[1]: ${time}.000001 em0 @0:1 p 10.0.0.1,5000 -> 192.0.2.7,53 PR udp len 20 60 OUT`;

  test('year, utc_offset and key apply from the first line; a repeated config is not re-applied', () => {
    const pipe = new FluentBitPipeline();
    const cfg = tick({ key: 'message', year: 2025, utc_offset: '+01:00' });
    pipe.push('fw.tick', WALL0, cfg);
    pipe.push('fw.ipmon', WALL0 + 1, { message: bsd('fw9', '23:30:00'), log: 'ignored: key is message' });
    pipe.push('fw.tick', WALL0 + SEC, cfg);
    const [flow] = pipe.push('fw.tick', WALL0 + 2 * SEC, tick('flush'));
    assert.equal(flow.event.start, '2025-11-27T22:30:00.000001Z');
    assert.equal(flow.observer.hostname, 'fw9');
  });

  test('without a year, syslog dates take the year of the record\'s own time', () => {
    const pipe = new FluentBitPipeline();
    pipe.push('fw.tick', WALL0, tick());
    pipe.push('fw.ipmon', WALL0, { log: bsd('fw1', '10:00:00') });
    const [flow] = pipe.push('fw.tick', WALL0 + SEC, tick('flush'));
    assert.equal(flow.event.start, '2026-11-27T10:00:00.000001Z');
  });

  test('a bare time of day (syslog header stripped upstream) is dated by the record time, nearest day', () => {
    const pipe = new FluentBitPipeline();
    pipe.push('fw.tick', WALL0, tick());
    // read at 00:00:00.2 on the 28th: a line logged at 23:59:59.9 belongs to the 27th
    const read = Date.UTC(2026, 10, 28, 0, 0, 0, 200) * 1000;
    pipe.push('fw.ipmon', read, { message: '23:59:59.900000 em0 @0:1 p 10.0.0.1,5001 -> 192.0.2.7,53 PR udp len 20 60 OUT' });
    pipe.push('fw.ipmon', read + 1000, { message: '00:00:00.100000 em0 @0:1 p 192.0.2.7,53 -> 10.0.0.1,5001 PR udp len 20 60 IN' });
    const [flow] = pipe.push('fw.tick', read + SEC, tick('flush'));
    assert.equal(flow.event.start, '2026-11-27T23:59:59.900000Z');
    assert.equal(flow.event.end, '2026-11-28T00:00:00.100000Z');
  });

  test('without any heartbeat, held lines start after 10 s of record time with the defaults', () => {
    const pipe = new FluentBitPipeline();
    assert.deepEqual(pipe.push('fw.ipmon', WALL0, { log: 'not ipmon at all' }), []);
    const out = pipe.push('fw.ipmon', WALL0 + 10 * SEC, { log: 'neither is this' });
    // two records due in a log call: the older comes back now, the other with the next record
    assert.deepEqual(out.map((r) => r.message), ['not ipmon at all']);
    const next = pipe.push('fw.tick', WALL0 + 11 * SEC, tick());
    assert.deepEqual(next.map((r) => r.message), ['neither is this']);
  });

  test('without any heartbeat, the hold also ends at 4 MiB of lines', () => {
    const wasm = new WasmFilter();
    const line = 'x'.repeat(200);
    let first = -1;
    let held = 0;
    let records = 0;
    for (let i = 0; i < 30_000 && first < 0; i++) {
      const text = `${line} ${i}`;
      const r = wasm.call('fw.ipmon', WALL0 / SEC, 0, { log: text });
      if (r.status === 'record') {
        first = i;
        records = r.records.length;
      } else {
        held += 12 + text.length; // what the hold keeps per line
      }
    }
    assert.ok(held <= 4 << 20 && held + 12 + 206 > 4 << 20, `released after ${held} bytes`);
    assert.equal(records, first + 1, 'every held line comes out, then the one that did not fit');
    assertHealthy(wasm);
  });

  const BAD = [
    [{ nope: 1 }, /unknown configuration key 'nope'/],
    [{ year: 'soon' }, /'year'/],
    [{ udp_timeout: -1 }, /'udp_timeout'/],
    [{ utc_offset: '+25:00' }, /'utc_offset'/],
    [{ key: 7 }, /'key'/],
    [{ key: '' }, /'key'/],
    [{ key: 'x'.repeat(65) }, /'key'/],
    [{ stats_interval: 'often' }, /'stats_interval'/],
    [{ stats_interval: 1e12 }, /'stats_interval'/],
    [{ capacity: 16777216 }, /'capacity' must be a whole number from 16 to 2097152/],
  ];
  for (const [cfg, message] of BAD) {
    test(`bad configuration ${JSON.stringify(cfg).slice(0, 40)} -> one config_error record, no trap`, () => {
      const pipe = new FluentBitPipeline();
      const out = pipe.push('fw.tick', WALL0, tick(cfg));
      assert.equal(out.length, 1);
      assert.equal(out[0].ipmon.record_type, 'config_error');
      assert.equal(out[0].event.kind, 'pipeline_error');
      assert.match(out[0].error.message, message);
      assert.deepEqual(pipe.push('fw.tick', WALL0 + SEC, tick(cfg)), [], 'reported once per distinct config');
      // still working
      pipe.push('fw.ipmon', WALL0 + SEC, { log: '02/06/2019 19:17:05.000000 igb1 @0:1 p 10.0.0.1,1 -> 10.0.0.2,53 PR udp len 20 60 OUT' });
      assert.equal(pipe.push('fw.tick', WALL0 + 2 * SEC, tick('flush')).length, 1);
      assertHealthy(pipe.wasm);
    });
  }

  test('a key with non-ASCII letters (\\u-escaped on both sides) is matched', () => {
    const pipe = new FluentBitPipeline();
    pipe.push('fw.tick', WALL0, tick({ key: 'clé' }));
    const [fwd] = pipe.push('fw.ipmon', WALL0 + 1, { cle: 'no', 'clé': 'yes' });
    assert.equal(fwd.message, 'yes');
  });

  test('a configured key reads the same whether the record is just that field (fast path) or more', () => {
    for (const key of ['log', 'msg', 'a"b', 'x\\y']) {
      const pipe = new FluentBitPipeline();
      pipe.push('fw.tick', WALL0, tick({ key }));
      const bodies = [{ [key]: 'one' }, { [key]: 'two "quoted"' }, { [key]: 'three', other: 1 }, { other: 1, [key]: 'four' }];
      const got = bodies.map((b, i) => pipe.push('fw.ipmon', WALL0 + i + 1, b)[0]?.message);
      assert.deepEqual(got, ['one', 'two "quoted"', 'three', 'four'], `key ${key}`);
      const [missing] = pipe.push('fw.ipmon', WALL0 + 9, { [key === 'log' ? 'message2' : 'log']: 'five' });
      assert.equal(missing.ipmon.reason, 'missing_key', `key ${key}`);
      assertHealthy(pipe.wasm);
    }
  });

  test('a refused configuration leaves the record key as it was', () => {
    const pipe = new FluentBitPipeline();
    pipe.push('fw.tick', WALL0, tick({ key: 'message' }));
    const [err] = pipe.push('fw.tick', WALL0 + 1, tick({ key: 'clé', stats_interval: 'x' }));
    assert.equal(err.ipmon.record_type, 'config_error');
    const [fwd] = pipe.push('fw.ipmon', WALL0 + 2, { msg: 'not used', message: 'used' });
    assert.equal(fwd.message, 'used');
  });

  test('changing the capacity while flows are open reports them (forced_end) instead of losing them', () => {
    const pipe = new FluentBitPipeline();
    pipe.push('fw.tick', WALL0, tick({ year: 2026 }));
    for (let i = 0; i < 3; i++) {
      pipe.push('fw.ipmon', WALL0 + i, { log: `28/11/2026 10:00:00.00000${i} xl0 @0:1 p 10.0.0.${i + 1},1234 -> 192.0.2.1,53 PR udp len 20 60 OUT` });
    }
    const out = pipe.push('fw.tick', WALL0 + SEC, tick({ year: 2026, capacity: 1024 }));
    assert.deepEqual(out.map((r) => r.event.reason), ['forced_end', 'forced_end', 'forced_end']);
    const [stats] = pipe.push('fw.tick', WALL0 + 2 * SEC, tick('stats'));
    assert.equal(stats.ipmon.stats.table_capacity, 1024);
  });
});

// ── malformed input never traps ──────────────────────────────────────────────────────────────

describe('malformed records get a defined result and never trap', () => {
  const LINE = '02/06/2019 19:17:05.867915 external0 @0:1 p 172.24.4.2,65111 -> 172.24.4.133,22 PR tcp len 20 88 -AP IN';
  const CASES = [
    ['empty record', Buffer.alloc(0), 'empty'],
    ['not JSON', Buffer.from('Jul 26 04:04:32 fw ipmon[1]: hello'), 'not_json'],
    ['JSON array', Buffer.from('[{"log":"x"}]'), 'not_json'],
    ['JSON string', Buffer.from('"log"'), 'not_json'],
    ['truncated object', Buffer.from('{"log":"02/06/2019 19:17'), 'not_json'],
    ['missing colon', Buffer.from('{"log" "x"}'), 'not_json'],
    ['bad escape', Buffer.from('{"log":"a\\qb"}'), 'not_json'],
    ['short \\u escape', Buffer.from('{"log":"a\\u12"}'), 'not_json'],
    ['empty object', Buffer.from('{}'), 'missing_key'],
    ['other keys only', Buffer.from('{"msg":"x","n":1,"a":[1,{"b":null}],"t":true,"f":false}'), 'missing_key'],
    ['number value', Buffer.from('{"log":42}'), 'not_a_string'],
    ['null value', Buffer.from('{"log":null}'), 'not_a_string'],
    ['object value', Buffer.from('{"log":{"line":"x"}}'), 'not_a_string'],
    ['array value', Buffer.from('{"log":["x"]}'), 'not_a_string'],
    ['bad control value', Buffer.from('{"ipmon_flow":1}'), 'bad_control'],
    ['unknown control word', Buffer.from('{"ipmon_flow":"tock"}'), 'bad_control'],
    ['binary bytes', Buffer.from([0x7b, 0xff, 0x00, 0x22, 0x80, 0x7d, 0x01]), 'not_json'],
    ['NUL in the middle', Buffer.from('{"log":"a\u0000b"}'), null],
    ['empty line', Buffer.from('{"log":""}'), null],
  ];

  for (const [name, bytes, reason] of CASES) {
    test(name, () => {
      const wasm = new WasmFilter();
      wasm.call('fw.tick', 1, 0, tick());
      const r = wasm.callRaw('fw.ipmon', 2, 0, bytes);
      if (reason === null) {
        assert.ok(r.status === 'drop' || r.status === 'record', r.status);
      } else {
        assert.equal(r.status, 'record');
        const [rec] = r.records;
        assert.equal(rec.ipmon.record_type, 'rejected');
        assert.equal(rec.ipmon.reason, reason);
        assert.equal(rec.ipmon.record_bytes, bytes.length);
        assert.equal(rec.event.kind, 'pipeline_error');
        assert.ok(rec.error.message.length > 0);
      }
      assert.notEqual(wasm.call('fw.ipmon', 3, 0, { log: LINE }).status, 'trap', 'still alive');
      assertHealthy(wasm);
    });
  }

  test('escaped keys and values are decoded: \\u, surrogate pairs, \\", \\\\, lone surrogates', () => {
    const wasm = new WasmFilter();
    wasm.call('fw.tick', 1, 0, tick());
    const raw = '{"l\\u006fg":"caf\\u00e9 \\u2603 \\ud83d\\ude00 \\"q\\" back\\\\slash \\ud800 end\\/"}';
    const r = wasm.callRaw('fw.ipmon', 2, 0, Buffer.from(raw));
    assert.equal(r.records[0].message, 'café ☃ 😀 "q" back\\slash \ufffd end/');
  });

  test('the same text with json.escape_unicode off (raw UTF-8 in, §1.1)', () => {
    const wasm = new WasmFilter({ escapeUnicode: false });
    wasm.call('fw.tick', 1, 0, tick());
    const r = wasm.call('fw.ipmon', 2, 0, { log: 'café ☃ 😀' });
    assert.equal(r.records[0].message, 'café ☃ 😀');
  });

  test('invalid UTF-8 in a string (msgpack bytes) comes out as valid JSON', () => {
    for (const escapeUnicode of [true, false]) {
      const wasm = new WasmFilter({ escapeUnicode });
      wasm.call('fw.tick', 1, 0, tick());
      const r = wasm.call('fw.ipmon', 2, 0, { log: Buffer.from([0x41, 0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x42, 0xe2]) });
      assert.equal(r.status, 'record');
      assert.equal(r.records[0].ipmon.record_type, 'unparsed');
      assertHealthy(wasm);
    }
  });

  test('huge records (5 MB value; 5 MB other field) are refused or skipped, memory for them only', () => {
    const wasm = new WasmFilter({ wasmHeapSize: 16 << 20 }); // room for a 5 MB record
    wasm.call('fw.tick', 1, 0, tick());
    const big = 'x'.repeat(5 << 20);
    let r = wasm.call('fw.ipmon', 2, 0, { log: big });
    assert.equal(r.records[0].ipmon.reason, 'too_long');
    assert.ok(r.text.length < 2000, 'the rejected record quotes only the start');
    r = wasm.call('fw.ipmon', 3, 0, { other: big, log: LINE });
    assert.equal(r.status, 'drop', 'the line is used, the big field skipped');
    r = wasm.call('fw.ipmon', 4, 0, { other: big });
    assert.equal(r.records[0].ipmon.reason, 'missing_key');
    assertHealthy(wasm);
  });

  test('deep nesting (1M levels) before the key costs a loop, not the stack', () => {
    const wasm = new WasmFilter({ wasmHeapSize: 16 << 20 }); // room for a 2 MB record
    wasm.call('fw.tick', 1, 0, tick());
    const depth = 1_000_000;
    const raw = '{"deep":' + '['.repeat(depth) + '"]"' + ']'.repeat(depth) + ',"log":"' + LINE + '"}';
    assert.equal(wasm.callRaw('fw.ipmon', 2, 0, Buffer.from(raw)).status, 'drop');
    const unbalanced = '{"deep":' + '{'.repeat(depth) + '}';
    assert.equal(wasm.callRaw('fw.ipmon', 3, 0, Buffer.from(unbalanced)).records[0].ipmon.reason, 'not_json');
    assertHealthy(wasm);
  });

  test('3,000 random configurations (types, ranges, nesting, escapes): no trap', () => {
    const keys = ['year', 'utc_offset', 'udp_timeout', 'capacity', 'community_id_seed', 'active_timeout', 'close_grace',
      'key', 'stats_interval', 'bogus', 'tcp_timeout'];
    const values = ['1', '0', '-0', '1e308', '1e400', '-1e-7', '12345678901234567890', '2026', '2026.5', '"2026"', '"+01:00"',
      '"-05:30"', '"Z"', '"\\u00e9"', '"\\ud800"', 'true', 'false', 'null', '[]', '[1,2]', '{}', '{"a":{"b":[1,{"c":null}]}}',
      '"x"', '""', '0.000001', '60', '16', '16777216', '100000', '65535', '"+0130"', '-1080', '1081'];
    let seed = 7;
    const rand = (n) => ((seed = (seed * 1664525 + 1013904223) >>> 0) % n);
    const wasm = new WasmFilter();
    for (let i = 0; i < 3000; i++) {
      const members = Array.from({ length: 1 + rand(4) }, () => `"${keys[rand(keys.length)]}":${values[rand(values.length)]}`);
      const r = wasm.callRaw('fw.tick', 1000 + i, 0, Buffer.from(`{"ipmon_flow":{${members.join(',')}}}`));
      assert.ok(r.status === 'drop' || r.status === 'record', `${r.status} ${members}`);
      wasm.call('fw.ipmon', 1000 + i, 1, { log: LINE });
    }
    assertHealthy(wasm);
  });

  test('20,000 random mutations of real records: no trap, every answer valid', () => {
    const wasm = new WasmFilter();
    wasm.call('fw.tick', 1, 0, tick({ year: 2019 }));
    const seeds = [
      encodeRecordJson({ log: LINE }),
      encodeRecordJson({ ipmon_flow: { year: 2019, udp_timeout: 5, key: 'log' } }),
      encodeRecordJson({ message: 'Jul 26 04:04:32 10.50.12.32 ipmon[137]: [local2.info] 04:04:31.438987 e1000g0 @-1:-1 L 10.50.12.32,10050 -> 10.50.13.2,45380 PR tcp len 20 55 -AFP OUT', host: 'fw' }),
      encodeRecordJson({ ipmon_flow: 'stats' }),
      encodeRecordJson({ log: 'café \u2603 "quoted" \\ back', n: [1, 2, { a: null }] }),
    ].map((s) => Buffer.from(s));
    let seed = 12345;
    const rand = (n) => ((seed = (seed * 1664525 + 1013904223) >>> 0) % n);
    for (let i = 0; i < 20_000; i++) {
      const b = Buffer.from(seeds[rand(seeds.length)]);
      const edits = 1 + rand(4);
      let m = b;
      for (let e = 0; e < edits; e++) {
        const op = rand(4);
        const at = rand(m.length + 1);
        if (op === 0) m[Math.min(at, m.length - 1)] = rand(256);
        else if (op === 1) m = Buffer.concat([m.subarray(0, at), Buffer.from([rand(256)]), m.subarray(at)]);
        else if (op === 2) m = Buffer.concat([m.subarray(0, at), m.subarray(Math.min(m.length, at + 1 + rand(8)))]);
        else m = m.subarray(0, at);
      }
      const r = wasm.callRaw('fw.ipmon', 10 + i, 0, m);
      assert.ok(r.status === 'record' || r.status === 'drop', `${r.status} for ${m.toString('latin1')}`);
      if (r.status === 'record') assert.ok(Array.isArray(r.records) && r.records.length > 0);
    }
    assertHealthy(wasm);
  });
});

// ── memory ───────────────────────────────────────────────────────────────────────────────────

test('linear memory stays flat over 1M records, WAMR\'s app heap untouched', () => {
  const wasm = new WasmFilter();
  wasm.call('fw.tick', WALL0 / SEC, 0, tick({ year: 2026 }));
  const base = Date.UTC(2026, 0, 1) * 1000;
  const pages = [];
  let emitted = 0;
  const N = 1_000_000;
  for (let i = 0; i < N; i++) {
    const t = base + i * 2000; // 2 ms apart
    const f = i >> 4; // 16 packets a flow, then it idles out 60 s later: ~1900 flows open
    const s = new Date(t / 1000);
    const ts = `${String(s.getUTCDate()).padStart(2, '0')}/${String(s.getUTCMonth() + 1).padStart(2, '0')}/2026 ` +
      `${s.toISOString().slice(11, 19)}.${String(t % SEC).padStart(6, '0')}`;
    const line = i % 997 === 0
      ? `${ts} unparseable junk ${i}`
      : `${ts} em0 @0:1 p 10.${(f >> 16) & 255}.${(f >> 8) & 255}.${f & 255},${1024 + (f % 60000)} -> 192.0.2.53,53 PR udp len 20 ${60 + (i & 63)} ${i & 1 ? 'IN' : 'OUT'}`;
    const wall = WALL0 + i * 2000;
    const r = wasm.callRaw('fw.ipmon', Math.floor(wall / SEC), (wall % SEC) * 1000, Buffer.from(`{"log":"${line}"}`));
    if (r.status === 'record') emitted += r.records.length;
    if (i % 500 === 0) {
      const h = wasm.call('fw.tick', Math.floor(wall / SEC), (wall % SEC) * 1000, tick());
      if (h.status === 'record') emitted += h.records.length;
    }
    if (i === 100_000 || i === N - 1) pages.push(wasm.memoryPages());
  }
  assertHealthy(wasm);
  assert.ok(emitted > 50_000, `emitted ${emitted}`);
  // after warm-up nothing may grow: not the output buffer, not the heap the copies come from
  assert.ok(pages[1] <= pages[0] + 1, `pages after 100k: ${pages[0]}, after 1M: ${pages[1]}`);
  assert.ok(wasm.appHeap.intact(), 'the module wrote into WAMR\'s app heap');
  console.log(`# memory: ${pages[0]} pages after 100k records, ${pages[1]} after 1M; ${emitted} records emitted`);
});

// ── emulation fidelity ───────────────────────────────────────────────────────────────────────

describe('emulator', () => {
  test('record JSON is escaped as flb_utils_write_str does (escape_unicode on)', () => {
    assert.equal(encodeRecordJson({ log: 'a"b\\c\n\t\u0001\u007f/é☃😀' }), '{"log":"a\\"b\\\\c\\n\\t\\u0001\\u007f/\\u00e9\\u2603\\ud83d\\ude00"}');
    // a byte that cannot start UTF-8 becomes U+E0xx; a truncated sequence at the end is skipped
    assert.equal(escapeJsonBytes(Buffer.from([0x41, 0xff, 0x42, 0x43, 0x44, 0x45, 0x46, 0xc3])), 'A\ue0ffBCDEF');
  });

  test('Lua conversion keeps arrays, maps, integers and floats apart', () => {
    const lua = new LuaFilter();
    const envelope = { records: [{ a: [1, 2.5, 'x', true], b: {}, c: [] }, { d: { e: -3 } }] };
    const out = lua.filter('t', 1.5, envelope);
    assert.deepEqual(out.map((o) => o.body), envelope.records);
  });

  test('shipped split.lua and function names exist where the configs say', () => {
    assert.doesNotThrow(() => new LuaFilter(SPLIT_LUA, SPLIT_CALL));
  });
});

// ── a late first heartbeat (seen in a real Fluent Bit 5.1.1 without flush_on_startup) ────────

test('a heartbeat that changes the year after lines went through restarts the clock, so flows still end on time', () => {
  // More than the 4 MiB start-up hold arrives before the first heartbeat: those lines are read
  // with the record time's year (2026); the heartbeat then says 2024.
  const gen = generateTraffic({ seed: 9, lines: 60000, concurrency: 1500, format: 'syslog', observers: ['fw1'] });
  const pipe = new FluentBitPipeline();
  const out = [];
  const switchAt = 45000;
  let wall = WALL0;
  gen.lines.forEach((line, i) => {
    wall += 15;
    out.push(...pipe.push('fw.ipmon', wall, { log: line }));
    if (i + 1 === switchAt) out.push(...pipe.push('fw.tick', wall, { ipmon_flow: { year: 2024 } }));
  });
  const flushed = pipe.push('fw.tick', wall + SEC, { ipmon_flow: 'flush' });
  const flows = [...out, ...flushed].filter((r) => r.ipmon?.record_type === 'flow');
  const before = flows.filter((f) => f.event.start.startsWith('2026'));
  const after = flows.filter((f) => f.event.start.startsWith('2024'));
  assert.ok(before.length > 0 && after.length > 0);
  assert.equal(before.length + after.length, flows.length);
  // the switch reports what the old clock held, once
  assert.ok(before.every((f) => f.ipmon.end_reason !== 'lack_of_resources'));
  // after it, flows end by their own timeouts, not only at the final flush
  const timedOut = after.filter((f) => f.ipmon.end_reason === 'idle_timeout' || f.ipmon.end_reason === 'end_of_flow');
  assert.ok(timedOut.length > after.length / 2, `${timedOut.length} of ${after.length} ended on time`);
  const packets = flows.reduce((n, f) => n + f.network.packets, 0);
  assert.equal(packets, gen.totals.packets, 'no packet lost across the switch');
});

// ── shipped configs ──────────────────────────────────────────────────────────────────────────

describe('shipped Fluent Bit configs', () => {
  const dir = join(ROOT, 'fluent-bit');
  const FILES = ['fluent-bit.yaml', 'fluent-bit.conf', 'fluent-bit-stdout.yaml', 'fluent-bit-stdout.conf'];

  /** key/value pairs of one section, from classic .conf or YAML (flat enough for these files). */
  function settings(text, yaml) {
    const pairs = [];
    for (const raw of text.split('\n')) {
      const line = raw.replace(/^\s*-\s+/, '  ').trim();
      if (!line || line.startsWith('#') || line.startsWith('[')) continue;
      const m = yaml ? /^([A-Za-z_.]+):\s*(.*)$/.exec(line) : /^([A-Za-z_.]+)\s+(.*)$/.exec(line);
      if (m) pairs.push([m[1].toLowerCase(), m[2].replace(/\s+#.*$/, '').replace(/^'(.*)'$/, '$1').trim()]);
    }
    return pairs;
  }

  for (const file of FILES) {
    test(file, () => {
      const text = readFileSync(join(dir, file), 'utf8');
      const kv = settings(text, file.endsWith('.yaml'));
      const get = (k) => kv.filter(([key]) => key === k).map(([, v]) => v);
      assert.deepEqual(get('function_name'), [FUNCTION_NAME]);
      assert.deepEqual(get('event_format'), ['json']);
      const [wasmPath] = get('wasm_path');
      assert.ok(wasmPath.startsWith('/'), 'Wasm_Path must be absolute (relative paths follow the CWD, §1.3)');
      assert.ok(wasmPath.endsWith('ipmon-flow.wasm'));
      assert.deepEqual(get('call'), [SPLIT_CALL]);
      // only envelopes reach split.lua: rewrite_tag retags them on the module's string marker
      const [rule] = get('rule');
      const [key, regex, newTag, keep] = rule.split(/\s+/);
      assert.equal(key, '$ipmon_envelope');
      assert.ok(new RegExp(regex).test('1'), 'the rule matches the envelope marker');
      assert.equal(keep, 'false', 'the envelope is moved, not copied (else its records would pass twice)');
      assert.ok(get('match').includes('split.*') && newTag.startsWith('split.'), 'the lua filter matches the new tag');
      const [outputs] = get('match_regex');
      for (const tag of ['fw.ipmon', 'fw.tick', newTag]) assert.ok(new RegExp(outputs).test(tag), `the output takes ${tag}`);
      assert.ok(get('script')[0].endsWith('/split.lua'));
      assert.ok(!get('threaded').includes('on'), 'no threaded inputs into one wasm instance (§1.8)');
      // the heartbeat (and its configuration) must reach the filter before tail's first lines:
      // without it a real Fluent Bit 5.1.1 let a backlog through under the wrong year
      assert.deepEqual(get('flush_on_startup'), ['true']);
      // the heartbeat record is one the module recognises, and its configuration is accepted
      const [dummy] = get('dummy');
      const wasm = new WasmFilter();
      const r = wasm.callRaw('fw.tick', 1, 0, Buffer.from(encodeRecordJson(JSON.parse(dummy))));
      assert.equal(r.status, 'drop', `heartbeat gave ${r.text}`);
      if (file.includes('stdout')) assert.ok(get('name').includes('stdout'));
      else assert.ok(get('name').includes('es'));
    });
  }
});
