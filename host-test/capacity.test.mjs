// A full flow table reports its least recently seen flow early (lack_of_resources) instead of
// dropping it, and linear memory stays flat however long the input runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowEngine, parseNdjson, correlate } from '../host/index.mjs';
import { ofType } from './lib/project.mjs';

const pad = (n, w) => String(n).padStart(w, '0');
const at = (s) => `26/07/2021 ${pad(Math.floor(s / 3600) % 24, 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}.000000`;

test('table full: the oldest flow is reported with lack_of_resources, nothing is lost', async () => {
  const lines = [];
  for (let i = 0; i < 100; i++) {
    lines.push(`${at(i)} em0 @0:1 p 10.0.${i >> 8}.${i & 255},${20000 + i} -> 192.0.2.1,53 PR udp len 20 60 IN`);
  }
  // one early flow keeps talking, so it is never the least recently seen
  for (let i = 0; i < 100; i += 10) lines.push(`${at(i)} em0 @0:1 p 10.9.9.9,4444 -> 192.0.2.1,53 PR udp len 20 70 IN`);
  lines.sort();
  const records = await correlate(lines.join('\n') + '\n', { capacity: 16 });
  const flows = ofType(records, 'flow');
  const stats = ofType(records, 'stats')[0].ipmon.stats;
  assert.equal(stats.table_high_water, 16);
  assert.equal(stats.evictions, 101 - 16);
  assert.equal(flows.filter((f) => f.ipmon.end_reason === 'lack_of_resources').length, 101 - 16);
  assert.equal(flows.length, 101);
  assert.equal(flows.reduce((n, f) => n + f.network.packets, 0), stats.packets);
  assert.equal(flows.reduce((n, f) => n + f.network.bytes, 0), stats.bytes);
  const busy = flows.filter((f) => f.source.ip === '10.9.9.9');
  assert.equal(busy.length, 1, 'the busy flow was never evicted');
  assert.equal(busy[0].source.packets, 10);
  // the evicted ones go oldest first
  const evicted = flows.filter((f) => f.ipmon.end_reason === 'lack_of_resources').map((f) => f.source.port);
  assert.deepEqual(evicted, [...evicted].sort((a, b) => a - b));
});

test('linear memory is flat over 400k lines once the table and buffers are warm', () => {
  const engine = new FlowEngine({ capacity: 128 }); // ~250 attempts are open at once: evictions happen
  const batch = (k) => {
    const out = [];
    for (let i = 0; i < 20000; i++) {
      const n = k * 20000 + i;
      const s = 1000 + Math.floor(n / 50);
      out.push(`${at(s)} em0 @0:1 p 10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255},${1024 + (n % 50000)} -> 198.51.100.${n % 7},443 PR tcp len 20 60 -S IN`);
    }
    return out.join('\n') + '\n';
  };
  let emitted = 0;
  let warm = 0;
  for (let k = 0; k < 20; k++) {
    emitted += parseNdjson(engine.push(batch(k))).length;
    if (k === 4) warm = engine.memoryBytes();
  }
  emitted += parseNdjson(engine.flush()).length;
  assert.equal(engine.memoryBytes(), warm, 'no growth after warm-up');
  // every line here ends a flow, so one 20k-line call returns ~22 MB of records: the output
  // buffer (grown by doubling) dominates; the table itself is capacity × ~176 bytes
  assert.ok(warm < 96 * 1024 * 1024, `memory ${warm}`);
  const stats = parseNdjson(engine.stats())[0].ipmon.stats;
  assert.equal(stats.lines_read, 400000);
  assert.equal(emitted, stats.flows_emitted);
  assert.ok(stats.evictions > 0);
});

test('linear memory per tracked flow, from memory growth between capacities: 128 bytes (issue 8)', () => {
  const memoryAt = (capacity) => new FlowEngine({ capacity }).memoryBytes();
  for (const [a, b] of [[1 << 16, 1 << 19], [1 << 19, 1 << 20], [1 << 14, 1 << 17]]) {
    const perFlow = (memoryAt(b) - memoryAt(a)) / (b - a);
    // slots (120) and index (8): the table's pages come straight from memory.grow, so there is
    // no allocator rounding (before: 136 to 265 bytes, depending on the capacities)
    assert.ok(perFlow <= 128 + 65536 / (b - a), `${perFlow} bytes a flow between ${a} and ${b}`);
  }
});
