// Router-shaped ipmon logs with exact ground truth (issue 7).
//
// generateRouterTraffic(opts) -> { text, lines, times, convs, totals, firewalls }
//   times[i]: the true UTC time (µs) of lines[i] (the relay's; hex rows take their line's)
//
// What real gateways write, and what this reproduces (ipmon-format.md §4.3, §4.10, §4.13):
//   * every forwarded packet is logged ` IN` on its ingress interface and ` OUT` on its egress
//     interface 2–30 µs later; bursts of packets 3–15 µs apart interleave (IN a, IN b, OUT a, OUT b);
//   * `log` rules (`@-1:-1 L`) watch a share of conversations: TCP/UDP get an `L` line on the
//     first packet only (later packets match the state entry and skip the rule scan), ICMP on
//     every pass, ingress and egress; the `L` comes just before its decision line, same time,
//     interface and direction; `log body` adds hex rows after it;
//   * hairpins (in and out the same interface), blocks at ingress (with `Nx` repeats) and at
//     egress, packets the firewall sends itself (OUT only) and receives (IN only), `L` lines no
//     decision line follows (action `log`);
//   * retried SYNs (Linux 1, 2, 4, 8, 16, 32 s; Windows 3, 6 s) answered by a late SYN-ACK;
//   * UDP refused with an ICMP unreach quoting it; fragmented UDP replies whose two first
//     fragments come in the same microsecond, then both tails (DNSCrypt);
//   * a one-interface host (not a router) logging its own traffic, with `Nx` repeats;
//   * several firewalls in one relayed stream, each logging in its own time zone; the relay
//     swaps adjacent lines up to 200 ms apart (never the lines of a conversation's first
//     packet, which decide the originator, nor fragments or hex rows), and passes each
//     firewall's lines on in batches (within stretches of up to 128 lines and 300 ms, grouped
//     by firewall).
//
// Ground truth, one entry per conversation (convs): observer, transport, endpoints (originator
// first), icmp_type/code, start_us (UTC), and the counts each way for every device setting:
//   router: {src_packets, src_bytes, dst_packets, dst_bytes}  every packet once (device router,
//           and auto: every router here logs a forwarded packet before its first hairpin)
//   host:   the same for device host: ingress and egress lines of a packet are two packets, an
//           `L` still folds into its decision (same side)
//   zeek:   for retried SYNs only, the flows syn_retry "zeek" splits the attempt into (each a
//           router count): a retry more than tcp_attempt_timeout (5 s) after the attempt's
//           first SYN starts a new flow
// plus action (block > pass > log), ingress/egress (originator's view), direction (ECS, with
// local_networks ["private"]), icmp_error ({count, type, code} names, or null), lines (input
// lines of the conversation, hex rows excluded), scenario.

const SEC = 1_000_000;
const MS = 1_000;
export const ROUTER_START_US = Date.UTC(2024, 2, 3, 8, 0, 0) * 1000;

/** The firewalls of the default stream: two routers in different time zones and one host. */
export const FIREWALLS = Object.freeze([
  { name: 'fw-paris', pid: 811, tzMin: 60, router: true, inside: 'em0', outside: 'em1', dmz: 'em2', net: 1 },
  { name: 'fw-nyc', pid: 4242, tzMin: -300, router: true, inside: 'igb0', outside: 'igb1', dmz: 'igb2', net: 2 },
  { name: 'web1', pid: 77, tzMin: 0, router: false, inside: 'vio0', outside: 'vio0', dmz: 'vio0', net: 3 },
]);

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  constructor(seed) { this.next = mulberry32((Number(seed) * 2654435761) ^ 0x5bd1e995); }
  int(a, b) { return a + Math.floor(this.next() * (b - a + 1)); }
  chance(p) { return this.next() < p; }
  pick(a) { return a[Math.floor(this.next() * a.length)]; }
}

const T_TCP = 'tcp', T_UDP = 'udp', T_ICMP = 'icmp';
const ICMP_NAMES = { 0: 'echoreply', 3: 'unreach', 8: 'echo' };
const UNREACH_CODES = { 1: 'host', 3: 'port', 13: 'admin_prohibit' };

