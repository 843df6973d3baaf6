// --listen URLs and the limits of network input: parsed from the command line, checked, with
// the defaults README "Network input" documents. Only loopback unless the user names another
// address.

import net from 'node:net';

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

/** A --listen URL written back in one canonical form. */
export function urlOf(proto, host, port, format) {
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
