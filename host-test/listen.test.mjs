// --listen: ipmon lines from the network. A real syslog client (util-linux logger) sends the
// generator's lines and the fixtures over UDP and TCP (RFC 3164, RFC 5424, octet counting) and
// the flows must equal those of the same lines read from a file; a relay's raw messages and
// BSD syslogd's host-less form; then abuse: oversized messages, invalid UTF-8, frames cut
// mid-way, a connection that never sends a newline, thousands of connections, back-pressure,
// UDP drops. Every problem must show as a record and a count, never as silence or a crash.
// Waits are generous and nothing asserts how fast anything happened.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { correlate } from '../host/index.mjs';
import { FlowEngine } from '../host/engine.mjs';
import { parseListenUrl } from '../host/listen-options.mjs';
import { detectFraming, QUOTE_BYTES } from '../host/listen-tcp.mjs';
import { Normalized, normalizeEvent, normalizeSyslog } from '../host/syslog.mjs';
import { readStateFile } from '../host/state.mjs';
import { generateTraffic } from './lib/generator.mjs';
import { CLI, flowsOf, killLeftovers, startCli, WAIT_MS } from './lib/live-cli.mjs';
import {
  flowFacts, logger, markerLine, octetCounted, sendTcp, sendUdp, startListening, statsOf, waitForMarker,
} from './lib/listen-client.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'ipmon-flow-listen-'));
test.after(async () => {
  await killLeftovers();
  rmSync(tmp, { recursive: true, force: true });
});

const SAMPLE = readFileSync(fileURLToPath(new URL('../fixtures/sample.log', import.meta.url)), 'utf8');
const sampleLines = SAMPLE.trimEnd().split('\n');
// no wall-clock sweeps: the logs are replayed far faster than real time, so the results stay
// exactly comparable with reading the same lines from a file
const REPLAY = ['--sweep-lag', '86400', '--poll-interval', '0.02'];

const byType = (run, type) => run.records.filter((r) => r.ipmon?.record_type === type);
const sorted = (xs) => [...xs].sort();

/** Stops a run with SIGTERM and checks the clean exit. */
async function stop(run) {
  run.signal('SIGTERM');
  const { code } = await run.exited;
  assert.equal(code, 0, run.stderr);
}

/** The listen counters add up: every message is a line or a rejected record, every line was read. */
function assertAccounted(s) {
  const l = s.listen;
  assert.equal(l.messages, l.lines + l.rejected, 'messages = lines + rejected');
  assert.equal(l.rejected, l.too_long + l.cut_frames + l.bad_frames + l.not_json + l.missing_key + l.not_a_string);
  assert.equal(s.lines_read, l.lines, 'every line reached the engine');
}

// ── the pieces ───────────────────────────────────────────────────────────────────────────────

test('listen URLs: loopback unless another address is written; bad ones are refused', () => {
  assert.deepEqual(parseListenUrl('udp://:514'), {
    proto: 'udp', host: '127.0.0.1', port: 514, format: 'syslog', family: 4, loopback: true, url: 'udp://127.0.0.1:514',
  });
  assert.equal(parseListenUrl('tcp://localhost:6514').host, '127.0.0.1');
  assert.equal(parseListenUrl('tcp://[::1]:514?format=ndjson').url, 'tcp://[::1]:514?format=ndjson');
  const any = parseListenUrl('tcp://0.0.0.0:514');
  assert.equal(any.host, '0.0.0.0');
  assert.equal(any.loopback, false);
  assert.equal(parseListenUrl('udp://[::]:514').family, 6);
  for (const bad of ['tcp://example.com:514', 'http://:514', 'tcp://:65536', 'tcp://:514?format=xml', 'tcp://:514?x=1', 'tcp://127.0.0.1', 'udp:514']) {
    assert.throws(() => parseListenUrl(bad), /--listen/, bad);
  }
});

test('TCP framing is decided by the first bytes: octet counting needs a length, a space and "<"', () => {
  const cases = [
    ['57 <13>1 2026', 'octet'], ['<13>Nov 28', 'lf'], ['28/11/2026 09:00', 'lf'], ['09:00:00.1 em0', 'lf'],
    ['0 <13>', 'lf'], ['123', null], ['123 ', null], ['123 x', 'lf'], ['12345678901 <', 'lf'], ['{"message"', 'lf'],
  ];
  for (const [bytes, want] of cases) assert.equal(detectFraming(Buffer.from(bytes)), want, bytes);
});