/** ECS network.direction with local_networks ["private"] (RFC 1918 here). */
function isPrivate(ip) {
  if (ip.startsWith('10.') || ip.startsWith('192.168.')) return true;
  const m = /^172\.(\d+)\./.exec(ip);
  return m !== null && +m[1] >= 16 && +m[1] <= 31;
}
export function directionOf(src, dst) {
  const s = isPrivate(src), d = isPrivate(dst);
  return s && d ? 'internal' : s ? 'outbound' : d ? 'inbound' : 'external';
}

// ---------------------------------------------------------------------------------------------
// A conversation: its packets, each rendered into the lines the firewall writes for it.

class Conv {
  constructor(g, fw, scenario, proto, oIp, oPort, rIp, rPort) {
    this.g = g; this.fw = fw; this.scenario = scenario; this.proto = proto;
    this.oIp = oIp; this.oPort = oPort; this.rIp = rIp; this.rPort = rPort;
    this.icmpType = null; this.icmpCode = null;
    this.watched = false; // a `log` rule watches it
    this.body = false; // that rule is `log body`
    this.logOnly = false; // only the `log` rule logs it (no decision lines)
    this.pk = []; // {dt, o, plen, fl, ic, n, path}
    this.t = 0;
    this.rule = `0:${g.rng.int(1, 40)}`;
    this.icmpError = null;
    this.retry = null; // SYN times (dt) of a retried attempt
  }
  wait(us) { this.t += Math.max(1, us); }
  /**
   * A packet: o from the originator; path 'fwd' (forwarded: ingress then egress), 'inblock'
   * (blocked at ingress), 'outblock' (passed in, blocked at egress), 'self' (the firewall's own:
   * OUT only when it sends, IN only when it receives), 'hairpin', 'host' (a host's own traffic).
   */
  pkt(o, plen, { fl = '', ic = '', n = 1, path = 'fwd', frag = null } = {}) {
    this.pk.push({ dt: this.t, o, plen, fl, ic, n, path, frag });
  }
}

/** The interfaces a packet of conv c from side o comes in on and leaves by. */
function ifsOf(c, o) {
  const fw = c.fw;
  const side = (ip) => (ip.startsWith('172.16.') ? fw.dmz : isPrivate(ip) ? fw.inside : fw.outside);
  const src = o ? c.oIp : c.rIp, dst = o ? c.rIp : c.oIp;
  return [side(src), side(dst)];
}

// --- address plan: counters, so tuples never repeat within a run

class Pools {
  constructor() { this.k = new Map(); }
  n(name) { const v = this.k.get(name) ?? 0; this.k.set(name, v + 1); return v; }
  inside(fw) { const k = this.n('in' + fw.net); return [`10.${fw.net}.${1 + Math.floor((k % 4000) / 250)}.${1 + (k % 250)}`, 20000 + (Math.floor(k / 4000) * 7 + k) % 40000]; }
  outside() { const k = this.n('out'); return [`198.18.${1 + Math.floor((k % 16000) / 250)}.${1 + (k % 250)}`, 20000 + (Math.floor(k / 16000) * 11 + k) % 40000]; }
  dmz(fw) { return `172.16.${fw.net}.${10 + (this.n('dmz') % 240)}`; }
  server() { return this.n('srv') % 2 ? `203.0.113.${1 + (this.n('s2') % 250)}` : `198.51.100.${1 + (this.n('s3') % 250)}`; }
  /** a host pair never used before (ICMP flows are keyed by the pair and type) */
  icmpPair(fw) { const k = this.n('icmp' + fw.net); return [`10.${fw.net}.${100 + Math.floor(k / 250) % 100}.${1 + (k % 250)}`, `192.0.2.${1 + (Math.floor(k / 25000) % 250)}`]; }
  uniqueServer() { const k = this.n('uniq'); return `198.19.${Math.floor(k / 250) % 250}.${1 + (k % 250)}`; }
  self(fw) { return `192.0.2.${200 + fw.net}`; }
}

// --- scenarios ---------------------------------------------------------------------------------

function handshake(c, rtt) {
  c.pkt(true, 60, { fl: 'S' });
  c.wait(rtt);
  c.pkt(false, 60, { fl: 'AS' });
  c.wait(c.g.rng.int(30, 400));
  c.pkt(true, 52, { fl: 'A' });
}

