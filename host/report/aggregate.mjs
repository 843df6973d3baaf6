// Turns collected conversations into what the page embeds: the largest conversations (by bytes,
// both directions) as columns, and per-interval totals of those left out, so the headline and
// the timeline still cover every conversation when the list is capped.

import { NUMBER_COLUMNS, CODED_COLUMNS } from './collect.mjs';
import { STATE_MEANINGS, REASON_MEANINGS } from './meanings.mjs';

/** Default number of conversations listed in the page. */
export const DEFAULT_MAX_CONVERSATIONS = 50_000;

// Timeline intervals (ms): the smallest that gives at most MAX_BUCKETS bars over the span.
const SECOND = 1000;
const INTERVALS = [1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400, 30 * 86400].map((s) => s * SECOND);
const MAX_BUCKETS = 300;

/** The timeline interval for conversations starting over `spanMs`. */
export function chooseInterval(spanMs) {
  return INTERVALS.find((iv) => spanMs / iv < MAX_BUCKETS) ?? INTERVALS.at(-1);
}

/**
 * The page's data: { meta, stats, forwarded, unparsed, interval_ms, base_ms, buckets, dict,
 * flows (columns, times relative to base_ms), left_out (count, packets, bytes, per bucket) }.
 */
export function aggregate(collector, { maxConversations = DEFAULT_MAX_CONVERSATIONS, meta = {} } = {}) {
  const c = collector.cols;
  const n = collector.size;
  let first = Infinity;
  let last = -Infinity;
  let lastEnd = -Infinity;
  for (let i = 0; i < n; i++) {
    if (c.t[i] < first) first = c.t[i];
    if (c.t[i] > last) last = c.t[i];
    if (c.e[i] > lastEnd) lastEnd = c.e[i];
  }
  const interval = n ? chooseInterval(last - first) : 60 * SECOND;
  const base = n ? Math.floor(first / interval) * interval : 0;
  const buckets = n ? Math.floor((last - base) / interval) + 1 : 0;

  const bytes = (i) => c.sb[i] + c.db[i];
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => bytes(b) - bytes(a) || c.t[a] - c.t[b]);
  const kept = order.slice(0, maxConversations);
  const flows = {};
  for (const col of [...NUMBER_COLUMNS, ...Object.keys(CODED_COLUMNS), 'ci']) {
    if (col === 'e') continue; // the end is start + duration
    const src = c[col];
    flows[col] = col === 't' ? kept.map((i) => src[i] - base) : kept.map((i) => src[i]);
  }
  return {
    meta: { ...meta, conversations: n, listed: kept.length, first_start_ms: n ? first : null, last_end_ms: n ? lastEnd : null },
    stats: collector.stats,
    stats_records: collector.statsRecords,
    forwarded: collector.forwarded,
    unparsed: collector.unparsed,
    meanings: { state: { ...STATE_MEANINGS, ...collector.descriptions }, reason: REASON_MEANINGS },
    interval_ms: interval,
    base_ms: base,
    buckets,
    dict: Object.fromEntries(Object.entries(collector.dicts).map(([k, d]) => [k, d.values])),
    flows,
    left_out: leftOut(collector, order.slice(maxConversations), base, interval),
  };
}

// Totals of the conversations not listed, overall and per timeline bucket (non-empty buckets only).
function leftOut(collector, rest, base, interval) {
  const c = collector.cols;
  const blockId = collector.dicts.action.index.get('block');
  const per = new Map();
  const out = { count: rest.length, packets: 0, bytes: 0, blocked: 0 };
  for (const i of rest) {
    const b = Math.floor((c.t[i] - base) / interval);
    let row = per.get(b);
    if (!row) per.set(b, (row = [0, 0, 0, 0, 0]));
    const isBlocked = c.ac[i] === blockId;
    row[isBlocked ? 1 : 0]++;
    row[isBlocked ? 3 : 2] += c.sb[i] + c.db[i];
    row[4] += c.sk[i] + c.dk[i];
    out.packets += c.sk[i] + c.dk[i];
    out.bytes += c.sb[i] + c.db[i];
    if (isBlocked) out.blocked++;
  }
  const keys = [...per.keys()].sort((a, b) => a - b);
  // columns: bucket, allowed conversations, blocked conversations, allowed bytes, blocked bytes, packets
  out.buckets = { b: keys, na: [], nb: [], ba: [], bb: [], k: [] };
  for (const k of keys) {
    const [na, nb, ba, bb, pk] = per.get(k);
    out.buckets.na.push(na);
    out.buckets.nb.push(nb);
    out.buckets.ba.push(ba);
    out.buckets.bb.push(bb);
    out.buckets.k.push(pk);
  }
  return out;
}