test('syslog messages become the lines the module reads; a missing host is the sender\'s address', () => {
  const now = Date.UTC(2026, 10, 28, 9, 0, 1, 234);
  const ctx = { nowMs: () => now, offsetMin: 60 };
  const msg = '09:00:00.123456 em0 @0:1 p 10.0.0.1,1234 -> 10.0.0.2,80 PR tcp len 20 60 -S IN';
  const cases = [
    // RFC 3164 with a host, and the way BSD syslogd forwards it (no host)
    [`<134>Nov 28 09:00:00 fw1 ipmon[812]: ${msg}\n`, `<134>Nov 28 09:00:00 fw1 ipmon[812]: ${msg}`],
    [`<134>Nov  8 09:00:00 ipmon[812]: ${msg}`, `<134>Nov  8 09:00:00 10.9.8.7 ipmon[812]: ${msg}`],
    [`Nov 28 09:00:00 ipmon: ${msg}`, `Nov 28 09:00:00 10.9.8.7 ipmon: ${msg}`],
    // an IPv6 host is a host, not a tag
    [`Nov 28 09:00:00 fe80::1 ipmon[812]: ${msg}`, `Nov 28 09:00:00 fe80::1 ipmon[812]: ${msg}`],
    // RFC 5424 as logger writes it, and with NILVALUE host and time
    [`<13>1 2026-11-28T09:00:00.5+00:00 fw1 ipmon[812] - - [timeQuality tzKnown="1"] ${msg}`, `<13>1 2026-11-28T09:00:00.5+00:00 fw1 ipmon[812] - - [timeQuality tzKnown="1"] ${msg}`],
    [`<13>1 - - ipmon 812 - - ${msg}`, `<13>1 2026-11-28T10:00:01.234000+01:00 10.9.8.7 ipmon 812 - - ${msg}`],
    // structured data the parser cannot step over, and a BOM before MSG
    [`<13>1 2026-11-28T09:00:00Z fw1 ipmon 812 - [a x="\\]"][b@1 y="2"] \ufeff${msg}`, `<13>1 2026-11-28T09:00:00Z fw1 ipmon 812 - - ${msg}`],
    // ISO header without a host; a PRI and a tag only (a relay adds time and host)
    [`2026-11-28T09:00:00+01:00 ipmon[812]: ${msg}`, `2026-11-28T09:00:00+01:00 10.9.8.7 ipmon[812]: ${msg}`],
    [`<134>ipmon[812]: ${msg}`, `<134>2026-11-28T10:00:01.234000+01:00 10.9.8.7 ipmon[812]: ${msg}`],
    // plain lines (ipmon's file mode) pass as they are; a line feed inside stays in one line
    [`28/11/2026 09:00:00.123456 em0 @0:1 p x\r\n`, '28/11/2026 09:00:00.123456 em0 @0:1 p x'],
    ['one\ntwo\n', 'one#012two'],
  ];
  const res = new Normalized();
  for (const [input, want] of cases) {
    const b = Buffer.from(input);
    normalizeSyslog(b, 0, b.length, '10.9.8.7', ctx, res);
    assert.equal(res.line().toString(), want, input);
  }
});

test('the rewritten lines parse: every form gives the same flow, keyed by the right host', async () => {
  const now = Date.UTC(2026, 10, 28, 9, 0, 1);
  const ctx = { nowMs: () => now, offsetMin: 0 };
  const msg = '09:00:00.123456 em0 @0:1 p 10.0.0.1,1234 -> 10.0.0.2,80 PR tcp len 20 60 -S IN';
  const forms = [
    [`<13>Nov 28 09:00:00 ipmon[812]: ${msg}`, '10.9.8.7'],
    [`<13>1 - - ipmon - - - ${msg}`, '10.9.8.7'],
    [`<13>1 2026-11-28T09:00:00.2Z fw2 ipmon 812 - [a][b] \ufeff${msg}`, 'fw2'],
    [`<13>ipmon[1]: ${msg}`, '10.9.8.7'],
  ];
  const res = new Normalized();
  for (const [m, host] of forms) {
    const b = Buffer.from(m);
    normalizeSyslog(b, 0, b.length, '10.9.8.7', ctx, res);
    const [flow] = flowsOf(await correlate(`${res.line()}\n`, { year: 2026 }));
    assert.ok(flow, m);
    assert.equal(flow.observer.hostname, host, m);
    assert.equal(flow['@timestamp'], '2026-11-28T09:00:00.123456Z', m);
  }
});

test('NDJSON events: a Vector syslog event gets its header back; no usable message is a rejection', () => {
  const ctx = { nowMs: () => Date.UTC(2026, 10, 28, 9, 0, 1), offsetMin: 0 };
  const res = new Normalized();
  const msg = '09:00:00.123456 em0 @0:1 p 10.0.0.1,1234 -> 10.0.0.2,80 PR tcp len 20 60 -S IN';
  // the fields of Vector's syslog source (website/cue/reference/components/sources/syslog.cue)
  const event = {
    appname: 'ipmon', facility: 'local0', host: 'fw1', hostname: 'fw1', message: msg, procid: 812,
    severity: 'info', source_ip: '192.0.2.1', source_type: 'syslog', timestamp: '2026-11-28T09:00:00Z',
  };
  assert.equal(normalizeEvent(event, '127.0.0.1', ctx, res), null);
  assert.equal(res.line().toString(), `2026-11-28T09:00:00Z fw1 ipmon[812]: ${msg}`);
  const { hostname: _h, ...noHost } = event;
  normalizeEvent(noHost, '127.0.0.1', ctx, res);
  assert.equal(res.line().toString(), `2026-11-28T09:00:00Z 192.0.2.1 ipmon[812]: ${msg}`);
  // a whole syslog line in message (Vector could not parse it, or another producer)
  normalizeEvent({ message: `<13>Nov 28 09:00:00 ipmon[1]: ${msg}`, source_ip: '192.0.2.9' }, '127.0.0.1', ctx, res);
  assert.equal(res.line().toString(), `<13>Nov 28 09:00:00 192.0.2.9 ipmon[1]: ${msg}`);
  // a message that has its own header keeps it, even when the event has syslog fields
  normalizeEvent({ ...event, hostname: undefined, message: `Nov 28 09:00:00 ipmon[1]: ${msg}` }, '127.0.0.1', ctx, res);
  assert.equal(res.line().toString(), `Nov 28 09:00:00 192.0.2.1 ipmon[1]: ${msg}`);
  assert.equal(res.hostAdded, true);
  // no time in the event: the time of receipt
  const { timestamp: _t, ...noTime } = event;
  normalizeEvent(noTime, '127.0.0.1', ctx, res);
  assert.equal(res.line().toString(), `2026-11-28T09:00:01.000000Z fw1 ipmon[812]: ${msg}`);
  assert.equal(res.timeAdded, true);
  normalizeEvent({ message: `28/11/2026 ${msg}` }, '127.0.0.1', ctx, res);
  assert.equal(res.line().toString(), `28/11/2026 ${msg}`);
  assert.equal(normalizeEvent({ msg: 'x' }, '127.0.0.1', ctx, res).reason, 'missing_key');
  assert.equal(normalizeEvent({ message: 5 }, '127.0.0.1', ctx, res).reason, 'not_a_string');
  assert.equal(normalizeEvent([1], '127.0.0.1', ctx, res).reason, 'not_json');
});

