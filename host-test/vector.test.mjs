// vector.toml: valid against Vector's configuration schema, wired as the README says, and a
// contract test that runs the CLI the way Vector's exec source does (stdin /dev/null, NDJSON
// on stdout, SIGTERM on shutdown) while the followed log grows, rotates and is truncated.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2019 from 'ajv/dist/2019.js';
import { parse } from 'smol-toml';
import { generateTraffic } from './lib/generator.mjs';
import {
  CLI, compareToTruth, flowKey, flowsOf, killLeftovers, startCli, truthKey, waitConsumed, WAIT_MS,
} from './lib/live-cli.mjs';

const VECTOR_TOML = fileURLToPath(new URL('../vector.toml', import.meta.url));
const SCHEMA = fileURLToPath(new URL('../../shared/schemas/vector.schema.json', import.meta.url));

const tmp = mkdtempSync(join(tmpdir(), 'ipmon-flow-vector-'));
test.after(async () => {
  await killLeftovers();
  rmSync(tmp, { recursive: true, force: true });
});

const config = parse(readFileSync(VECTOR_TOML, 'utf8'));

test('vector.toml validates against Vector\'s configuration schema', () => {
  const ajv = new Ajv2019({ strict: false, allErrors: false, validateFormats: false });
  const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')));
  assert.equal(validate(config), true, JSON.stringify(validate.errors?.slice(0, 3), null, 1));
  // the validator is live: a wrong enum value and a misplaced key are caught
  const bad = structuredClone(config);
  bad.sources.ipmon_flow.mode = 'stream';
  assert.equal(validate(bad), false);
  const misplaced = structuredClone(config);
  misplaced.sinks.elasticsearch.index = 'ipmon-flow';
  assert.equal(validate(misplaced), false);
});

test('vector.toml runs the CLI in follow mode with state, decodes JSON, and keeps ids stable', () => {
  const src = config.sources.ipmon_flow;
  assert.equal(src.type, 'exec');
  assert.equal(src.mode, 'streaming');
  assert.equal(src.include_stderr, false, 'diagnostics must not become events');
  assert.equal(src.decoding.codec, 'json');
  assert.ok(src.command.includes('--follow'));
  assert.ok(src.command.includes('--state'));
  const es = config.sinks.elasticsearch;
  assert.equal(es.type, 'elasticsearch');
  assert.equal(es.id_key, 'ipmon_doc_id');
  assert.equal(es.request_retry_partial, true);
  // every record gets its document id from event.id (not only flows), at the top level of the
  // program, after exec's ingest timestamp is gone (a content hash of the fallback must not
  // include it)
  const vrl = config.transforms.ipmon_ecs.source;
  assert.match(vrl, /^doc_id = string\(\.event\.id\) \?\? ""$/m);
  assert.match(vrl, /^if doc_id == "" \{ doc_id = sha2\(encode_json\(\.\), variant: "SHA-256"\) \}$/m);
  assert.match(vrl, /^\.ipmon_doc_id = doc_id$/m);
  assert.doesNotMatch(vrl, /record_type|exists\(\.event\.id\)/, 'no record kind is left without an id');
  const code = vrl.split('\n').filter((l) => !l.startsWith('#'));
  assert.ok(code.indexOf('del(.timestamp)') < code.indexOf('doc_id = string(.event.id) ?? ""'));
  assert.deepEqual(config.sinks.console.encoding.except_fields, ['timestamp', 'ipmon_doc_id']);
  assert.equal(config.sinks.console.type, 'console');
  // the schema does not check wiring: every input must name a source or transform
  const names = new Set([...Object.keys(config.sources), ...Object.keys(config.transforms)]);
  for (const c of [...Object.values(config.transforms), ...Object.values(config.sinks)]) {
    for (const i of c.inputs) assert.ok(names.has(i), `unknown input ${i}`);
  }
});

