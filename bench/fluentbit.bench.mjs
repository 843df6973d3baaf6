// Records per second through the Fluent Bit entry point (filter_ipmon_flow) under the Node
// emulation of Fluent Bit's call sequence (host-test/lib/fluentbit-emulator.mjs: JSON record
// copied into WAMR's app heap, the call, the returned C string read and parsed, the copies freed),
// beside two no-op filters under the very same emulation: one that returns a copy of each record
// (issue 8's baseline: Fluent Bit then parses every record back) and one that drops every record
// (the host's bare per-record work). The ratios show what the correlation itself costs on top of
// the host's. Target: ratio to the copying no-op >= 0.8. Beside them, the correlator floor
// (lib/floor-correlator.ts: find the log string, parse, keyed hash, probe, counters; no time,
// state or records out): what any correlator costs at least, under the same emulation.
//
//   node bench/fluentbit.bench.mjs          (standalone; `npm run bench` calls run())
//
// The no-ops are compiled here from inline AssemblyScript with the release build's runtime
// flags (asconfig.json's runtime and exportRuntime, no env.abort); like the module it exports no
// allocator, so both get their copies from the emulated app heap. Median of interleaved runs,
// each on a fresh instance. These are emulation figures: real Fluent Bit adds its own
// msgpack/JSON work to both sides (fluent-bit-wasm.md §4).

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DEFAULT_WASM, WasmFilter, encodeRecordJson } from '../host-test/lib/fluentbit-emulator.mjs';
import { generateTraffic } from '../host-test/lib/generator.mjs';
import { compileFloor } from './lib/floor-correlator.mjs';

const NOOP_SOURCE = `
/** Fluent Bit's filter signature, doing nothing: the record is dropped. */
export function filter_noop(tag: usize, tagLen: u32, sec: u32, nsec: u32, rec: usize, len: u32): usize {
  return 0;
}

const COPY_CAP: usize = 256 * 1024;
const COPY: usize = memory.data(<i32>COPY_CAP);

/** Fluent Bit's filter signature, handing back a NUL-terminated copy of the record. */
export function filter_copy(tag: usize, tagLen: u32, sec: u32, nsec: u32, rec: usize, len: u32): usize {
  if (<usize>len >= COPY_CAP) return 0;
  memory.copy(COPY, rec, len);
  store<u8>(COPY + len, 0);
  return COPY;
}
`;

/** Compiles the no-op modules with the release build's runtime options (read from asconfig.json); its bytes. */
async function compileNoop() {
  const { default: asc } = await import('assemblyscript/asc');
  const asconfig = JSON.parse(readFileSync(new URL('../asconfig.json', import.meta.url), 'utf8'));
  const r = await asc.compileString({ 'noop.ts': NOOP_SOURCE }, {
    // declared pages for the copy buffer, as a module with data has: WAMR's heap then starts
    // past them, and a return of 0 reads as the empty string (fluent-bit-wasm.md §1.2)
    optimizeLevel: 3, runtime: asconfig.options.runtime, exportRuntime: asconfig.options.exportRuntime, use: ['abort='], initialMemory: 5,
  });
  if (r.error || !r.binary) throw new Error(`asc: ${r.error?.message ?? ''} ${r.stderr}`);
  return Buffer.from(r.binary);
}

/** The records a tail + dummy pipeline would hand the filter: bodies, times, and their JSON. */
function makeRecords(lines, tickEvery) {
  const records = [];
  const base = Date.UTC(2026, 10, 28) / 1000;
  const tick = { ipmon_flow: 'tick' };
  const add = (body, us) => records.push({
    body, json: Buffer.from(encodeRecordJson(body)), sec: base + Math.floor(us / 1e6), nsec: (us % 1e6) * 1000,
  });
  lines.forEach((line, i) => {
    const us = i * 20; // 50k lines per second of wall time
    add({ log: line }, us);
    if (i % tickEvery === 0) add(tick, us);
  });
  return records;
}

/**
 * One timed pass of every record through a fresh filter instance; records per second. With
 * `encode`, each body is serialised to JSON inside the loop as Fluent Bit does per record
 * (flb_msgpack_to_json_str, §1.1); without, the JSON is made up front and only the copies,
 * the call and the answer are timed.
 */