// ── a real syslog client ─────────────────────────────────────────────────────────────────────

test('logger over TCP, RFC 3164, newline framing: the flows of the same lines read from a file', async () => {
  const g = generateTraffic({ seed: 41, connections: 150, concurrency: 40, format: 'file' });
  const file = join(tmp, 'logger-3164.txt');
  writeFileSync(file, `${[...g.lines, markerLine('3164')].join('\n')}\n`);
  const run = await startListening(['--listen', 'tcp://:0', ...REPLAY]);
  await logger(run.ports[0], ['--tcp', '--rfc3164', '-t', 'ipmon[812]', '-f', file]);
  await waitForMarker(run, '3164');
  await stop(run);
  const want = flowsOf(await correlate(g.text, {}));
  const got = flowsOf(run.records);
  assert.equal(got.length, g.flows.length);
  assert.deepEqual(sorted(got.map(flowFacts)), sorted(want.map(flowFacts)));
  // logger names this machine in its header: that is the logging host of every flow
  const hosts = new Set(got.map((f) => f.observer.hostname));
  assert.equal(hosts.size, 1);
  assert.ok(hostname().startsWith([...hosts][0]), [...hosts][0]);
  const s = statsOf(run);
  assertAccounted(s);
  assert.equal(s.lines_read, g.lines.length + 1);
  assert.equal(s.packets, g.totals.packets);
  assert.equal(s.bytes, g.totals.bytes);
  assert.equal(s.listen.tcp_newline_framing, 1);
  assert.equal(s.listen.hosts_added, 0);
});

test('logger over TCP, RFC 5424 with octet counting and no host: the sender\'s address is the host', async () => {
  const g = generateTraffic({ seed: 42, connections: 120, concurrency: 30, format: 'file' });
  const file = join(tmp, 'logger-5424.txt');
  writeFileSync(file, `${[...g.lines, markerLine('5424')].join('\n')}\n`);
  const run = await startListening(['--listen', 'tcp://:0', ...REPLAY]);
  await logger(run.ports[0], ['--tcp', '--octet-count', '--rfc5424=nohost', '-t', 'ipmon', '-f', file]);
  await waitForMarker(run, '5424');
  await stop(run);
  const want = flowsOf(await correlate(g.text, {}));
  const got = flowsOf(run.records);
  assert.deepEqual(sorted(got.map(flowFacts)), sorted(want.map(flowFacts)));
  assert.deepEqual([...new Set(got.map((f) => f.observer.hostname))], ['127.0.0.1']);
  const s = statsOf(run);
  assertAccounted(s);
  assert.equal(s.listen.tcp_octet_counting, 1);
  assert.equal(s.listen.hosts_added, g.lines.length + 1);
  assert.equal(s.lines_read, g.lines.length + 1);
});

/**
 * The sample as its firewall would log it starting about two minutes ago: every time of day
 * (the syslog header's and ipmon's) moved by the same whole seconds. ipmon -s and the sender's
 * header then agree, as they do on a real firewall; the fixture's own 10:00 UTC put ipmon's
 * time minutes to an hour away from the header logger wrote, and flows ended differently
 * when the test ran between about 10:05 and 11:00 UTC.
 */
function sampleNearNow() {
  const day = 86400;
  const now = Math.floor(Date.now() / 1000) % day;
  const start = Math.max(now - 120, 30); // not across midnight: the sample spans 90 s
  const shift = (t) => {
    const [h, m, sec] = t.split(':').map(Number);
    const v = (h * 3600 + m * 60 + sec - 36000 + start) % day;
    return [Math.floor(v / 3600), Math.floor(v / 60) % 60, v % 60].map((x) => String(x).padStart(2, '0')).join(':');
  };
  return SAMPLE.replace(/^(\w{3} [ \d]\d )(\d\d:\d\d:\d\d)( \S+ \S+: )(\d\d:\d\d:\d\d)?/gm,
    (_, date, header, tag, ipmon) => `${date}${shift(header)}${tag}${ipmon ? shift(ipmon) : ''}`);
}

for (const rfc of ['--rfc3164', '--rfc5424']) {
  test(`logger over UDP, ${rfc}, ipmon -s messages: the flows of the fixture, dated by the sender's header`, async () => {
    // ipmon's syslog mode writes only the time of day: the date is the syslog header's
    const sample = sampleNearNow();
    const messages = sample.trimEnd().split('\n').map((l) => l.replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ ipmon\[\d+\]: /, ''));
    const file = join(tmp, `logger-udp${rfc}.txt`);
    writeFileSync(file, `${[...messages, markerLine(`udp${rfc}`)].join('\n')}\n`);
    const run = await startListening(['--listen', 'udp://:0', ...REPLAY]);
    const sentAt = Date.now();
    await logger(run.ports[0], ['--udp', rfc, '-t', 'ipmon[812]', '-f', file]);
    await waitForMarker(run, `udp${rfc}`);
    await stop(run);
    const timeOfDay = (iso) => iso.slice(11);
    const facts = (f) => flowFacts({ ...f, event: { ...f.event, start: timeOfDay(f.event.start), end: timeOfDay(f.event.end) } });
    const want = flowsOf(await correlate(sample, { year: 2026 }));
    const got = flowsOf(run.records);
    assert.deepEqual(sorted(got.map(facts)), sorted(want.map(facts)));
    // the header logger wrote (its clock, UTC) placed ipmon's time of day within 12 hours of it
    for (const f of got) assert.ok(Math.abs(Date.parse(f.event.start) - sentAt) < 12 * 3600e3 + WAIT_MS, f.event.start);
    const s = statsOf(run);
    assertAccounted(s);
    assert.equal(s.listen.udp_datagrams, sampleLines.length + 1);
    assert.equal(s.listen.udp_dropped, 0);
  });
}

// ── a relay's raw messages ───────────────────────────────────────────────────────────────────

