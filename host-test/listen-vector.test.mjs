// vector-socket.toml, Vector in the middle: valid against Vector's configuration schema, wired
// syslog -> socket sink -> exec ipmon-flow --listen -> elasticsearch and console, and a contract
// test that plays the socket sink (NDJSON frames cut anywhere, held events, reconnects) and the
// exec source (stdout events, respawn after an exit, SIGTERM at shutdown) around the real CLI
// running vector-socket.toml's own command. The flows must equal those of the same lines read
// from a file, across the respawn.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2019 from 'ajv/dist/2019.js';
import { parse } from 'smol-toml';
import { correlate } from '../host/index.mjs';
import { parseListenUrl } from '../host/listen-options.mjs';
import { generateTraffic } from './lib/generator.mjs';
import { flowsOf, killLeftovers } from './lib/live-cli.mjs';
import { flowFacts, markerLine } from './lib/listen-client.mjs';
import { ExecSource, SocketSink } from './lib/vector-emulator.mjs';

const TOML = fileURLToPath(new URL('../vector-socket.toml', import.meta.url));
const SCHEMA = fileURLToPath(new URL('../../shared/schemas/vector.schema.json', import.meta.url));
const config = parse(readFileSync(TOML, 'utf8'));

const tmp = mkdtempSync(join(tmpdir(), 'ipmon-flow-vector-socket-'));
test.after(async () => {
  await killLeftovers();
  rmSync(tmp, { recursive: true, force: true });
});

const sorted = (xs) => [...xs].sort();
const listenUrl = (command) => command[command.indexOf('--listen') + 1];

test('vector-socket.toml validates against Vector\'s configuration schema', () => {
  const ajv = new Ajv2019({ strict: false, allErrors: false, validateFormats: false });
  const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')));
  assert.equal(validate(config), true, JSON.stringify(validate.errors?.slice(0, 3), null, 1));
  // the validator is live: a wrong socket mode and a misplaced codec are caught
  const bad = structuredClone(config);
  bad.sinks.ipmon_flow_in.mode = 'tcp4';
  assert.equal(validate(bad), false);
  const misplaced = structuredClone(config);
  misplaced.sinks.ipmon_flow_in.codec = 'json';
  assert.equal(validate(misplaced), false);
});

test('vector-socket.toml: syslog -> socket sink -> exec ipmon-flow --listen (loopback, NDJSON) -> elasticsearch, console', () => {
  const syslog = Object.entries(config.sources).filter(([, s]) => s.type === 'syslog').map(([k]) => k);
  assert.ok(syslog.length >= 1);
  const out = config.sinks.ipmon_flow_in;
  assert.equal(out.type, 'socket');
  assert.equal(out.mode, 'tcp');
  assert.deepEqual(sorted(out.inputs), sorted(syslog));
  assert.equal(out.encoding.codec, 'json');
  assert.equal(out.framing.method, 'newline_delimited');
  const src = config.sources.ipmon_flow;
  assert.equal(src.type, 'exec');
  assert.equal(src.mode, 'streaming');
  assert.equal(src.command[0], 'ipmon-flow');
  assert.equal(src.include_stderr, false, 'diagnostics must not become events');
  assert.equal(src.decoding.codec, 'json');
  assert.equal(src.streaming.respawn_on_exit, true);
  assert.ok(src.command.includes('--state'), 'open flows survive a respawn');
  // ipmon-flow listens where the socket sink sends, on loopback, for NDJSON
  const ep = parseListenUrl(listenUrl(src.command));
  assert.equal(ep.proto, 'tcp');
  assert.equal(ep.format, 'ndjson');
  assert.equal(ep.loopback, true);
  assert.equal(out.address, `${ep.host}:${ep.port}`);
  // the syslog sources are not the socket ipmon-flow listens on
  for (const k of syslog) assert.notEqual(Number(config.sources[k].address.split(':').at(-1)), ep.port);
  // flows go to Elasticsearch and the console, through the same remap as vector.toml
  assert.equal(config.sinks.elasticsearch.type, 'elasticsearch');
  assert.equal(config.sinks.console.type, 'console');
  assert.deepEqual(config.sinks.elasticsearch.inputs, ['ipmon_ecs']);
  assert.deepEqual(config.sinks.console.inputs, ['ipmon_ecs']);
  assert.deepEqual(config.transforms.ipmon_ecs.inputs, ['ipmon_flow']);
  assert.equal(config.sinks.elasticsearch.id_key, 'ipmon_doc_id');
  assert.match(config.transforms.ipmon_ecs.source, /^doc_id = string\(\.event\.id\) \?\? ""$/m);
  const names = new Set([...Object.keys(config.sources), ...Object.keys(config.transforms)]);
  for (const c of [...Object.values(config.transforms), ...Object.values(config.sinks)]) {
    for (const i of c.inputs) assert.ok(names.has(i), `unknown input ${i}`);
  }
});

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The event Vector's syslog source makes of an RFC 3164 line (fields as in its reference,
 * website/cue/reference/components/sources/syslog.cue, and enrich_syslog_event() in
 * src/sources/syslog.rs): the header split into fields, only MSG left in `message`, procid an
 * integer, the time with the year Vector gave it, in UTC, source_ip the sender's address, and
 * `host` the hostname or else source_ip. `hostless` firewalls sent no host name: their events
 * have no `hostname`.
 */
