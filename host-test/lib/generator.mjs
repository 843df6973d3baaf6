#!/usr/bin/env node
// Deterministic ipmon traffic generator with exact ground truth.
//
// generateTraffic(opts) -> { text, lines, flows, totals }
//   lines : ipmon log lines (no trailing newline), strictly increasing event time
//   flows : the flow records the correlator must emit (see FLOW SHAPE below)
//   totals: { packets, bytes, lines } over all packet lines
//
// CLI (streams; memory stays bounded for millions of lines):
//   node host-test/lib/generator.mjs --lines N --seed S [--format file|syslog|mixed]
//        [--observers fw1,fw2] [--concurrency C] [--connections C] [--start ISO]
//        [--truth FILE] > out.log
//   --truth writes one expected flow per line (NDJSON) in the order the flows end.
//   node host-test/lib/generator.mjs --mode router [--connections C] [--seed S] [--truth FILE]
//   writes a router-shaped log instead (host-test/lib/router.mjs); --help lists the options.
//
// FLOW SHAPE (one per expected output flow record):
//   observer (observer.hostname, null in file mode), transport, type,
//   src_ip, src_port, dst_ip, dst_port (originator / responder; ports null for ICMP),
//   icmp_type, icmp_code (ICMP only, else null), src_packets, src_bytes, dst_packets, dst_bytes,
//   start_us, end_us (µs since epoch, UTC), conn_state, history, end_reason, syn_seen, lines, action,
//   scenario (generator label, informational only).
//
// The engine rules modelled here (host-test/generated.test.mjs checks the engine against them):
//   * packets = Nx count, bytes = count * PLEN; an `Nx` line is one line.
//   * expiry is decided by event time: a flow expires iff, after a later line, the clock of its
//     logging host (observer; file-mode lines are one host) has reached its deadline. A host's
//     clock is its latest line, or, while it is quiet, the stream clock at its offset (hostLine),
//     otherwise it is emitted at end of input as forced_end.
//   * deadlines: TCP S0 attempt 5 s after a lone SYN, else attemptDeadline(); TCP established/partial 300 s after last
//     packet; TCP closed (both FIN, any RST, FIN with silent peer) 5 s after the closing packet
//     (end_of_flow; later packets count but do not move end_us); UDP/ICMP 60 s after last packet.
//   * a new SYN on a closed tuple starts a new flow (old one: end_of_flow).
// Every scenario keeps gaps between packets of one flow well below the applicable timeout and
// never produces an ambiguous state (see the scenario builders below).

import { createWriteStream } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { generateRouterTraffic } from './router.mjs';

const SEC = 1_000_000;
const MS = 1_000;

export const TCP_SERVER_PORTS = Object.freeze([22, 25, 53, 80, 443, 3306, 3389, 8080]);
export const UDP_SERVER_PORTS = Object.freeze([53, 123]);
export const TIMEOUTS_US = Object.freeze({
  tcpAttempt: 5 * SEC,
  tcpHandshake: 60 * SEC,
  tcpEstablished: 300 * SEC,
  tcpCloseGrace: 5 * SEC,
  udp: 60 * SEC,
  icmp: 60 * SEC,
});
export const DEFAULT_START_US = Date.UTC(2024, 2, 3, 8, 0, 0) * 1000; // 2024-03-03T08:00:00Z
// measured averages of the scenario catalogue (before end-of-run resampling); used for pacing only
const MEAN_SCENARIO_US = 85 * SEC;
const MEAN_SCENARIO_LINES = 16.7;

// ---------------------------------------------------------------------------------------------
// PRNG (mulberry32) and helpers

function mulberry32(seed) {
  let a = seed >>> 0;
  return function rand() {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  constructor(seed) {
    // mix the seed so that seeds 1, 2, 3 give unrelated streams
    let s = (Number(seed) >>> 0) ^ 0x9e3779b9;
    s = Math.imul(s ^ (s >>> 16), 0x85ebca6b);
    s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35);
    this.next = mulberry32((s ^ (s >>> 16)) >>> 0);
  }
  /** integer in [a, b] */
  int(a, b) { return a + Math.floor(this.next() * (b - a + 1)); }
  chance(p) { return this.next() < p; }
  pick(arr) { return arr[Math.floor(this.next() * arr.length)]; }
  /** exponential with the given mean, integer µs */
  exp(mean) { return Math.floor(-Math.log(1 - this.next()) * mean); }
}

// ---------------------------------------------------------------------------------------------
// Address plan. Endpoint pools hand out (ip, port) pairs that never repeat within a run
// (capacity ~10^8), so 4-tuples never collide by accident.

const CLIENT_PORT_BASE = 20000; // 20000..60999: outside both likely-server-port sets
const CLIENT_PORT_SPAN = 41000;

class EndpointPool {
  constructor(ipOf, nIps) { this.ipOf = ipOf; this.nIps = nIps; this.n = 0; this.cache = new Map(); }
  next() {
    const k = this.n++;
    const ipIdx = k % this.nIps;
    const round = Math.floor(k / this.nIps);
    // bijection on the port span per IP (7919 is coprime with 41000)
    const port = CLIENT_PORT_BASE + ((round * 7919 + ipIdx * 13) % CLIENT_PORT_SPAN);
    return [this.ip(ipIdx), port];
  }
  ip(i) {
    let s = this.cache.get(i);
    if (s === undefined) { s = this.ipOf(i); this.cache.set(i, s); }
    return s;
  }
}

const hex = (n) => n.toString(16);
const v4in = (i) => `10.1.${1 + Math.floor(i / 254)}.${1 + (i % 254)}`; // 16 x 254
const v4out = (i) => `198.18.${1 + Math.floor(i / 254)}.${1 + (i % 254)}`; // 64 x 254
// canonical (RFC 5952) compressed forms: the three zero groups are the longest run
const v6in = (i) => `2001:db8:1:${hex(1 + Math.floor(i / 4000))}::${hex(1 + (i % 4000))}`;
const v6out = (i) => `2001:db8:bad:${hex(1 + Math.floor(i / 4000))}::${hex(1 + (i % 4000))}`;

const OUT_SERVERS_V4 = [];
for (let i = 1; i <= 254; i++) OUT_SERVERS_V4.push(`198.51.100.${i}`, `203.0.113.${i}`);
const DMZ_SERVERS_V4 = [];
for (let i = 10; i <= 250; i++) DMZ_SERVERS_V4.push(`10.0.0.${i}`);
const OUT_SERVERS_V6 = [];
for (let i = 1; i <= 200; i++) OUT_SERVERS_V6.push(`2001:db8:ff::${hex(i)}`);
const DMZ_SERVERS_V6 = [];
for (let i = 1; i <= 100; i++) DMZ_SERVERS_V6.push(`2001:db8:1::${hex(0x100 + i)}`);
const RESOLVERS = ['198.51.100.53', '203.0.113.53', '192.0.2.53'];
const NTP_SERVERS = ['192.0.2.123', '198.51.100.123', '203.0.113.123'];