test('a relay\'s RFC 3164 messages, octet-counted and cut anywhere: exactly the fixture\'s records', async () => {
  const run = await startListening(['--listen', 'tcp://:0', '--year', '2026', ...REPLAY]);
  const frames = octetCounted([...sampleLines.map((l) => `<134>${l}`), markerLine('relay')]);
  await sendTcp(run.ports[0], frames, { pieces: 40, seed: 7 });
  await waitForMarker(run, 'relay');
  await stop(run);
  const want = await correlate(SAMPLE, { year: 2026 });
  const got = run.records.filter((r) => !(r.message ?? '').includes(markerLine('relay')));
  // every record but the stats: flows, forwarded and unparsed lines, with their ids
  const strip = (rs) => rs.filter((r) => r.ipmon.record_type !== 'stats').map((r) => {
    const c = structuredClone(r);
    if (typeof c.message === 'string') c.message = c.message.replace(/^<134>/, '');
    if (c.event.kind !== 'pipeline_error' && c.ipmon.record_type !== 'flow') delete c.event.id; // hashes the bytes, <PRI> included
    if (c.ipmon.record_type === 'unparsed') delete c.event.id;
    return JSON.stringify(c);
  });
  assert.deepEqual(sorted(strip(got)), sorted(strip(want)));
  const s = statsOf(run);
  assertAccounted(s);
  assert.equal(s.lines_read, sampleLines.length + 1);
  assert.equal(s.listen.tcp_octet_counting, 1);
});

test('BSD syslogd\'s forwarded form has no host: the sender\'s address keys the flows', async () => {
  const run = await startListening(['--listen', 'udp://:0', '--year', '2026', ...REPLAY]);
  const hostless = sampleLines.map((l) => `<134>${l.replace(/^(\w{3} [ \d]\d \d\d:\d\d:\d\d) fw1 /, '$1 ')}`);
  assert.equal(await sendUdp(run.ports[0], [...hostless, markerLine('bsd')]), sampleLines.length + 1);
  await waitForMarker(run, 'bsd');
  await stop(run);
  const want = flowsOf(await correlate(SAMPLE.replaceAll(' fw1 ', ' 127.0.0.1 '), { year: 2026 }));
  const got = flowsOf(run.records);
  assert.deepEqual(got.map((f) => JSON.stringify(f)), want.map((f) => JSON.stringify(f)));
  assert.equal(statsOf(run).listen.hosts_added, sampleLines.length);
});

test('IPv6 loopback: [::1] over UDP and TCP, the sender ::1 is the logging host', async (t) => {
  const probe = net.createServer();
  const ok = await new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
  if (!ok) return t.skip('no IPv6 loopback on this machine');
  const run = await startListening(['--listen', 'udp://[::1]:0', '--listen', 'tcp://[::1]:0', '--year', '2026', ...REPLAY]);
  assert.match(run.stderr, /listening on udp:\/\/\[::1\]:\d+\n/);
  const line = (port) => `<134>Nov 28 09:00:00 ipmon[1]: 09:00:00.000001 em0 @0:1 p 10.0.0.1,${port} -> 10.0.0.2,53 PR udp len 20 60 IN`;
  const udp = dgram.createSocket('udp6');
  await new Promise((resolve, reject) => udp.send(line(9001), run.ports[0], '::1', (err) => (err ? reject(err) : resolve())));
  udp.close();
  await new Promise((resolve, reject) => {
    const sock = net.connect({ host: '::1', port: run.ports[1] }, () => sock.end(`${line(9002)}\n${markerLine('v6')}\n`));
    sock.on('error', reject);
    sock.on('close', resolve);
  });
  await waitForMarker(run, 'v6');
  await stop(run);
  const flows = flowsOf(run.records);
  assert.deepEqual(flows.map((f) => [f.source.port, f.observer.hostname]).sort(), [[9001, '::1'], [9002, '::1']]);
  assertAccounted(statsOf(run));
});

// ── bad input and abuse ──────────────────────────────────────────────────────────────────────

const udpLine = (t, port) => `28/11/2026 ${t} em0 @0:1 p 10.0.0.1,${port} -> 10.0.0.2,53 PR udp len 20 60 IN`;

test('oversized messages: a record each (first 256 bytes, full size), the connection goes on', async () => {
  const run = await startListening(['--listen', 'tcp://:0', '--listen', 'udp://:0', '--max-message', '1K', ...REPLAY]);
  const [tcp, udp] = run.ports;
  const big = (n, c) => `<13>${c.repeat(n - 4)}`;
  // newline framing: a long line between two good ones
  await sendTcp(tcp, `${udpLine('09:00:00.000001', 1001)}\n${big(5000, 'a')}\n${udpLine('09:00:00.000002', 1001)}\n`, { pieces: 9 });
  // octet counting: the long frame is skipped by its length, framing is kept
  await sendTcp(tcp, octetCounted([`<13>${udpLine('09:00:00.000003', 1002)}`, big(3000, 'b'), `<13>${udpLine('09:00:00.000004', 1002)}`]), { pieces: 5 });
  // a datagram
  await sendUdp(udp, [big(2000, 'c'), udpLine('09:00:00.000005', 1003)]);
  // a connection that never sends a newline: 200 kB in 50 writes, then it closes
  await sendTcp(tcp, big(200_000, 'd'), { pieces: 50 });
  await sendUdp(udp, [markerLine('big')]);
  await waitForMarker(run, 'big');
  await stop(run);
  const rejected = byType(run, 'rejected');
  assert.deepEqual(rejected.map((r) => [r.ipmon.reason, r.ipmon.line_bytes, r.message[5]]).sort(),
    [['too_long', 2000, 'c'], ['too_long', 200_000, 'd'], ['too_long', 3000, 'b'], ['too_long', 5000, 'a']]);
  for (const r of rejected) {
    assert.equal(r.message.length, QUOTE_BYTES);
    assert.equal(r.ipmon.message_truncated, true);
    assert.equal(r.event.dataset, 'ipmon.rejected');
    assert.equal(r.event.kind, 'pipeline_error');
    assert.match(r.event.id, /^[0-9a-f]{16}$/);
    assert.equal(r.source.ip, '127.0.0.1');
    assert.match(r.error.message, /longer than --max-message 1024/);
  }
  assert.match(rejected.find((r) => r.ipmon.line_bytes === 200_000).error.message, /connection closed before it ended/);
  // the good lines around them were all read
  assert.deepEqual(flowsOf(run.records).map((f) => [f.source.port, f.source.packets]).sort(), [[1001, 2], [1002, 2], [1003, 1]]);
  const s = statsOf(run);
  assertAccounted(s);
  assert.equal(s.listen.too_long, 4);
  // nothing long was held: at most a quote per message and a few short lines
  assert.ok(s.listen.buffer_high_water < 8 * 1024, `held ${s.listen.buffer_high_water} bytes`);
});

