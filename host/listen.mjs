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

import dgram from 'node:dgram';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { isoTime, Normalized, normalizeEvent, normalizeSyslog, peerHost } from './syslog.mjs';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const LT = 0x3c;
/** Bytes of a rejected message quoted in its record (as the Fluent Bit host does). */
export const QUOTE_BYTES = 256;
/** Lines handed to the engine per next() call at most (bytes), so one call stays short. */
const BATCH_BYTES = 1 << 20;
/** Size of the buffers received lines are copied into. */
const STAGE_BYTES = 256 << 10;
const isDigit = (b) => b >= 0x30 && b <= 0x39;

// ── option parsing ────────────────────────────────────────────────────────────────────────────

/** parseArgs option specs of the network input flags. */
export const LISTEN_OPTIONS = {
  listen: { type: 'string', multiple: true },
  'max-message': { type: 'string' },
  'max-connections': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'listen-buffer': { type: 'string' },
  'udp-recv-buffer': { type: 'string' },
};

/** Defaults of the limits (README "Network input"). */
export const LISTEN_DEFAULTS = {
  maxMessage: 65536,
  maxConnections: 256,
  idleMs: 600_000,
  bufferBytes: 8 << 20,
  udpRecvBuffer: 0,
};

/** A bad --listen URL or limit; the CLI turns it into a usage error (exit 2). */
export class ListenOptionError extends Error {}

function bytesValue(flag, s, min, max) {
  const m = /^(\d+)([kKmM]?)$/.exec(s.trim());
  const n = m ? Number(m[1]) * (m[2] === '' ? 1 : /k/i.test(m[2]) ? 1024 : 1 << 20) : NaN;
  if (!(n >= min && n <= max)) throw new ListenOptionError(`--${flag} needs a size in bytes (K and M suffixes allowed) from ${min} to ${max}, got "${s}"`);
  return n;
}

/**
 * Parses one --listen URL: `udp://HOST:PORT`, `tcp://HOST:PORT`, optionally `?format=syslog`
 * (default) or `?format=ndjson`. HOST must be an IP address literal (IPv6 in brackets),
 * `localhost`, or empty; empty and `localhost` mean 127.0.0.1. Anything but a loopback address
 * is listened on only because the user wrote it, e.g. `0.0.0.0` or `[::]` for every interface.
 */
export function parseListenUrl(s) {
  const m = /^(udp|tcp):\/\/(\[[^\]]*\]|[^/:?[\]]*):(\d{1,5})\/?(?:\?(.*))?$/i.exec(s);
  if (!m) throw new ListenOptionError(`--listen needs udp://HOST:PORT or tcp://HOST:PORT[?format=ndjson], got "${s}"`);
  const proto = m[1].toLowerCase();
  let host = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  if (host === '' || host.toLowerCase() === 'localhost') host = '127.0.0.1';
  if (!net.isIP(host)) throw new ListenOptionError(`--listen ${s}: the host must be an IP address (or localhost, or empty for 127.0.0.1), got "${host}"`);
  const port = Number(m[3]);
  if (port > 65535) throw new ListenOptionError(`--listen ${s}: port ${port} is out of range`);
  let format = 'syslog';
  for (const [k, v] of new URLSearchParams(m[4] ?? '')) {
    if (k !== 'format' || !['syslog', 'ndjson'].includes(v)) throw new ListenOptionError(`--listen ${s}: the only query is format=syslog or format=ndjson`);
    format = v;
  }
  const family = net.isIP(host);
  return { proto, host, port, format, family, loopback: isLoopback(host), url: urlOf(proto, host, port, format) };
}

function isLoopback(host) {
  return host === '::1' || /^127\./.test(host) || /^::ffff:127\./i.test(host);
}

function urlOf(proto, host, port, format) {
  const h = net.isIPv6(host) ? `[${host}]` : host;
  return `${proto}://${h}:${port}${format === 'ndjson' ? '?format=ndjson' : ''}`;
}

/**
 * Reads the network input flags from parseArgs values: null without --listen (then the limit
 * flags are refused), else { endpoints, maxMessage, maxConnections, idleMs, bufferBytes,
 * udpRecvBuffer }. Throws ListenOptionError.
 */
