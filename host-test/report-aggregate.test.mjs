// The report's Node side without a browser: what the collector keeps, the cap and the totals
// of the conversations left out, the timeline interval, and the inlining that must not let the
// data end its <script> element or break the Content-Security-Policy hashes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { correlate } from '../host/index.mjs';
import { Collector } from '../host/report/collect.mjs';
import { aggregate, chooseInterval } from '../host/report/aggregate.mjs';
import { renderPage, embedJson } from '../host/report/write.mjs';
import { looksLikeNdjson } from '../host/report/read.mjs';
import { generateTraffic } from './lib/generator.mjs';

const sum = (xs) => xs.reduce((a, b) => a + b, 0);

test('the cap keeps the largest conversations; the rest add up exactly in the left-out totals', async () => {
  const g = generateTraffic({ seed: 11, connections: 800, concurrency: 200, format: 'syslog', observers: ['fw1', 'fw2'] });
  const records = await correlate(g.text, { year: 2024 });
  const c = new Collector();
  for (const r of records) c.add(r);
  const flows = records.filter((r) => r.ipmon.record_type === 'flow');
  assert.equal(c.size, flows.length);
  const data = aggregate(c, { maxConversations: 100 });
  const bytes = (f) => f.source.bytes + f.destination.bytes;
  const sorted = flows.map(bytes).sort((a, b) => b - a);
  assert.deepEqual(data.flows.sb.map((b, i) => b + data.flows.db[i]), sorted.slice(0, 100));
  assert.equal(data.left_out.count, flows.length - 100);
  assert.equal(data.left_out.bytes, sum(sorted.slice(100)));
  const lo = data.left_out.buckets;
  assert.equal(sum(lo.na) + sum(lo.nb), data.left_out.count);
  assert.equal(sum(lo.ba) + sum(lo.bb), data.left_out.bytes);
  assert.equal(sum(lo.k), data.left_out.packets);
  // listed + left out = the stats record
  const stats = records.find((r) => r.ipmon.record_type === 'stats').ipmon.stats;
  assert.equal(sum(data.flows.sk) + sum(data.flows.dk) + data.left_out.packets, stats.packets);
  assert.equal(sum(data.flows.sb) + sum(data.flows.db) + data.left_out.bytes, stats.bytes);
  assert.equal(data.meta.conversations, stats.flows_emitted);
  // every start falls inside the timeline
  for (const t of data.flows.t) assert.ok(t >= 0 && Math.floor(t / data.interval_ms) < data.buckets);
  for (const b of lo.b) assert.ok(b >= 0 && b < data.buckets);
});

test('the timeline interval gives at most 300 bars', () => {
  assert.equal(chooseInterval(0), 1000);
  assert.equal(chooseInterval(90_000), 1000);
  assert.equal(chooseInterval(3600_000), 30_000);
  assert.equal(chooseInterval(86_400_000), 300_000);
  for (const span of [1, 299_999, 300_000, 1e7, 1e9, 1e11]) assert.ok(span / chooseInterval(span) < 300 || chooseInterval(span) === 30 * 86_400_000);
});

test('embedded data cannot close its script element; CSP hashes match the inlined scripts', () => {
  const evil = { s: '</script><script>alert(1)</script><!-- \u2028' };
  const text = embedJson(evil);
  assert.doesNotMatch(text, /<\/script|<!--/i);
  assert.deepEqual(JSON.parse(text), evil);
  const c = new Collector();
  const html = renderPage(aggregate(c, { meta: { inputs: ['</script>'] } }), { title: '<b>x</b>' });
  assert.match(html, /<title>&#60;b&#62;x&#60;\/b&#62;<\/title>/);
  const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)[1].replace(/&#39;/g, "'");
  assert.match(csp, /^default-src 'none'; script-src 'sha256-[^']+' 'sha256-[^']+'; style-src 'sha256-[^']+';/);
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  assert.equal(scripts.length, 2);
  for (const s of scripts) assert.ok(csp.includes(`'sha256-${createHash('sha256').update(s).digest('base64')}'`));
  assert.match(scripts[0], /^\/\*! uPlot 1\.6\.32\n.*MIT License/s);
});

test('NDJSON is told from ipmon lines by the first non-blank byte', () => {
  assert.equal(looksLikeNdjson(Buffer.from('\n  {"ipmon":{}}\n')), true);
  assert.equal(looksLikeNdjson(Buffer.from('Mar  3 10:00:00 fw1 ipmon[812]: 10:00:00.1 em0 @0:12 p 10.0.0.5,1 -> 10.0.0.6,2 PR tcp len 20 40 -S IN\n')), false);
  assert.equal(looksLikeNdjson(Buffer.from('03/03/2026 10:00:00.100000 em0 @0:12 p ...\n')), false);
  assert.equal(looksLikeNdjson(Buffer.from('')), false);
});

test('a record that is not ipmon-flow\'s is refused', () => {
  assert.throws(() => new Collector().add({ foo: 1 }), /not an ipmon-flow record/);
});
