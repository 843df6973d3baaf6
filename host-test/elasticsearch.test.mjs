// Elasticsearch: the index template maps every field the module emits with its ECS type, and
// shipping (--output elasticsearch) delivers every record exactly once through 429s, 5xx,
// partial failures and an absent cluster, against a local fake _bulk server (a real
// Elasticsearch cannot be installed on the test machines).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ecs from '@elastic/ecs';
import { parse as parseToml } from 'smol-toml';
import { correlate } from '../host/index.mjs';
import { Client } from '@elastic/elasticsearch';
import { ElasticsearchSink, ElasticsearchFatalError, clientOptions, documentId, indexName } from '../host/elasticsearch.mjs';
import { readStateFile } from '../host/state.mjs';
import { generateTraffic } from './lib/generator.mjs';
import { startFakeEs } from './lib/fake-es.mjs';
import { CLI, flowsOf, killLeftovers, startCli, waitConsumed, WAIT_MS } from './lib/live-cli.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../shared/reference/ipmon-examples.txt', import.meta.url));
const readJson = (p) => JSON.parse(readFileSync(join(ROOT, p), 'utf8'));
const component = readJson('elasticsearch/component-template.json');
const indexTemplate = readJson('elasticsearch/index-template.json');
const dataStreamTemplate = readJson('elasticsearch/data-stream-template.json');

const tmp = mkdtempSync(join(tmpdir(), 'ipmon-flow-es-'));
const servers = [];
test.after(async () => {
  await killLeftovers();
  for (const s of servers) await s.close();
  rmSync(tmp, { recursive: true, force: true });
});
async function fakeEs() {
  const s = await startFakeEs();
  servers.push(s);
  return s;
}

// ---------------------------------------------------------------------------------------------
// The template

/** path → mapping of every leaf field in a mappings object. */
function flattenMapping(props, prefix = '', out = new Map()) {
  for (const [k, v] of Object.entries(props)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (v.properties) flattenMapping(v.properties, p, out);
    else out.set(p, v);
  }
  return out;
}

/** path → list of values of every leaf field in `records` (arrays are leaves). */
function leafValues(records) {
  const out = new Map();
  const walk = (o, prefix) => {
    for (const [k, v] of Object.entries(o)) {
      const p = prefix ? `${prefix}.${k}` : k;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v, p);
      else {
        if (!out.has(p)) out.set(p, []);
        out.get(p).push(v);
      }
    }
  };
  for (const r of records) walk(r, '');
  return out;
}

/** Every record the module emits for the fixtures and the reference examples. */
async function allOutputs() {
  const texts = readdirSync(join(ROOT, 'fixtures')).filter((f) => f.endsWith('.log')).map((f) => readFileSync(join(ROOT, 'fixtures', f)));
  const examples = readFileSync(EXAMPLES, 'utf8').split('\n').filter(Boolean).map((l) => l.slice(l.indexOf('|') + 1));
  texts.push(examples.join('\n') + '\n');
  // generated traffic adds IPv6, ICMP, several firewalls and active-timeout records
  texts.push(generateTraffic({ seed: 31, connections: 300, concurrency: 60, format: 'mixed', observers: ['fw1', 'fw2'] }).text);
  const records = [];
  for (const t of texts) {
    records.push(...await correlate(t, { year: 2024 }));
    records.push(...await correlate(t, { year: 2024, active_timeout: 30 }));
  }
  // network.direction is written only with local_networks
  records.push(...await correlate(readFileSync(join(ROOT, 'fixtures', 'router.log')), { year: 2024, local_networks: ['private'] }));
  return records;
}

// Fields ECS does not define: our own table.
const CUSTOM = {
  'icmp.type': 'long',
  'icmp.code': 'long',
  'ipmon.lines': 'long',
  'ipmon.syn_seen': 'boolean',
  'ipmon.flipped': 'boolean',
  'ipmon.continued': 'boolean',
  ...Object.fromEntries(['distinct_ports', 'distinct_hosts', 'threshold', 'interval', 'sample_ports', 'attempts', 'blocked',
    'rejected', 'unanswered', 'answered'].map((k) => [`ipmon.scan.${k}`, 'long'])),
  'ipmon.scan.distinct_exact': 'boolean',
  'ipmon.scan.sample_hosts': 'ip',
  'ipmon.icmp_error.count': 'long',
};
const customType = (field) => CUSTOM[field] ?? (field.startsWith('ipmon.stats.') ? 'long' : field.startsWith('ipmon.') ? 'keyword' : null);

