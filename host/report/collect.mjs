// Collects the records ipmon-flow writes (flows, forwarded lines, stats) into compact columns
// for the report: one array per field, strings replaced by their index in a per-field
// dictionary, so 10^5 conversations cost a few MB, not one object each.

/** A list of distinct strings; `id(s)` gives each its stable index. */
export class Dictionary {
  constructor() {
    this.values = [];
    this.index = new Map();
  }

  /** Index of `s`, adding it on first sight. */
  id(s) {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

/** Numeric columns of a conversation (times in ms since the epoch, durations in µs). */
export const NUMBER_COLUMNS = ['t', 'e', 'd', 'sp', 'dp', 'sk', 'sb', 'dk', 'db'];
/** Dictionary-coded columns: column name → dictionary name. */
export const CODED_COLUMNS = { sa: 'ip', da: 'ip', p: 'proto', cs: 'state', h: 'history', er: 'reason', ac: 'action', ob: 'observer', ic: 'icmp' };

// Stats counters that describe the table, not the input: several runs give the largest, not the sum.
const MAX_COUNTERS = new Set(['table_high_water', 'table_capacity']);
const UNPARSED_SAMPLES = 20;

/** Receives ipmon-flow records (objects) and keeps what the report shows. */
export class Collector {
  constructor() {
    this.dicts = { ip: new Dictionary(), proto: new Dictionary(), state: new Dictionary(), history: new Dictionary(), reason: new Dictionary(), action: new Dictionary(), observer: new Dictionary(), icmp: new Dictionary() };
    this.cols = {};
    for (const c of NUMBER_COLUMNS) this.cols[c] = [];
    for (const c of Object.keys(CODED_COLUMNS)) this.cols[c] = [];
    this.cols.ci = []; // Community IDs: nearly all distinct, kept as strings
    this.stats = null; // summed stats counters
    this.statsRecords = 0;
    this.forwarded = {}; // record_type → lines
    this.unparsed = []; // first few lines not understood, with the reason
    this.descriptions = {}; // conn_state → Zeek's meaning, as the records carry it
  }

  /** Number of conversations collected. */
  get size() {
    return this.cols.t.length;
  }

  /** Adds one record of any type; records that are not ipmon-flow's are refused with an Error. */
  add(r) {
    const type = r?.ipmon?.record_type;
    if (type === 'flow') this.#flow(r);
    else if (type === 'stats') this.#stats(r.ipmon.stats);
    else if (typeof type === 'string') this.#forwarded(type, r);
    else throw new Error('not an ipmon-flow record (no ipmon.record_type)');
  }

  #flow(r) {
    const c = this.cols;
    const d = this.dicts;
    const ev = r.event ?? {};
    const src = r.source ?? {};
    const dst = r.destination ?? {};
    const ip = r.ipmon;
    const start = Date.parse(ev.start ?? r['@timestamp']);
    if (!Number.isFinite(start)) throw new Error('flow record without a valid event.start');
    const durNs = Number(ev.duration ?? 0);
    c.t.push(start);
    c.e.push(ev.end ? Date.parse(ev.end) : start + durNs / 1e6);
    c.d.push(Math.round(durNs / 1000));
    c.sp.push(src.port ?? -1);
    c.dp.push(dst.port ?? -1);
    c.sk.push(src.packets ?? 0);
    c.sb.push(src.bytes ?? 0);
    c.dk.push(dst.packets ?? 0);
    c.db.push(dst.bytes ?? 0);
    c.sa.push(d.ip.id(src.ip ?? ''));
    c.da.push(d.ip.id(dst.ip ?? ''));
    c.p.push(d.proto.id(r.network?.transport ?? ''));
    c.cs.push(d.state.id(ip.conn_state ?? ''));
    c.h.push(d.history.id(ip.history ?? ''));
    c.er.push(d.reason.id(ip.end_reason ?? ''));
    c.ac.push(d.action.id(ip.action ?? ''));
    c.ob.push(d.observer.id(r.observer?.hostname ?? ''));
    c.ic.push(d.icmp.id(r.icmp ? `${r.icmp.type}/${r.icmp.code}` : ''));
    c.ci.push(r.network?.community_id ?? '');
    if (ip.conn_state && ip.conn_state_description) this.descriptions[ip.conn_state] ??= ip.conn_state_description;
  }

  #stats(s) {
    this.statsRecords++;
    if (!this.stats) {
      this.stats = { ...s };
      return;
    }
    for (const [k, v] of Object.entries(s)) {
      if (typeof v !== 'number') continue;
      this.stats[k] = MAX_COUNTERS.has(k) ? Math.max(this.stats[k] ?? 0, v) : (this.stats[k] ?? 0) + v;
    }
  }

  #forwarded(type, r) {
    this.forwarded[type] = (this.forwarded[type] ?? 0) + 1;
    if ((type === 'unparsed' || type === 'packet') && this.unparsed.length < UNPARSED_SAMPLES) {
      this.unparsed.push({ type, reason: r.error?.message ?? r.ipmon?.reason ?? '', line: String(r.message ?? '').slice(0, 500) });
    }
  }
}

/**
 * A sink (host/sinks.mjs contract) that hands the engine's NDJSON to a Collector, so the CLI's
 * readers feed the report the way they feed stdout.
 */
export class CollectorSink {
  constructor(collector) {
    this.collector = collector;
    this.partial = '';
  }

  /** Parses whole NDJSON lines of `buf` into the collector. */
  async write(buf) {
    if (!buf.length) return;
    const text = this.partial + buf.toString('utf8');
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      if (nl > start) this.collector.add(JSON.parse(text.slice(start, nl)));
      start = nl + 1;
    }
    this.partial = text.slice(start);
  }

  async barrier() {}

  async close() {
    if (this.partial.trim()) this.collector.add(JSON.parse(this.partial));
    this.partial = '';
  }
}
