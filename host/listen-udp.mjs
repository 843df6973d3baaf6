// Datagrams the kernel dropped for our UDP sockets because their receive buffer was full
// (Linux /proc/net/udp and udp6): the drops no user-space counter can see.

import net from 'node:net';
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

/**
 * Drops counted by the kernel for our UDP sockets (receive buffer full), from /proc/net/udp and
 * udp6 (Linux): the "drops" column of the lines whose local address and port are ours. Null
 * where that is not available.
 */
export function kernelUdpDrops(bound) {
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
