// An independent Community ID v1 implementation (node:crypto SHA-1), to check the module's
// values: flow-semantics.md §2.1-§2.2.

import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';

const ICMP4 = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17 };
const ICMP6 = { 128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133, 135: 136, 136: 135, 139: 140, 140: 139, 144: 145, 145: 144 };

/** IPv4 or IPv6 text → bytes in network order. */
export function ipBytes(ip) {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  let [head, tail] = ip.includes('::') ? ip.split('::') : [ip, null];
  const parse = (s) => (s ? s.split(':') : []).map((g) => parseInt(g, 16));
  const h = parse(head);
  const t = tail === null ? [] : parse(tail);
  const groups = tail === null ? h : [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(g, i * 2));
  return b;
}

/** Community ID for a tuple; for ICMP pass type as sport and code as dport. */
export function communityId({ saddr, daddr, proto, sport, dport, seed = 0 }) {
  let s = ipBytes(saddr);
  let d = ipBytes(daddr);
  let oneWay = false;
  if (proto === 1 || proto === 58) {
    const map = proto === 1 ? ICMP4 : ICMP6;
    if (map[sport] === undefined) {
      oneWay = true;
    } else {
      dport = map[sport];
    }
  }
  const hasPorts = [1, 6, 17, 58, 132].includes(proto);
  if (!oneWay) {
    const c = Buffer.compare(s, d);
    if (c > 0 || (c === 0 && hasPorts && sport > dport)) {
      [s, d] = [d, s];
      [sport, dport] = [dport, sport];
    }
  }
  const parts = [Buffer.from([seed >> 8, seed & 255]), s, d, Buffer.from([proto, 0])];
  if (hasPorts) parts.push(Buffer.from([sport >> 8, sport & 255, dport >> 8, dport & 255]));
  return '1:' + createHash('sha1').update(Buffer.concat(parts)).digest('base64');
}

/** The Community ID a flow record should carry, from its own fields. */
export function expectedCommunityId(r, seed = 0) {
  const proto = Number(r.network.iana_number);
  const icmp = proto === 1 || proto === 58;
  return communityId({
    saddr: r.source.ip,
    daddr: r.destination.ip,
    proto,
    sport: icmp ? r.icmp?.type : r.source.port ?? 0,
    dport: icmp ? r.icmp?.code : r.destination.port ?? 0,
    seed,
  });
}
