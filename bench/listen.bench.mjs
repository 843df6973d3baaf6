// Lines per second into the CLI over TCP loopback (--listen), beside the same lines read from a
// file, measured in the same run: medians of interleaved runs, so load on the shared machine
// hits every variant alike. Figures are printed, never asserted.
//
//   node bench/listen.bench.mjs [FILE]      (standalone; `npm run bench` calls run())
//
// Every run starts the CLI and ends when its record for a marker line, sent after the last
// log line, appears on its stdout: from process start to the last line processed, in both
// modes. stdout is read by this process in both modes alike. The TCP sender is this process,
// streaming the log as fast as the connection takes it: newline framing (the lines as they
// are), octet counting (RFC 6587, `LEN SP <PRI>line`, what rsyslog and logger send), and the
// NDJSON events Vector's socket sink sends in vector-socket.toml (header split into fields).

import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CLI = fileURLToPath(new URL('../host/cli.mjs', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS || 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

/**
 * Starts the CLI with `args`; resolves { seconds, stats } once `marker` shows up on its stdout
 * (then it is stopped with SIGTERM, and its final stats record is read). `feed(port)` sends the
 * input when the CLI listens (TCP runs).
 */
function timedRun(args, marker, feed) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let seconds = null;
    let tail = '';
    let err = '';
    let fed = false;
    child.on('error', reject);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t) => {
      err += t;
      const m = /listening on tcp:\/\/[^ ]*:(\d+)/.exec(err);
      if (m && feed && !fed) {
        fed = true;
        feed(Number(m[1])).catch(reject);
      }
    });
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (t) => {
      const s = tail + t;
      if (seconds === null && s.includes(marker)) {
        seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        if (feed) process.kill(child.pid, 'SIGTERM');
      }
      tail = s.slice(-4096);
    });
    child.on('close', (code) => {
      if (seconds === null || (code !== 0 && code !== null)) return reject(new Error(`${args.join(' ')}: exit ${code}, marker ${seconds === null ? 'not seen' : 'seen'}; ${err}`));
      const last = tail.trim().split('\n').at(-1);
      let stats = null;
      try {
        stats = JSON.parse(last).ipmon?.stats ?? null;
      } catch {
        // the tail did not hold a whole stats record
      }
      resolve({ seconds, stats });
    });
  });
}

/** Streams `file` (or a Buffer) to 127.0.0.1:port, respecting the connection's back-pressure. */
function send(port, source) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => {
      if (Buffer.isBuffer(source)) {
        let off = 0;
        const pump = () => {
          while (off < source.length) {
            const end = Math.min(source.length, off + (1 << 20));
            const ok = sock.write(source.subarray(off, end));
            off = end;
            if (!ok) return sock.once('drain', pump);
          }
          sock.end();
        };
        pump();
      } else {
        createReadStream(source, { highWaterMark: 1 << 20 }).pipe(sock);
      }
    });
    sock.on('error', reject);
    sock.on('close', resolve);
  });
}

/** The lines of `text` as RFC 6587 octet-counted frames with a <PRI> each. */
function octetFrames(buf) {
  const parts = [];
  let s = 0;
  for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, s)) {
    const msg = buf.subarray(s, nl);
    parts.push(Buffer.from(`${msg.length + 5} <134>`), msg);
    s = nl + 1;
  }
  return Buffer.concat(parts);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const BSD = /^(\w{3}) ([ \d]\d) (\d\d:\d\d:\d\d) (\S+) (\w+)\[(\d+)\]: (.*)$/;

/**
 * The lines as Vector's socket sink sends them from its syslog source (vector-socket.toml):
 * one JSON event per line, the syslog header split into fields (message = MSG only); a line
 * without a BSD header is the event's whole message.
 */
