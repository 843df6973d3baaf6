// --listen: ipmon lines straight from the network. UDP and TCP syslog (RFC 3164, RFC 5424; on
// TCP octet counting or newline framing, RFC 6587, detected per connection) and TCP/UDP NDJSON
// events whose `message` holds the line (Vector's socket sink with the json codec).
//
// The Listener looks like the follow readers to the live loop (host/live.mjs): next() hands
// out whole lines (each ending in \n, one per message) or host records, arrival() wakes the
// loop. Messages wait in one bounded queue; when it is full, TCP connections are no longer
// read (the senders' kernels hold the rest: back-pressure) and UDP datagrams are dropped,
// counted. Everything that cannot become a line (too long, cut off by a closing connection, a
// broken frame header, an event without a message) becomes an `ipmon.rejected` record and a
// count in the stats record's `ipmon.stats.listen`, never silence.
//
// Memory is bounded by the flags: at most --max-connections connections, each holding at most
// one unfinished message of --max-message bytes (a longer one is skipped, keeping its first
// 256 bytes for the record), plus --listen-buffer bytes of queued lines.
//
// Beside it: listen-options.mjs (URLs and limits), listen-tcp.mjs (one connection's framing),
// listen-udp.mjs (the kernel's drops), listen-input.mjs (the live loop's adapter), syslog.mjs
// (a message -> a line).

import dgram from 'node:dgram';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { isoTime, Normalized, normalizeEvent, normalizeSyslog, peerHost } from './syslog.mjs';
import { Connection, QUOTE_BYTES, tooLongWhy } from './listen-tcp.mjs';
import { kernelUdpDrops } from './listen-udp.mjs';
import { urlOf } from './listen-options.mjs';

const LF = 0x0a;
const SP = 0x20;
/** Lines handed to the engine per next() call at most (bytes), so one call stays short. */
const BATCH_BYTES = 1 << 20;
/** Size of the buffers received lines are copied into. */
const STAGE_BYTES = 256 << 10;
/** Event-loop turns at most spent at shutdown reading what the kernel holds for the sockets. */
const DRAIN_TURNS = 1000;

// ── records and counters ──────────────────────────────────────────────────────────────────────

/** Counters of ipmon.stats.listen, in the order they are written. */
const COUNTERS = [
  'messages', 'lines', 'rejected', 'too_long', 'cut_frames', 'bad_frames', 'not_json', 'missing_key', 'not_a_string',
  'invalid_utf8', 'hosts_added', 'times_added',
  'udp_datagrams', 'udp_dropped',
  'tcp_connections', 'tcp_refused', 'tcp_idle_closed', 'tcp_octet_counting', 'tcp_newline_framing', 'tcp_pauses',
  'buffer_high_water',
];

/** The ecs record of a message that did not become a line (event.dataset ipmon.rejected). */
function rejectedRecord({ reason, why, bytes, quote, peer, port, nowMs, seq }) {
  const id = createHash('sha256').update(`${reason}\0${peer}\0${port}\0${nowMs}\0${seq}\0`).update(quote).digest('hex').slice(0, 16);
  const rec = {
    '@timestamp': isoTime(nowMs, 0),
    ecs: { version: '8.17.0' },
    event: { kind: 'pipeline_error', module: 'ipmon', dataset: 'ipmon.rejected', id },
    message: quote.toString('utf8'),
    source: { ip: peer, ...(port ? { port } : {}) },
    error: { type: 'ipmon_listen', message: why },
    ipmon: { record_type: 'rejected', reason, line_bytes: bytes, ...(bytes > quote.length ? { message_truncated: true } : {}) },
  };
  return Buffer.from(`${JSON.stringify(rec)}\n`);
}

// ── the listener ──────────────────────────────────────────────────────────────────────────────

/**
 * Listens on every endpoint and turns what arrives into lines for the engine. Options:
 * endpoints (parseListenUrl results), maxMessage, maxConnections, idleMs, bufferBytes,
 * udpRecvBuffer, offsetMin (minutes east of UTC for times it has to add), warn(msg).
 */
