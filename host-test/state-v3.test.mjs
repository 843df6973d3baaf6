// State written before the 120-byte flow slot (snapshot version 3, 176-byte records) still
// restores: a restart after an upgrade keeps its open flows, their counts and their history.
// The blob in fixtures/state-v3 was written by commit 258cd1c after the first half of its log
// (README there); restored here, the second half must give exactly what this build gives when
// it reads the whole log without a restart.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { FlowEngine, parseNdjson } from '../host/engine.mjs';
import { withoutProbeSteps } from './lib/project.mjs';

const dir = new URL('./fixtures/state-v3/', import.meta.url);
const lines = gunzipSync(readFileSync(new URL('generated.log.gz', dir))).toString('latin1').split('\n').filter(Boolean);
const half = lines.length >> 1;
const first = Buffer.from(lines.slice(0, half).join('\n') + '\n', 'latin1');
const second = Buffer.from(lines.slice(half).join('\n') + '\n', 'latin1');
const blob = readFileSync(new URL('blob-v3.bin', dir));

test('a version 3 blob restores to exactly the flows of a run without a restart', () => {
  assert.equal(blob.readUInt32LE(8), 3, 'the fixture is a version 3 blob');
  const direct = new FlowEngine({ year: 2024 });
  direct.push(first);
  const expected = parseNdjson(Buffer.concat([direct.push(second), direct.end()]));
  const restored = new FlowEngine({ year: 2024 });
  assert.equal(restored.restore(blob).length, 0);
  const got = parseNdjson(Buffer.concat([restored.push(second), restored.end()]));
  assert.deepEqual(withoutProbeSteps(got), withoutProbeSteps(expected));
  // not vacuous: flows open at the cut, IPv4 and IPv6, came through the blob (a flow's id
  // hashes its start, so the second half alone has none of theirs)
  const alone = new FlowEngine({ year: 2024 });
  const fresh = new Set(parseNdjson(Buffer.concat([alone.push(second), alone.end()])).map((r) => r.event?.id));
  const carried = got.filter((r) => r.ipmon?.record_type === 'flow' && !fresh.has(r.event.id));
  const v6 = carried.filter((r) => r.source.ip.includes(':')).length;
  assert.ok(carried.length - v6 >= 5 && v6 >= 3, `IPv4 ${carried.length - v6}, IPv6 ${v6} flows carried`);
});

test('this build writes version 4, which restores to the same flows', () => {
  const engine = new FlowEngine({ year: 2024 });
  engine.push(first);
  const v4 = engine.snapshot();
  assert.equal(v4.readUInt32LE(8), 4);
  const expected = parseNdjson(Buffer.concat([engine.push(second), engine.end()]));
  const restored = new FlowEngine({ year: 2024 });
  restored.restore(v4);
  assert.deepEqual(withoutProbeSteps(parseNdjson(Buffer.concat([restored.push(second), restored.end()]))), withoutProbeSteps(expected));
});