// Mapped types that hold what ECS's type holds (date_nanos: ECS dates with full precision).
const COMPATIBLE = { date: ['date', 'date_nanos'] };

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
const accepts = {
  ip: (v) => typeof v === 'string' && isIP(v) !== 0,
  long: (v) => Number.isSafeInteger(v),
  date_nanos: (v) => typeof v === 'string' && RFC3339.test(v),
  date: (v) => typeof v === 'string' && RFC3339.test(v),
  boolean: (v) => typeof v === 'boolean',
  keyword: (v) => typeof v === 'string',
  match_only_text: (v) => typeof v === 'string',
  constant_keyword: (v) => typeof v === 'string',
};

test('the index template maps every field the module emits, with its ECS type', async () => {
  const mapped = flattenMapping(component.template.mappings.properties);
  const values = leafValues(await allOutputs());
  assert.ok(values.size > 60, `a broad sample of fields (${values.size})`);
  const problems = [];
  for (const [field, vals] of values) {
    const m = mapped.get(field);
    if (!m) {
      problems.push(`${field}: not mapped`);
      continue;
    }
    const def = ecs.EcsFlat[field];
    const want = def ? def.type : customType(field);
    if (!want) problems.push(`${field}: neither ECS nor a custom ipmon.*/icmp.* field`);
    else if (!(COMPATIBLE[want] ?? [want]).includes(m.type)) problems.push(`${field}: mapped as ${m.type}, ${def ? 'ECS' : 'custom table'} says ${want}`);
    if (def?.normalize?.includes('array')) {
      if (!vals.every(Array.isArray)) problems.push(`${field}: ECS says array`);
    }
    for (const v of vals.flatMap((x) => (Array.isArray(x) ? x : [x]))) {
      if (!accepts[m.type]?.(v)) {
        problems.push(`${field}: value ${JSON.stringify(v)} does not fit ${m.type}`);
        break;
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('templates: composable, one for indices and one for data streams, matching what writes to them', () => {
  assert.deepEqual(indexTemplate.composed_of, ['ipmon-flow-mappings']);
  assert.ok(dataStreamTemplate.composed_of.includes('ipmon-flow-mappings'));
  assert.deepEqual(dataStreamTemplate.data_stream, {});
  // above the stock logs-*-* template (priority 100)
  assert.ok(indexTemplate.priority > 100 && dataStreamTemplate.priority > 100);
  const matches = (patterns, name) => patterns.some((p) => new RegExp(`^${p.replaceAll('.', '\\.').replaceAll('*', '.*')}$`).test(name));
  assert.ok(matches(indexTemplate.index_patterns, indexName('ipmon-flow-%Y.%m.%d', { '@timestamp': '2024-03-03T08:00:00.000000Z' })));
  const vector = parseToml(readFileSync(join(ROOT, 'vector.toml'), 'utf8'));
  assert.ok(matches(indexTemplate.index_patterns, vector.sinks.elasticsearch.bulk.index.replace(/%./g, '01')));
  assert.ok(matches(dataStreamTemplate.index_patterns, 'logs-ipmon-default'));
  assert.equal(component.template.mappings.properties['@timestamp'].type, 'date_nanos');
});

test('install.mjs puts the component template, then both index templates', async () => {
  const es = await fakeEs();
  const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'elasticsearch/install.mjs'), '--es-url', es.url], { timeout: WAIT_MS });
  assert.match(stdout, /installed index template logs-ipmon/);
  assert.deepEqual(es.templates.component.get('ipmon-flow-mappings'), component);
  assert.deepEqual(es.templates.index.get('ipmon-flow'), indexTemplate);
  assert.deepEqual(es.templates.index.get('logs-ipmon'), dataStreamTemplate);
});

// ---------------------------------------------------------------------------------------------
// Shipping

const ndjson = (records) => Buffer.from(records.map((r) => JSON.stringify(r)).join('\n') + '\n');

async function sampleRecords() {
  const g = generateTraffic({ seed: 32, connections: 200, concurrency: 50 });
  return correlate(g.text, { year: 2024 });
}

function newSink(es, opts = {}) {
  const warnings = [];
  const sink = new ElasticsearchSink({
    clientOptions: clientOptions({ url: es.url }), batchDocs: 100, backoffMs: 10, maxBackoffMs: 100, flushMs: 50, warn: (m) => warnings.push(m), ...opts,
  });
  return { sink, warnings };
}

/** Checks that the fake cluster holds exactly `records`, each once, under its document id. */
function assertStored(es, records, index = null) {
  const stored = es.all();
  assert.equal(stored.length, records.length, 'one document per record');
  const byId = new Map(stored.map(([ix, id, doc]) => [id, { ix, doc }]));
  for (const r of records) {
    const s = byId.get(documentId(r, JSON.stringify(r)));
    assert.ok(s, `record ${r.event?.id ?? r.ipmon.record_type} stored`);
    assert.deepEqual(s.doc, r);
    if (index) assert.equal(s.ix, index);
  }
}

test('bulk shipping: batches, _id = event.id for every record, dated index names', async () => {
  const es = await fakeEs();
  const records = await sampleRecords();
  const { sink } = newSink(es);
  await sink.write(ndjson(records));
  await sink.close();
  assertStored(es, records);
  assert.equal(es.requests.length, Math.ceil(records.length / 100));
  assert.ok(records.some((r) => r.ipmon.record_type === 'stats'));
  for (const [ix, id, doc] of es.all()) {
    assert.equal(id, doc.event.id, `${doc.ipmon.record_type} keyed by its event.id`);
    assert.equal(ix, `ipmon-flow-${doc['@timestamp'].slice(0, 10).replaceAll('-', '.')}`);
  }
  assert.deepEqual(sink.stats.rejected, 0);
});

test('429s, 5xx answers and failed items are retried with backoff until all are in, exactly once', async () => {
  const es = await fakeEs();
  const records = await sampleRecords();
  es.script.requestStatus = (n) => (n === 0 ? 503 : n === 2 ? 429 : n === 4 ? 500 : null);
  es.script.itemStatus = (n, i) => (n < 8 && i % 7 === 0 ? 429 : n < 8 && i % 11 === 3 ? 503 : null);
  const { sink, warnings } = newSink(es);
  await sink.write(ndjson(records));
  await sink.barrier();
  assertStored(es, records);
  assert.ok(sink.stats.retries >= 4);
  assert.equal(sink.stats.rejected, 0);
  assert.ok(warnings.some((w) => /not accepted yet: HTTP 503/.test(w)));
  await sink.close();
});

test('items rejected for their content are reported and not retried; the rest is delivered', async () => {
  const es = await fakeEs();
  const records = await sampleRecords();
  const bad = new Set([records[3].event.id, records[40].event.id]);
  es.script.itemStatus = (n, i, op, doc) => (bad.has(doc.event?.id) ? 400 : null);
  const { sink, warnings } = newSink(es);
  await sink.write(ndjson(records));
  await sink.close();
  assert.equal(sink.stats.rejected, 2);
  assert.equal(warnings.filter((w) => /rejected by .*HTTP 400 document_parsing_exception/.test(w)).length, 2);
  assertStored(es, records.filter((r) => !bad.has(r.event?.id)));
  assert.equal(es.requests.length, Math.ceil(records.length / 100), 'no retry for a bad document');
});

test('an absent cluster: records wait (input is held back when the buffer is full), nothing is lost', async () => {
  const es = await fakeEs();
  const records = await sampleRecords();
  await es.stop();
  const { sink } = newSink(es, { maxQueue: 100, batchDocs: 50 });
  let written = false;
  const w = sink.write(ndjson(records)).then(() => {
    written = true;
  });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(written, false, 'write() waits while the buffer is over its limit');
  await es.start();
  await w;
  await sink.close();
  assertStored(es, records);
});

test('data stream mode: create actions; a document already there counts as delivered', async () => {
  const es = await fakeEs();
  const records = await sampleRecords();
  const { sink } = newSink(es, { dataStream: 'logs-ipmon-default' });
  await sink.write(ndjson(records));
  await sink.barrier();
  await sink.write(ndjson(records)); // a replay after a restart
  await sink.close();
  assertStored(es, records, 'logs-ipmon-default');
  assert.equal(sink.stats.duplicates, records.length);
  assert.equal(sink.stats.rejected, 0);
});

test('bad credentials are fatal (no endless retry); abort() gives up on an absent cluster', async () => {
  const es = await fakeEs();
  es.script.requestStatus = () => 401;
  const { sink } = newSink(es);
  await sink.write(ndjson((await sampleRecords()).slice(0, 5)));
  await assert.rejects(sink.barrier(), (err) => err instanceof ElasticsearchFatalError && /HTTP 401/.test(err.message));
  await assert.rejects(sink.close(), ElasticsearchFatalError);

  const gone = await fakeEs();
  await gone.stop();
  const s2 = newSink(gone).sink;
  await s2.write(ndjson((await sampleRecords()).slice(0, 5)));
  const b = s2.barrier();
  s2.abort('test');
  await assert.rejects(b, /5 records not delivered/);
  await s2.client.close();
});

test('ids are deterministic: event.id for every record that has one, else the SHA-256 of the bytes', () => {
  const flow = { event: { id: 'be75d6195b85e19c' }, ipmon: { record_type: 'flow' } };
  assert.equal(documentId(flow, 'x'), 'be75d6195b85e19c');
  // stats and forwarded lines carry an event.id too: it is their _id, whatever their bytes
  const stats = { event: { id: '0123456789abcdef' }, ipmon: { record_type: 'stats' } };
  assert.equal(documentId(stats, '{"a":1}'), '0123456789abcdef');
  assert.equal(documentId(stats, '{"a":2}'), '0123456789abcdef');
  const forwarded = { event: { id: 'fedcba9876543210', dataset: 'ipmon.nat' }, ipmon: { record_type: 'nat' } };
  assert.equal(documentId(forwarded, '{}'), 'fedcba9876543210');
  // without one (or an empty one), a hash of the record's bytes
  const sha = (t) => createHash('sha256').update(t).digest('hex');
  for (const r of [{ ipmon: { record_type: 'stats' } }, { event: { id: '' } }, { event: { id: 7 } }, null]) {
    assert.equal(documentId(r, '{"a":1}'), sha('{"a":1}'));
    assert.notEqual(documentId(r, '{"a":1}'), documentId(r, '{"a":2}'));
  }
  assert.equal(indexName('ipmon-flow-%Y.%m.%d', { '@timestamp': '2026-11-28T00:00:00Z' }), 'ipmon-flow-2026.11.28');
  assert.equal(indexName('fixed', {}), 'fixed');
});

test('CLI --output elasticsearch: a file ends up in the index, each record once, nothing on stdout', async () => {
  const es = await fakeEs();
  es.script.itemStatus = (n, i) => (n === 0 && i % 5 === 0 ? 429 : null);
  const sample = join(ROOT, 'fixtures', 'sample.log');
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, '--year', '2026', sample, '--output', 'elasticsearch', '--es-url', es.url], { timeout: WAIT_MS });
  assert.equal(stdout, '');
  assert.doesNotMatch(stderr, /rejected/);
  const records = await correlate(readFileSync(sample), { year: 2026 });
  assertStored(es, records);
  // sample.log holds every kind of record: each one is stored under its event.id
  assert.ok(new Set(records.map((r) => r.event.dataset)).size >= 5);
  for (const [, id, doc] of es.all()) assert.equal(id, doc.event.id, doc.event.dataset);
});