function vectorEvents(buf, year) {
  const out = [];
  for (const line of buf.toString('latin1').split('\n')) {
    if (line === '') continue;
    const m = BSD.exec(line);
    const e = m
      ? {
        appname: m[5], facility: 'local0', host: m[4], hostname: m[4], message: m[7], procid: Number(m[6]), severity: 'info',
        source_ip: '192.0.2.1', source_type: 'syslog',
        timestamp: `${year}-${String(MONTHS.indexOf(m[1]) + 1).padStart(2, '0')}-${m[2].trim().padStart(2, '0')}T${m[3]}Z`,
      }
      : { message: line, source_type: 'syslog', source_ip: '192.0.2.1' };
    out.push(`${JSON.stringify(e)}\n`);
  }
  return Buffer.from(out.join(''), 'latin1');
}

/** Prints TCP loopback and file rates for `file` (`lines` lines). */
export async function run({ lines, file }) {
  const dir = mkdtempSync(join(tmpdir(), 'ipmon-flow-listen-bench-'));
  try {
    const marker = `BENCH-END-${process.pid}-${Date.now()}`;
    const withMarker = join(dir, 'input.log');
    await new Promise((resolve, reject) => {
      const out = createWriteStream(withMarker);
      out.on('error', reject);
      createReadStream(file).on('end', () => out.end(`${marker}\n`, resolve)).pipe(out, { end: false });
    });
    const octet = octetFrames(readFileSync(withMarker));
    const ndjson = vectorEvents(readFileSync(withMarker), 2024);
    const common = ['--year', '2024', '--no-progress'];
    const fileRuns = [];
    const lfRuns = [];
    const octRuns = [];
    const jsonRuns = [];
    let lastStats = null;
    for (let i = 0; i < RUNS; i++) {
      fileRuns.push((await timedRun([...common, withMarker], marker, null)).seconds);
      const lf = await timedRun([...common, '--listen', 'tcp://127.0.0.1:0'], marker, (port) => send(port, withMarker));
      lfRuns.push(lf.seconds);
      const oc = await timedRun([...common, '--listen', 'tcp://127.0.0.1:0'], marker, (port) => send(port, octet));
      octRuns.push(oc.seconds);
      lastStats = oc.stats;
      jsonRuns.push((await timedRun([...common, '--listen', 'tcp://127.0.0.1:0?format=ndjson'], marker, (port) => send(port, ndjson))).seconds);
    }
    const n = lines + 1;
    const rate = (runs) => `${fmt(n / median(runs)).padStart(10)} lines/s   (${median(runs).toFixed(3)} s; runs ${runs.map((s) => s.toFixed(2)).join(' ')})`;
    console.log(`${fmt(n)} lines per run (the generated log and a marker line), CLI start to last line processed, median of ${RUNS}:`);
    console.log(`  file (ipmon-flow FILE)                           ${rate(fileRuns)}`);
    console.log(`  TCP loopback, newline framing (--listen tcp://)  ${rate(lfRuns)}`);
    console.log(`  TCP loopback, octet counting (RFC 6587)          ${rate(octRuns)}`);
    console.log(`  TCP loopback, NDJSON of Vector syslog events     ${rate(jsonRuns)}`);
    console.log(`  TCP / file rate: newline ${(median(fileRuns) / median(lfRuns)).toFixed(2)}, octet counting ${(median(fileRuns) / median(octRuns)).toFixed(2)}, `
      + `NDJSON ${(median(fileRuns) / median(jsonRuns)).toFixed(2)}`);
    const l = lastStats?.listen;
    if (l) {
      console.log(`  last octet-counting run: ${fmt(l.lines)} lines, ${l.rejected} rejected, reading paused ${l.tcp_pauses} times for back-pressure, `
        + `at most ${(l.buffer_high_water / 1048576).toFixed(1)} MiB held`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let file = process.argv[2];
  let dir = null;
  if (!file) {
    const { generateTraffic } = await import('../host-test/lib/generator.mjs');
    dir = mkdtempSync(join(tmpdir(), 'ipmon-flow-listen-gen-'));
    file = join(dir, 'bench.log');
    writeFileSync(file, `${generateTraffic({ seed: 7, lines: 200_000, format: 'mixed', observers: ['fw1', 'fw2'] }).lines.join('\n')}\n`);
  }
  const lines = readFileSync(file, 'latin1').split('\n').length - 1;
  try {
    await run({ lines, file });
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
