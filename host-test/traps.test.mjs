// Trap isolation in the Node host (issue 8): a trap inside the module never ends the host.
// Two ways in: a trap that a line causes every time (injected at the module's boundary, as a
// hostile line would: the module itself has no switch for it), and memory corrupted under the
// running module (a trap once, then gone with the instance).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FlowEngine, parseNdjson } from '../host/engine.mjs';
import { ofType, projectFlow } from './lib/project.mjs';
import { generateTraffic } from './lib/generator.mjs';
import { trappingOn } from './lib/hostile.mjs';

const MARKER = 'HOSTILE-LINE';

function run(engine, text, chunk = 4096) {
  const out = [];
  const buf = Buffer.from(text);
  for (let i = 0; i < buf.length; i += chunk) out.push(engine.push(buf.subarray(i, i + chunk)));
  out.push(engine.end());
  return parseNdjson(Buffer.concat(out));
}

const flowsOf = (records) => ofType(records, 'flow').map(projectFlow);

test('a line that traps the module is forwarded as `trapped`; every other line counts as without it', async () => {
  const gen = generateTraffic({ seed: 8, connections: 400, concurrency: 40, format: 'mixed', observers: ['fw1', 'fw2'] });
  const clean = run(new FlowEngine({ year: 2024 }), gen.text);
  const lines = gen.text.split('\n');
  const at = Math.floor(lines.length / 2);
  const hostile = `${MARKER} ${'A'.repeat(100)}`;
  const text = [...lines.slice(0, at), hostile, ...lines.slice(at)].join('\n');
  const warnings = [];
  const onWarning = (w) => warnings.push(w.message);
  process.on('warning', onWarning);
  let records;
  try {
    records = run(new FlowEngine({ year: 2024 }, { instantiate: trappingOn(MARKER) }), text);
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(flowsOf(records), flowsOf(clean));
  const trapped = ofType(records, 'trapped');
  assert.equal(trapped.length, 1);
  assert.equal(trapped[0].message, hostile);
  assert.equal(trapped[0].error.type, 'module_trap');
  assert.equal(trapped[0].event.kind, 'pipeline_error');
  const s = ofType(records, 'stats')[0].ipmon.stats;
  const c = ofType(clean, 'stats')[0].ipmon.stats;
  assert.equal(s.trapped_lines, 1);
  assert.equal(s.module_traps, 2, 'the batch, then the line on its own');
  assert.equal(s.module_restarts, 2);
  assert.equal(s.lines_read, c.lines_read + 1);
  // conservation, with the trapped line forwarded
  assert.equal(s.flow_lines + s.folded_lines + s.uncorrelated_lines + s.other_lines + s.unparsed_lines + s.blank_lines + s.trapped_lines, s.lines_read);
  assert.ok(warnings.some((m) => m.includes('trapped')), 'a warning says so');
});

test('memory corrupted under the running module: one trap, the instance starts again from its checkpoint, nothing lost or doubled', () => {
  const gen = generateTraffic({ seed: 9, connections: 300, concurrency: 30, format: 'file' });
  const clean = run(new FlowEngine({ year: 2024 }), gen.text);
  const engine = new FlowEngine({ year: 2024 });
  const buf = Buffer.from(gen.text);
  const half = buf.lastIndexOf(10, buf.length >> 1) + 1;
  const out = [engine.push(buf.subarray(0, half))];
  // every byte of the heap (table, index, timer lists) overwritten: the next lookup leaves memory
  const mem = new Uint8Array(engine.x.memory.buffer);
  mem.fill(0xff, 1 << 16);
  out.push(engine.push(buf.subarray(half)), engine.end());
  const records = parseNdjson(Buffer.concat(out));
  assert.deepEqual(flowsOf(records), flowsOf(clean));
  assert.equal(ofType(records, 'trapped').length, 0);
  const s = ofType(records, 'stats')[0].ipmon.stats;
  assert.equal(s.module_traps, 1);
  assert.equal(s.module_restarts, 1);
  assert.equal(s.lines_read, ofType(clean, 'stats')[0].ipmon.stats.lines_read);
});

test('a whole file in one push, as the CLI reads it: the trapping line is cut out, the rest is the sample', () => {
  const text = readFileSync(new URL('../fixtures/sample.log', import.meta.url), 'utf8').split('\n');
  text.splice(5, 0, MARKER);
  const records = run(new FlowEngine({ year: 2026 }, { instantiate: trappingOn(MARKER) }), text.join('\n'), 1 << 20);
  const sample = run(new FlowEngine({ year: 2026 }), readFileSync(new URL('../fixtures/sample.log', import.meta.url)));
  assert.deepEqual(flowsOf(records), flowsOf(sample));
  assert.equal(ofType(records, 'trapped').length, 1);
});

test('a trap after checkpoints (more than 8 MiB of input): recovery starts from the latest one, flows exact', () => {
  const gen = generateTraffic({ seed: 10, connections: 14000, concurrency: 300, format: 'mixed', observers: ['fw1', 'fw2'] });
  assert.ok(gen.text.length > 12 << 20, `input of ${gen.text.length} bytes spans checkpoints`);
  const clean = run(new FlowEngine({ year: 2024 }), gen.text, 1 << 20);
  const lines = gen.text.split('\n');
  const at = Math.floor(lines.length * 0.8);
  const text = [...lines.slice(0, at), MARKER, ...lines.slice(at)].join('\n');
  const records = run(new FlowEngine({ year: 2024 }, { instantiate: trappingOn(MARKER) }), text, 1 << 20);
  assert.deepEqual(flowsOf(records), flowsOf(clean));
  assert.equal(ofType(records, 'trapped').length, 1);
  assert.equal(ofType(records, 'stats')[0].ipmon.stats.lines_read, ofType(clean, 'stats')[0].ipmon.stats.lines_read + 1);
});
