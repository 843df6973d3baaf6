// The correlator floor (bench/lib/floor-correlator.ts) is what the benches measure the module
// against, so it must do the work it claims: every packet line of a generated log parsed into a
// tuple, and the packets and bytes over them equal to the generator's and the module's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { correlate } from '../host/index.mjs';
import { compileFloor, floorFile } from '../bench/lib/floor-correlator.mjs';
import { generateTraffic } from './lib/generator.mjs';

test('the correlator floor counts every packet and byte of a mixed log, as the module does', async () => {
  const g = generateTraffic({ seed: 11, connections: 2500, concurrency: 600, format: 'mixed', observers: ['fw1', 'fw2'] });
  assert.ok(g.lines.some((l) => / \d+x /.test(l)) && g.lines.some((l) => /:[0-9a-f]+,\d+ -> /.test(l)),
    'the log has repeat counts and IPv6 endpoints');
  const dir = mkdtempSync(join(tmpdir(), 'ipmon-floor-'));
  try {
    const file = join(dir, 'mixed.log');
    writeFileSync(file, g.text);
    const floor = floorFile(await compileFloor(), file);
    assert.equal(floor.lines, g.lines.length);
    assert.equal(floor.parsed, g.totals.lines);
    assert.equal(floor.packets, g.totals.packets);
    assert.equal(floor.bytes, g.totals.bytes);
    const records = await correlate(g.text, { year: 2024 });
    const { stats } = records.find((r) => r.ipmon?.record_type === 'stats').ipmon;
    assert.equal(floor.packets, stats.packets);
    assert.equal(floor.bytes, stats.bytes);
    assert.ok(floor.tuples >= 2500, `${floor.tuples} tuples for 2,500 connections`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