/** Requests and responses; bulk segments come 3–15 µs apart, so their IN and OUT interleave. */
function exchanges(c, rtt, k, path = 'fwd') {
  const r = c.g.rng;
  for (let i = 0; i < k; i++) {
    c.wait(r.int(1 * MS, 400 * MS));
    c.pkt(true, 52 + r.int(40, 700), { fl: 'AP', path });
    c.wait(rtt >> 1);
    const segs = r.int(0, 6);
    for (let s = 0; s < segs; s++) { c.pkt(false, 1500, { fl: 'A', path }); c.wait(r.int(3, 15)); }
    c.pkt(false, 52 + r.int(60, 1400), { fl: 'AP', path });
    c.wait(rtt >> 1);
    c.pkt(true, 52, { fl: 'A', path });
  }
}

function finClose(c, rtt, path = 'fwd') {
  const r = c.g.rng;
  c.wait(r.int(1 * MS, 500 * MS));
  const closer = r.chance(0.6);
  c.pkt(closer, 52, { fl: 'AF', path });
  c.wait(rtt >> 1);
  c.pkt(!closer, 52, { fl: 'AF', path });
  c.wait(rtt >> 1);
  c.pkt(closer, 52, { fl: 'A', path });
}

function scTcp(g, fw, inbound) {
  const r = g.rng;
  const [cIp, cPort] = inbound ? g.pools.outside() : g.pools.inside(fw);
  const sIp = inbound ? g.pools.dmz(fw) : g.pools.server();
  const c = new Conv(g, fw, inbound ? 'tcp_in' : 'tcp_out', T_TCP, cIp, cPort, sIp, r.pick(inbound ? [443, 22, 25] : [443, 443, 80, 22]));
  const rtt = r.int(2 * MS, 120 * MS);
  handshake(c, rtt);
  exchanges(c, rtt, r.int(1, 4));
  finClose(c, rtt);
  return c;
}

/** Linux retries an unanswered SYN after 1, 2, 4, 8, 16, 32 s; Windows after 3 and 6 s. */
const RETRY = { linux: [1, 2, 4, 8, 16, 32], windows: [3, 6] };

function scRetry(g, fw) {
  const r = g.rng;
  const os = r.chance(0.6) ? 'linux' : 'windows';
  const [cIp, cPort] = g.pools.inside(fw);
  const c = new Conv(g, fw, `tcp_syn_retry_${os}`, T_TCP, cIp, cPort, g.pools.server(), r.pick([443, 80, 8443]));
  const gaps = RETRY[os].slice(0, r.int(1, RETRY[os].length));
  c.retry = [];
  c.retry.push(c.t);
  c.pkt(true, 60, { fl: 'S' });
  for (const s of gaps) { c.wait(s * SEC + r.int(-3 * MS, 3 * MS)); c.retry.push(c.t); c.pkt(true, 60, { fl: 'S' }); }
  // the SYN-ACK that finally answers, well before the next retry would be due
  c.wait(r.int(50 * MS, 1500 * MS));
  c.pkt(false, 60, { fl: 'AS' });
  c.wait(r.int(30, 400));
  c.pkt(true, 52, { fl: 'A' });
  exchanges(c, 40 * MS, r.int(1, 2));
  finClose(c, 40 * MS);
  return c;
}

function scHairpin(g, fw) {
  const r = g.rng;
  const [cIp, cPort] = g.pools.inside(fw);
  const sIp = `10.${fw.net}.250.${r.int(1, 250)}`; // another subnet behind the same interface
  const c = new Conv(g, fw, 'tcp_hairpin', T_TCP, cIp, cPort, sIp, r.pick([445, 3389, 22]));
  c.hairpin = true;
  const rtt = r.int(200, 2 * MS);
  c.pkt(true, 60, { fl: 'S', path: 'hairpin' }); c.wait(rtt);
  c.pkt(false, 60, { fl: 'AS', path: 'hairpin' }); c.wait(r.int(30, 400));
  c.pkt(true, 52, { fl: 'A', path: 'hairpin' });
  exchanges(c, rtt, r.int(1, 3), 'hairpin');
  finClose(c, rtt, 'hairpin');
  return c;
}