test('invalid UTF-8, cut frames, a broken frame header, unusable JSON: records and counts, no crash', async () => {
  const run = await startListening(['--listen', 'tcp://:0', '--listen', 'udp://:0', '--listen', 'tcp://:0?format=ndjson', ...REPLAY]);
  const [tcp, udp, json] = run.ports;
  const bad = Buffer.concat([Buffer.from('<13>Nov 28 09:00:00 fw1 ipmon[1]: garbage '), Buffer.from([0xff, 0xfe, 0x41])]);
  await sendUdp(udp, [bad]);
  await sendTcp(tcp, Buffer.concat([bad, Buffer.from('\n')]), { pieces: 3 });
  // octet counting: a frame announcing 500 bytes, cut after 100 by an abrupt close
  const announced = Buffer.from(`500 <13>${'x'.repeat(96)}`);
  await sendTcp(tcp, announced, { close: 'destroy' });
  // newline framing: the last line has no newline when the connection ends
  await sendTcp(tcp, `${udpLine('09:00:01.000000', 2001)}\n<13>half a li`);
  // a frame header that is not a length: framing is lost, the CLI closes the connection
  const broken = Buffer.concat([octetCounted([`<13>${udpLine('09:00:02.000000', 2002)}`]), Buffer.from('12x <13>rest')]);
  await sendTcp(tcp, broken);
  // NDJSON: not JSON, no message, a message that is not a string, invalid UTF-8 in a string
  const events = Buffer.concat([
    Buffer.from('{"message": "oops"\n{"msg":"x"}\n{"message":5}\n{"message":"'),
    Buffer.from([0xc3, 0x28]),
    Buffer.from(`"}\n${JSON.stringify({ message: udpLine('09:00:03.000000', 2003) })}\n`),
  ]);
  await sendTcp(json, events, { pieces: 4 });
  await sendUdp(udp, [markerLine('bad')]);
  await waitForMarker(run, 'bad');
  await stop(run);
  const reasons = byType(run, 'rejected').map((r) => r.ipmon.reason).sort();
  assert.deepEqual(reasons, ['bad_frame', 'cut_frame', 'cut_frame', 'missing_key', 'not_a_string', 'not_json']);
  const cut = byType(run, 'rejected').filter((r) => r.ipmon.reason === 'cut_frame');
  assert.deepEqual(cut.map((r) => r.ipmon.line_bytes).sort((a, b) => a - b), [13, 100]);
  assert.ok(cut.some((r) => /100 bytes of a 500-byte frame arrived/.test(r.error.message)), JSON.stringify(cut));
  assert.ok(cut.some((r) => r.message === '<13>half a li' && /without its closing newline/.test(r.error.message)));
  // invalid bytes reach the module, which replaces them in what it writes
  const unparsed = byType(run, 'unparsed').filter((r) => r.message.includes('garbage'));
  assert.equal(unparsed.length, 2);
  for (const r of unparsed) assert.ok(r.message.endsWith('garbage \ufffd\ufffdA'), r.message);
  assert.deepEqual(flowsOf(run.records).map((f) => f.source.port).sort(), [2001, 2002, 2003]);
  const s = statsOf(run);
  assertAccounted(s);
  assert.equal(s.listen.invalid_utf8, 3);
  assert.equal(s.listen.cut_frames, 2);
  assert.equal(s.listen.bad_frames, 1);
  assert.equal(s.listen.not_json + s.listen.missing_key + s.listen.not_a_string, 3);
});

test('random bytes on 60 connections (both framings, ndjson, cut anywhere, some reset): every message accounted for, no crash', async () => {
  const run = await startListening(['--listen', 'tcp://:0', '--listen', 'tcp://:0?format=ndjson', '--max-message', '2K', ...REPLAY]);
  let x = 12345;
  const rnd = (n) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
  const piece = () => {
    switch (rnd(8)) {
      case 0: return Buffer.from(`${udpLine('09:00:00.000000', 7000 + rnd(50))}\n`);
      case 1: return octetCounted([`<13>${udpLine('09:00:00.000000', 7000 + rnd(50))}`]);
      case 2: return Buffer.from(`${JSON.stringify({ message: udpLine('09:00:00.000000', 7000 + rnd(50)) })}\n`);
      case 3: return Buffer.from(`${rnd(100000)} <${rnd(200)}>`); // a frame header announcing anything
      case 4: return Buffer.from('x'.repeat(rnd(5000)));
      case 5: return Buffer.from([0xff, 0xc3, 0x0a, 0x80]);
      case 6: return Buffer.from(`{"message":${rnd(2) ? '"a' : '7'}}\n`);
      default: return Buffer.from(Array.from({ length: rnd(300) }, () => rnd(256)));
    }
  };
  const sends = [];
  for (let c = 0; c < 60; c++) {
    const data = Buffer.concat(Array.from({ length: 1 + rnd(40) }, piece));
    const port = run.ports[rnd(2)];
    sends.push(sendTcp(port, data, { pieces: 1 + rnd(20), seed: c + 1, close: rnd(4) === 0 ? 'destroy' : 'end' }).catch(() => {}));
  }
  await Promise.all(sends);
  await sendTcp(run.ports[0], `${markerLine('fuzz')}\n`);
  await waitForMarker(run, 'fuzz');
  await stop(run);
  const s = statsOf(run);
  assertAccounted(s);
  assert.equal(s.listen.tcp_connections, 61);
  assert.equal(byType(run, 'rejected').length, s.listen.rejected);
  assert.ok(s.listen.rejected > 0 && s.listen.lines > 0, JSON.stringify(s.listen));
  assert.ok(s.listen.buffer_high_water < 8 << 20);
});

