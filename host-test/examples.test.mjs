// Every example line of ../shared/reference/ipmon-examples.txt (ipmon-format.md §10) is
// classified as what it is: a packet counted in a flow, a STATE/NAT/missed/hex/status line
// forwarded as its own record, or a packet line that cannot be keyed (B12, ipmon -n on 5.1).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { correlate } from '../host/index.mjs';
import { ofType } from './lib/project.mjs';

const EXAMPLES = new URL('../../shared/reference/ipmon-examples.txt', import.meta.url);

const range = (p, a, b) => Array.from({ length: b - a + 1 }, (_, i) => `${p}${String(a + i).padStart(2, '0')}`);
const EXPECTED = {};
const put = (tags, type) => tags.forEach((t) => (EXPECTED[t] = type));
put(range('R', 1, 13), 'flow');
put(['R14'], 'missed');
put(range('R', 15, 22), 'flow');
put(['R23', 'R24'], 'hexdump');
put(['L01', 'L02'], 'state');
put(['L03'], 'flow');
put(range('C', 1, 7), 'flow');
put(['C08', 'C09'], 'state');
put(range('C', 10, 14), 'flow');
put(['C15'], 'state');
put(['C16', 'C17'], 'flow');
put(['C18', 'C19'], 'state');
put(range('C', 20, 40), 'flow');
put(['C41'], 'state');
put(range('C', 42, 49), 'nat');
put(['C50'], 'flow');
put(['C51'], 'state');
put(['C52'], 'flow');
put(['C53'], 'status');
put(['C54', 'C55'], 'state');
put(range('B', 1, 4), 'flow');
put(['B05'], 'missed');
put(range('B', 6, 11), 'flow');
put(['B12'], 'packet');
put(range('B', 13, 19), 'nat');
put(['B20'], 'missed');
put(range('B', 21, 24), 'state');
put(['B25'], 'flow');
put(['B26'], 'state');
put(range('B', 27, 30), 'flow');

const examples = readFileSync(EXAMPLES, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => ({ tag: l.slice(0, l.indexOf('|')), line: l.slice(l.indexOf('|') + 1) }));

test('the reference holds 112 example lines and each has an expected class', () => {
  assert.equal(examples.length, 112);
  for (const { tag } of examples) assert.ok(EXPECTED[tag], `no expectation for ${tag}`);
});

test('each example line alone is classified as expected', async () => {
  for (const { tag, line } of examples) {
    const records = await correlate(line + '\n', { year: 2024 });
    const types = records.map((r) => r.ipmon.record_type).filter((t) => t !== 'stats');
    assert.deepEqual(types, [EXPECTED[tag]], `${tag}: ${line}`);
    const s = ofType(records, 'stats')[0].ipmon.stats;
    assert.equal(s.unparsed_lines, 0, `${tag} unparsed`);
    assert.equal(s.lines_read, 1);
    if (EXPECTED[tag] === 'flow') {
      const f = records[0];
      // bytes = count × PLEN of the line (§0 key facts)
      const m = /(?:^|\s)(\d+)x /.exec(line.replace(/^.*?\d\d:\d\d:\d\d\.\d{6} /, ' '));
      const count = m ? Number(m[1]) : 1;
      const plen = Number(/ len \d+ \(?(\d+)\)?/.exec(line)[1]);
      assert.equal(f.network.packets, count, `${tag} packets`);
      assert.equal(f.network.bytes, count * plen, `${tag} bytes`);
    }
  }
});

test('details the parser must get right on specific examples', async () => {
  const one = async (tag) => {
    const { line } = examples.find((e) => e.tag === tag);
    return (await correlate(line + '\n', { year: 2024 }))[0];
  };
  const r01 = await one('R01'); // Solaris relay + [ID …] envelope
  assert.equal(r01.event.start, '2024-07-26T04:04:31.438987Z');
  assert.equal(r01.observer.hostname, '10.50.12.32');
  assert.equal(r01.ipmon.source_tcp_flags, 'AFP');
  const r16 = await one('R16'); // 2x repeat
  assert.equal(r16.source.packets, 2);
  assert.equal(r16.source.bytes, 80);
  const b01 = await one('B01'); // BSD syslog, space-padded day
  assert.equal(b01.event.start, '2024-03-03T11:20:44.873412Z');
  assert.equal(b01.ipmon.action, 'block');
  assert.deepEqual(b01.event.type, ['connection', 'end', 'denied']);
  const c35 = await one('C35'); // name[ip],service
  assert.equal(c35.destination.ip, '10.50.12.32');
  assert.equal(c35.destination.port, 22);
  const c37 = await one('C37'); // IPv6
  assert.equal(c37.network.type, 'ipv6');
  assert.equal(c37.source.ip, '2001:db8:10::77');
  const c20 = await one('C20'); // ICMP error with quoted UDP packet
  assert.equal(c20.network.transport, 'icmp');
  assert.deepEqual(c20.icmp, { type: 3, code: 3 });
  const c38 = await one('C38');
  assert.equal(c38.network.transport, 'ipv6-icmp');
  assert.deepEqual(c38.icmp, { type: 128, code: 0 });
  const c29 = await one('C29'); // short packet: no ports
  assert.equal(c29.source.port, undefined);
  assert.equal(c29.network.bytes, 28);
  const c50 = await one('C50'); // file mode
  assert.equal(c50.event.start, '2021-07-26T09:12:01.004711Z');
  const b12 = await one('B12');
  assert.match(b12.error.message, /name without an address/);
  assert.equal(b12.message.includes('fw1.example.net,ssh'), true);
});

test('all 112 lines in one stream: nothing lost', async () => {
  const records = await correlate(examples.map((e) => e.line).join('\n') + '\n', { year: 2024 });
  const s = ofType(records, 'stats')[0].ipmon.stats;
  assert.equal(s.lines_read, 112);
  assert.equal(s.unparsed_lines, 0);
  const flowLines = ofType(records, 'flow').reduce((n, f) => n + f.ipmon.lines, 0);
  assert.equal(flowLines, s.flow_lines);
  const forwarded = records.filter((r) => !['flow', 'stats'].includes(r.ipmon.record_type)).length;
  // R15/R16 are the `L` lines of the packets R19/R21 log (IPFilter's regression output):
  // each pair is one packet, so the decision lines fold into the packets the `L` lines counted
  assert.equal(s.folded_decision_lines, 2);
  assert.equal(s.flow_lines + s.folded_lines + forwarded, 112);
  const packets = ofType(records, 'flow').reduce((n, f) => n + f.network.packets, 0);
  assert.equal(packets, s.packets);
});