export function parseListenOptions(v) {
  const limits = ['max-message', 'max-connections', 'idle-timeout', 'listen-buffer', 'udp-recv-buffer'];
  if (!v.listen?.length) {
    const used = limits.find((k) => v[k] !== undefined);
    if (used) throw new ListenOptionError(`--${used} needs --listen`);
    return null;
  }
  const o = { ...LISTEN_DEFAULTS, endpoints: v.listen.map(parseListenUrl) };
  const seen = new Set();
  for (const e of o.endpoints) {
    const k = `${e.proto}|${e.host}|${e.port}`;
    if (e.port !== 0 && seen.has(k)) throw new ListenOptionError(`--listen ${e.url} is given twice`);
    seen.add(k);
  }
  if (v['max-message'] !== undefined) o.maxMessage = bytesValue('max-message', v['max-message'], 64, 16 << 20);
  if (v['listen-buffer'] !== undefined) o.bufferBytes = bytesValue('listen-buffer', v['listen-buffer'], 64 << 10, 1 << 30);
  if (v['udp-recv-buffer'] !== undefined) o.udpRecvBuffer = bytesValue('udp-recv-buffer', v['udp-recv-buffer'], 4096, 1 << 30);
  if (v['max-connections'] !== undefined) {
    const n = Number(v['max-connections']);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ListenOptionError(`--max-connections needs a whole number from 1 to 65535, got "${v['max-connections']}"`);
    o.maxConnections = n;
  }
  if (v['idle-timeout'] !== undefined) {
    const n = Number(v['idle-timeout']);
    if (v['idle-timeout'].trim() === '' || !Number.isFinite(n) || n < 0) throw new ListenOptionError(`--idle-timeout needs a number of seconds (0 = never), got "${v['idle-timeout']}"`);
    o.idleMs = Math.round(n * 1000);
  }
  return o;
}

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

/**
 * Drops counted by the kernel for our UDP sockets (receive buffer full), from /proc/net/udp and
 * udp6 (Linux): the "drops" column of the lines whose local address and port are ours. Null
 * where that is not available.
 */
function kernelUdpDrops(bound) {
  if (bound.length === 0) return null;
  const le = endianness() === 'LE';
  const want = new Set(bound.map(({ address, port }) => `${procAddress(address, le)}:${port.toString(16).toUpperCase().padStart(4, '0')}`));
  let total = 0;
  let found = 0;
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    let text;
    try {
      text = readFileSync(f, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13 || !want.has(cols[1])) continue;
      total += Number(cols[cols.length - 1]) || 0;
      found++;
    }
  }
  return found ? total : null;
}

/** An address as /proc/net/udp{,6} prints it: 32-bit words in host byte order, hex. */
function procAddress(address, le) {
  const bytes = net.isIPv4(address) ? address.split('.').map(Number) : ipv6Bytes(address);
  let s = '';
  for (let i = 0; i < bytes.length; i += 4) {
    const w = bytes.slice(i, i + 4);
    if (le) w.reverse();
    s += w.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
  }
  return s;
}