const OUTBOUND_PORTS = [443, 443, 443, 443, 80, 80, 22, 25, 3306, 8080];
const INBOUND_PORTS = [443, 443, 80, 22, 22, 3389, 25];
const SCAN_PORTS = [22, 23, 25, 80, 443, 445, 1433, 3306, 3389, 5900, 8080, 8443];
const REJ_PORTS = [22, 25, 80, 443, 3306, 8080, 8443, 9000];

// ---------------------------------------------------------------------------------------------
// Time formatting (cached per second)

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n) => (n < 10 ? '0' + n : '' + n);
const US_PAD = ['', '00000', '0000', '000', '00', '0', ''];
const pad6 = (n) => { const s = '' + n; return US_PAD[s.length] + s; };

class TimeFmt {
  constructor() { this.sec = -1; this.filePfx = ''; this.tod = ''; this.hdr = ''; this.hdrLate = ''; }
  load(sec) {
    this.sec = sec;
    const d = new Date(sec * 1000);
    const tod = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
    this.tod = tod;
    this.filePfx = `${p2(d.getUTCDate())}/${p2(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${tod}.`;
    const day = d.getUTCDate();
    this.hdr = `${MON[d.getUTCMonth()]} ${day < 10 ? ' ' + day : day} ${tod}`;
    // syslogd stamps the reception time: one second later for late packets, unless that crosses
    // midnight (the header date must stay the event date)
    if ((sec + 1) % 86400 === 0) this.hdrLate = this.hdr;
    else {
      const e = new Date((sec + 1) * 1000);
      const tod2 = `${p2(e.getUTCHours())}:${p2(e.getUTCMinutes())}:${p2(e.getUTCSeconds())}`;
      this.hdrLate = `${MON[d.getUTCMonth()]} ${day < 10 ? ' ' + day : day} ${tod2}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Expected-flow tracker. Lines are fed in emission order with their final timestamps; the
// tracker derives counters, history, action and close time exactly as the rules define them.

const T_TCP = 0, T_UDP = 1, T_ICMP = 2;
const TRANSPORT = ['tcp', 'udp', 'icmp'];
const HIST_ORDER = 'SHADFRIQ';

class Flow {
  constructor(scen, observer, fmt, proto, v6, oIp, oPort, rIp, rPort, connState) {
    this.scenario = scen;
    this.observer = observer; // null in file format
    this.fmt = fmt; // 0 file, 1 syslog
    this.proto = proto;
    this.v6 = v6;
    this.hl = v6 ? 40 : 20;
    this.oIp = oIp; this.oPort = oPort; this.rIp = rIp; this.rPort = rPort;
    this.connState = connState;
    const pr = TRANSPORT[proto];
    const o = proto === T_ICMP ? oIp : `${oIp},${oPort}`;
    const r = proto === T_ICMP ? rIp : `${rIp},${rPort}`;
    this.bodyO = `${o} -> ${r} PR ${pr} len ${this.hl} `;
    this.bodyR = `${r} -> ${o} PR ${pr} len ${this.hl} `;
    this.sp = 0; this.sb = 0; this.dp = 0; this.db = 0; this.lines = 0;
    this.start = -1; this.end = -1; this.last = -1; this.closeT = -1;
    this.hist = ''; this.histMask = 0;
    this.finO = false; this.finR = false;
    this.respSeen = false; this.origNonSyn = false; this.synSeen = false;
    this.synPrev = -1; this.synLast = -1; // the last two SYNs of an unanswered attempt
    this.act = 0; // bit 1 L, 2 p, 4 b
    this.successor = false; // ended by a new SYN on the same tuple
    this.done = false;
    this.ob = null; // observer descriptor (name, pid) for syslog rendering
  }

  feed(t, p) {
    const o = p.o;
    const n = p.n;
    this.lines++;
    if (o) { this.sp += n; this.sb += n * p.pl; } else { this.dp += n; this.db += n * p.pl; }
    if (this.start < 0) {
      this.start = t;
      if (!o) this.hist = '^'; // first packet from the responder side: the engine flips
    }
    this.last = t;
    if (this.closeT < 0) this.end = t;
    this.act |= p.a === 'b' ? 4 : p.a === 'p' ? 2 : 1;
    let letter = '';
    if (this.proto === T_TCP) {
      const fl = p.fl;
      const S = fl.includes('S'), F = fl.includes('F'), R = fl.includes('R'), A = fl.includes('A');
      const nf = (S ? 1 : 0) + (F ? 1 : 0) + (R ? 1 : 0);
      if (nf > 1) letter = F && R ? 'I' : 'Q';
      else if (nf === 1) letter = S ? (A ? 'H' : 'S') : F ? 'F' : 'R';
      else if (fl.includes('P') || p.pl - this.hl > 60) letter = 'D';
      else if (A) letter = 'A';
      if (o && S && !A) {
        this.synSeen = true;
        if (!this.respSeen && !this.origNonSyn) this.synPrev = this.synLast;
        this.synLast = t;
      }
      if (!o) this.respSeen = true;
      else if (!(S && !A && !F && !R)) this.origNonSyn = true;
      if (this.closeT < 0) {
        const otherSilent = o ? this.dp === 0 : this.sp === 0;
        if (R) this.closeT = t;
        else if (F) {
          if (o) this.finO = true; else this.finR = true;
          if ((this.finO && this.finR) || otherSilent) this.closeT = t;
        }
      }
    } else if (this.proto === T_UDP) {
      letter = 'D';
    }
    if (letter) {
      const bit = 1 << (HIST_ORDER.indexOf(letter) + (o ? 0 : 8));
      if (!(this.histMask & bit)) { this.histMask |= bit; this.hist += o ? letter : letter.toLowerCase(); }
    }
  }

  /** deadline after the flow's final packet (only meaningful when not ended by a successor) */
  deadline() {
    if (this.closeT >= 0) return this.closeT + TIMEOUTS_US.tcpCloseGrace;
    if (this.proto === T_TCP) {
      if (!this.respSeen && !this.origNonSyn) return attemptDeadline(this.synPrev, this.last);
      return this.last + TIMEOUTS_US.tcpEstablished;
    }
    return this.last + (this.proto === T_UDP ? TIMEOUTS_US.udp : TIMEOUTS_US.icmp);
  }

  truth(reason) {
    const icmp = this.proto === T_ICMP;
    return {
      observer: this.observer,
      transport: TRANSPORT[this.proto],
      type: this.v6 ? 'ipv6' : 'ipv4',
      src_ip: this.oIp,
      src_port: icmp ? null : this.oPort,
      dst_ip: this.rIp,
      dst_port: icmp ? null : this.rPort,
      icmp_type: icmp ? 8 : null,
      icmp_code: icmp ? 0 : null,
      src_packets: this.sp,
      src_bytes: this.sb,
      dst_packets: this.dp,
      dst_bytes: this.db,
      start_us: this.start,
      end_us: this.end,
      conn_state: this.connState,
      history: this.hist,
      end_reason: reason,
      syn_seen: this.synSeen,
      lines: this.lines,
      action: this.act & 4 ? 'block' : this.act & 2 ? 'pass' : 'log',
      scenario: this.scenario,
    };
  }
}

/**
 * When an unanswered attempt is reported (engine.ts retryClass): tcp_attempt_timeout after a
 * lone SYN; after a retransmission whose gap was at most 2^k s (k ≤ 6), 2^(k+1) s plus
 * tcp_attempt_timeout after the last SYN, so exponential backoffs stay one attempt.
 */
export function attemptDeadline(prevSyn, lastSyn) {
  if (prevSyn < 0) return lastSyn + TIMEOUTS_US.tcpAttempt;
  const gap = lastSyn - prevSyn;
  let k = 0;
  while (k < 6 && gap > (2 ** k) * SEC) k++;
  return lastSyn + (2 ** (k + 1)) * SEC + TIMEOUTS_US.tcpAttempt;
}

// ---------------------------------------------------------------------------------------------
// Scenario construction. A scenario is a list of packets with offsets (µs) from its start,
// possibly spanning several flows (mirrors on a second firewall, port reuse).

/** Logging path of a conversation through the firewall. Inside network on em0, outside on em1. */
function makePath(rng, inbound, action = 'p') {
  // 'in' rules log each packet on its ingress interface, 'out' rules on its egress interface
  const logIn = rng.chance(0.7);
  const cIf = inbound ? 'em1' : 'em0'; // interface on the client's side
  const sIf = inbound ? 'em0' : 'em1';
  const rule = action === 'L' ? '-1:-1' : `0:${rng.int(1, 40)}`;
  return {
    ifO: logIn ? cIf : sIf, ioO: logIn ? 'IN' : 'OUT',
    ifR: logIn ? sIf : cIf, ioR: logIn ? 'IN' : 'OUT',
    rule, a: action, ks: action === 'p',
  };
}

class Builder {
  constructor(gen, label) {
    this.g = gen; this.rng = gen.rng; this.label = label;
    this.pk = []; this.flows = []; this.t = 0;
  }
  flow(proto, v6, oIp, oPort, rIp, rPort, connState, obs) {
    const f = new Flow(this.label, obs.observer, obs.fmt, proto, v6, oIp, oPort, rIp, rPort, connState);
    this.flows.push(f);
    return f;
  }
  /** add a packet at the current time; o = from originator */
  pkt(f, path, o, fl, pl, n = 1, a = path.a, ic = '') {
    this.pk.push({
      dt: this.t, f, o, fl, pl, n, a,
      ifc: o ? path.ifO : path.ifR, io: o ? path.ioO : path.ioR,
      r: a === 'L' ? '-1:-1' : path.rule, ks: a === 'p' && path.ks, ic,
    });
  }
  wait(us) { this.t += Math.max(1, us); }
}

// --- TCP building blocks --------------------------------------------------------------------

function tcpSizes(v6) {
  const hl = v6 ? 40 : 20;
  return { hl, syn: hl + 40, ack: hl + 32, ack0: hl + 20 };
}

/** SYN, SYN-ACK, ACK */
function handshake(b, f, path, rtt) {
  const z = tcpSizes(f.v6);
  b.pkt(f, path, true, 'S', z.syn);
  b.wait(rtt);
  b.pkt(f, path, false, 'AS', z.syn);
  b.wait(b.rng.int(30, 400));
  b.pkt(f, path, true, 'A', b.rng.chance(0.8) ? z.ack : z.ack0);
}

/**
 * k request/response exchanges. Guarantees that the responder sends at least one pure ACK
 * (so a trailing ACK never introduces a new history letter after the close) and that both
 * sides carry data. `firstFromServer` starts the exchange with server data (midstream flips).
 */
function exchanges(b, f, path, rtt, k, opts = {}) {
  const rng = b.rng;
  const z = tcpSizes(f.v6);
  const long = opts.long === true;
  for (let i = 0; i < k; i++) {
    if (i > 0) {
      // think time: mostly short, sometimes a long idle period (still far below 300 s)
      if (long && rng.chance(0.6)) b.wait(rng.int(20 * SEC, 240 * SEC));
      else if (rng.chance(0.1)) b.wait(rng.int(2 * SEC, 90 * SEC));
      else b.wait(rng.int(2 * MS, 1500 * MS));
    } else if (!opts.firstFromServer) {
      b.wait(rng.int(20, 500 * MS)); // the request follows the handshake (or starts a midstream flow)
    }
    const serverFirst = i === 0 && opts.firstFromServer;
    if (!serverFirst) {
      // client request
      b.pkt(f, path, true, 'AP', z.hl + 32 + rng.int(48, 900));
      b.wait(rtt >> 1);
      if (i === 0 || rng.chance(0.4)) { b.pkt(f, path, false, 'A', z.ack); b.wait(rng.int(50, 20 * MS)); }
      else b.wait(rng.int(50, 5 * MS));
    }
    // server response: bulk segments (sometimes merged `Nx` lines), last one with PSH
    const segs = rng.int(0, 3);
    for (let s = 0; s < segs; s++) {
      if (rng.chance(0.45)) b.pkt(f, path, false, 'A', z.hl + 1480, rng.int(2, 8));
      else b.pkt(f, path, false, 'A', z.hl + 1480);
      b.wait(rng.int(5, 400));
    }
    b.pkt(f, path, false, 'AP', z.hl + 32 + rng.int(60, 1400));
    b.wait(rtt >> 1);
    if (serverFirst) {
      // client ACKs, then the responder ACKs a client request so it has sent a pure ACK
      b.pkt(f, path, true, 'A', z.ack);
      b.wait(rng.int(1 * MS, 200 * MS));
      b.pkt(f, path, true, 'AP', z.hl + 32 + rng.int(48, 600));
      b.wait(rtt >> 1);
      b.pkt(f, path, false, 'A', z.ack);
    } else {
      b.pkt(f, path, true, 'A', rng.chance(0.85) ? z.ack : z.ack0);
    }
  }
}

/**
 * FIN exchange initiated by `closerIsOrig`. Close completes with the second FIN; a trailing ACK
 * from the first closer follows (optionally blocked: the state is already gone on the firewall).
 */
function finClose(b, f, path, rtt, closerIsOrig, blockTrailing) {
  const rng = b.rng;
  const z = tcpSizes(f.v6);
  b.wait(rng.int(1 * MS, 800 * MS));
  // the closer may piggy-back data on the FIN (-AFP): history still gets only 'F'
  b.pkt(f, path, closerIsOrig, rng.chance(0.1) ? 'AFP' : 'AF', rng.chance(0.1) ? z.hl + 32 + 120 : z.ack);
  b.wait(rtt >> 1);
  if (rng.chance(0.5)) {
    b.pkt(f, path, !closerIsOrig, 'A', z.ack);
    b.wait(rng.int(20, 50 * MS));
  }
  b.pkt(f, path, !closerIsOrig, 'AF', z.ack);
  b.wait(rtt >> 1);
  b.pkt(f, path, closerIsOrig, 'A', z.ack, 1, blockTrailing ? 'b' : path.a);
}

// --- scenario catalogue ---------------------------------------------------------------------

function scTcpSF(b, obs, { inbound = false, v6 = false } = {}) {
  const g = b.g, rng = b.rng;
  const [cIp, cPort] = g.client(inbound, v6);
  const sIp = g.server(inbound, v6);
  const sPort = rng.pick(inbound ? INBOUND_PORTS : OUTBOUND_PORTS);
  const f = b.flow(T_TCP, v6, cIp, cPort, sIp, sPort, 'SF', obs);
  const path = makePath(rng, inbound);
  const rtt = g.rtt();
  handshake(b, f, path, rtt);
  const long = rng.chance(0.5); // keep-alive style sessions with long idle periods
  exchanges(b, f, path, rtt, long ? rng.int(2, 8) : rng.int(1, 6), { long });
  finClose(b, f, path, rtt, rng.chance(0.6), rng.chance(0.08));
  return b;
}

function scTcpRst(b, obs, byOrig) {
  const g = b.g, rng = b.rng;
  const v6 = rng.chance(0.15);
  const inbound = rng.chance(0.25);
  const [cIp, cPort] = g.client(inbound, v6);
  const sIp = g.server(inbound, v6);
  const sPort = rng.pick(inbound ? INBOUND_PORTS : OUTBOUND_PORTS);
  const f = b.flow(T_TCP, v6, cIp, cPort, sIp, sPort, byOrig ? 'RSTO' : 'RSTR', obs);
  const path = makePath(rng, inbound);
  const rtt = g.rtt();
  handshake(b, f, path, rtt);
  const long = rng.chance(0.3);
  exchanges(b, f, path, rtt, long ? rng.int(2, 6) : rng.int(1, 4), { long });
  b.wait(rng.int(1 * MS, 3 * SEC));
  b.pkt(f, path, byOrig, rng.chance(0.7) ? 'AR' : 'R', f.hl + 20);
  return b;
}

function scTcpRej(b, obs) {
  const g = b.g, rng = b.rng;
  const v6 = rng.chance(0.15);
  const inbound = rng.chance(0.3);
  const [cIp, cPort] = g.client(inbound, v6);
  const sIp = g.server(inbound, v6);
  const f = b.flow(T_TCP, v6, cIp, cPort, sIp, rng.pick(REJ_PORTS), 'REJ', obs);
  const path = makePath(rng, inbound);
  b.pkt(f, path, true, 'S', f.hl + 40);
  b.wait(g.rtt());
  b.pkt(f, path, false, 'AR', f.hl + 20);
  return b;
}

/** SYN attempts without an answer: retransmits after 1, 2, 4 s (gaps stay below the 5 s attempt timeout) */
function synAttempts(b, f, path, tries, a) {
  const rng = b.rng;
  const gaps = [1 * SEC, 2 * SEC, 4 * SEC];
  for (let i = 0; i < tries; i++) {
    if (i > 0) b.wait(gaps[i - 1] + rng.int(-20 * MS, 60 * MS));
    b.pkt(f, path, true, 'S', f.hl + 40, 1, a);
  }
}

function scTcpS0(b, obs, tries) {
  const g = b.g, rng = b.rng;
  const v6 = rng.chance(0.15);
  const [cIp, cPort] = g.client(false, v6);
  const sIp = g.server(false, v6);
  const f = b.flow(T_TCP, v6, cIp, cPort, sIp, rng.pick(OUTBOUND_PORTS), 'S0', obs);
  const path = makePath(rng, false);
  synAttempts(b, f, path, tries ?? rng.int(1, 4), 'p');
  return b;
}

function scTcpBlocked(b, obs, tries) {
  const g = b.g, rng = b.rng;
  const v6 = rng.chance(0.15);
  const [cIp, cPort] = g.client(true, v6);
  const sIp = g.server(true, v6);
  const f = b.flow(T_TCP, v6, cIp, cPort, sIp, rng.pick(SCAN_PORTS), 'S0', obs);
  const path = makePath(rng, true, 'b');
  path.ifO = 'em1'; path.ioO = 'IN'; // blocked on the way in
  synAttempts(b, f, path, tries ?? rng.int(1, 3), 'b');
  return b;
}

/** no SYN seen: data both ways, optionally both FINs (SF) */
function scTcpMidstream(b, obs, withFin) {
  const g = b.g, rng = b.rng;
  const v6 = rng.chance(0.15);
  const inbound = rng.chance(0.3);
  const [cIp, cPort] = g.client(inbound, v6);
  const sIp = g.server(inbound, v6);
  const sPort = rng.pick(inbound ? INBOUND_PORTS : OUTBOUND_PORTS); // all in the likely-server set
  const f = b.flow(T_TCP, v6, cIp, cPort, sIp, sPort, withFin ? 'SF' : 'OTH', obs);
  f.scenario = withFin ? 'tcp_midstream_sf' : 'tcp_midstream_oth';
  const path = makePath(rng, inbound);
  const rtt = g.rtt();
  const long = rng.chance(0.4);
  exchanges(b, f, path, rtt, long ? rng.int(2, 8) : rng.int(1, 5), { firstFromServer: rng.chance(0.5), long });
  if (withFin) finClose(b, f, path, rtt, rng.chance(0.5), false);
  return b;
}

/** the SYN was missed; first packet is the SYN-ACK (flip), then a normal session with FINs */
function scTcpSynAckFirst(b, obs) {
  const g = b.g, rng = b.rng;
  const v6 = rng.chance(0.15);
  const inbound = rng.chance(0.3);
  const [cIp, cPort] = g.client(inbound, v6);
  const sIp = g.server(inbound, v6);
  const f = b.flow(T_TCP, v6, cIp, cPort, sIp, rng.pick(inbound ? INBOUND_PORTS : OUTBOUND_PORTS), 'SF', obs);
  const path = makePath(rng, inbound);
  const rtt = g.rtt();
  const z = tcpSizes(v6);
  b.pkt(f, path, false, 'AS', z.syn);
  b.wait(rng.int(30, 400));
  b.pkt(f, path, true, 'A', z.ack);
  exchanges(b, f, path, rtt, rng.int(1, 4));
  finClose(b, f, path, rtt, rng.chance(0.5), false);
  return b;
}

/** same 4-tuple reconnects after a complete FIN close, within or after the 5 s close grace */
function scTcpReuse(b, obs) {
  const g = b.g, rng = b.rng;
  const v6 = rng.chance(0.15);
  const [cIp, cPort] = g.client(false, v6);
  const sIp = g.server(false, v6);
  const sPort = rng.pick(OUTBOUND_PORTS);
  const path = makePath(rng, false);
  const rtt = g.rtt();
  const f1 = b.flow(T_TCP, v6, cIp, cPort, sIp, sPort, 'SF', obs);
  handshake(b, f1, path, rtt);
  exchanges(b, f1, path, rtt, rng.int(1, 3));
  finClose(b, f1, path, rtt, true, false);
  const inGrace = rng.chance(0.5);
  // measured from the trailing ACK, which follows the close-completing FIN by rtt/2 (<= 75 ms)
  b.wait(inGrace ? rng.int(300 * MS, 4200 * MS) : rng.int(6 * SEC, 30 * SEC));
  f1.successor = true;
  const again = rng.chance(0.8);
  const f2 = b.flow(T_TCP, v6, cIp, cPort, sIp, sPort, again ? 'SF' : 'REJ', obs);
  if (again) {
    handshake(b, f2, path, rtt);
    exchanges(b, f2, path, rtt, rng.int(1, 3));
    finClose(b, f2, path, rtt, rng.chance(0.5), false);
  } else {
    b.pkt(f2, path, true, 'S', f2.hl + 40);
    b.wait(rtt);
    b.pkt(f2, path, false, 'AR', f2.hl + 20);
  }
  return b;
}

function scUdpDns(b, obs, answered) {
  const g = b.g, rng = b.rng;
  const [cIp, cPort] = g.client(false, false);
  const f = b.flow(T_UDP, false, cIp, cPort, rng.pick(RESOLVERS), 53, answered ? 'SF' : 'S0', obs);
  const path = makePath(rng, false);
  const rtt = g.rtt();
  const queries = answered ? rng.int(1, 2) : rng.int(1, 3);
  for (let q = 0; q < queries; q++) {
    if (q > 0) b.wait(answered ? rng.int(1 * MS, 30 * MS) : rng.int(1 * SEC, 5 * SEC));
    b.pkt(f, path, true, '', 20 + 8 + rng.int(28, 60));
    if (answered) { b.wait(rtt); b.pkt(f, path, false, '', 20 + 8 + rng.int(44, 480)); }
  }
  return b;
}

/** NTP seen only by a log-only rule (`L` lines): action 'log' */
function scUdpNtpLog(b, obs) {
  const g = b.g, rng = b.rng;
  const [cIp, cPort] = g.client(false, false);
  const f = b.flow(T_UDP, false, cIp, cPort, rng.pick(NTP_SERVERS), 123, 'SF', obs);
  const path = makePath(rng, false, 'L');
  const polls = rng.int(1, 3);
  for (let i = 0; i < polls; i++) {
    if (i > 0) b.wait(rng.int(8 * SEC, 40 * SEC));
    b.pkt(f, path, true, '', 76);
    b.wait(g.rtt());
    b.pkt(f, path, false, '', 76);
  }
  return b;
}

function scIcmpEcho(b, obs, blocked) {
  const g = b.g, rng = b.rng;
  const [src, dst] = g.icmpPair(blocked);
  const f = b.flow(T_ICMP, false, src, null, dst, null, 'OTH', obs);
  if (blocked) f.scenario = 'icmp_echo_blocked';
  const path = makePath(rng, blocked, blocked ? 'b' : 'p');
  if (blocked) { path.ifO = 'em1'; path.ioO = 'IN'; }
  const rtt = g.rtt();
  const pings = blocked ? rng.int(1, 4) : rng.int(1, 10);
  const size = rng.pick([84, 84, 84, 60, 1028]);
  for (let i = 0; i < pings; i++) {
    if (i > 0) b.wait(rng.chance(0.1) ? rng.int(5 * SEC, 40 * SEC) : SEC + rng.int(-5 * MS, 5 * MS));
    b.pkt(f, path, true, '', size, 1, path.a, 'echo/0');
    if (!blocked && rng.chance(0.9)) {
      b.wait(rtt);
      b.pkt(f, path, false, '', size, 1, path.a, 'echoreply/0');
      b.t -= rtt; // keep the ping cadence
    }
  }
  return b;
}

// weights (relative)
const CATALOGUE = [
  ['tcp_sf_out', 24, (b, o) => scTcpSF(b, o)],
  ['tcp_sf_in', 8, (b, o) => scTcpSF(b, o, { inbound: true })],
  ['tcp_sf_v6', 6, (b, o) => scTcpSF(b, o, { v6: true, inbound: b.rng.chance(0.3) })],
  ['tcp_rsto', 4, (b, o) => scTcpRst(b, o, true)],
  ['tcp_rstr', 4, (b, o) => scTcpRst(b, o, false)],
  ['tcp_rej', 5, (b, o) => scTcpRej(b, o)],
  ['tcp_s0', 5, (b, o) => scTcpS0(b, o)],
  ['tcp_blocked_syn', 7, (b, o) => scTcpBlocked(b, o)],
  ['tcp_midstream_oth', 4, (b, o) => scTcpMidstream(b, o, false)],
  ['tcp_midstream_sf', 3, (b, o) => scTcpMidstream(b, o, true)],
  ['tcp_synack_first', 1.5, (b, o) => scTcpSynAckFirst(b, o)],
  ['tcp_port_reuse', 3, (b, o) => scTcpReuse(b, o)],
  ['udp_dns', 11, (b, o) => scUdpDns(b, o, true)],
  ['udp_dns_noreply', 2.5, (b, o) => scUdpDns(b, o, false)],
  ['udp_ntp_log', 2, (b, o) => scUdpNtpLog(b, o)],
  ['icmp_echo', 5, (b, o) => scIcmpEcho(b, o, false)],
  ['icmp_echo_blocked', 1.5, (b, o) => scIcmpEcho(b, o, true)],
];
const CAT_TOTAL = CATALOGUE.reduce((s, c) => s + c[1], 0);

export const SCENARIOS = Object.freeze(CATALOGUE.map((c) => c[0]));

// ---------------------------------------------------------------------------------------------
// The generator: a discrete-event scheduler over concurrently running scenarios.

class MinHeap {
  // items are objects with .t and .s (tie-breaker); smallest (t, s) first
  constructor() { this.a = []; }
  get size() { return this.a.length; }
  peek() { return this.a[0]; }
  push(x) {
    const a = this.a; let i = a.length; a.push(x);
    while (i > 0) {
      const pi = (i - 1) >> 1; const p = a[pi];
      if (p.t < x.t || (p.t === x.t && p.s <= x.s)) break;
      a[i] = p; i = pi;
    }
    a[i] = x;
  }
  pop() {
    const a = this.a; const top = a[0]; const last = a.pop();
    if (a.length > 0) {
      let i = 0; const n = a.length;
      for (;;) {
        let c = 2 * i + 1; if (c >= n) break;
        const r = c + 1;
        if (r < n && (a[r].t < a[c].t || (a[r].t === a[c].t && a[r].s < a[c].s))) c = r;
        const y = a[c];
        if (last.t < y.t || (last.t === y.t && last.s <= y.s)) break;
        a[i] = y; i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

export class TrafficGenerator {
  /**
   * @param {object} o
   * @param {number} [o.seed=1]
   * @param {number} [o.connections=5000] scenarios to run (ignored when o.lines is set)
   * @param {number} [o.lines] exact number of lines to produce (scenarios are never truncated)
   * @param {number} [o.concurrency=2000] target number of scenarios in progress at once (sets the
   *   arrival rate; the engine's table holds about this many flows, see stats().maxOpenFlows)
   * @param {'file'|'syslog'|'mixed'} [o.format='file']
   * @param {string[]} [o.observers=['fw1']] syslog hostnames
   * @param {number} [o.startUs] first timestamp, µs since epoch (UTC). Syslog lines carry no year:
   *   keep the run inside the year passed to the engine (default start 2024-03-03T08:00:00Z)
   * @param {(flow:object)=>void} [o.onFlow] receives each expected flow once it is final
   */
  constructor({ seed = 1, connections = 5000, lines, concurrency = 2000, format = 'file', observers = ['fw1'], startUs = DEFAULT_START_US, onFlow } = {}) {
    if (!['file', 'syslog', 'mixed'].includes(format)) throw new Error(`unknown format ${format}`);
    if (!Array.isArray(observers) || observers.length === 0) throw new Error('observers must be a non-empty array');
    this.rng = new Rng(seed);
    this.format = format;
    this.observers = observers.map((name, i) => ({ name, pid: 812 + 97 * i }));
    this.lineBudget = lines != null ? lines : -1;
    this.connBudget = lines != null ? Infinity : connections;
    this.concurrency = Math.max(1, concurrency);
    this.startUs = startUs;
    this.onFlow = onFlow || (() => {});
    this.heap = new MinHeap();
    this.deadlines = new Map(); // logging host ('' in file mode) -> MinHeap of flows awaiting their deadline
    this.hostClock = new Map(); // logging host -> { line: latest time of its lines, offset: from the stream clock }
    this.streamUs = -1;
    this.reference = null;
    this.seq = 0;
    this.lastT = -1;
    this.committed = 0; // lines emitted + lines still pending in started scenarios
    this.started = 0;
    this.active = 0;
    this.maxActive = 0;
    this.openFlows = 0;
    this.maxOpenFlows = 0;
    this.tf = new TimeFmt();
    this.totals = { packets: 0, bytes: 0, lines: 0 };
    this.scenarioCounts = Object.create(null);
    this.flowCount = 0;
    this.reasonCounts = { end_of_flow: 0, idle_timeout: 0, forced_end: 0 };
    this.finished = false;
    this.pools = {
      in4: new EndpointPool(v4in, 16 * 254),
      out4: new EndpointPool(v4out, 64 * 254),
      in6: new EndpointPool(v6in, 4000 * 8),
      out6: new EndpointPool(v6out, 4000 * 8),
    };
    this.icmpN = [0, 0];
    // Open-loop arrivals (Poisson, rate = concurrency / mean scenario duration, so that about
    // `concurrency` scenarios are in progress at once, by Little's law), plus an initial burst of
    // concurrency/2 scenarios over the first 20 s so the table fills up quickly.
    this.rate = this.concurrency / MEAN_SCENARIO_US; // arrivals per µs
    this.burst = Math.min(Math.floor(this.concurrency / 2), this.connBudget);
    for (let i = 0; i < this.burst; i++) {
      if (!this.spawn(this.startUs + Math.floor(this.rng.next() * 20 * SEC))) break;
    }
    this.arrival = { t: this.startUs + this.rng.exp(1 / this.rate), s: this.seq++, arrival: true };
    this.heap.push(this.arrival);
  }

  // --- address helpers used by scenarios
  client(outside, v6) {
    return (outside ? (v6 ? this.pools.out6 : this.pools.out4) : (v6 ? this.pools.in6 : this.pools.in4)).next();
  }
  server(dmz, v6) {
    return this.rng.pick(dmz ? (v6 ? DMZ_SERVERS_V6 : DMZ_SERVERS_V4) : (v6 ? OUT_SERVERS_V6 : OUT_SERVERS_V4));
  }
  /** ICMP flows are keyed by the host pair only: hand out pairs that never repeat */
  icmpPair(inbound) {
    const k = this.icmpN[inbound ? 1 : 0]++;
    const a = `${inbound ? '198.19' : '10.200'}.${1 + (Math.floor(k / 254) % 254)}.${1 + (k % 254)}`;
    const j = Math.floor(k / 64516) % 200;
    const b = inbound ? `10.0.1.${1 + j}` : `192.0.2.${1 + j}`;
    return [a, b];
  }
  rtt() {
    const r = this.rng;
    return r.chance(0.3) ? r.int(200, 2 * MS) : r.int(5 * MS, 150 * MS);
  }

  observerFor() {
    const r = this.rng;
    const fileFmt = this.format === 'file' || (this.format === 'mixed' && r.chance(0.5));
    if (fileFmt) return { observer: null, fmt: 0, ob: null };
    const ob = r.pick(this.observers);
    return { observer: ob.name, fmt: 1, ob };
  }

  buildScenario(forceTries) {
    const r = this.rng;
    const obs = this.observerFor();
    let b;
    if (forceTries) {
      b = new Builder(this, 'tcp_blocked_syn');
      scTcpBlocked(b, obs, forceTries);
    } else {
      let x = r.next() * CAT_TOTAL; let c = CATALOGUE[0];
      for (const e of CATALOGUE) { if ((x -= e[1]) < 0) { c = e; break; } }
      b = new Builder(this, c[0]);
      c[2](b, obs);
    }
    // mirror onto a second firewall (same packets, same 4-tuple, a little later): two flows
    // (not for blocked scenarios: the first firewall drops those packets)
    if (obs.fmt === 1 && this.observers.length > 1 && !forceTries && r.chance(0.25) && !b.label.includes('blocked')) {
      const others = this.observers.filter((o) => o !== obs.ob);
      const ob2 = r.pick(others);
      const delta = r.int(80, 3 * MS);
      const map = new Map();
      for (const f of b.flows) {
        const m = new Flow(f.scenario, ob2.name, 1, f.proto, f.v6, f.oIp, f.oPort, f.rIp, f.rPort, f.connState);
        m.successor = f.successor;
        m.ob = ob2;
        map.set(f, m);
      }
      const n = b.pk.length;
      for (let i = 0; i < n; i++) {
        const p = b.pk[i];
        b.pk.push({ ...p, dt: p.dt + delta, f: map.get(p.f) });
      }
      b.pk.sort((x, y) => x.dt - y.dt); // stable: each copy keeps its own order
      for (const m of map.values()) b.flows.push(m);
    }
    for (const f of b.flows) if (!f.ob) f.ob = obs.ob;
    return b;
  }

  /**
   * Expected time until the budget is used up. Scenarios that would outlast it (+20 s) are
   * resampled, so the run ends crisply (flows still lingering then are forced_end) instead of
   * trailing off with a few long sessions.
   */
  timeLeft() {
    if (this.lineBudget < 0) return (this.connBudget - this.started) / this.rate;
    const perScenario = this.started >= 200 ? this.committed / this.started : MEAN_SCENARIO_LINES;
    return (this.lineBudget - this.committed) / (this.rate * perScenario);
  }

  spawn(t0) {
    const left = this.timeLeft() + 20 * SEC;
    let b = null;
    if (this.lineBudget < 0) {
      if (this.started >= this.connBudget) return false;
      for (let k = 0; k < 20; k++) {
        b = this.buildScenario(0);
        if (b.pk[b.pk.length - 1].dt <= left) break;
      }
    } else {
      const remaining = this.lineBudget - this.committed;
      if (remaining <= 0) return false;
      // the RNG stream differs between --lines and --connections runs; both are deterministic
      if (remaining > 3) {
        for (let k = 0; k < 20; k++) {
          b = this.buildScenario(0);
          if (b.pk.length <= remaining && b.pk[b.pk.length - 1].dt <= left) break;
        }
      }
      if (!b || b.pk.length > remaining) b = this.buildScenario(Math.min(3, remaining));
    }
    return this.startScenario(b, t0);
  }

  startScenario(b, t0) {
    const sc = { pk: b.pk, flows: b.flows, t0, i: 0, t: t0 + b.pk[0].dt, s: this.seq++ };
    this.heap.push(sc);
    this.committed += b.pk.length;
    this.started++;
    if (++this.active > this.maxActive) this.maxActive = this.active;
    this.scenarioCounts[b.label] = (this.scenarioCounts[b.label] || 0) + 1;
    return true;
  }

  emitFlow(f, reason) {
    f.done = true;
    this.openFlows--;
    this.flowCount++;
    this.reasonCounts[reason]++;
    this.onFlow(f.truth(reason));
  }

  finishScenario(sc) {
    for (const f of sc.flows) {
      if (f.successor) { this.emitFlow(f, 'end_of_flow'); continue; }
      const d = f.deadline();
      const reason = f.closeT >= 0 ? 'end_of_flow' : 'idle_timeout';
      const host = f.observer ?? '';
      if (d <= this.clockOf(host)) this.emitFlow(f, reason);
      else this.deadlinesOf(host).push({ t: d, s: this.seq++, f, reason });
    }
  }

  /** A logging host's clock (engine.ts hostClock): its latest line, or the stream clock at its offset. */
  clockOf(host) {
    const c = this.hostClock.get(host);
    if (!c) return -1;
    return Math.max(c.line, this.streamUs + c.offset);
  }

  /** Flows of one logging host waiting for their deadline: each host's clock is its own lines' time. */
  deadlinesOf(host) {
    let h = this.deadlines.get(host);
    if (!h) this.deadlines.set(host, (h = new MinHeap()));
    return h;
  }

  /**
   * A line of `host` at time t moves the clocks as engine.ts lineTime does (the first host sets
   * the stream clock's time base; another host is placed against it by its first line, and its
   * offset drops when it is found further behind), then every host's flows whose deadline its
   * clock has reached are final.
   */
  hostLine(host, t) {
    if (this.streamUs < 0) { this.streamUs = t; this.reference = host; }
    const c = this.hostClock.get(host);
    if (!c) {
      const ahead = t - this.streamUs;
      const same = host === this.reference || (ahead >= 0 && ahead <= 10 * SEC); // engine.ts SAME_TIME_US
      if (same && t > this.streamUs) this.streamUs = t;
      this.hostClock.set(host, { line: t, offset: same ? 0 : ahead });
    } else if (t > c.line) {
      c.line = t;
      if (t - c.offset > this.streamUs) this.streamUs = t - c.offset;
      else if (host !== this.reference && t - this.streamUs < c.offset - 1 * SEC) c.offset = t - this.streamUs; // engine.ts RELAY_JITTER_US
    }
    for (const [h, dl] of this.deadlines) {
      const now = this.clockOf(h);
      while (dl.size && dl.peek().t <= now) { const e = dl.pop(); this.emitFlow(e.f, e.reason); }
    }
  }

  /** next log line, or null at the end (all remaining flows are then emitted as forced_end) */
  next() {
    const heap = this.heap;
    if (heap.size === 0) {
      if (!this.finished) {
        this.finished = true;
        for (const dl of this.deadlines.values()) while (dl.size) this.emitFlow(dl.pop().f, 'forced_end');
      }
      return null;
    }
    let sc = heap.pop();
    while (sc.arrival === true) {
      if (this.spawn(sc.t)) {
        sc.t += this.rng.exp(1 / this.rate) + 1;
        sc.s = this.seq++;
        heap.push(sc);
      }
      if (heap.size === 0) return this.next();
      sc = heap.pop();
    }
    const p = sc.pk[sc.i];
    const t = sc.t > this.lastT ? sc.t : this.lastT + 1;
    this.lastT = t;
    const f = p.f;
    // flows whose deadline this line's host clock has reached are final
    this.hostLine(f.observer ?? '', t);
    if (f.lines === 0 && ++this.openFlows > this.maxOpenFlows) this.maxOpenFlows = this.openFlows;
    f.feed(t, p);
    this.totals.packets += p.n;
    this.totals.bytes += p.n * p.pl;
    this.totals.lines++;

    // render
    const sec = Math.floor(t / SEC);
    const tf = this.tf;
    if (sec !== tf.sec) tf.load(sec);
    const us = t - sec * SEC;
    let line;
    if (f.fmt === 0) line = tf.filePfx + pad6(us) + ' ';
    else {
      const ob = f.ob;
      line = (us >= 700000 ? tf.hdrLate : tf.hdr) + ' ' + ob.name + ' ipmon[' + ob.pid + ']: ' + tf.tod + '.' + pad6(us) + ' ';
    }
    if (p.n > 1) line += p.n + 'x ';
    line += p.ifc + ' @' + p.r + ' ' + p.a + ' ' + (p.o ? f.bodyO : f.bodyR) + p.pl;
    if (f.proto === T_TCP) line += ' -' + p.fl;
    else if (f.proto === T_ICMP) line += ' icmp ' + p.ic;
    line += p.ks ? ' K-S ' + p.io : ' ' + p.io;

    // advance the scenario
    sc.i++;
    if (sc.i < sc.pk.length) {
      sc.t = sc.t0 + sc.pk[sc.i].dt;
      heap.push(sc);
    } else {
      this.active--;
      this.finishScenario(sc);
    }
    return line;
  }

  stats() {
    return {
      scenarios: this.started,
      maxConcurrent: this.maxActive,
      maxOpenFlows: this.maxOpenFlows,
      scenarioCounts: { ...this.scenarioCounts },
      flows: this.flowCount,
      endReasons: { ...this.reasonCounts },
      totals: { ...this.totals },
      firstUs: this.startUs,
      lastUs: this.lastT,
    };
  }
}

/**
 * Generate a whole log in memory. Options as for TrafficGenerator (seed, connections, lines,
 * concurrency, format, observers, startUs).
 * @returns {{text:string, lines:string[], flows:object[], totals:{packets:number,bytes:number,lines:number}, stats:object}}
 */
export function generateTraffic({ seed = 1, connections = 5000, concurrency = 2000, format = 'file', observers = ['fw1'], startUs = DEFAULT_START_US, lines: lineTarget } = {}) {
  const flows = [];
  const g = new TrafficGenerator({ seed, connections, lines: lineTarget, concurrency, format, observers, startUs, onFlow: (f) => flows.push(f) });
  const lines = [];
  for (let l = g.next(); l !== null; l = g.next()) lines.push(l);
  const text = lines.length ? lines.join('\n') + '\n' : '';
  return { text, lines, flows, totals: { ...g.totals }, stats: g.stats() };
}

// ---------------------------------------------------------------------------------------------
// CLI

const USAGE = `usage: generator.mjs --lines N [--seed S] [--format file|syslog|mixed] [--observers fw1,fw2]
                     [--concurrency C] [--connections C] [--start ISO] [--truth FILE] [--stats 1]
       generator.mjs --mode router [--connections C] [--seed S] [--concurrency C] [--reorder P]
                     [--truth FILE] [--stats 1]
  --mode host (default): one line per packet, as a host or a firewall that logs one way.
  --mode router: gateways that log every forwarded packet IN and OUT, log-only (L) lines with
    hex rows, hairpins, blocks at ingress and egress, the firewall's own packets, retried SYNs,
    ICMP errors, fragments, a one-interface host, three firewalls in different time zones
    (fw-paris +01:00, fw-nyc -05:00, web1 UTC) in one relayed stream with reordered lines
    (host-test/lib/router.mjs). --truth writes one conversation per line with its counts for
    device router/auto ("router"), device host ("host") and syn_retry zeek ("zeek").
`;

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { o.help = true; continue; }
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    const k = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new Error(`missing value for --${k}`);
    o[k] = v;
  }
  return o;
}

function writeAsync(stream, chunk) {
  return stream.write(chunk) ? null : new Promise((res) => stream.once('drain', res));
}

async function main() {
  let args;
  try { args = parseArgs(process.argv.slice(2)); } catch (e) {
    process.stderr.write(`${e.message}\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) { process.stdout.write(USAGE); return; }
  if (args.mode === 'router') return routerMain(args);
  if (args.mode !== undefined && args.mode !== 'host') { process.stderr.write(`unknown mode ${args.mode}\n${USAGE}`); process.exit(2); }
  delete args.mode;
  const known = new Set(['lines', 'seed', 'format', 'truth', 'observers', 'concurrency', 'connections', 'start', 'stats']);
  for (const k of Object.keys(args)) if (!known.has(k)) { process.stderr.write(`unknown option --${k}\n`); process.exit(2); }
  const format = args.format || 'file';
  const observers = args.observers ? args.observers.split(',') : format === 'file' ? ['fw1'] : ['fw1', 'fw2'];
  const opts = {
    seed: args.seed != null ? Number(args.seed) : 1,
    format,
    observers,
    concurrency: args.concurrency != null ? Number(args.concurrency) : 2000,
    startUs: args.start ? Date.parse(args.start) * 1000 : DEFAULT_START_US,
  };
  if (args.lines != null) opts.lines = Number(args.lines);
  else opts.connections = args.connections != null ? Number(args.connections) : 5000;

  const out = process.stdout;
  // `... | head` closes the pipe early: stop quietly
  out.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); else throw e; });
  const truth = args.truth ? createWriteStream(args.truth) : null;
  let tbuf = [];
  let tlen = 0;
  opts.onFlow = truth ? (f) => { const s = JSON.stringify(f); tbuf.push(s); tlen += s.length; } : undefined;
  const g = new TrafficGenerator(opts);
  // lines are ASCII: write them straight into large buffers (cheaper than joining strings)
  const SIZE = 1 << 22;
  let buf = Buffer.allocUnsafe(SIZE);
  let off = 0;
  for (let l = g.next(); ; l = g.next()) {
    if (l !== null) {
      off += buf.latin1Write(l, off);
      buf[off++] = 10;
    }
    if (off > SIZE - 4096 || (l === null && off > 0)) {
      const w = writeAsync(out, buf.subarray(0, off));
      buf = Buffer.allocUnsafe(SIZE);
      off = 0;
      if (w) await w;
    }
    if (truth && (tlen >= 1 << 20 || (l === null && tbuf.length))) {
      const w = writeAsync(truth, tbuf.join('\n') + '\n');
      tbuf = []; tlen = 0;
      if (w) await w;
    }
    if (l === null) break;
  }
  if (truth) await new Promise((res) => truth.end(res));
  if (args.stats) process.stderr.write(JSON.stringify(g.stats()) + '\n');
}