test('a connection that goes quiet mid-message is closed after --idle-timeout, the part reported', async () => {
  const run = await startListening(['--listen', 'tcp://:0', '--idle-timeout', '0.3', ...REPLAY]);
  const sock = await sendTcp(run.ports[0], `${udpLine('09:00:00.000000', 3001)}\npartial`, { close: 'keep' });
  await new Promise((resolve) => sock.on('close', resolve)); // the CLI closes it
  await sendTcp(run.ports[0], `${markerLine('idle')}\n`);
  await waitForMarker(run, 'idle');
  await stop(run);
  const [cut] = byType(run, 'rejected');
  assert.equal(cut.ipmon.reason, 'cut_frame');
  assert.equal(cut.message, 'partial');
  assert.match(cut.error.message, /idle for --idle-timeout 0.3 s/);
  const s = statsOf(run);
  assertAccounted(s);
  assert.equal(s.listen.tcp_idle_closed, 1);
});

test('thousands of connections: the ones over --max-connections are refused and counted, memory stays bounded', async () => {
  const MAX = 50;
  const N = 2000;
  const run = await startListening(['--listen', 'tcp://:0', '--max-connections', String(MAX), ...REPLAY]);
  const port = run.ports[0];
  let closedByServer = 0;
  const socks = [];
  await Promise.all(Array.from({ length: N }, () => new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.write('<13>Nov 28 09:00:00 fw1 ipmon[1]: a message that never ends ');
      resolve();
    });
    s.on('error', () => {});
    s.on('close', () => {
      if (!s.closedByUs) closedByServer++;
      resolve();
    });
    socks.push(s);
  })));
  await run.waitFor(() => closedByServer === N - MAX, `${N - MAX} refusals (${closedByServer} so far)`);
  for (const s of socks) {
    s.closedByUs = true;
    s.destroy();
  }
  // the slots are free again: a sender gets through
  await sendTcp(port, `${udpLine('09:00:00.000000', 4001)}\n${markerLine('many')}\n`);
  await waitForMarker(run, 'many');
  await stop(run);
  const s = statsOf(run);
  assertAccounted(s);
  assert.equal(s.listen.tcp_refused, N - MAX);
  assert.equal(s.listen.tcp_connections, MAX + 1);
  assert.equal(s.listen.cut_frames, MAX, 'each held connection\'s unfinished message is reported');
  assert.ok(s.listen.buffer_high_water <= MAX * 100, `held ${s.listen.buffer_high_water} bytes`);
  assert.match(run.stderr, /refusing TCP connections over --max-connections 50/);
  assert.equal(flowsOf(run.records).length, 1);
});

test('back-pressure: while stdout is not read, TCP is not read either; nothing is lost', async () => {
  const run = await startListening(['--listen', 'tcp://:0', '--listen-buffer', '64K', ...REPLAY]);
  run.child.stdout.pause(); // the reader of the records stops
  // unparsed lines first (their records fill the pipe), then lines of one flow (no output)
  const unparsed = Array.from({ length: 20_000 }, (_, i) => `not an ipmon line ${i}`);
  const flow = Array.from({ length: 150_000 }, (_, i) => udpLine(`10:${String(Math.floor(i / 6000)).padStart(2, '0')}:00.${String(i % 6000).padStart(6, '0')}`, 5001));
  const data = Buffer.from(`${[...unparsed, ...flow, markerLine('bp')].join('\n')}\n`);
  const sock = net.connect({ host: '127.0.0.1', port: run.ports[0] });
  await new Promise((resolve) => sock.once('connect', resolve));
  for (let i = 0; i < data.length; i += 1 << 20) sock.write(data.subarray(i, i + (1 << 20)));
  // the sender is held up: what it wrote stays in its own buffer, as the CLI stopped reading
  let last = -1;
  await run.waitFor(() => {
    const stuck = sock.writableLength > 0 && sock.writableLength === last;
    last = sock.writableLength;
    return stuck;
  }, 'the sender to be held up', WAIT_MS);
  run.child.stdout.resume();
  sock.end();
  await waitForMarker(run, 'bp');
  await stop(run);
  const s = statsOf(run);
  assertAccounted(s);
  assert.equal(s.lines_read, unparsed.length + flow.length + 1);
  assert.ok(s.listen.tcp_pauses >= 1);
  assert.ok(s.listen.buffer_high_water <= 64 * 1024 + 2 * 65536, `held ${s.listen.buffer_high_water} bytes`);
  const [f] = flowsOf(run.records);
  assert.equal(f.source.packets, flow.length);
});

/** Sends the marker datagram until its record shows (a datagram may be dropped: that is UDP). */
async function markUdp(run, port, tag) {
  let sent = 0;
  const seen = () => run.records.some((x) => (x.message ?? '').includes(markerLine(tag)));
  while (!seen()) {
    sent += await sendUdp(port, [markerLine(tag)]);
    await run.waitFor(seen, `marker ${tag}`, 200).catch(() => {});
  }
  return sent;
}