test('a replay of every kind of record (as after a restart) replaces each copy; nothing is stored twice', async () => {
  const es = await fakeEs();
  const records = await correlate(readFileSync(join(ROOT, 'fixtures', 'sample.log')), { year: 2026 });
  const kinds = new Set(records.map((r) => r.event.dataset));
  for (const k of ['ipmon.flow', 'ipmon.state', 'ipmon.nat', 'ipmon.missed', 'ipmon.unparsed', 'ipmon.stats']) assert.ok(kinds.has(k), k);
  // partial failures of forwarded lines and stats are retried (as request_retry_partial does)
  es.script.itemStatus = (n, i, op, doc) => (n < 2 && doc.ipmon?.record_type !== 'flow' ? 429 : null);
  const { sink } = newSink(es);
  await sink.write(ndjson(records));
  await sink.barrier();
  await sink.write(ndjson(records)); // the replay
  await sink.close();
  assertStored(es, records);
  assert.ok(sink.stats.retries >= 2);
  assert.equal(sink.stats.rejected, 0);
});

test('CLI: rejected documents are reported and the exit code is 1', async () => {
  const es = await fakeEs();
  es.script.itemStatus = (n, i) => (i === 0 ? 400 : null);
  const sample = join(ROOT, 'fixtures', 'sample.log');
  const r = await new Promise((res) => execFile(process.execPath, [CLI, '--year', '2026', sample, '--output', 'elasticsearch', '--es-url', es.url], { timeout: WAIT_MS }, (err, stdout, stderr) => res({ code: err?.code ?? 0, stderr })));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /1 documents were rejected/);
});

