// Senders for the --listen tests: the CLI started on free ports, raw TCP and UDP clients (a
// relay, Vector's socket sink, abusive peers), util-linux `logger` as the real syslog client,
// and a marker line whose record shows that everything sent before it has been processed.

import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { promisify } from 'node:util';
import { startCli, WAIT_MS } from './live-cli.mjs';

/**
 * Starts the CLI with `args` (which hold --listen URLs, port 0 for a free one) and waits until
 * it has said where it listens. run.ports: the ports, in the order of the --listen flags.
 */
export async function startListening(args, opts) {
  const run = startCli(args, opts);
  const count = args.filter((a) => a === '--listen').length;
  await run.waitFor((r) => (r.stderr.match(/listening on /g) ?? []).length >= count, 'the CLI to listen');
  run.ports = [...run.stderr.matchAll(/listening on \w+:\/\/(?:\[[^\]]*\]|[^:\s]*):(\d+)/g)].map((m) => Number(m[1]));
  return run;
}

/** A line the module forwards as unparsed at once: its record proves what came before was read. */
export function markerLine(tag) {
  return `ipmon-flow-test-marker ${tag}`;
}

/** Waits until the record of markerLine(tag) has appeared on the CLI's stdout. */
export function waitForMarker(run, tag, ms = WAIT_MS) {
  const text = markerLine(tag);
  return run.waitFor((r) => r.records.some((x) => typeof x.message === 'string' && x.message.includes(text)), `marker ${tag}`, ms);
}

/**
 * Connects to 127.0.0.1:port, writes `data` (Buffer or string) in `pieces` writes cut at
 * arbitrary places, then ends the connection ('end': FIN after everything; 'destroy': an
 * abrupt close; 'keep': left open and returned). Resolves with the socket when done.
 */
export function sendTcp(port, data, { pieces = 1, close = 'end', seed = 1 } = {}) {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port }, async () => {
      let x = seed;
      const cuts = [0];
      for (let i = 1; i < pieces; i++) {
        x = (x * 1103515245 + 12345) % 2147483648;
        cuts.push(x % buf.length);
      }
      cuts.sort((a, b) => a - b).push(buf.length);
      for (let i = 0; i + 1 < cuts.length; i++) {
        if (cuts[i + 1] === cuts[i]) continue;
        if (!sock.write(buf.subarray(cuts[i], cuts[i + 1]))) await new Promise((r) => sock.once('drain', r));
      }
      if (close === 'keep') return resolve(sock);
      if (close === 'destroy') {
        // let the bytes leave before the reset
        await new Promise((r) => sock.write('', r));
        sock.destroy();
        return resolve(sock);
      }
      sock.end();
    });
    sock.on('error', (err) => (close === 'keep' ? null : reject(err)));
    if (close === 'end') sock.on('close', () => resolve(sock));
  });
}

/** Sends each message of `messages` as one UDP datagram to 127.0.0.1:port; resolves with how many went out. */
export async function sendUdp(port, messages, { pace = 0 } = {}) {
  const sock = dgram.createSocket('udp4');
  let sent = 0;
  try {
    for (const m of messages) {
      await new Promise((resolve, reject) => sock.send(Buffer.isBuffer(m) ? m : Buffer.from(m), port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      sent++;
      // pace: a pause every `pace` datagrams, so a busy machine's receiver keeps up and the
      // kernel's socket queue does not overflow first
      if (pace > 0 && sent % pace === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    sock.close();
  }
  return sent;
}

/**
 * Runs `logger -n 127.0.0.1 -P port ...args` (util-linux; in UTC, so its header dates are UTC).
 * Without it the test fails, saying what to install: .ci/run installs it where it is missing.
 */
export async function logger(port, args) {
  try {
    await promisify(execFile)('logger', ['-n', '127.0.0.1', '-P', String(port), ...args], { env: { ...process.env, TZ: 'UTC' }, timeout: WAIT_MS });
  } catch (err) {
    if (err.code === 'ENOENT') throw new Error('util-linux logger is not installed (Debian: apt-get install bsdutils; .ci/run does this)');
    throw err;
  }
}

/** RFC 6587 octet-counted frames of `messages`. */
export function octetCounted(messages) {
  return Buffer.concat(messages.map((m) => {
    const b = Buffer.from(m);
    return Buffer.concat([Buffer.from(`${b.length} `), b]);
  }));
}

/** What must agree between a flow from the network and one from a file. */
export function flowFacts(r) {
  return [r.network.transport, r.source.ip, r.source.port ?? '-', r.destination.ip, r.destination.port ?? '-',
    r.event.start, r.event.end, r.source.packets, r.source.bytes, r.destination.packets, r.destination.bytes,
    r.ipmon.conn_state, r.ipmon.history, r.ipmon.end_reason].join(' ');
}

/** The stats record at the end of a run. */
export const statsOf = (run) => run.records.filter((r) => r.ipmon?.record_type === 'stats').at(-1)?.ipmon.stats;