test('UDP while the output is stuck: datagrams over --listen-buffer are dropped and counted', async () => {
  const run = await startListening(['--listen', 'udp://:0', '--listen-buffer', '64K', ...REPLAY]);
  run.child.stdout.pause();
  const n = 4000;
  let sent = await sendUdp(run.ports[0], Array.from({ length: n }, (_, i) => `not an ipmon line, datagram ${i} ${'.'.repeat(40)}`), { pace: 20 });
  run.child.stdout.resume();
  sent += await markUdp(run, run.ports[0], 'udp-drop');
  await stop(run);
  const s = statsOf(run);
  const l = s.listen;
  assertAccounted(s);
  assert.ok(l.udp_dropped > 0, JSON.stringify(l));
  assert.equal(l.udp_datagrams, l.messages + l.udp_dropped);
  if (l.udp_kernel_drops !== undefined) assert.equal(l.udp_datagrams + l.udp_kernel_drops, sent, 'every datagram sent is accounted for');
});

test('UDP while the CLI is stopped: the kernel\'s drops for its socket are in the stats', { skip: process.platform !== 'linux' && 'reads /proc/net/udp' }, async () => {
  const run = await startListening(['--listen', 'udp://:0', ...REPLAY]);
  run.signal('SIGSTOP');
  let sent;
  try {
    sent = await sendUdp(run.ports[0], Array.from({ length: 5000 }, (_, i) => udpLine(`09:00:00.${String(i).padStart(6, '0')}`, 6001)));
  } finally {
    run.signal('SIGCONT');
  }
  sent += await markUdp(run, run.ports[0], 'kernel');
  await stop(run);
  const l = statsOf(run).listen;
  assert.ok(l.udp_kernel_drops > 0, JSON.stringify(l));
  assert.equal(l.udp_datagrams + l.udp_kernel_drops, sent);
  // every datagram that got through is a line: the flow's packets, or a marker's record
  const markers = run.records.filter((r) => (r.message ?? '').includes(markerLine('kernel'))).length;
  assert.equal(flowsOf(run.records)[0].source.packets + markers, l.lines);
});

test('UDP at shutdown: datagrams already in the kernel\'s queue when SIGTERM comes are still read', async () => {
  const run = await startListening(['--listen', 'udp://:0', ...REPLAY]);
  const n = 100; // well within the kernel's receive buffer (small datagrams cost about 1 KiB each there)
  run.signal('SIGSTOP');
  let sent;
  try {
    sent = await sendUdp(run.ports[0], Array.from({ length: n }, (_, i) => udpLine(`09:00:01.${String(i).padStart(6, '0')}`, 6101)));
  } finally {
    // the datagrams wait in the kernel; the CLI wakes up to a stop request
    run.signal('SIGCONT');
    run.signal('SIGTERM');
  }
  assert.equal((await run.exited).code, 0, run.stderr);
  const s = statsOf(run);
  assertAccounted(s);
  assert.equal(s.listen.udp_kernel_drops, 0);
  assert.equal(s.listen.udp_datagrams, sent);
  assert.equal(flowsOf(run.records)[0].source.packets, n);
});

test('TCP at shutdown: what a connection had already delivered when SIGTERM comes is still read', async () => {
  const run = await startListening(['--listen', 'tcp://:0', ...REPLAY]);
  const n = 2000;
  const sock = net.connect({ host: '127.0.0.1', port: run.ports[0] });
  await new Promise((resolve) => sock.once('connect', resolve));
  sock.on('error', () => {}); // the CLI resets the connection at its exit
  run.signal('SIGSTOP');
  try {
    const data = `${Array.from({ length: n }, (_, i) => udpLine(`09:00:02.${String(i).padStart(6, '0')}`, 6201)).join('\n')}\n`;
    // written into the CLI's receive buffer while it is stopped (about 170 kB: loopback takes it)
    await new Promise((resolve) => sock.write(data, resolve));
  } finally {
    run.signal('SIGCONT');
    run.signal('SIGTERM');
  }
  assert.equal((await run.exited).code, 0, run.stderr);
  sock.destroy();
  const s = statsOf(run);
  assertAccounted(s);
  assert.equal(s.listen.lines, n);
  assert.equal(flowsOf(run.records)[0].source.packets, n);
});

// ── live semantics ───────────────────────────────────────────────────────────────────────────

test('--state: open flows survive a restart and come out complete, under the same ids', async () => {
  const g = generateTraffic({ seed: 43, connections: 150, concurrency: 60, format: 'syslog', observers: ['fw1', 'fw2'] });
  const state = join(tmp, 'listen.state');
  const half = Math.floor(g.lines.length / 2);
  const args = ['--listen', 'tcp://:0', '--state', state, '--state-interval', '0.05', '--year', '2024', ...REPLAY];
  const first = await startListening(args);
  await sendTcp(first.ports[0], `${[...g.lines.slice(0, half), markerLine('s1')].join('\n')}\n`, { pieces: 3 });
  await waitForMarker(first, 's1');
  await stop(first);
  const meta = readStateFile(state).state.meta;
  assert.deepEqual(meta.listen, ['tcp://127.0.0.1:0']);
  assert.equal(meta.input, null);
  const second = await startListening(args);
  await sendTcp(second.ports[0], `${[...g.lines.slice(half), markerLine('s2')].join('\n')}\n`, { pieces: 3 });
  await waitForMarker(second, 's2');
  await stop(second);
  // a record seen twice under one id is the provisional one and its replacement: the later wins
  const byId = new Map();
  for (const r of flowsOf([...first.records, ...second.records])) byId.set(r.event.id, r);
  const want = flowsOf(await correlate(g.text, { year: 2024 }));
  assert.deepEqual(sorted([...byId.values()].map(flowFacts)), sorted(want.map(flowFacts)));
  assert.ok(flowsOf(first.records).some((f) => f.ipmon.end_reason === 'forced_end'), 'open at the stop');
  const s = statsOf(second);
  assert.equal(s.lines_read, g.lines.length + 2, 'the counters continue');
  assert.equal(s.packets, g.totals.packets);
});

