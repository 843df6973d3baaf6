// Projections of output records for comparing with hand-checked expectations: every field
// that carries meaning, none that only repeats another.

/** The meaningful fields of a flow record, flattened. */
export function projectFlow(r) {
  return {
    observer: r.observer?.hostname ?? null,
    transport: r.network.transport,
    type: r.network.type,
    src: r.source.port === undefined ? r.source.ip : `${r.source.ip}:${r.source.port}`,
    dst: r.destination.port === undefined ? r.destination.ip : `${r.destination.ip}:${r.destination.port}`,
    src_packets: r.source.packets,
    src_bytes: r.source.bytes,
    dst_packets: r.destination.packets,
    dst_bytes: r.destination.bytes,
    start: r.event.start,
    end: r.event.end,
    duration_ns: r.event.duration,
    conn_state: r.ipmon.conn_state,
    history: r.ipmon.history,
    end_reason: r.ipmon.end_reason,
    action: r.ipmon.action,
    syn_seen: r.ipmon.syn_seen,
    lines: r.ipmon.lines,
    community_id: r.network.community_id,
    ...(r.icmp ? { icmp: `${r.icmp.type}/${r.icmp.code}` } : {}),
    ...(r.rule ? { rule: r.rule.name } : {}),
    ingress: r.observer?.ingress?.interface?.name ?? null,
    egress: r.observer?.egress?.interface?.name ?? null,
    ...(r.network.direction ? { direction: r.network.direction } : {}),
    ...(r.ipmon.icmp_error ? { icmp_error: r.ipmon.icmp_error } : {}),
  };
}

/** Records of one type. */
export function ofType(records, type) {
  return records.filter((r) => r.ipmon?.record_type === type);
}

/**
 * Records with the stats' table_probe_steps left out: the count depends on each process's
 * random hash key and on the order flows went into the table (a restored table re-inserts
 * them in another), so two runs with the same flows may differ in it.
 */
export function withoutProbeSteps(records) {
  return records.map((r) => (r.ipmon?.stats ? { ...r, ipmon: { ...r.ipmon, stats: { ...r.ipmon.stats, table_probe_steps: undefined } } } : r));
}