export class Listener {
  constructor(o) {
    this.o = o;
    this.maxMessage = o.maxMessage;
    this.warn = o.warn ?? (() => {});
    this.ctx = { nowMs: Date.now, offsetMin: o.offsetMin ?? 0 };
    this.counts = Object.fromEntries(COUNTERS.map((k) => [k, 0]));
    this.res = new Normalized();
    this.queue = []; // Buffers of whole lines
    this.runBuf = null; // unchanged lines not yet in queue: runBuf[runStart, runEnd)
    this.runStart = 0;
    this.runEnd = 0;
    this.stage = null; // copied lines not yet in queue: stage[stageStart, stageLen)
    this.stageStart = 0;
    this.stageLen = 0;
    this.records = []; // host records (ipmon.rejected)
    this.queued = 0; // bytes in queue and records
    this.held = 0; // bytes of unfinished messages in connections
    this.connections = new Set();
    this.servers = [];
    this.udp = [];
    this.bound = []; // { url, proto, address, port }
    this.paused = false;
    this.closing = false;
    this.notify = null;
    this.seq = 0;
    this.rxBytes = 0; // bytes read from TCP connections (tells the shutdown drain when it is done)
    this.busy = false; // the live loop's checkpoint test: a listener has no position to save
  }

  /** Binds every endpoint; rejects (with the URL and the system's reason) when one cannot be. */
  async start() {
    try {
      for (const ep of this.o.endpoints) {
        if (ep.proto === 'udp') await this.#bindUdp(ep);
        else await this.#bindTcp(ep);
      }
    } catch (err) {
      this.close();
      throw err;
    }
    if (this.o.idleMs > 0) {
      this.idleTimer = setInterval(() => this.#closeIdle(), Math.min(1000, Math.max(10, this.o.idleMs / 4)));
      this.idleTimer.unref();
    }
    return this.bound;
  }

  #bindUdp(ep) {
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket({ type: ep.family === 6 ? 'udp6' : 'udp4', ...(this.o.udpRecvBuffer ? { recvBufferSize: this.o.udpRecvBuffer } : {}) });
      sock.once('error', (err) => reject(new Error(`cannot listen on ${ep.url}: ${err.code || err.message}`)));
      sock.bind({ address: ep.host, port: ep.port }, () => {
        sock.removeAllListeners('error');
        sock.on('error', (err) => this.warn(`${ep.url}: ${err.code || err.message}`));
        sock.on('message', (msg, rinfo) => this.#datagram(ep, msg, rinfo));
        const a = sock.address();
        this.udp.push(sock);
        this.bound.push({ url: urlOf('udp', a.address, a.port, ep.format), proto: 'udp', address: a.address, port: a.port, loopback: ep.loopback });
        resolve();
      });
    });
  }

  #bindTcp(ep) {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ noDelay: true }, (socket) => this.#accept(ep, socket));
      server.once('error', (err) => reject(new Error(`cannot listen on ${ep.url}: ${err.code || err.message}`)));
      server.listen({ host: ep.host, port: ep.port, backlog: 511 }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.warn(`${ep.url}: ${err.code || err.message}`));
        const a = server.address();
        this.servers.push(server);
        this.bound.push({ url: urlOf('tcp', a.address, a.port, ep.format), proto: 'tcp', address: a.address, port: a.port, loopback: ep.loopback });
        resolve();
      });
    });
  }

  #accept(ep, socket) {
    if (this.closing || this.connections.size >= this.o.maxConnections) {
      this.counts.tcp_refused++;
      if (!this.refusedSaid) this.warn(`refusing TCP connections over --max-connections ${this.o.maxConnections} (counted in tcp_refused)`);
      this.refusedSaid = true;
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    this.counts.tcp_connections++;
    socket.setKeepAlive(true, 60_000); // notices peers that vanished without a FIN
    const conn = new Connection(this, socket, ep);
    this.connections.add(conn);
    if (this.paused) socket.pause();
    socket.on('data', (chunk) => {
      this.rxBytes += chunk.length;
      conn.data(chunk);
    });
    socket.on('end', () => {
      conn.end('closed');
      socket.end();
    });
    socket.on('error', () => conn.end('failed'));
    socket.on('close', () => conn.end('closed'));
  }

  #datagram(ep, msg, rinfo) {
    this.counts.udp_datagrams++;
    if (this.queued >= this.o.bufferBytes) {
      this.counts.udp_dropped++;
      return;
    }
    const from = { peer: peerHost(rinfo.address), port: rinfo.port };
    if (msg.length > this.maxMessage) {
      this.reject(from, 'too_long', tooLongWhy(msg.length, this.maxMessage), msg.length, msg.subarray(0, QUOTE_BYTES));
      return;
    }
    this.message(from, msg, 0, msg.length, false, ep.format);
  }

  /**
   * One whole message buf[s, e) from `from` ({ peer, port }); `valid` when it is known to be
   * UTF-8 already. Queues its line, or a rejected record.
   */
  message(from, buf, s, e, valid, format, lfFree = false) {
    this.counts.messages++;
    if (!valid && !isUtf8(buf.subarray(s, e))) this.counts.invalid_utf8++;
    const res = this.res;
    if (format === 'ndjson' && firstNonBlank(buf, s, e) === 0x7b) {
      let event;
      try {
        event = JSON.parse(buf.toString('utf8', s, e));
      } catch (err) {
        this.counts.messages--; // reject() counts it
        this.reject(from, 'not_json', `not a JSON event: ${err.message}`, e - s, buf.subarray(s, Math.min(e, s + QUOTE_BYTES)));
        return;
      }
      const bad = normalizeEvent(event, from.peer, this.ctx, res);
      if (bad) {
        this.counts.messages--;
        this.reject(from, bad.reason, bad.message, e - s, buf.subarray(s, Math.min(e, s + QUOTE_BYTES)));
        return;
      }
    } else {
      normalizeSyslog(buf, s, e, from.peer, this.ctx, res, lfFree);
    }
    if (res.hostAdded) this.counts.hosts_added++;
    if (res.timeAdded) this.counts.times_added++;
    this.counts.lines++;
    // res.buf is buf for a syslog message, the decoded `message` string for an NDJSON event
    if (res.out === null && res.buf === buf && res.end === e && buf[e] === LF) this.#keep(buf, s, e + 1);
    else if (res.out === null) this.#append(res.buf, res.start, res.end);
    else this.#append(res.out, 0, res.out.length);
  }

  /**
   * Queues buf[s, e), an unchanged line with its own newline as received (newline framing):
   * consecutive lines of one chunk travel as one piece, without a copy here.
   */
  #keep(buf, s, e) {
    if (this.runBuf === buf && this.runEnd === s) {
      this.runEnd = e;
    } else {
      this.#flushStage();
      this.#flushRun();
      this.runBuf = buf;
      this.runStart = s;
      this.runEnd = e;
    }
    this.#queued(e - s);
  }

  #flushRun() {
    if (this.runBuf === null) return;
    this.queue.push(this.runBuf.subarray(this.runStart, this.runEnd));
    this.runBuf = null;
  }

  /**
   * Copies a line and its newline into the staging buffer: one copy per line and no object
   * per line; next() hands out what was staged, in big pieces.
   */
  #append(buf, s, e) {
    this.#flushRun();
    const n = e - s + 1;
    if (this.stage === null || this.stageLen + n > this.stage.length) {
      this.#flushStage();
      this.stage = Buffer.allocUnsafe(Math.max(STAGE_BYTES, n));
      this.stageStart = 0;
      this.stageLen = 0;
    }
    buf.copy(this.stage, this.stageLen, s, e);
    this.stageLen += n - 1;
    this.stage[this.stageLen++] = LF;
    this.#queued(n);
  }

  /** Queues what was staged since the last call. */
  #flushStage() {
    if (this.stage === null || this.stageLen === this.stageStart) return;
    this.queue.push(this.stage.subarray(this.stageStart, this.stageLen));
    this.stageStart = this.stageLen;
  }

  /** A message that does not become a line: its record, and its counts. */
  reject(from, reason, why, bytes, quote) {
    this.counts.messages++;
    this.counts.rejected++;
    const key = { too_long: 'too_long', cut_frame: 'cut_frames', bad_frame: 'bad_frames' }[reason] ?? reason;
    this.counts[key]++;
    const rec = rejectedRecord({ reason, why, bytes, quote: Buffer.from(quote), peer: from.peer, port: from.port, nowMs: Date.now(), seq: this.seq++ });
    this.records.push(rec);
    this.#queued(rec.length);
  }

  #queued(n) {
    this.queued += n;
    this.noteHeld();
    if (!this.paused && this.queued >= this.o.bufferBytes) this.#pause();
    const wake = this.notify;
    this.notify = null;
    wake?.();
  }

  /** Keeps the high-water mark of bytes held (queued lines and unfinished messages). */
  noteHeld() {
    const now = this.queued + this.held;
    if (now > this.counts.buffer_high_water) this.counts.buffer_high_water = now;
  }

  #pause() {
    this.paused = true;
    this.counts.tcp_pauses++;
    for (const c of this.connections) c.socket.pause();
  }

  #resume() {
    this.paused = false;
    for (const c of this.connections) {
      c.lastActive = Date.now(); // waiting on us is not idleness
      c.socket.resume();
    }
  }

  #closeIdle() {
    if (this.paused) return;
    const limit = Date.now() - this.o.idleMs;
    for (const c of [...this.connections]) {
      if (c.lastActive > limit) continue;
      this.counts.tcp_idle_closed++;
      c.end(`was idle for --idle-timeout ${this.o.idleMs / 1000} s`);
      c.socket.destroy();
    }
  }

  /** A promise that settles when something new is queued. */
  arrival() {
    if (this.queue.length || this.records.length || this.runBuf || this.stageLen > this.stageStart) return Promise.resolve();
    return new Promise((resolve) => {
      this.notify = resolve;
    });
  }

  /** Whole lines ({ type: 'data', buf }), host records ({ type: 'records', buf }), or null. */
  next() {
    if (this.records.length) {
      const buf = Buffer.concat(this.records);
      this.records = [];
      return this.#took({ type: 'records', buf });
    }
    this.#flushRun();
    this.#flushStage();
    if (this.queue.length === 0) return null;
    let n = 0;
    let k = 0;
    while (k < this.queue.length && n < BATCH_BYTES) n += this.queue[k++].length;
    const buf = k === 1 ? this.queue[0] : Buffer.concat(this.queue.slice(0, k), n);
    this.queue = k === this.queue.length ? [] : this.queue.slice(k);
    return this.#took({ type: 'data', buf });
  }

  #took(ev) {
    this.queued -= ev.buf.length;
    if (this.paused && !this.closing && this.queued <= this.o.bufferBytes / 2) this.#resume();
    return ev;
  }

  /**
   * Stops receiving (shutdown): no new connections. What the kernel already holds for the
   * sockets is read first (datagrams and bytes that arrived before the stop are not left
   * there), then open connections are closed (a message they were in the middle of is reported
   * as cut) and the UDP sockets too. What is queued stays for next(). Resolves when every
   * socket is closed.
   */
  async stopReceiving() {
    if (this.closing) return this.stopped;
    this.closing = true;
    let done;
    this.stopped = new Promise((resolve) => {
      done = resolve;
    });
    clearInterval(this.idleTimer);
    for (const s of this.servers) s.close();
    await this.#drain();
    for (const c of [...this.connections]) {
      c.end('was closed at shutdown');
      c.socket.destroy();
    }
    // the kernel's count, taken while the sockets still exist
    this.kernelDrops = kernelUdpDrops(this.bound.filter((b) => b.proto === 'udp'));
    for (const u of this.udp) u.close();
    this.udp = [];
    done();
    return this.stopped;
  }

  /**
   * Lets the event loop read what the kernel already holds for the sockets (datagrams, bytes of
   * open connections) until two turns in a row bring nothing (libuv reads a few dozen datagrams
   * or chunks per socket and turn; the first turn may end without polling). Bounded: at most
   * DRAIN_TURNS turns while senders keep sending, and TCP is not read once --listen-buffer is
   * full (then the rest is in flight, the senders' to resend).
   */
  async #drain() {
    let quiet = 0;
    for (let i = 0; i < DRAIN_TURNS && quiet < 2; i++) {
      const before = this.counts.udp_datagrams + this.rxBytes;
      await new Promise((resolve) => setImmediate(resolve));
      quiet = this.counts.udp_datagrams + this.rxBytes === before ? quiet + 1 : 0;
    }
  }

  /** Releases every socket. */
  close() {
    return this.stopReceiving();
  }

  /** The ipmon.stats.listen object. */
  stats() {
    const s = { ...this.counts };
    const drops = this.closing ? this.kernelDrops : kernelUdpDrops(this.bound.filter((b) => b.proto === 'udp'));
    if (drops !== null && drops !== undefined) s.udp_kernel_drops = drops;
    return s;
  }

  /** Adds ipmon.stats.listen to a stats record written by the engine. */
  decorateStats(buf) {
    if (buf.length === 0) return buf;
    const rec = JSON.parse(buf.toString('utf8'));
    if (rec.ipmon?.stats) rec.ipmon.stats.listen = this.stats();
    return Buffer.from(`${JSON.stringify(rec)}\n`);
  }
}

function firstNonBlank(buf, s, e) {
  while (s < e && (buf[s] === SP || buf[s] === 0x09)) s++;
  return s < e ? buf[s] : -1;
}
