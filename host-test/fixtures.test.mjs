// Hand-checked fixtures: exact expected flows, forwarded lines and counters.
// fixtures/*.expected.json were verified line by line against ipmon-format.md and Zeek's
// rules (flow-semantics.md §1); the Community IDs are re-derived here independently.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { correlate } from '../host/index.mjs';
import { projectFlow, ofType } from './lib/project.mjs';
import { expectedCommunityId } from './lib/communityid.mjs';

const fixture = (name) => new URL(`../fixtures/${name}`, import.meta.url);

for (const name of ['sample', 'seed-solaris', 'router']) {
  test(`fixture ${name}.log gives exactly the hand-checked flows`, async () => {
    const expected = JSON.parse(readFileSync(fixture(`${name}.expected.json`), 'utf8'));
    const records = await correlate(readFileSync(fixture(`${name}.log`)), expected.config);
    const flows = ofType(records, 'flow');
    assert.deepEqual(flows.map(projectFlow), expected.flows);
    for (const f of flows) assert.equal(f.network.community_id, expectedCommunityId(f), 'community_id');
    const stats = ofType(records, 'stats');
    assert.equal(stats.length, 1);
    // probe steps depend on the per-process hash key: not part of a fixture's truth
    const { table_probe_steps: _probes, ...counted } = stats[0].ipmon.stats;
    assert.deepEqual(counted, expected.stats);
    const other = records
      .filter((r) => !['flow', 'stats'].includes(r.ipmon.record_type))
      .map((r) => ({ record_type: r.ipmon.record_type, message: r.message, ...(r.error ? { error: r.error.message } : {}) }));
    assert.deepEqual(other, expected.other);
  });
}

test('the three real Solaris seed lines: FIN exchange without SYN is SF, the lone SYN is S0', async () => {
  const records = await correlate(readFileSync(fixture('seed-solaris.log')), { year: 2021 });
  const [first, second] = ofType(records, 'flow');
  // R01 (-AFP OUT) opens the flow, R02 (-AF IN) answers: Zeek calls both-FIN without SYN "SF".
  assert.equal(first.source.ip, '10.50.12.32');
  assert.equal(first.source.port, 10050);
  assert.equal(first.ipmon.history, 'Ff');
  assert.equal(first.ipmon.conn_state, 'SF');
  assert.equal(first.network.bytes, 95);
  assert.equal(first.event.duration, 537000);
  assert.equal(first.ipmon.action, 'log');
  assert.equal(first.observer.hostname, '10.50.12.32');
  assert.equal(first.event.start, '2021-07-26T04:04:31.438987Z');
  // R03: a SYN two minutes later on another port, never answered.
  assert.equal(second.ipmon.conn_state, 'S0');
  assert.equal(second.ipmon.syn_seen, true);
  assert.equal(second.ipmon.end_reason, 'forced_end');
});

test('every sample line is accounted for: flows + forwarded = lines read', async () => {
  const text = readFileSync(fixture('sample.log'), 'utf8');
  const lines = text.split('\n').filter((l) => l.length > 0).length;
  const records = await correlate(text, { year: 2026 });
  const s = ofType(records, 'stats')[0].ipmon.stats;
  assert.equal(s.lines_read, lines);
  assert.equal(s.flow_lines + s.uncorrelated_lines + s.other_lines + s.unparsed_lines + s.blank_lines, lines);
  const flowLines = ofType(records, 'flow').reduce((n, f) => n + f.ipmon.lines, 0);
  assert.equal(flowLines, s.flow_lines);
  const forwarded = records.filter((r) => !['flow', 'stats'].includes(r.ipmon.record_type)).length;
  assert.equal(forwarded, s.uncorrelated_lines + s.other_lines + s.unparsed_lines);
});