function vectorSyslogEvent(line, year, sourceIps, hostless) {
  const m = /^(\w{3}) ([ \d]\d) (\d\d:\d\d:\d\d) (\S+) (\w+)\[(\d+)\]: (.*)$/.exec(line);
  assert.ok(m, line);
  const [, mon, day, hms, host, appname, pid, message] = m;
  const timestamp = `${year}-${String(MONTHS.indexOf(mon) + 1).padStart(2, '0')}-${day.trim().padStart(2, '0')}T${hms}Z`;
  const e = {
    appname, facility: 'local0', message, procid: Number(pid), severity: 'info',
    source_ip: sourceIps[host], source_type: 'syslog', timestamp, host: sourceIps[host],
  };
  if (!hostless.includes(host)) Object.assign(e, { host, hostname: host });
  return e;
}

/** A free TCP port on loopback (the socket sink needs a fixed address across respawns). */
async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

test('contract: socket sink -> ipmon-flow -> exec stdout, across a respawn and a shutdown: every flow once, as from a file', async () => {
  const g = generateTraffic({ seed: 51, connections: 200, concurrency: 50, format: 'syslog', observers: ['fw1', 'fw2'] });
  const sourceIps = { fw1: '192.0.2.1', fw2: '192.0.2.2' };
  const events = g.lines.map((l) => vectorSyslogEvent(l, 2024, sourceIps, ['fw2']));
  const port = await freePort();
  const state = join(tmp, 'ipmon-flow-listen.state');
  // vector-socket.toml's own command, pointed at the test's port and state file
  const command = config.sources.ipmon_flow.command.map((a) => {
    if (a.startsWith('tcp://')) return a.replace(/:\d+\?/, `:${port}?`);
    return a.endsWith('.state') ? state : a;
  });
  // the events are replayed far faster than real time: no wall-clock sweeps, so the flows stay
  // exactly comparable with reading the lines from a file; the respawn waits less than 5 s
  const exec = new ExecSource([...command.slice(1), '--sweep-lag', '86400', '--poll-interval', '0.02', '--state-interval', '0.05'], {
    respawnMs: 50,
  });
  const sink = new SocketSink(port);
  const seen = (tag) => () => exec.events.some((e) => (e.message ?? '').includes(markerLine(tag)));
  const third = Math.floor(events.length / 3);
  try {
    // 1. the sink retries until ipmon-flow listens, then delivers
    sink.send([...events.slice(0, third), { message: markerLine('v1') }]);
    await exec.current.waitFor(seen('v1'), 'marker v1');
    // 2. ipmon-flow exits (stopped from outside); Vector respawns it; the sink notices the
    //    closed connection, holds what comes meanwhile, and reconnects to the new process
    const first = exec.current;
    first.signal('SIGTERM');
    assert.equal((await first.exited).code, 0, first.stderr);
    await sink.until((s) => s.disconnects === 1);
    sink.send([...events.slice(third, 2 * third), { message: markerLine('v2') }]);
    await sink.until((s) => s.connections === 2);
    await first.waitFor(() => exec.runs.length === 2, 'the respawn');
    await exec.current.waitFor(seen('v2'), 'marker v2');
    sink.send([...events.slice(2 * third), { message: markerLine('v3') }]);
    await exec.current.waitFor(seen('v3'), 'marker v3');
    // 3. Vector shuts down: SIGTERM, then stdout to its end
    const { code } = await exec.shutdown();
    assert.equal(code, 0, exec.current.stderr);
  } finally {
    sink.close();
  }
  assert.equal(exec.runs.length, 2);
  assert.notEqual(exec.runs[0].pid, exec.runs[1].pid);
  // stderr stayed out of the events: every event is a record
  for (const e of exec.events) assert.equal(typeof e.ipmon?.record_type, 'string', JSON.stringify(e).slice(0, 200));
  // both stops wrote every open flow; the second run continued them from --state, and a
  // record written at the respawn is replaced by its later version (same event.id)
  for (const r of exec.runs) assert.ok(flowsOf(r.records).some((f) => f.ipmon.end_reason === 'forced_end'));
  const byId = new Map();
  for (const f of flowsOf(exec.events)) byId.set(f.event.id, f);
  const text = `${g.lines.join('\n').replaceAll(' fw2 ', ` ${sourceIps.fw2} `)}\n`;
  const want = flowsOf(await correlate(text, { year: 2024 }));
  assert.equal(byId.size, want.length);
  assert.deepEqual(sorted([...byId.values()].map(flowFacts)), sorted(want.map(flowFacts)));
  // flows keyed by firewall: by name, or by the sender's address when the event named none
  assert.deepEqual(sorted(new Set([...byId.values()].map((f) => f.observer.hostname))), ['192.0.2.2', 'fw1']);
  const stats = exec.current.records.at(-1);
  assert.equal(stats.ipmon.record_type, 'stats');
  assert.equal(stats.ipmon.stats.lines_read, g.lines.length + 3, 'the counters continue across the respawn');
  assert.equal(stats.ipmon.stats.packets, g.totals.packets);
  assert.equal(stats.ipmon.stats.listen.rejected, 0);
  assert.equal(stats.ipmon.stats.listen.tcp_newline_framing, 1);
  assert.ok(sink.refused >= 1, 'the sink retried while ipmon-flow was down');
});