function ipv6Bytes(address) {
  const [head, tail = ''] = address.split('::');
  const parse = (part) => (part === '' ? [] : part.split(':').flatMap((g) => {
    if (g.includes('.')) return [g.split('.').map(Number)].map(([a, b, c, d]) => [(a << 8) | b, (c << 8) | d]).flat();
    return [parseInt(g, 16)];
  }));
  const h = parse(head);
  const t = address.includes('::') ? parse(tail) : [];
  const words = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

// ── one TCP connection ────────────────────────────────────────────────────────────────────────

/** Framing state of one TCP connection; the bytes go to the Listener as whole messages. */
class Connection {
  constructor(listener, socket, ep) {
    this.l = listener;
    this.socket = socket;
    this.ep = ep;
    this.peer = peerHost(socket.remoteAddress);
    this.port = socket.remotePort;
    this.mode = ep.format === 'ndjson' ? 'lf' : null; // 'lf' | 'octet', decided by the first bytes
    this.pre = null; // first bytes while the framing is undecided
    this.parts = []; // pieces of the unfinished message
    this.partLen = 0;
    this.over = null; // { quote, bytes } of a message longer than --max-message, being skipped
    this.need = -1; // octet counting: bytes of the frame still to come; -1 = reading its length
    this.hdr = 0;
    this.hdrDigits = 0;
    this.lastActive = Date.now();
    this.done = false;
    if (this.mode === 'lf') listener.counts.tcp_newline_framing++;
  }

  /** Takes one chunk read from the socket. */
  data(chunk) {
    this.lastActive = Date.now();
    if (this.done) return;
    if (this.mode === null) {
      const c = this.pre ? Buffer.concat([this.pre, chunk]) : chunk;
      const mode = detectFraming(c);
      if (mode === null) {
        this.pre = c;
        return;
      }
      this.pre = null;
      this.mode = mode;
      this.l.counts[mode === 'octet' ? 'tcp_octet_counting' : 'tcp_newline_framing']++;
      chunk = c;
    }
    if (this.mode === 'lf') this.#lines(chunk);
    else this.#frames(chunk);
  }

  /** Newline framing (RFC 6587 §3.4.2): every message ends with LF. */
  #lines(c) {
    let pos = 0;
    if (this.over || this.partLen) {
      const nl = c.indexOf(LF);
      if (nl < 0) {
        this.#hold(c, 0, c.length);
        return;
      }
      this.#hold(c, 0, nl);
      this.#complete();
      pos = nl + 1;
    }
    // one UTF-8 check for the whole chunk; only a chunk that fails is checked line by line
    const valid = pos < c.length && isUtf8(c);
    const max = this.l.maxMessage;
    while (pos < c.length) {
      const nl = c.indexOf(LF, pos);
      if (nl < 0) break;
      if (nl - pos > max) this.l.reject(this, 'too_long', tooLongWhy(nl - pos, max), nl - pos, c.subarray(pos, pos + QUOTE_BYTES));
      else this.l.message(this, c, pos, nl, valid, this.ep.format, true);
      pos = nl + 1;
    }
    if (pos < c.length) this.#hold(c, pos, c.length);
  }

  /** Octet counting (RFC 6587 §3.4.1): `MSG-LEN SP SYSLOG-MSG`. */
  #frames(c) {
    let pos = 0;
    const valid = isUtf8(c); // length headers are ASCII: a valid chunk has valid messages
    let nextLf = -1; // first LF at or after the current message (searched forward only)
    while (pos < c.length) {
      if (this.need < 0) {
        const b = c[pos];
        if (this.hdrDigits === 0 && (b === LF || b === CR)) {
          pos++; // a trailer some senders add after a frame: between frames, harmless
        } else if (isDigit(b) && this.hdrDigits < 10) {
          this.hdr = this.hdr * 10 + (b - 0x30);
          this.hdrDigits++;
          pos++;
        } else if (b === SP && this.hdrDigits > 0) {
          pos++;
          this.need = this.hdr;
          this.hdr = 0;
          this.hdrDigits = 0;
          if (this.need > this.l.maxMessage) this.over = { quote: Buffer.alloc(0), bytes: this.need };
          if (this.need === 0) this.#complete();
        } else {
          this.#badFrame(c, pos);
          return;
        }
        continue;
      }
      const take = Math.min(this.need, c.length - pos);
      if (!this.over && this.partLen === 0 && take === this.need) {
        this.need = -1;
        if (nextLf < pos) {
          const i = c.indexOf(LF, pos);
          nextLf = i < 0 ? Infinity : i;
        }
        this.l.message(this, c, pos, pos + take, valid, this.ep.format, nextLf >= pos + take);
      } else {
        this.#hold(c, pos, pos + take, true);
        this.need -= take;
        if (this.need === 0) this.#complete();
      }
      pos += take;
    }
  }

  /** Keeps c[s, e) of the unfinished message, or only its quote once it is too long. */
  #hold(c, s, e, counted = false) {
    if (e <= s) return;
    if (this.over) {
      if (this.over.quote.length < QUOTE_BYTES) this.over.quote = Buffer.concat([this.over.quote, c.subarray(s, s + QUOTE_BYTES - this.over.quote.length)]);
      if (!counted) this.over.bytes += e - s;
      return;
    }
    if (this.partLen + (e - s) > this.l.maxMessage) {
      const all = Buffer.concat([...this.parts, c.subarray(s, e)]);
      this.over = { quote: Buffer.from(all.subarray(0, QUOTE_BYTES)), bytes: all.length };
      this.l.held -= this.partLen;
      this.parts = [];
      this.partLen = 0;
      return;
    }
    this.parts.push(c.subarray(s, e));
    this.partLen += e - s;
    this.l.held += e - s;
    this.l.noteHeld();
  }

  /** The unfinished message is complete (its LF, or the last byte of its frame, arrived). */
  #complete() {
    this.need = -1;
    if (this.over) {
      const { quote, bytes } = this.over;
      this.over = null;
      this.l.reject(this, 'too_long', tooLongWhy(bytes, this.l.maxMessage), bytes, quote);
      return;
    }
    const msg = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partLen);
    this.l.held -= this.partLen;
    this.parts = [];
    this.partLen = 0;
    this.l.message(this, msg, 0, msg.length, false, this.ep.format);
  }

  #badFrame(c, pos) {
    const rest = c.subarray(pos);
    this.l.reject(this, 'bad_frame', 'an octet-counted frame (RFC 6587) must start with its length and a space; '
      + 'the connection was closed, since its framing is lost', rest.length, rest.subarray(0, QUOTE_BYTES));
    this.#drop();
    this.socket.destroy();
  }

  /** The connection is over (`why`): an unfinished message is reported as cut. */
  end(why) {
    if (this.done) return;
    const have = this.pre?.length ?? this.partLen;
    if (this.over) {
      const { quote, bytes } = this.over;
      this.over = null;
      this.l.reject(this, 'too_long', `${tooLongWhy(bytes, this.l.maxMessage)}; the connection ${why} before it ended`, bytes, quote);
    } else if (have > 0 || this.need > 0 || this.hdrDigits > 0) {
      const got = this.pre ?? Buffer.concat(this.parts, this.partLen);
      const frame = this.need > 0 ? ` of a ${got.length + this.need}-byte frame` : this.mode === 'lf' ? ' without its closing newline' : '';
      this.l.reject(this, 'cut_frame', `the connection ${why} in the middle of a message: ${got.length} bytes${frame} arrived`, got.length, got.subarray(0, QUOTE_BYTES));
    }
    this.#drop();
  }

  #drop() {
    this.done = true;
    this.l.held -= this.partLen;
    this.parts = [];
    this.partLen = 0;
    this.pre = null;
    this.l.connections.delete(this);
  }
}