function pass(options, configJson, records, encode) {
  const f = new WasmFilter(options);
  if (configJson) f.callRaw('fw.tick', records[0].sec, 0, configJson);
  let out = 0;
  let returned = 0;
  const t0 = process.hrtime.bigint();
  for (const r of records) {
    const res = encode ? f.call('fw.ipmon', r.sec, r.nsec, r.body) : f.callRaw('fw.ipmon', r.sec, r.nsec, r.json);
    if (res.status === 'record') {
      out += res.records.length;
      returned++;
    } else if (res.status !== 'drop') throw new Error(`filter ${options.functionName ?? 'filter_ipmon_flow'}: ${res.status} ${res.error ?? ''}`);
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return { rate: records.length / (ns / 1e9), out, returned };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en');

/** Runs the benchmark, prints a summary and returns the figures. */
export async function run({ lines: lineCount = 1_000_000, rounds = 5, log = console.log } = {}) {
  const noop = await compileNoop();
  const gen = generateTraffic({ seed: 5, lines: lineCount, concurrency: 2000, format: 'syslog', observers: ['fw1', 'fw2'] });
  const records = makeRecords(gen.lines, 1000);
  const config = Buffer.from(encodeRecordJson({ ipmon_flow: { year: 2024 } }));
  const flow = { wasmPath: DEFAULT_WASM };
  const none = { bytes: noop, functionName: 'filter_noop' };
  const copy = { bytes: noop, functionName: 'filter_copy' };
  const floor = { bytes: await compileFloor(), functionName: 'filter_floor' };
  // warm-up: let V8 tier the code up before timing
  for (const encode of [true, false]) {
    pass(flow, config, records.slice(0, 40_000), encode);
    pass(none, null, records.slice(0, 40_000), encode);
    pass(copy, null, records.slice(0, 40_000), encode);
    pass(floor, null, records.slice(0, 40_000), encode);
  }
  const rates = { flowFull: [], noopFull: [], copyFull: [], floorFull: [], flowCall: [], noopCall: [], copyCall: [], floorCall: [] };
  let emitted = 0;
  let returned = 0;
  for (let i = 0; i < rounds; i++) {
    const a = pass(flow, config, records, true);
    rates.flowFull.push(a.rate);
    emitted = a.out;
    returned = a.returned;
    rates.copyFull.push(pass(copy, null, records, true).rate);
    rates.noopFull.push(pass(none, null, records, true).rate);
    rates.floorFull.push(pass(floor, null, records, true).rate);
    rates.flowCall.push(pass(flow, config, records, false).rate);
    rates.copyCall.push(pass(copy, null, records, false).rate);
    rates.noopCall.push(pass(none, null, records, false).rate);
    rates.floorCall.push(pass(floor, null, records, false).rate);
  }
  const m = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, median(v)]));
  const result = {
    name: 'fluentbit',
    records: records.length,
    emitted,
    returned,
    flowRecordsPerSec: Math.round(m.flowFull),
    copyRecordsPerSec: Math.round(m.copyFull),
    noopRecordsPerSec: Math.round(m.noopFull),
    ratio: Number((m.flowFull / m.copyFull).toFixed(3)),
    ratioToDrop: Number((m.flowFull / m.noopFull).toFixed(3)),
    floorRecordsPerSec: Math.round(m.floorFull),
    ratioToFloor: Number((m.flowFull / m.floorFull).toFixed(3)),
    callOnly: {
      flowRecordsPerSec: Math.round(m.flowCall),
      copyRecordsPerSec: Math.round(m.copyCall),
      noopRecordsPerSec: Math.round(m.noopCall),
      ratio: Number((m.flowCall / m.copyCall).toFixed(3)),
      ratioToDrop: Number((m.flowCall / m.noopCall).toFixed(3)),
      floorRecordsPerSec: Math.round(m.floorCall),
      ratioToFloor: Number((m.flowCall / m.floorCall).toFixed(3)),
    },
  };
  log(`fluentbit: records/s through the wasm filter entry under the Fluent Bit emulation (median of ${rounds} interleaved runs, ` +
    `${fmt(records.length)} records; ${fmt(emitted)} records out in ${fmt(returned)} answers)`);
  log(`  full call sequence (JSON-encode, copy in, call, read, free): filter_ipmon_flow ${fmt(m.flowFull)}, ` +
    `copying no-op ${fmt(m.copyFull)}, ratio ${result.ratio} (target >= 0.8); dropping no-op ${fmt(m.noopFull)}, ratio ${result.ratioToDrop}; ` +
    `correlator floor ${fmt(m.floorFull)}, ratio ${result.ratioToFloor}`);
  log(`  copies and call only (JSON made up front):                 filter_ipmon_flow ${fmt(m.flowCall)}, ` +
    `copying no-op ${fmt(m.copyCall)}, ratio ${result.callOnly.ratio}; dropping no-op ${fmt(m.noopCall)}, ratio ${result.callOnly.ratioToDrop}; ` +
    `correlator floor ${fmt(m.floorCall)}, ratio ${result.callOnly.ratioToFloor}`);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
