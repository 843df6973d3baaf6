// ipmon-flow report page: reads the embedded data, draws the charts with uPlot and keeps every
// panel in step with the selected time range and the table's filters. A plain script (no build
// step), inlined by host/report/write.mjs; the strict CSP of the page allows nothing else.
(function () {
  'use strict';
  const started = performance.now();
  const D = JSON.parse(document.getElementById('report-data').textContent);
  const F = D.flows;
  const N = F.t.length;
  const dict = D.dict;
  const IV = D.interval_ms;
  const BASE = D.base_ms;
  const NB = D.buckets;
  const LO = D.left_out;
  const BLOCK = dict.action.indexOf('block');
  const stats = D.stats || {};
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const kid of kids) if (kid != null) e.append(kid);
    return e;
  };

  // ---- formatting
  const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
  const fmtBytes = (n) => {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let u = 0;
    while (n >= 1024 && u < units.length - 1) { n /= 1024; u++; }
    return u ? `${n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${units[u]}` : `${n} B`;
  };
  const fmtDur = (us) => {
    if (us < 1000) return `${Math.round(us)} µs`;
    if (us < 1e6) return `${+(us / 1000).toPrecision(3)} ms`;
    const s = us / 1e6;
    if (s < 60) return `${+s.toPrecision(3)} s`;
    if (s < 3600) return `${Math.floor(s / 60)} m ${Math.round(s % 60)} s`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} m`;
    return `${Math.floor(s / 86400)} d ${Math.round((s % 86400) / 3600)} h`;
  };
  const fmtTime = (ms) => new Date(ms).toISOString().replace('T', ' ').replace(/\.?0*Z$/, '');
  const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(1)} %` : '–');
  const endpoint = (ip, port) => (port < 0 ? ip : ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

  // ---- buckets and the whole-input timeline (listed conversations plus those left out)
  const bucket = new Int32Array(N);
  for (let i = 0; i < N; i++) bucket[i] = Math.floor(F.t[i] / IV);
  const tl = { na: new Float64Array(NB), nb: new Float64Array(NB), ba: new Float64Array(NB), bb: new Float64Array(NB) };
  for (let i = 0; i < N; i++) {
    const b = bucket[i];
    const by = F.sb[i] + F.db[i];
    if (F.ac[i] === BLOCK) { tl.nb[b]++; tl.bb[b] += by; } else { tl.na[b]++; tl.ba[b] += by; }
  }
  LO.buckets.b.forEach((b, j) => {
    tl.na[b] += LO.buckets.na[j]; tl.nb[b] += LO.buckets.nb[j];
    tl.ba[b] += LO.buckets.ba[j]; tl.bb[b] += LO.buckets.bb[j];
  });

  // ---- state: the selected range of buckets [b0, b1) or null, and the conversations in it
  let range = null;
  let sel = Int32Array.from({ length: N }, (_, i) => i);

  /** Headline figures of the current range: listed conversations plus those left out. */
  function figures() {
    const f = { conversations: 0, packets: 0, bytes: 0, blocked: 0, left_out: 0, left_out_bytes: 0 };
    for (const i of sel) {
      f.conversations++;
      f.packets += F.sk[i] + F.dk[i];
      f.bytes += F.sb[i] + F.db[i];
      if (F.ac[i] === BLOCK) f.blocked++;
    }
    LO.buckets.b.forEach((b, j) => {
      if (range && (b < range[0] || b >= range[1])) return;
      const n = LO.buckets.na[j] + LO.buckets.nb[j];
      f.conversations += n;
      f.left_out += n;
      f.packets += LO.buckets.k[j];
      f.bytes += LO.buckets.ba[j] + LO.buckets.bb[j];
      f.left_out_bytes += LO.buckets.ba[j] + LO.buckets.bb[j];
      f.blocked += LO.buckets.nb[j];
    });
    if (range) { f.from_ms = BASE + range[0] * IV; f.to_ms = BASE + range[1] * IV; } else { f.from_ms = D.meta.first_start_ms; f.to_ms = D.meta.last_end_ms; }
    return f;
  }

  function renderHeadline() {
    const f = figures();
    const span = f.from_ms == null ? '–' : `${fmtTime(f.from_ms)} – ${fmtTime(f.to_ms)} (${fmtDur((f.to_ms - f.from_ms) * 1000)})`;
    const items = [
      ['span', 'Time span (UTC)', span, null],
      ['lines_read', 'Lines read (whole input)', stats.lines_read == null ? '–' : fmtInt(stats.lines_read), stats.lines_read],
      ['conversations', 'Conversations', fmtInt(f.conversations), f.conversations],
      ['packets', 'Packets', fmtInt(f.packets), f.packets],
      ['bytes', 'Bytes', `${fmtBytes(f.bytes)}`, f.bytes],
      ['blocked', 'Blocked', `${pct(f.blocked, f.conversations)} (${fmtInt(f.blocked)})`, f.blocked],
      ['unparsed', 'Lines not understood (whole input)', null, stats.unparsed_lines],
    ];
    $('figures').replaceChildren(...items.map(([key, label, text, value]) => {
      const dd = el('dd', { 'data-key': key });
      if (value != null) dd.dataset.value = String(value);
      if (key === 'unparsed') dd.append(el('a', { href: '#accounting', text: stats.unparsed_lines == null ? '–' : fmtInt(stats.unparsed_lines) }));
      else dd.textContent = text;
      if (key === 'bytes') dd.title = `${fmtInt(f.bytes)} bytes`;
      return el('div', null, el('dt', { text: label }), dd);
    }));
    $('range-label').textContent = range ? `Selected: ${fmtTime(f.from_ms)} – ${fmtTime(f.to_ms)}` : 'Whole input';
    $('clear-range').hidden = !range;
    const lo = $('left-out');
    lo.hidden = LO.count === 0;
    lo.textContent = `The page lists the ${fmtInt(N)} largest conversations by bytes. ${fmtInt(LO.count)} more (${fmtInt(LO.packets)} packets, ${fmtBytes(LO.bytes)}, ${fmtInt(LO.blocked)} blocked) are counted in the headline figures and the timeline` +
      `${range ? ` (${fmtInt(f.left_out)} of them in the selected range)` : ''}, but not in the tables, histograms and conversation list.`;
  }

  // ---- charts (uPlot)
  const charts = {};
  const COLORS = { allowed: '#2b8a3e', blocked: '#c92a2a', count: '#1c7ed6' };
  const width = (node) => Math.max(300, node.clientWidth || node.parentNode.clientWidth || 600);
  const bars = uPlot.paths.bars;

  function timelineChart(id, title, allowed, blocked, fmt) {
    const node = $(id);
    const x = Array.from({ length: NB }, (_, b) => (BASE + b * IV) / 1000);
    const total = Array.from(allowed, (a, b) => a + blocked[b]);
    const opts = {
      title,
      width: width(node),
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'), // as every other time on the page
      height: 170,
      cursor: { drag: { x: true, y: false, setScale: false }, sync: { key: 'timeline' } },
      scales: { x: { time: true, range: () => [x[0], (BASE + NB * IV) / 1000] } },
      axes: [{}, { values: (u, splits) => splits.map(fmt), size: 70 }],
      series: [
        { label: 'interval from (UTC)', value: (u, v) => (v == null ? '–' : fmtTime(v * 1000)) },
        // drawn first and stacked under "allowed": its height is the total, its legend the blocked part
        { label: 'blocked', color: COLORS.blocked, fill: COLORS.blocked, stroke: COLORS.blocked, paths: bars({ size: [1, Infinity], align: 1 }), points: { show: false }, value: (u, v, s, i) => (i == null ? '–' : fmt(blocked[i])) },
        { label: 'allowed', color: COLORS.allowed, fill: COLORS.allowed, stroke: COLORS.allowed, paths: bars({ size: [1, Infinity], align: 1 }), points: { show: false }, value: (u, v, s, i) => (i == null ? '–' : fmt(allowed[i])) },
      ],
      hooks: { setSelect: [onBrush] },
    };
    charts[id] = new uPlot(opts, [x, total, Array.from(allowed)], node);
  }

  function onBrush(u) {
    if (u.select.width < 2) return; // a click, not a drag
    const v0 = u.posToVal(u.select.left, 'x') * 1000;
    const v1 = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
    const b0 = Math.max(0, Math.min(NB - 1, Math.floor((v0 - BASE) / IV)));
    const b1 = Math.max(b0 + 1, Math.min(NB, Math.ceil((v1 - BASE) / IV)));
    setRange([b0, b1]);
  }

  /** Selects buckets [b0, b1) (null: the whole input) and redraws every panel. */
  function setRange(r) {
    range = r;
    sel = r ? Int32Array.from({ length: N }, (_, i) => i).filter((i) => bucket[i] >= r[0] && bucket[i] < r[1]) : Int32Array.from({ length: N }, (_, i) => i);
    for (const id of ['chart-bytes', 'chart-conversations']) {
      const u = charts[id];
      if (!r) { u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false); continue; }
      const left = u.valToPos((BASE + r[0] * IV) / 1000, 'x');
      const right = u.valToPos((BASE + r[1] * IV) / 1000, 'x');
      u.setSelect({ left, width: right - left, top: 0, height: u.over.clientHeight }, false);
    }
    renderAll();
  }

  // Histograms: conversations per bin, bins of equal width on a log scale.
  const DURATION_BINS = ['0', ...Array.from({ length: 12 }, (_, k) => fmtDur(10 ** k))];
  const durationBin = (us) => (us <= 0 ? 0 : Math.min(12, Math.floor(Math.log10(us)) + 1));
  let maxBytesBin = 0;
  for (let i = 0; i < N; i++) maxBytesBin = Math.max(maxBytesBin, bytesBin(F.sb[i] + F.db[i]));
  function bytesBin(n) { return n <= 0 ? 0 : Math.floor(Math.log2(n)) + 1; }
  const BYTES_BINS = Array.from({ length: maxBytesBin + 1 }, (_, k) => (k === 0 ? '0' : fmtBytes(2 ** (k - 1))));

  function histogramChart(id, labels) {
    const node = $(id);
    const x = labels.map((_, k) => k);
    const every = Math.max(1, Math.ceil(labels.length / 6));
    charts[id] = new uPlot({
      width: width(node),
      height: 170,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false, range: [-0.5, labels.length - 0.5] } },
      axes: [
        { splits: () => x.filter((k) => k % every === 0), values: (u, splits) => splits.map((k) => labels[k] ?? '') },
        { size: 60, values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? fmtInt(v) : '')) },
      ],
      series: [{}, { label: 'conversations', color: COLORS.count, fill: COLORS.count, stroke: COLORS.count, paths: bars({ size: [0.9, Infinity] }), points: { show: false } }],
    }, [x, labels.map(() => 0)], node);
  }

  function renderHistograms() {
    const dur = new Array(DURATION_BINS.length).fill(0);
    const size = new Array(BYTES_BINS.length).fill(0);
    for (const i of sel) { dur[durationBin(F.d[i])]++; size[bytesBin(F.sb[i] + F.db[i])]++; }
    charts['chart-duration'].setData([charts['chart-duration'].data[0], dur]);
    charts['chart-size'].setData([charts['chart-size'].data[0], size]);
  }

  // ---- top lists and mixes
  const SERVICES = { 20: 'ftp-data', 21: 'ftp', 22: 'ssh', 23: 'telnet', 25: 'smtp', 53: 'domain', 67: 'dhcp', 69: 'tftp', 80: 'http', 110: 'pop3', 123: 'ntp', 137: 'netbios-ns', 143: 'imap', 161: 'snmp', 389: 'ldap', 443: 'https', 445: 'microsoft-ds', 465: 'smtps', 514: 'syslog', 587: 'submission', 636: 'ldaps', 853: 'domain-s', 993: 'imaps', 995: 'pop3s', 1194: 'openvpn', 1433: 'ms-sql', 1723: 'pptp', 3306: 'mysql', 3389: 'ms-wbt-server', 5060: 'sip', 5432: 'postgresql', 5900: 'vnc', 6379: 'redis', 8080: 'http-alt', 8443: 'https-alt' };
  const TOP = 10;
  const PORT_KEYS = 65536 + dict.icmp.length; // key = protocol * PORT_KEYS + port (or 65536 + ICMP type/code)

  function topTable(id, head, rows, onPick) {
    const t = $(id);
    const thead = el('thead', null, el('tr', null, ...head.map(([label, n]) => el('th', { class: n ? 'n' : '', text: label }))));
    const body = el('tbody');
    if (!rows.length) body.append(el('tr', null, el('td', { colspan: String(head.length), class: 'note', text: 'none in this range' })));
    for (const row of rows) {
      const tr = el('tr', onPick ? { class: 'pick', title: 'show in the conversation list', onclick: () => onPick(row) } : null);
      row.cells.forEach((cell, k) => {
        const td = el('td', { class: head[k][1] ? 'n' : '' });
        if (cell instanceof Node) td.append(cell); else td.textContent = cell;
        tr.append(td);
      });
      body.append(tr);
    }
    t.replaceChildren(thead, body);
  }

  const top = (map, score) => [...map.entries()].sort((a, b) => score(b[1]) - score(a[1]) || (a[0] < b[0] ? -1 : 1)).slice(0, TOP);

  function renderTops() {
    const talkers = new Map();
    const pairs = new Map();
    const ports = new Map();
    const blocked = new Map();
    const states = new Map();
    const reasons = new Map();
    const add = (m, k, n, by, pk) => {
      let r = m.get(k);
      if (!r) m.set(k, (r = { n: 0, bytes: 0, packets: 0, sent: 0 }));
      r.n += n; r.bytes += by; r.packets += pk;
      return r;
    };
    for (const i of sel) {
      const by = F.sb[i] + F.db[i];
      const pk = F.sk[i] + F.dk[i];
      add(talkers, F.sa[i], 1, by, pk).sent += F.sb[i];
      add(talkers, F.da[i], 1, by, pk).sent += F.db[i];
      const a = Math.min(F.sa[i], F.da[i]);
      const b = Math.max(F.sa[i], F.da[i]);
      add(pairs, a * dict.ip.length + b, 1, by, pk);
      add(ports, F.p[i] * PORT_KEYS + (F.dp[i] >= 0 ? F.dp[i] : 65536 + F.ic[i]), 1, by, pk);
      if (F.ac[i] === BLOCK) add(blocked, F.sa[i], 1, by, pk);
      add(states, F.cs[i], 1, by, pk);
      add(reasons, F.er[i], 1, by, pk);
    }
    const bytesHead = [['conversations', true], ['packets', true], ['bytes', true]];
    topTable('top-talkers', [['address'], ['sent', true], ['received', true], ['conversations', true]],
      top(talkers, (r) => r.bytes).map(([k, r]) => ({ ip: dict.ip[k], cells: [dict.ip[k], fmtBytes(r.sent), fmtBytes(r.bytes - r.sent), fmtInt(r.n)] })), (row) => filterTo({ addr: row.ip }));
    topTable('top-pairs', [['between'], ...bytesHead],
      top(pairs, (r) => r.bytes).map(([k, r]) => ({ cells: [`${dict.ip[Math.floor(k / dict.ip.length)]} ↔ ${dict.ip[k % dict.ip.length]}`, fmtInt(r.n), fmtInt(r.packets), fmtBytes(r.bytes)] })));
    topTable('top-ports', [['port / service'], ...bytesHead],
      top(ports, (r) => r.n).map(([k, r]) => {
        const proto = dict.proto[Math.floor(k / PORT_KEYS)];
        const port = k % PORT_KEYS;
        const label = port >= 65536 ? `${proto} ${dict.icmp[port - 65536] || ''}` : `${proto}/${port}${SERVICES[port] ? ` ${SERVICES[port]}` : ''}`;
        return { proto: Math.floor(k / PORT_KEYS), port: port >= 65536 ? '' : String(port), cells: [label, fmtInt(r.n), fmtInt(r.packets), fmtBytes(r.bytes)] };
      }), (row) => filterTo({ port: row.port, proto: row.proto }));
    topTable('top-blocked', [['source'], ...bytesHead],
      top(blocked, (r) => r.n).map(([k, r]) => ({ ip: dict.ip[k], cells: [dict.ip[k], fmtInt(r.n), fmtInt(r.packets), fmtBytes(r.bytes)] })), (row) => filterTo({ addr: row.ip, action: BLOCK }));
    const mix = (m, names, meanings) => [...m.entries()].sort((a, b) => b[1].n - a[1].n).map(([k, r]) => ({
      cells: [el('abbr', { title: meanings[names[k]] || 'no description', text: names[k] || '(none)' }), fmtInt(r.n), fmtInt(r.packets), fmtBytes(r.bytes)],
    }));
    topTable('mix-state', [['conn_state'], ...bytesHead], mix(states, dict.state, D.meanings.state));
    topTable('mix-reason', [['end reason'], ...bytesHead], mix(reasons, dict.reason, D.meanings.reason));
  }

  // ---- conversation table
  // address order: IPv4 numerically, then IPv6 as text; worked out on the first sort by address
  let ipRankCache = null;
  const ipRank = () => {
    if (ipRankCache) return ipRankCache;
    const key = (ip) => (ip.includes(':') ? `6${ip}` : `4${ip.split('.').map((o) => o.padStart(3, '0')).join('.')}`);
    const keys = dict.ip.map(key);
    const order = dict.ip.map((ip, k) => k).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
    ipRankCache = new Int32Array(dict.ip.length);
    order.forEach((k, r) => { ipRankCache[k] = r; });
    return ipRankCache;
  };
  const strRank = (values) => {
    const rank = new Int32Array(values.length);
    values.map((v, k) => k).sort((a, b) => (values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : 0)).forEach((k, r) => { rank[k] = r; });
    return rank;
  };
  const ranks = { p: strRank(dict.proto), cs: strRank(dict.state), h: strRank(dict.history), er: strRank(dict.reason), ac: strRank(dict.action) };
  const text = (v) => v;
  const COLUMNS = [
    { key: 'start', label: 'start (UTC)', sort: (i) => F.t[i], show: (i) => fmtTime(BASE + F.t[i]) },
    { key: 'duration', label: 'duration', n: true, sort: (i) => F.d[i], show: (i) => fmtDur(F.d[i]) },
    { key: 'proto', label: 'proto', sort: (i) => ranks.p[F.p[i]], show: (i) => dict.proto[F.p[i]] + (dict.icmp[F.ic[i]] ? ` ${dict.icmp[F.ic[i]]}` : '') },
    { key: 'source', label: 'originator', sort: (i) => ipRank()[F.sa[i]] * 70000 + F.sp[i], show: (i) => endpoint(dict.ip[F.sa[i]], F.sp[i]) },
    { key: 'destination', label: 'responder', sort: (i) => ipRank()[F.da[i]] * 70000 + F.dp[i], show: (i) => endpoint(dict.ip[F.da[i]], F.dp[i]) },
    { key: 'src_packets', label: 'orig pkts', n: true, sort: (i) => F.sk[i], show: (i) => fmtInt(F.sk[i]) },
    { key: 'src_bytes', label: 'orig bytes', n: true, sort: (i) => F.sb[i], show: (i) => fmtInt(F.sb[i]) },
    { key: 'dst_packets', label: 'resp pkts', n: true, sort: (i) => F.dk[i], show: (i) => fmtInt(F.dk[i]) },
    { key: 'dst_bytes', label: 'resp bytes', n: true, sort: (i) => F.db[i], show: (i) => fmtInt(F.db[i]) },
    { key: 'conn_state', label: 'state', sort: (i) => ranks.cs[F.cs[i]], show: (i) => el('abbr', { title: D.meanings.state[dict.state[F.cs[i]]] || '', text: dict.state[F.cs[i]] }) },
    { key: 'history', label: 'history', sort: (i) => ranks.h[F.h[i]], show: (i) => dict.history[F.h[i]] },
    { key: 'end_reason', label: 'end reason', sort: (i) => ranks.er[F.er[i]], show: (i) => el('abbr', { title: D.meanings.reason[dict.reason[F.er[i]]] || '', text: dict.reason[F.er[i]] }) },
    { key: 'action', label: 'action', sort: (i) => ranks.ac[F.ac[i]], show: (i) => dict.action[F.ac[i]], cls: (i) => (F.ac[i] === BLOCK ? 'blocked' : '') },
    { key: 'community_id', label: 'Community ID', sort: (i) => F.ci[i], show: (i) => F.ci[i], cls: () => 'cid' },
  ];
  if (dict.observer.length > 1) COLUMNS.splice(2, 0, { key: 'observer', label: 'firewall', sort: (i) => F.ob[i], show: (i) => dict.observer[F.ob[i]] });
  const PAGE_ROWS = 100;
  const table = { sort: 'start', desc: false, page: 0, rows: sel };
  let rowText = null;
  const searchText = (i) => {
    rowText ??= new Array(N);
    return (rowText[i] ??= [endpoint(dict.ip[F.sa[i]], F.sp[i]), endpoint(dict.ip[F.da[i]], F.dp[i]), dict.proto[F.p[i]], dict.icmp[F.ic[i]], dict.state[F.cs[i]], dict.history[F.h[i]], dict.reason[F.er[i]], dict.action[F.ac[i]], F.ci[i], dict.observer[F.ob[i]]].join(' ').toLowerCase());
  };

  function fillSelect(id, names) {
    $(id).replaceChildren(el('option', { value: '', text: 'any' }), ...names.map((name, k) => el('option', { value: String(k), text: name || '(none)' })).sort((a, b) => (a.textContent < b.textContent ? -1 : 1)));
  }

  /** The rows of the current range that pass every filter, in the table's order. */
  function tableRows() {
    const addr = $('f-addr').value.trim();
    const port = $('f-port').value.trim();
    const proto = $('f-proto').value;
    const state = $('f-state').value;
    const action = $('f-action').value;
    const q = $('f-text').value.trim().toLowerCase();
    let ipOk = null;
    if (addr) {
      const prefix = /[.:*]$/.test(addr) ? addr.replace(/\*$/, '') : null;
      ipOk = dict.ip.map((ip) => (prefix ? ip.startsWith(prefix) : ip === addr));
    }
    const portN = port === '' ? null : Number(port);
    const keep = (i) => (!ipOk || ipOk[F.sa[i]] || ipOk[F.da[i]]) &&
      (portN === null || F.sp[i] === portN || F.dp[i] === portN) &&
      (proto === '' || F.p[i] === +proto) && (state === '' || F.cs[i] === +state) && (action === '' || F.ac[i] === +action) &&
      (!q || searchText(i).includes(q));
    const rows = sel.filter(keep);
    const col = COLUMNS.find((c) => c.key === table.sort);
    const sign = table.desc ? -1 : 1;
    const key = new Float64Array(N);
    const strings = typeof col.sort(rows[0] ?? 0) === 'string';
    if (!strings) for (const i of rows) key[i] = col.sort(i);
    rows.sort(strings ? (a, b) => sign * (col.sort(a) < col.sort(b) ? -1 : col.sort(a) > col.sort(b) ? 1 : a - b) : (a, b) => sign * (key[a] - key[b]) || a - b);
    return rows;
  }

  function renderTable(resetPage) {
    if (resetPage) table.page = 0;
    table.rows = tableRows();
    const pages = Math.max(1, Math.ceil(table.rows.length / PAGE_ROWS));
    table.page = Math.min(table.page, pages - 1);
    const from = table.page * PAGE_ROWS;
    const body = document.createDocumentFragment();
    for (const i of table.rows.subarray(from, from + PAGE_ROWS)) {
      const tr = el('tr', { 'data-row': String(i) });
      for (const c of COLUMNS) {
        const v = c.show(i);
        const td = el('td', { class: `${c.n ? 'n ' : ''}${c.cls ? c.cls(i) : ''}`.trim() });
        td.dataset.col = c.key;
        if (v instanceof Node) td.append(v); else td.textContent = v;
        tr.append(td);
      }
      body.append(tr);
    }
    $('table').tBodies[0].replaceChildren(body);
    for (const th of $('table').tHead.rows[0].cells) th.setAttribute('aria-sort', th.dataset.key === table.sort ? (table.desc ? 'descending' : 'ascending') : 'none');
    $('table-status').textContent = `${fmtInt(table.rows.length)} of ${fmtInt(sel.length)} listed conversations${range ? ' in the selected range' : ''} match the filters.`;
    $('page-label').textContent = table.rows.length ? `rows ${fmtInt(from + 1)}–${fmtInt(Math.min(from + PAGE_ROWS, table.rows.length))} · page ${table.page + 1} of ${pages}` : 'no rows';
    $('prev').disabled = table.page === 0;
    $('next').disabled = table.page >= pages - 1;
  }

  function filterTo({ addr = '', port = '', proto = '', action = '' }) {
    $('f-addr').value = addr; $('f-port').value = port; $('f-proto').value = String(proto);
    $('f-action').value = String(action); $('f-state').value = ''; $('f-text').value = '';
    renderTable(true);
    $('conversations').scrollIntoView();
  }

  function setupTable() {
    $('table').tHead.replaceChildren(el('tr', null, ...COLUMNS.map((c) => {
      const th = el('th', { class: c.n ? 'n' : '', text: c.label, title: 'sort' });
      th.dataset.key = c.key;
      th.addEventListener('click', () => {
        table.desc = table.sort === c.key ? !table.desc : !!c.n;
        table.sort = c.key;
        renderTable(true);
      });
      return th;
    })));
    fillSelect('f-proto', dict.proto);
    fillSelect('f-state', dict.state);
    fillSelect('f-action', dict.action);
    let timer = 0;
    $('filters').addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => renderTable(true), 120); });
    $('filters').addEventListener('submit', (e) => e.preventDefault());
    $('prev').addEventListener('click', () => { table.page--; renderTable(false); });
    $('next').addEventListener('click', () => { table.page++; renderTable(false); });
  }

  // ---- accounting: the stats record as written, and the first lines not understood
  function renderAccounting() {
    const rows = Object.entries(stats).map(([k, v]) => el('tr', null, el('td', { text: k }), el('td', { class: 'n', text: fmtInt(v) })));
    for (const [k, v] of Object.entries(D.forwarded)) rows.push(el('tr', null, el('td', { text: `forwarded records: ${k}` }), el('td', { class: 'n', text: fmtInt(v) })));
    if (!D.stats) rows.unshift(el('tr', null, el('td', { colspan: '2', class: 'note', text: 'The input held no stats record.' })));
    $('stats-table').replaceChildren(el('tbody', null, ...rows));
    const un = D.unparsed.map((u) => el('tr', null, el('td', { text: u.reason }), el('td', { text: u.line })));
    if (!un.length) un.push(el('tr', null, el('td', { class: 'note', text: 'none' })));
    $('unparsed-table').replaceChildren(el('tbody', null, ...un));
  }

  function renderAll() {
    renderHeadline();
    renderTops();
    renderHistograms();
    renderTable(true);
  }

  const m = D.meta;
  $('subtitle').textContent = `${(m.inputs || []).join(', ')} · written ${m.written || ''} · ${fmtInt(m.conversations)} conversations, timeline interval ${fmtDur(IV * 1000)}`;
  $('interval-label').textContent = `per ${fmtDur(IV * 1000)}`;
  timelineChart('chart-bytes', 'Bytes per interval', tl.ba, tl.bb, fmtBytes);
  timelineChart('chart-conversations', 'Conversations per interval', tl.na, tl.nb, (v) => (Number.isInteger(v) ? fmtInt(v) : ''));
  histogramChart('chart-duration', DURATION_BINS);
  histogramChart('chart-size', BYTES_BINS);
  $('clear-range').addEventListener('click', () => setRange(null));
  setupTable();
  renderAccounting();
  renderAll();
  window.addEventListener('resize', () => {
    for (const [id, u] of Object.entries(charts)) u.setSize({ width: width($(id)), height: u.height });
  });

  /** For tests and the curious: the charts, the current figures and range, and setRange. */
  window.ipmonReport = { charts, figures, setRange, range: () => range, tableRows: () => Array.from(table.rows), data: D, timing: { script_start_ms: started, ready_ms: performance.now() } };
  document.body.dataset.ready = 'true';
})();