test('follow + state + elasticsearch: checkpoints wait for delivery; a stop during an outage loses nothing', async () => {
  const es = await fakeEs();
  const dir = mkdtempSync(join(tmp, 'follow-'));
  const log = join(dir, 'ipmon.log');
  const state = join(dir, 'ipmon-flow.state');
  const g = generateTraffic({ seed: 33, connections: 200, concurrency: 50 });
  const half = Math.floor(g.lines.length / 2);
  writeFileSync(log, g.lines.slice(0, half).join('\n') + '\n');
  const args = ['--follow', log, '--from-start', '--state', state, '--year', '2024', '--poll-interval', '0.02', '--state-interval', '0.05',
    '--sweep-lag', '86400', '--output', 'elasticsearch', '--es-url', es.url, '--es-flush-interval', '0.05', '--es-max-backoff', '0.2', '--shutdown-timeout', '1'];
  const run1 = startCli(args);
  await waitConsumed(state, log);
  // the cluster goes away; new lines are read, but the checkpoint stays where delivery stopped
  await es.stop();
  const before = readStateFile(state).state.meta.input.offset;
  appendFileSync(log, g.lines.slice(half).join('\n') + '\n');
  await run1.waitFor((r) => /not accepted yet: no answer/.test(r.stderr), 'the outage to be noticed');
  assert.equal(readStateFile(state).state.meta.input.offset, before, 'no checkpoint past undelivered records');
  run1.signal('SIGTERM');
  const { code } = await run1.exited;
  assert.equal(code, 1, 'undelivered records at exit are an error');
  assert.match(run1.stderr, /records not delivered/);
  assert.equal(readStateFile(state).state.meta.input.offset, before);
  // back up: the restart replays from the checkpoint, and ids keep the index free of copies
  await es.start();
  const run2 = startCli(args);
  await waitConsumed(state, log);
  run2.signal('SIGTERM');
  assert.equal((await run2.exited).code, 0, run2.stderr);
  const flows = es.all().map(([, , d]) => d).filter((d) => d.ipmon.record_type === 'flow');
  assert.equal(flows.length, g.flows.length);
  assert.equal(new Set(flows.map((f) => f.event.id)).size, g.flows.length);
  assert.equal(flowsOf(run2.records).length, 0, 'nothing on stdout');
});

test('the client speaks to the fake like to a cluster (product check, version)', async () => {
  const es = await fakeEs();
  const client = new Client(clientOptions({ url: es.url }));
  const info = await client.info();
  assert.equal(info.version.number, '8.17.0');
  await client.close();
});