function scInBlock(g, fw) {
  const r = g.rng;
  const [cIp, cPort] = g.pools.outside();
  const c = new Conv(g, fw, 'blocked_in', T_TCP, cIp, cPort, g.pools.dmz(fw), r.pick([23, 445, 1433, 3389, 5900]));
  const tries = r.int(1, 3);
  for (let i = 0; i < tries; i++) {
    if (i > 0) c.wait(r.int(300 * MS, 2 * SEC));
    c.pkt(true, 60, { fl: 'S', path: 'inblock', n: r.chance(0.4) ? r.int(2, 5) : 1 });
  }
  return c;
}

function scOutBlock(g, fw) {
  const r = g.rng;
  const [cIp, cPort] = g.pools.inside(fw);
  const c = new Conv(g, fw, 'blocked_egress', T_TCP, cIp, cPort, g.pools.server(), r.pick([25, 6667, 4444]));
  const gaps = [0, 1, 2].slice(0, r.int(1, 3));
  for (const s of gaps) { c.wait(s * SEC + r.int(1, 2 * MS)); c.pkt(true, 60, { fl: 'S', path: 'outblock' }); }
  return c;
}

function scSelf(g, fw) {
  const r = g.rng;
  const c = new Conv(g, fw, 'firewall_ntp', T_UDP, g.pools.self(fw), 20000 + g.pools.n('self' + fw.net) % 40000, r.pick(['203.0.113.123', '198.51.100.123']), 123);
  const polls = r.int(1, 3);
  for (let i = 0; i < polls; i++) {
    if (i > 0) c.wait(r.int(8 * SEC, 30 * SEC));
    c.pkt(true, 76, { path: 'self' }); c.wait(r.int(5 * MS, 80 * MS));
    c.pkt(false, 76, { path: 'self' });
  }
  return c;
}

function scDns(g, fw) {
  const r = g.rng;
  const [cIp, cPort] = g.pools.inside(fw);
  const c = new Conv(g, fw, 'udp_dns', T_UDP, cIp, cPort, r.pick(['198.51.100.53', '203.0.113.53']), 53);
  c.pkt(true, 20 + 8 + r.int(28, 60)); c.wait(r.int(2 * MS, 60 * MS));
  c.pkt(false, 20 + 8 + r.int(44, 480));
  return c;
}

/** A UDP probe refused with an ICMP port unreachable quoting it: two conversations. */
function scUnreach(g, fw) {
  const r = g.rng;
  const [cIp, cPort] = g.pools.inside(fw);
  const sIp = g.pools.uniqueServer();
  const u = new Conv(g, fw, 'udp_refused', T_UDP, cIp, cPort, sIp, r.pick([161, 514, 5060]));
  const plen = 20 + 8 + r.int(20, 100);
  u.pkt(true, plen);
  const e = new Conv(g, fw, 'icmp_unreach', T_ICMP, sIp, null, cIp, null);
  e.icmpType = 3; e.icmpCode = 3;
  e.t = u.t + r.int(1 * MS, 40 * MS);
  e.pkt(true, 56, { ic: `unreach/port for ${cIp},${cPort} - ${sIp},${u.rPort} PR udp len 20 ${plen}` });
  u.icmpError = { count: 1, type: 'unreach', code: 'port' };
  u.errorConv = e;
  return [u, e];
}

function scPing(g, fw, logOnly) {
  const r = g.rng;
  const [a, b] = g.pools.icmpPair(fw);
  const c = new Conv(g, fw, logOnly ? 'icmp_log_only' : 'icmp_echo', T_ICMP, a, null, b, null);
  c.icmpType = 8; c.icmpCode = 0;
  if (logOnly) { c.watched = true; c.logOnly = true; }
  const n = r.int(1, 5);
  const size = r.pick([84, 84, 60, 1028]);
  for (let i = 0; i < n; i++) {
    if (i > 0) c.wait(SEC + r.int(-3 * MS, 3 * MS));
    c.pkt(true, size, { ic: 'echo/0' });
    const rtt = r.int(1 * MS, 90 * MS);
    c.wait(rtt);
    c.pkt(false, size, { ic: 'echoreply/0' });
    c.t -= rtt;
  }
  return c;
}

