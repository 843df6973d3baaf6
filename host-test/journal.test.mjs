// The trap journal under memory limits (issue 8, memory under a flood): input read from a regular
// file is journaled as its place in the file (read again, and checked, after a trap) instead of
// a copy; checkpoints are held deflated, and a trap while one is written leaves the one before.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { FlowEngine, parseNdjson } from '../host/engine.mjs';
import { synFlood, trappingOn } from './lib/hostile.mjs';

const MARKER = 'HOSTILE-LINE';
const haveCrc = typeof zlib.crc32 === 'function';

function withFile(text, fn) {
  const dir = mkdtempSync(join(tmpdir(), 'ipmon-journal-'));
  const path = join(dir, 'in.log');
  writeFileSync(path, text);
  const fd = openSync(path, 'r+');
  try {
    return fn(fd, path);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads fd as the CLI does (one reused buffer), pushing each chunk with its origin. */
function readWithOrigin(engine, fd, { chunk = 1 << 20, beforeChunk = () => {} } = {}) {
  const out = [];
  const buf = Buffer.alloc(chunk);
  for (let position = 0, i = 0; ; i++) {
    beforeChunk(i, position);
    const n = readSync(fd, buf, 0, chunk, position);
    if (n === 0) break;
    for (const piece of engine.pushPieces(buf.subarray(0, n), { origin: { fd, position } })) out.push(Buffer.from(piece));
    position += n;
  }
  out.push(engine.end());
  return parseNdjson(Buffer.concat(out));
}

const flowKeys = (rs) => rs.filter((r) => r.ipmon?.record_type === 'flow').map((r) => `${r.source.ip},${r.source.port}`).sort();

test('input from a file, journaled by place: a trap after checkpoints (more than 32 MiB) loses and doubles nothing', { skip: !haveCrc && 'no zlib.crc32' }, () => {
  // ~38 MiB: a checkpoint of a full table, then the trap, then more input
  const text = synFlood(380_000) + `${MARKER}\n` + synFlood(20_000, 380_000);
  const clean = new FlowEngine({ year: 2024 });
  const expected = flowKeys(parseNdjson(Buffer.concat([...clean.pushPieces(text)].map((p) => Buffer.from(p)).concat(clean.end()))));
  withFile(text, (fd) => {
    const engine = new FlowEngine({ year: 2024 }, { instantiate: trappingOn(MARKER, { times: 1 }) });
    const got = flowKeys(readWithOrigin(engine, fd));
    assert.equal(engine.trap.traps, 1);
    assert.equal(engine.trap.restarts, 1);
    assert.equal(got.length, 400_000);
    assert.equal(new Set(got).size, got.length, 'no flow twice');
    assert.deepEqual(got, expected);
  });
});

test('a file that changed under the journal: recovery says so instead of replaying other bytes', { skip: !haveCrc && 'no zlib.crc32' }, () => {
  const text = synFlood(2_000) + `${MARKER}\n` + synFlood(100, 2_000);
  withFile(text, (fd) => {
    const engine = new FlowEngine({ year: 2024 }, { instantiate: trappingOn(MARKER, { times: 1 }) });
    // the first chunk is journaled by place, then the file is overwritten before the trap
    const first = text.indexOf('\n', 4096) + 1;
    const buf = Buffer.from(text);
    for (const _ of engine.pushPieces(buf.subarray(0, first), { origin: { fd, position: 0 } }));
    writeSync(fd, Buffer.from('X'), 0, 1, 10);
    assert.throws(
      () => [...engine.pushPieces(buf.subarray(first), { origin: { fd, position: first } })],
      /cannot be read again: the file changed/,
    );
  });
});

test('release(): a file the journal no longer reads closes at once, one it still reads at the next checkpoint', { skip: !haveCrc && 'no zlib.crc32' }, () => {
  withFile(synFlood(1_000), (fd) => {
    const engine = new FlowEngine({ year: 2024 });
    const buf = Buffer.alloc(1 << 20);
    const n = readSync(fd, buf, 0, buf.length, 0);
    for (const _ of engine.pushPieces(buf.subarray(0, n), { origin: { fd, position: 0 } }));
    let closed = 0;
    engine.release(fd, () => closed++);
    assert.equal(closed, 0, 'held: a recovery would read it');
    engine.checkpoint();
    assert.equal(closed, 1);
    engine.release(fd + 1000, () => closed++); // never in the journal
    assert.equal(closed, 2);
  });
});

test('a trap while a checkpoint is written: the one before it, with the journal, still recovers everything', () => {
  // the snapshot traps once when armed, at its third piece (two already taken over the old
  // checkpoint's place, had it one buffer); later a line traps once, so the instance starts again
  let armed = 0;
  const processTraps = trappingOn(MARKER, { times: 1 });
  const make = (mod) => {
    const inner = processTraps(mod).exports;
    const x = Object.assign(Object.create(null), inner);
    x.node_snapshot_some = (...args) => {
      if (armed && --armed === 0) throw new WebAssembly.RuntimeError('unreachable');
      return inner.node_snapshot_some(...args);
    };
    return { exports: x };
  };
  // b is small: the second checkpoint is about the size of the first (so it would have gone
  // into the first's buffer)
  const [a, b, c] = [synFlood(20_000), synFlood(500, 20_000), synFlood(20_000, 20_500)];
  const clean = new FlowEngine({ year: 2024 });
  const expected = flowKeys(parseNdjson(Buffer.concat([clean.push(a + b + c), clean.end()])));
  const engine = new FlowEngine({ year: 2024 }, { instantiate: make });
  const out = [engine.push(a)];
  engine.checkpoint();
  out.push(engine.push(b));
  armed = 3;
  assert.throws(() => engine.checkpoint(), /trapped/);
  out.push(engine.push(`${MARKER}\n${c}`), engine.end());
  assert.equal(engine.trap.restarts, 1, 'the batch with the marker: from the checkpoint before the one that trapped');
  const got = flowKeys(parseNdjson(Buffer.concat(out)));
  assert.equal(got.length, 40_500);
  assert.equal(new Set(got).size, got.length, 'no flow twice');
  assert.deepEqual(got, expected);
});