/** --mode router: the whole log is built in memory (host-test/lib/router.mjs), then written. */
async function routerMain(args) {
  const known = new Set(['mode', 'seed', 'truth', 'concurrency', 'connections', 'reorder', 'stats']);
  for (const k of Object.keys(args)) if (!known.has(k)) { process.stderr.write(`option --${k} is not for --mode router\n${USAGE}`); process.exit(2); }
  const num = (k, d) => (args[k] != null ? Number(args[k]) : d);
  const g = generateRouterTraffic({
    seed: num('seed', 1), conversations: num('connections', 3000), concurrency: num('concurrency', 300), reorder: num('reorder', 0.02),
  });
  process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); else throw e; });
  for (let i = 0; i < g.lines.length; i += 50_000) {
    const w = writeAsync(process.stdout, g.lines.slice(i, i + 50_000).join('\n') + '\n');
    if (w) await w;
  }
  if (args.truth) {
    const t = createWriteStream(args.truth);
    for (const c of g.convs) { const w = writeAsync(t, JSON.stringify(c) + '\n'); if (w) await w; }
    await new Promise((res) => t.end(res));
  }
  if (args.stats) process.stderr.write(JSON.stringify({ conversations: g.convs.length, totals: g.totals }) + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => { process.stderr.write(`${e.stack || e}\n`); process.exit(1); });
}