/** Two queries from one client, answered by fragmented replies logged first-first, tail-tail. */
function scFragments(g, fw) {
  const r = g.rng;
  const [cIp, p1] = g.pools.inside(fw);
  const p2 = p1 + 1 > 60000 ? p1 - 1 : p1 + 1;
  g.pools.inside(fw); // keep the next tuple unused
  const sIp = g.pools.uniqueServer();
  const a = new Conv(g, fw, 'udp_fragments', T_UDP, cIp, p1, sIp, 443);
  const b = new Conv(g, fw, 'udp_fragments', T_UDP, cIp, p2, sIp, 443);
  a.pkt(true, 20 + 8 + 512);
  b.wait(r.int(1, 3 * MS)); b.pkt(true, 20 + 8 + 512);
  const rtt = r.int(5 * MS, 40 * MS);
  a.t = b.t + rtt; b.t = a.t; // both first fragments in the same microsecond
  const tails = [r.int(100, 1400), r.int(100, 1400)];
  const ids = [r.int(1, 65535), r.int(1, 65535)];
  a.pkt(false, 1500, { frag: { first: true } });
  b.pkt(false, 1500, { frag: { first: true } });
  a.wait(r.int(20, 60)); b.t = a.t;
  a.pkt(false, 20 + tails[0], { frag: { id: ids[0], len: tails[0], off: 1480 } });
  b.wait(r.int(1, 10));
  b.pkt(false, 20 + tails[1], { frag: { id: ids[1], len: tails[1], off: 1480 } });
  return [a, b];
}

/** A host (not a router) logging its own traffic on its only interface. */
function scHost(g, fw) {
  const r = g.rng;
  const [cIp, cPort] = g.pools.outside();
  const c = new Conv(g, fw, 'host_https', T_TCP, cIp, cPort, `10.${fw.net}.0.10`, 443);
  if (r.chance(0.2)) {
    c.scenario = 'host_blocked';
    c.rPort = r.pick([23, 3389]);
    c.pkt(true, 60, { fl: 'S', path: 'host', n: r.int(2, 4) });
    return c;
  }
  const rtt = r.int(2 * MS, 60 * MS);
  c.pkt(true, 60, { fl: 'S', path: 'host' }); c.wait(rtt);
  c.pkt(false, 60, { fl: 'AS', path: 'host' }); c.wait(r.int(30, 400));
  c.pkt(true, 52, { fl: 'A', path: 'host' });
  exchanges(c, rtt, r.int(1, 3), 'host');
  finClose(c, rtt, 'host');
  return c;
}

const ROUTER_MIX = [
  ['tcp_out', 30, (g, fw) => scTcp(g, fw, false)],
  ['tcp_in', 10, (g, fw) => scTcp(g, fw, true)],
  ['retry', 8, scRetry],
  ['hairpin', 4, scHairpin],
  ['inblock', 8, scInBlock],
  ['outblock', 3, scOutBlock],
  ['self', 3, scSelf],
  ['dns', 12, scDns],
  ['unreach', 3, scUnreach],
  ['ping', 6, (g, fw) => scPing(g, fw, false)],
  ['logonly', 2, (g, fw) => scPing(g, fw, true)],
  ['fragments', 2, scFragments],
];
const MIX_TOTAL = ROUTER_MIX.reduce((s, m) => s + m[1], 0);

// ---------------------------------------------------------------------------------------------
// Lines of a packet

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n) => (n < 10 ? '0' + n : '' + n);
const pad6 = (n) => String(n).padStart(6, '0');
const HEX_ROW = '45 00 00 3c 1a 2b 40 00 3f 06 00 00 0a 01 01 05        E..<.+@.?.......';
const HEX_LAST = 'c6 12 01 05                                            ....';

function prefix(fw, t) {
  const local = t + fw.tzMin * 60 * SEC;
  const d = new Date(Math.floor(local / 1000));
  const tod = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  const day = d.getUTCDate();
  return [`${MON[d.getUTCMonth()]} ${day < 10 ? ' ' + day : day} ${tod} ${fw.name} ipmon[${fw.pid}]: `, `${tod}.${pad6(local % SEC)} `];
}