test('every kind of record has a stable event.id for id_key: flows, forwarded lines, stats', () => {
  const sample = fileURLToPath(new URL('../fixtures/sample.log', import.meta.url));
  const runOnce = () => {
    const r = spawnSync(process.execPath, [CLI, '--year', '2026', sample], { encoding: 'utf8', timeout: WAIT_MS });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  };
  const records = runOnce();
  const kinds = new Set(records.map((r) => r.event.dataset));
  for (const k of ['ipmon.flow', 'ipmon.state', 'ipmon.nat', 'ipmon.missed', 'ipmon.unparsed', 'ipmon.stats']) assert.ok(kinds.has(k), k);
  for (const r of records) assert.match(r.event?.id ?? '', /^[0-9a-f]{16}$/, JSON.stringify(r).slice(0, 200));
  assert.equal(new Set(records.map((r) => r.event.id)).size, records.length, 'one id per record');
  // stable: a second run (a replay after a restart) gives every record the same id
  assert.deepEqual(runOnce().map((r) => r.event.id), records.map((r) => r.event.id));
});

test('exec contract: appends, rename rotation and truncation, then SIGTERM: every flow arrives once', async () => {
  const g = generateTraffic({ seed: 11, connections: 240, concurrency: 60 });
  const n = g.lines.length;
  const part = (a, b) => g.lines.slice(Math.floor(n * a), Math.floor(n * b)).join('\n') + '\n';
  const log = join(tmp, 'ipmon.log');
  const state = join(tmp, 'ipmon-flow.state');
  writeFileSync(log, part(0, 0.2));
  // vector.toml's own command, pointed at the test's files
  const command = config.sources.ipmon_flow.command.map((a) => (a === '/var/log/ipmon.log' ? log : a.endsWith('.state') ? state : a));
  assert.equal(command[0], 'ipmon-flow');
  // --sweep-lag: the log is replayed much faster than real time, so wall-clock sweeps stay off
  // to keep the result exactly comparable with the ground truth
  const run = startCli([...command.slice(1), '--from-start', '--year', '2024', '--poll-interval', '0.02',
    '--state-interval', '0.05', '--sweep-lag', '86400']);
  await waitConsumed(state, log);
  appendFileSync(log, part(0.2, 0.45));
  await waitConsumed(state, log);
  // logrotate without copytruncate: rename, then the writer starts a new file
  renameSync(log, `${log}.1`);
  appendFileSync(`${log}.1`, part(0.45, 0.5)); // written late to the old file, before the switch
  writeFileSync(log, part(0.5, 0.75));
  await waitConsumed(state, log);
  // truncation (`> ipmon.log`) and new lines
  truncateSync(log, 0);
  appendFileSync(log, part(0.75, 1));
  await waitConsumed(state, log);
  run.signal('SIGTERM');
  const { code } = await run.exited;
  assert.equal(code, 0, run.stderr);
  assert.match(run.stderr, /was (truncated|replaced)/);

  const flows = flowsOf(run.records);
  const ids = new Set(flows.map((f) => f.event.id));
  assert.equal(ids.size, flows.length, 'no flow twice');
  const truth = new Map(g.flows.map((f) => [truthKey(f), f]));
  assert.equal(flows.length, truth.size);
  for (const r of flows) {
    const f = truth.get(flowKey(r));
    assert.ok(f, `unexpected flow ${flowKey(r)}`);
    assert.deepEqual(compareToTruth(r, f), [], flowKey(r));
  }
  // the id_key copy is event.id: every record has one, and no two different records share one
  // (a record seen twice under an id is the same record: it replaces itself)
  const byId = new Map();
  for (const r of run.records) {
    assert.equal(typeof r.event?.id, 'string', `an event.id on ${JSON.stringify(r).slice(0, 200)}`);
    assert.match(r.event.id, /^[0-9a-f]{16}$/);
    if (byId.has(r.event.id)) assert.deepEqual(r, byId.get(r.event.id));
    byId.set(r.event.id, r);
  }
  const stats = run.records.at(-1);
  assert.equal(stats.ipmon.record_type, 'stats');
  assert.equal(stats.ipmon.stats.lines_read, n);
  assert.equal(stats.ipmon.stats.packets, g.totals.packets);
});
