// Checkpoints in bounded pieces (issue 8, memory under a flood): the host takes the snapshot
// blob from the module a few hundred KiB at a time, so the module's output buffer, and with it
// linear memory (which never shrinks), no longer grows to the size of the table at the first
// checkpoint. The pieces must add up to exactly the blob that one call writes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowEngine, parseNdjson } from '../host/engine.mjs';
import { generateTraffic } from './lib/generator.mjs';
import { synFlood, trappingOn } from './lib/hostile.mjs';

/** The blob as the module writes it in one call (node_snapshot), copied out. */
function oneCallBlob(engine) {
  const x = engine.x;
  const len = x.node_snapshot();
  return Buffer.from(new Uint8Array(x.memory.buffer, x.out_ptr(), len));
}

test('snapshot() from pieces is byte for byte the one-call blob, and restores', () => {
  const { text } = generateTraffic({ lines: 40_000, seed: 11, format: 'mixed', observers: ['fw1', 'fw2'] });
  const engine = new FlowEngine({ year: 2024 });
  engine.push(text);
  engine.push(synFlood(5_000)); // open flows enough for several pieces
  const pieced = engine.snapshot();
  assert.ok(pieced.length > 256 << 10, `a blob of several pieces (${pieced.length} bytes)`);
  assert.ok(pieced.equals(oneCallBlob(engine)));
  const again = new FlowEngine({ year: 2024 });
  again.restore(pieced);
  assert.deepEqual(parseNdjson(again.flush()).length, parseNdjson(engine.flush()).length);
});

test('the raw pieces: each near the limit, in order the blob; any other call drops the rest', () => {
  const engine = new FlowEngine({ year: 2024, capacity: 8192 });
  engine.push(synFlood(10_000));
  const x = engine.x;
  const whole = oneCallBlob(engine);
  const parts = [];
  do {
    const len = x.node_snapshot_some(4096);
    assert.ok(len < 4096 + 1024, `piece of ${len} bytes`);
    parts.push(Buffer.from(new Uint8Array(x.memory.buffer, x.out_ptr(), len)));
  } while (x.node_snapshot_more() === 1);
  assert.ok(parts.length > 100);
  assert.ok(Buffer.concat(parts).equals(whole));
  // started, then interrupted by another call: the next piece starts a new blob
  const first = x.node_snapshot_some(4096);
  const head = Buffer.from(new Uint8Array(x.memory.buffer, x.out_ptr(), first));
  assert.equal(x.node_snapshot_more(), 1);
  x.node_stats();
  assert.equal(x.node_snapshot_more(), 0);
  const len = x.node_snapshot_some(4096);
  assert.ok(Buffer.from(new Uint8Array(x.memory.buffer, x.out_ptr(), len)).equals(head));
});

test('checkpoints under a full table (SYN flood, default capacity) leave linear memory where it started', () => {
  const engine = new FlowEngine({ year: 2024 });
  const fresh = engine.memoryBytes();
  // 110k lines, ~10 MiB: past CHECKPOINT_BYTES of input, so the host checkpoints a full table
  for (const piece of engine.pushPieces(synFlood(110_000))) assert.ok(piece.length < 1 << 20);
  const blob = engine.snapshot();
  assert.ok(blob.length > 8 << 20, `the table's state is ${blob.length} bytes`);
  assert.ok(engine.memoryBytes() <= fresh + (2 << 20), `linear memory ${engine.memoryBytes()} from ${fresh}`);
});

test('a trap after a checkpoint of a full table: recovery from it loses and doubles nothing', () => {
  const MARKER = 'HOSTILE-LINE';
  // once: memory corrupted under the instance, gone with it
  const make = trappingOn(MARKER, { times: 1 });
  const text = synFlood(100_000) + `${MARKER}\n` + synFlood(20_000, 100_000);
  const run = (engine) => {
    const out = [];
    for (const piece of engine.pushPieces(text)) out.push(Buffer.from(piece));
    out.push(engine.end());
    return parseNdjson(Buffer.concat(out));
  };
  const clean = run(new FlowEngine({ year: 2024 }));
  const trapped = new FlowEngine({ year: 2024 }, { instantiate: make });
  const records = run(trapped);
  assert.equal(trapped.trap.traps, 1);
  const key = (r) => `${r.source.ip},${r.source.port}`;
  const flows = (rs) => rs.filter((r) => r.ipmon?.record_type === 'flow').map(key).sort();
  const got = flows(records);
  assert.equal(got.length, 120_000);
  assert.equal(new Set(got).size, 120_000, 'no flow twice');
  assert.deepEqual(got, flows(clean));
});