function tooLongWhy(bytes, max) {
  return `message of ${bytes} bytes is longer than --max-message ${max}`;
}

/**
 * The framing of a TCP syslog connection from its first bytes (RFC 6587 §3.4): octet counting
 * when it starts with a length, a space and `<` (the PRI of the message), newline framing
 * otherwise; null while the first bytes could still be either.
 */
export function detectFraming(c) {
  let i = 0;
  while (i < c.length && i < 11 && isDigit(c[i])) i++;
  if (i === 0 || c[0] === 0x30 || i === 11) return 'lf';
  if (i === c.length || i + 1 === c.length) return c[i] === undefined || c[i] === SP ? null : 'lf';
  return c[i] === SP && c[i + 1] === LT ? 'octet' : 'lf';
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
    socket.on('data', (chunk) => conn.data(chunk));
    socket.on('end', () => {
      conn.end('closed');
      socket.end();
    });
    socket.on('error', () => conn.end('failed'));
    socket.on('close', () => conn.end('closed'));
  }

  #datagram(ep, msg, rinfo) {
    this.counts.udp_datagrams++;
    // at shutdown (sockets closing) as when the queue is full: dropped, counted
    if (this.closing || this.queued >= this.o.bufferBytes) {
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
   * Stops receiving (shutdown): no new connections or datagrams; open connections are closed,
   * and a message they were in the middle of is reported as cut. What is queued stays for next().
   */
  stopReceiving() {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.idleTimer);
    for (const s of this.servers) s.close();
    for (const c of [...this.connections]) {
      c.end('was closed at shutdown');
      c.socket.destroy();
    }
    // the kernel's count, taken while the sockets still exist
    this.kernelDrops = kernelUdpDrops(this.bound.filter((b) => b.proto === 'udp'));
    for (const u of this.udp) u.close();
    this.udp = [];
  }

  /** Releases every socket. */
  close() {
    this.stopReceiving();
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