function bodyOf(c, p) {
  const src = p.o ? c.oIp : c.rIp, dst = p.o ? c.rIp : c.oIp;
  const sp = p.o ? c.oPort : c.rPort, dp = p.o ? c.rPort : c.oPort;
  if (c.proto === T_ICMP) return `${src} -> ${dst} PR icmp len 20 ${p.plen} icmp ${p.ic}`;
  if (p.frag && !p.frag.first) return `${src} -> ${dst} PR ${c.proto} len 20 (${p.plen}) (frag ${p.frag.id}:${p.frag.len}@${p.frag.off})`;
  const b = `${src},${sp} -> ${dst},${dp} PR ${c.proto} len 20 ${p.plen}`;
  return c.proto === T_TCP ? `${b} -${p.fl}` : b;
}

/**
 * The lines of packet p (index i in its conversation) at time t: [{t, text, side, hex}].
 * side: 'in'/'out' (which interface's lines it belongs to), for the host-mode truth.
 */
function linesOf(g, c, p, i, t) {
  const r = g.rng;
  const fw = c.fw;
  const body = bodyOf(c, p);
  const nx = p.n > 1 ? `${p.n}x ` : '';
  const out = [];
  const [inIf, outIf] = p.path === 'hairpin' ? [fw.inside, fw.inside] : ifsOf(c, p.o);
  // `log` rules: TCP/UDP on the first packet only (state skips the scan), ICMP on every pass
  const watch = c.watched && (c.proto === T_ICMP || i === 0);
  const ks = i === 0 && c.proto !== T_ICMP ? ' K-S' : '';
  const side = (ifc, dir, tt, sideName, act, rule, tail) => {
    if (watch) {
      out.push({ t: tt, ifc, dir, side: sideName, text: `${nx}${ifc} @-1:-1 L ${body} ${dir}`, log: true });
      if (c.body) for (const h of (r.chance(0.5) ? [HEX_ROW, HEX_LAST] : [HEX_LAST])) out.push({ t: tt, hex: true, text: h });
    }
    if (!c.logOnly) out.push({ t: tt, ifc, dir, side: sideName, text: `${nx}${ifc} @${rule} ${act} ${body}${tail} ${dir}` });
  };
  const egressT = t + r.int(2, 30);
  switch (p.path) {
    case 'fwd':
    case 'hairpin':
      side(inIf, 'IN', t, 'in', 'p', c.rule, ks);
      side(outIf, 'OUT', egressT, 'out', 'p', '0:' + (40 + (c.rule.length % 7)), ks);
      break;
    case 'inblock':
      side(inIf, 'IN', t, 'in', 'b', c.rule, '');
      break;
    case 'outblock':
      side(inIf, 'IN', t, 'in', 'p', c.rule, ks);
      side(outIf, 'OUT', egressT, 'out', 'b', '0:50', '');
      break;
    case 'self':
      if (p.o) side(outIf, 'OUT', t, 'out', 'p', c.rule, '');
      else side(inIf, 'IN', t, 'in', 'p', c.rule, '');
      break;
    case 'host':
      if (p.o) side(inIf, 'IN', t, 'in', p.n > 1 ? 'b' : 'p', c.rule, '');
      else side(outIf, 'OUT', t, 'out', 'p', c.rule, '');
      break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Truth

function truthOf(c, t0) {
  const icmp = c.proto === T_ICMP;
  const rc = { src_packets: 0, src_bytes: 0, dst_packets: 0, dst_bytes: 0 };
  const hc = { ...rc };
  let act = 0, ingress = null, egress = null, lines = 0;
  for (const p of c.pk) {
    const sides = new Set(p.lines.filter((l) => !l.hex).map((l) => l.side));
    const add = (o, k, n) => { o[p.o ? 'src_packets' : 'dst_packets'] += n; o[p.o ? 'src_bytes' : 'dst_bytes'] += n * p.plen; };
    add(rc, 1, p.n);
    add(hc, 1, p.n * sides.size);
    for (const l of p.lines) {
      if (l.hex) continue;
      lines++;
      const a = / @\S+ (\w) /.exec(l.text)[1];
      act |= a === 'b' ? 4 : a === 'p' ? 2 : 1;
      if ((l.dir === 'IN') === p.o) { if (ingress === null) ingress = l.ifc; } else if (egress === null) egress = l.ifc;
    }
  }
  const tr = {
    observer: c.fw.name,
    transport: c.proto,
    src_ip: c.oIp, src_port: icmp ? null : c.oPort, dst_ip: c.rIp, dst_port: icmp ? null : c.rPort,
    icmp_type: icmp ? c.icmpType : null, icmp_code: icmp ? c.icmpCode : null,
    start_us: t0 + c.pk[0].dt,
    router: rc, host: hc,
    action: act & 4 ? 'block' : act & 2 ? 'pass' : 'log',
    ingress, egress,
    direction: directionOf(c.oIp, c.rIp),
    icmp_error: c.icmpError,
    // device host counts the error once per line that is counted (ingress and egress)
    icmp_error_host: c.icmpError && { ...c.icmpError, count: new Set(c.errorConv.pk[0].lines.filter((l) => !l.hex).map((l) => l.side)).size },
    lines,
    scenario: c.scenario,
  };
  if (c.retry) tr.zeek = zeekSplit(c, t0);
  return tr;
}

/** Zeek's attempt timer: a SYN more than 5 s after the attempt's first SYN starts a new flow. */
function zeekSplit(c, t0) {
  const flows = [];
  let cur = null;
  for (const p of c.pk) {
    const syn = p.o && p.fl === 'S';
    if (cur === null || (syn && p.dt > cur.first + 5 * SEC)) {
      // the flow starts with whichever line of the packet the relay passed on first
      const lead = p.lines.reduce((a, l) => (l.pos < a.pos ? l : a));
      cur = { first: p.dt, start_us: lead.t, src_packets: 0, src_bytes: 0, dst_packets: 0, dst_bytes: 0 };
      flows.push(cur);
    }
    cur[p.o ? 'src_packets' : 'dst_packets'] += p.n;
    cur[p.o ? 'src_bytes' : 'dst_bytes'] += p.n * p.plen;
  }
  return flows.map(({ first, ...f }) => f);
}

// ---------------------------------------------------------------------------------------------

/**
 * @param {object} o
 * @param {number} [o.seed=1]
 * @param {number} [o.conversations=3000] scenarios to start (a refused probe and fragment pairs
 *   start two conversations)
 * @param {number} [o.concurrency=300] scenarios in progress at once, about
 * @param {object[]} [o.firewalls=FIREWALLS]
 * @param {number} [o.reorder=0.02] share of adjacent line pairs (≤ 200 ms apart) the relay swaps
 * @param {number} [o.batch=128] the relay passes each firewall's lines on in batches: within
 *   stretches of 2..batch lines and at most 300 ms, lines are grouped by firewall (1 = strict
 *   time order)
 * @param {number} [o.watch=0.3] share of conversations a `log` rule watches (half `log body`)
 * @param {number} [o.warmupUs=1 ms] no hairpin on a router until this long after its first
 *   forwarded conversation started (see README: when auto guesses wrong)
 */
export function generateRouterTraffic({ seed = 1, conversations = 3000, concurrency = 300, firewalls = FIREWALLS, reorder = 0.02, batch = 128, watch = 0.3, warmupUs = 1 * MS, startUs = ROUTER_START_US } = {}) {
  const g = { rng: new Rng(seed), pools: new Pools() };
  const r = g.rng;
  const convs = [];
  const routers = firewalls.filter((f) => f.router);
  const hosts = firewalls.filter((f) => !f.router);
  const meanGap = (40 * SEC) / concurrency; // mean scenario ~40 s
  const judged = new Map(); // firewall -> start of its first forwarded conversation
  let t = startUs;
  for (let i = 0; i < conversations; i++) {
    t += Math.max(1, Math.floor(-Math.log(1 - r.next()) * meanGap));
    const useHost = hosts.length > 0 && r.chance(0.12);
    const fw = useHost ? r.pick(hosts) : r.pick(routers);
    let made;
    if (useHost) made = scHost(g, fw);
    else {
      let x = r.next() * MIX_TOTAL; let m = ROUTER_MIX[0];
      for (const e of ROUTER_MIX) { if ((x -= e[1]) < 0) { m = e; break; } }
      // auto judges a router by a packet logged IN and OUT on two interfaces; until then a
      // hairpin looks like two packets (README: when auto guesses wrong)
      if (m[0] === 'hairpin' && !(t > (judged.get(fw) ?? Infinity) + warmupUs)) m = ROUTER_MIX[0];
      made = m[2](g, fw);
      if (!judged.has(fw) && ['tcp_out', 'tcp_in', 'retry', 'dns', 'ping'].includes(m[0])) judged.set(fw, t);
    }
    const list = Array.isArray(made) ? made : [made];
    const watched = r.chance(watch);
    const body = r.chance(0.5);
    for (const c of list) {
      if (!c.logOnly && watched && c.scenario !== 'udp_fragments') { c.watched = true; c.body = body; }
      if (c.logOnly) c.body = body;
      convs.push({ c, t0: t });
    }
  }
  // render every packet; collect lines in stream (true time) order
  const all = [];
  let seq = 0;
  for (const { c, t0 } of convs) {
    c.pk.forEach((p, i) => {
      p.lines = linesOf(g, c, p, i, t0 + p.dt);
      for (const l of p.lines) {
        l.s = seq++;
        l.fixed = i === 0 || !!p.frag || l.hex;
        l.fw = c.fw;
        all.push(l);
      }
    });
  }
  all.sort((a, b) => a.t - b.t || a.s - b.s);
  // hex rows belong right after their line: they were rendered with its time and follow it in seq
  // order; the relay swaps adjacent lines that are close in time (never first packets, fragments
  // or hex rows, nor the line a hex row follows)
  let swapped = 0;
  for (let i = 0; i + 1 < all.length; i++) {
    const a = all[i], b = all[i + 1];
    if (a.fixed || b.fixed || (i + 2 < all.length && all[i + 2].hex)) continue;
    if (b.t - a.t > 200 * MS || !r.chance(reorder)) continue;
    all[i] = b; all[i + 1] = a; swapped++; i++;
  }
  // a relay forwards each firewall's messages in batches (one connection per sender): within
  // stretches of up to `batch` lines, each firewall's lines come together, in their own order
  if (batch > 1) {
    const out = [];
    for (let i = 0; i < all.length;) {
      // a batch holds at most `batch` lines and 300 ms of them (relays flush on both)
      let n = Math.min(r.int(2, batch), all.length - i);
      let k = 1;
      while (k < n && all[i + k].t - all[i].t <= 300 * MS) k++;
      n = k;
      const seg = all.slice(i, i + n);
      const order = new Map();
      for (const l of seg) if (!order.has(l.fw)) order.set(l.fw, r.next());
      seg.sort((a, b) => order.get(a.fw) - order.get(b.fw)); // stable: each firewall keeps its order
      out.push(...seg);
      i += n;
    }
    for (let i = 0; i < out.length; i++) all[i] = out[i]; // (spread would overflow the stack)
  }
  const lines = new Array(all.length);
  const times = new Array(all.length); // when the relay passed each line on: true UTC time (µs)
  const tally = { lines: all.length, hex: 0, packet_lines: 0, swapped };
  for (let i = 0; i < all.length; i++) {
    const l = all[i];
    const [hdr, tod] = prefix(l.fw, l.t);
    times[i] = l.t;
    l.pos = i;
    if (l.hex) { lines[i] = hdr + l.text; tally.hex++; } else { lines[i] = hdr + tod + l.text; tally.packet_lines++; }
  }
  const truth = convs.map(({ c, t0 }) => truthOf(c, t0));
  const totals = { packets: 0, bytes: 0, host_packets: 0, host_bytes: 0, ...tally };
  for (const f of truth) {
    totals.packets += f.router.src_packets + f.router.dst_packets;
    totals.bytes += f.router.src_bytes + f.router.dst_bytes;
    totals.host_packets += f.host.src_packets + f.host.dst_packets;
    totals.host_bytes += f.host.src_bytes + f.host.dst_bytes;
  }
  return { text: lines.join('\n') + '\n', lines, times, convs: truth, totals, firewalls };
}
