// Bounded output (issue 8): the Node host feeds the module 64 KiB of lines per call and takes a
// flush in pieces, so what one call writes, and the module's output buffer with it, stays near
// a megabyte even when every line ends a flow (a SYN flood from spoofed sources against a full
// table). The pieces must add up to exactly what one call wrote before.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { FlowEngine } from '../host/engine.mjs';
import { StreamSink } from '../host/sinks.mjs';
import { generateTraffic } from './lib/generator.mjs';
import { synFlood, trappingWhen } from './lib/hostile.mjs';

const sorted = (buf) => buf.toString('utf8').split('\n').filter(Boolean).map((l) => l.replace(/"table_probe_steps":\d+,?/, '')).sort();

test('pieces add up to the one-call output: same records, same stats', () => {
  const { text } = generateTraffic({ lines: 60_000, seed: 5, format: 'mixed' });
  const whole = new FlowEngine({ year: 2024 });
  const once = Buffer.concat([whole.push(text), whole.end()]);
  const pieced = new FlowEngine({ year: 2024 });
  const parts = [];
  // odd chunk sizes: lines cut across chunks, and chunks larger than a piece
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += 150_001) parts.push(...pieced.pushPieces(bytes.subarray(i, i + 150_001)));
  parts.push(pieced.drain(), ...pieced.flushPieces(), pieced.stats());
  assert.ok(parts.length > 10, `fed in pieces (${parts.length})`);
  assert.deepEqual(sorted(Buffer.concat(parts)), sorted(once));
});

test('a SYN flood against a full table: no piece passes a megabyte, and the flush comes in pieces', () => {
  const engine = new FlowEngine({ year: 2024, capacity: 4096 });
  let biggest = 0;
  let records = 0;
  const bytes = Buffer.from(synFlood(40_000));
  for (const piece of engine.pushPieces(bytes)) {
    biggest = Math.max(biggest, piece.length);
    records += piece.toString('utf8').split('\n').filter(Boolean).length;
  }
  assert.equal(records, 40_000 - 4096, 'every line past the table ends a flow');
  assert.ok(biggest < 1 << 20, `biggest push piece ${biggest} bytes`);
  const flushed = [...engine.flushPieces()];
  assert.ok(flushed.length >= 4, `flush in ${flushed.length} pieces`);
  for (const piece of flushed) assert.ok(piece.length < (256 << 10) + 4096, `flush piece ${piece.length} bytes`);
  assert.equal(flushed.reduce((n, p) => n + p.toString('utf8').split('\n').filter(Boolean).length, 0), 4096);
  const stats = JSON.parse(engine.stats().toString('utf8')).ipmon.stats;
  assert.equal(stats.flows_emitted, 40_000);
  assert.equal(stats.flows_open, 0);
});

test('a trap in the middle of a flush: the instance starts again and the flush ends with every flow once', () => {
  // the module traps on the third flush piece (once): recovery replays the pieces already taken
  let calls = 0;
  const make = trappingWhen('node_flush_some', () => ++calls === 3);
  const engine = new FlowEngine({ year: 2024, capacity: 8192 }, { instantiate: make });
  for (const piece of engine.pushPieces(synFlood(6_000))) assert.equal(piece.length, 0);
  const out = Buffer.concat([...engine.flushPieces()]).toString('utf8').split('\n').filter(Boolean);
  assert.equal(engine.trap.traps, 1);
  assert.equal(out.length, 6_000);
  assert.equal(new Set(out.map((l) => JSON.parse(l).network.community_id + JSON.parse(l).source.port)).size, 6_000);
});

test('reused pieces: the same bytes as fresh ones, all in one buffer the next piece overwrites', () => {
  const bytes = Buffer.from(synFlood(30_000));
  const fresh = new FlowEngine({ year: 2024, capacity: 4096 });
  const expected = Buffer.concat([...fresh.pushPieces(bytes), ...fresh.flushPieces()]);
  const reused = new FlowEngine({ year: 2024, capacity: 4096 });
  const got = [];
  const backing = new Set();
  const take = (piece) => {
    if (piece.length === 0) return;
    backing.add(piece.buffer);
    got.push(Buffer.from(piece)); // copied before the next piece overwrites it
  };
  for (const piece of reused.pushPieces(bytes, { reuse: true })) take(piece);
  for (const piece of reused.flushPieces({ reuse: true })) take(piece);
  assert.ok(got.length > 10, `${got.length} pieces`);
  assert.equal(backing.size, 1, 'one buffer behind every piece');
  assert.ok(Buffer.concat(got).equals(expected));
});

test('StreamSink.write resolves only once the stream is done with the bytes (callers reuse them)', async () => {
  // a slow stream that reads each chunk late, as a socket or a full pipe does
  const seen = [];
  const stream = new Writable({
    highWaterMark: 1 << 20, // chunks stay under it: write() returns true while still holding them
    write(chunk, _enc, done) {
      setTimeout(() => {
        if (chunk.length) seen.push(chunk.toString('latin1')); // not the barrier's empty writes
        done();
      }, 2);
    },
  });
  const sink = new StreamSink(stream);
  const buf = Buffer.alloc(100);
  const sent = [];
  for (let i = 0; i < 20; i++) {
    buf.fill(65 + i); // the caller overwrites its one buffer for every write
    sent.push(buf.toString('latin1'));
    await sink.write(buf);
  }
  await sink.close();
  assert.deepEqual(seen, sent);
});
