// The correlator floor (bench/lib/floor-correlator.ts) is what the benches measure the module
// against, so it must do the work it claims: every packet line of a generated log parsed into
// its tuple, and the packets and bytes over them equal to the generator's and the module's own,
// through both of its entries (lines read from a file as the CLI reads them, and Fluent Bit's
// filter signature).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { correlate } from '../host/index.mjs';
import { compileFloor, floorFile } from '../bench/lib/floor-correlator.mjs';
import { WasmFilter } from './lib/fluentbit-emulator.mjs';
import { generateTraffic } from './lib/generator.mjs';

/** Distinct (protocol, unordered endpoint pair) of the log's packet lines, counted in JS. */
function tuplesOf(lines) {
  const seen = new Set();
  for (const line of lines) {
    const m = / (\S+) -> (\S+) PR (\S+) /.exec(line);
    if (m) seen.add(`${m[3]} ${[m[1], m[2]].sort().join(' ')}`);
  }
  return seen.size;
}

test('the correlator floor finds every packet, byte and tuple of a mixed log, as the module does', async () => {
  const g = generateTraffic({ seed: 11, connections: 2500, concurrency: 600, format: 'mixed', observers: ['fw1', 'fw2'] });
  assert.ok(g.lines.some((l) => / \d+x /.test(l)) && g.lines.some((l) => /:[0-9a-f]+,\d+ -> /.test(l)),
    'the log has repeat counts and IPv6 endpoints');
  const bytes = await compileFloor();
  const dir = mkdtempSync(join(tmpdir(), 'ipmon-floor-'));
  try {
    const file = join(dir, 'mixed.log');
    writeFileSync(file, g.text);
    const floor = floorFile(bytes, file);
    assert.equal(floor.lines, g.lines.length);
    assert.equal(floor.parsed, g.totals.lines);
    assert.equal(floor.packets, g.totals.packets);
    assert.equal(floor.bytes, g.totals.bytes);
    assert.equal(floor.tuples, tuplesOf(g.lines));
    assert.equal(floor.evictions, 0);
    const records = await correlate(g.text, { year: 2024 });
    const { stats } = records.find((r) => r.ipmon?.record_type === 'stats').ipmon;
    assert.equal(floor.packets, stats.packets);
    assert.equal(floor.bytes, stats.bytes);

    // the last line without its newline is still read
    writeFileSync(file, g.text.slice(0, -1));
    assert.deepEqual(floorFile(bytes, file), floor);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the correlator floor's Fluent Bit entry reads the log string of each record", async () => {
  const g = generateTraffic({ seed: 12, connections: 300, concurrency: 100, format: 'syslog', observers: ['fw1'] });
  const f = new WasmFilter({ bytes: await compileFloor(), functionName: 'filter_floor' });
  for (const line of g.lines) assert.equal(f.call('fw.ipmon', 1_700_000_000, 0, { log: line }).status, 'drop');
  assert.equal(f.x.parsed.value, g.totals.lines);
  assert.equal(Number(f.x.packets.value), g.totals.packets);
  assert.equal(f.x.tuples.value, tuplesOf(g.lines));
});
