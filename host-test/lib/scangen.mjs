// Scans and sweeps for tests: seeded, in file-mode ipmon lines, with the truth of what each
// source did, so a test can say exactly which scan records must come out.

const START_US = Date.UTC(2024, 2, 3, 9, 0, 0) * 1000;

/** Small seeded PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (v, w) => String(v).padStart(w, '0');

/** File-mode ipmon time stamp of µs since the epoch (UTC). */
export function stamp(us) {
  const d = new Date(Math.floor(us / 1000));
  return `${pad(d.getUTCMonth() + 1, 2)}/${pad(d.getUTCDate(), 2)}/${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(us % 1e6, 6)}`;
}

const syn = (us, action, src, sport, dst, dport) =>
  `${stamp(us)} em1 @0:3 ${action} ${src},${sport} -> ${dst},${dport} PR tcp len 20 60 -S IN`;

/**
 * A mixed log: port scanners (each `ports` distinct ports of one host), address sweepers
 * (`hosts` distinct hosts on one port), busy clients whose connections are all answered,
 * and a flood of spoofed one-shot sources, all interleaved in time.
 * @returns {{text:string, lines:number, scanners:{kind:string, src:string, target:string|number, distinct:number, attempts:number}[]}}
 */
export function generateScans({
  seed = 1, portScanners = 4, sweepers = 4, busyClients = 3, floodSources = 0, spanSeconds = 120,
} = {}) {
  const rand = rng(seed);
  const events = [];
  const scanners = [];
  const at = () => START_US + Math.floor(rand() * spanSeconds * 1e6);
  for (let i = 0; i < portScanners; i++) {
    const src = `203.0.113.${i + 1}`;
    const target = `192.0.2.${i + 1}`;
    const ports = 5 + Math.floor(rand() * 50); // some below the threshold of 15
    const base = 1 + Math.floor(rand() * 20000);
    for (let p = 0; p < ports; p++) events.push([at(), syn(0, 'b', src, 40000 + i, target, base + p)]);
    scanners.push({ kind: 'port_scan', src, target, distinct: ports, attempts: ports });
  }
  for (let i = 0; i < sweepers; i++) {
    const src = `198.51.100.${i + 1}`;
    const port = [22, 23, 445, 3389, 5900][i % 5];
    const hosts = 10 + Math.floor(rand() * 50); // some below the threshold of 25
    for (let h = 0; h < hosts; h++) events.push([at(), syn(0, 'b', src, 41000 + h, `10.${i + 1}.${h >> 8}.${h & 255}`, port)]);
    scanners.push({ kind: 'address_scan', src, target: port, distinct: hosts, attempts: hosts });
  }
  for (let i = 0; i < busyClients; i++) {
    const src = `10.200.0.${i + 1}`;
    for (let c = 0; c < 80; c++) {
      const t = at();
      const dst = `93.184.${i}.${c + 1}`;
      const sport = 30000 + c;
      events.push([t, `${src},${sport} -> ${dst},443 PR tcp len 20 60 -S OUT`]);
      events.push([t + 20000, `${dst},443 -> ${src},${sport} PR tcp len 20 60 -AS IN`]);
      events.push([t + 21000, `${src},${sport} -> ${dst},443 PR tcp len 20 52 -A OUT`]);
    }
  }
  for (let i = 0; i < floodSources; i++) {
    const src = `100.${64 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`;
    events.push([at(), syn(0, 'b', src, 1024 + (i % 60000), '192.0.2.200', 80)]);
  }
  events.sort((a, b) => a[0] - b[0]);
  const text = events.map(([t, l]) => (l.includes(' @0:') ? `${stamp(t)}${l.slice(l.indexOf(' em1'))}` : `${stamp(t)} em0 @0:12 p ${l}`)).join('\n') + '\n';
  return { text, lines: events.length, scanners };
}