test('--state after kill -9: the restart continues from the last checkpoint, no flow lost or counted twice', async () => {
  const g = generateTraffic({ seed: 44, connections: 120, concurrency: 60, format: 'syslog', observers: ['fw1', 'fw2'] });
  const state = join(tmp, 'listen-crash.state');
  const half = Math.floor(g.lines.length / 2);
  const args = ['--listen', 'tcp://:0', '--state', state, '--state-interval', '0.05', '--year', '2024', ...REPLAY];
  const first = await startListening(args);
  await sendTcp(first.ports[0], `${[...g.lines.slice(0, half), markerLine('c1')].join('\n')}\n`);
  await waitForMarker(first, 'c1');
  // a checkpoint that holds every line sent so far (its engine says so), then the crash
  const checkpointed = () => {
    const st = readStateFile(state).state;
    if (!st) return false;
    const e = new FlowEngine({ year: 2024 });
    e.restore(st.blob);
    return JSON.parse(e.stats().toString()).ipmon.stats.lines_read === half + 1;
  };
  await first.waitFor(checkpointed, 'a checkpoint of every line');
  first.signal('SIGKILL');
  assert.equal((await first.exited).signal, 'SIGKILL');
  const second = await startListening(args);
  await sendTcp(second.ports[0], `${[...g.lines.slice(half), markerLine('c2')].join('\n')}\n`);
  await waitForMarker(second, 'c2');
  await stop(second);
  // no provisional records at a crash: every flow comes out once, complete
  const flows = flowsOf([...first.records, ...second.records]);
  assert.equal(new Set(flows.map((f) => f.event.id)).size, flows.length, 'no flow twice');
  const want = flowsOf(await correlate(g.text, { year: 2024 }));
  assert.deepEqual(sorted(flows.map(flowFacts)), sorted(want.map(flowFacts)));
  const s = statsOf(second);
  assert.equal(s.lines_read, g.lines.length + 2);
  assert.equal(s.packets, g.totals.packets);
});

test('a state file of a followed log is not resumed by --listen, nor a listener\'s by --follow', async () => {
  const log = join(tmp, 'followed.log');
  const state = join(tmp, 'mixed.state');
  writeFileSync(log, `${udpLine('09:00:00.000000', 7001)}\n`);
  const follow = startCli(['--follow', log, '--from-start', '--state', state, '--state-interval', '0.05', '--poll-interval', '0.02']);
  await follow.waitFor(() => readStateFile(state).state?.meta.input?.offset > 0, 'the follow checkpoint');
  await stop(follow);
  const listen = await startListening(['--listen', 'tcp://:0', '--state', state, ...REPLAY]);
  await stop(listen);
  assert.match(listen.stderr, /belongs to a followed log .*followed\.log.*starting fresh/);
  assert.equal(flowsOf(listen.records).length, 0, 'the followed log\'s open flow is not the listener\'s');
  assert.deepEqual(readStateFile(state).state.meta.listen, ['tcp://127.0.0.1:0']);
  const again = startCli(['--follow', log, '--state', state, '--poll-interval', '0.02']);
  await again.waitFor(() => /belongs to a network listener/.test(again.stderr), 'the warning');
  await stop(again);
});

test('a quiet network: flows still end on time (event time follows the wall clock)', async () => {
  const run = await startListening(['--listen', 'udp://:0', '--udp-timeout', '1', '--sweep-lag', '0', '--poll-interval', '0.02']);
  const now = new Date();
  const stamp = `${String(now.getUTCDate()).padStart(2, '0')}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${now.getUTCFullYear()} `
    + `${now.toISOString().slice(11, 19)}.000000`;
  await sendUdp(run.ports[0], [`${stamp} em0 @0:1 p 10.0.0.1,8001 -> 10.0.0.2,53 PR udp len 20 60 IN`]);
  await run.waitFor((r) => flowsOf(r.records).length === 1, 'the flow to time out');
  assert.equal(flowsOf(run.records)[0].ipmon.end_reason, 'idle_timeout');
  await stop(run);
});

test('options: bad URLs, hosts by name, FILE or --follow with --listen, limits without it: exit 2', () => {
  const cases = [
    [['--listen', 'tcp://example.com:514'], /host must be an IP address/],
    [['--listen', 'ftp://:21'], /udp:\/\/HOST:PORT/],
    [['--listen', 'tcp://:514?format=csv'], /format=syslog or format=ndjson/],
    [['--listen', 'tcp://:0', 'some.log'], /give no --follow or FILE/],
    [['--listen', 'tcp://:0', '--follow', 'some.log'], /give no --follow or FILE/],
    [['--listen', 'tcp://:5514', '--listen', 'tcp://127.0.0.1:5514'], /given twice/],
    [['--max-connections', '5'], /--max-connections needs --listen/],
    [['--listen', 'tcp://:0', '--max-message', '10'], /--max-message needs a size/],
    [['--listen', 'tcp://:0', '--idle-timeout', 'soon'], /--idle-timeout needs a number/],
    [['--listen', 'tcp://:0', '--from-start'], /--from-start needs --follow FILE/],
  ];
  for (const [args, re] of cases) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: WAIT_MS });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
  }
});

test('a port in use: a clear error naming the URL, exit 1; 0.0.0.0 is announced as not loopback', async () => {
  const taken = net.createServer();
  await new Promise((resolve) => taken.listen(0, '127.0.0.1', resolve));
  try {
    const url = `tcp://127.0.0.1:${taken.address().port}`;
    const r = spawnSync(process.execPath, [CLI, '--listen', url], { encoding: 'utf8', timeout: WAIT_MS });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot listen on ${url}: EADDRINUSE`));
  } finally {
    taken.close();
  }
  const run = await startListening(['--listen', 'udp://0.0.0.0:0', '--listen', 'tcp://:0', ...REPLAY]);
  assert.match(run.stderr, /listening on udp:\/\/0\.0\.0\.0:\d+ \(not loopback: other hosts can send to it\)/);
  assert.match(run.stderr, /listening on tcp:\/\/127\.0\.0\.1:\d+\n/);
  await stop(run);
});
