// One-line meanings shown on hover in the report.
// conn_state: Zeek's documented meanings (../shared/reference/flow-semantics.md §1.2, from
// zeek/zeek scripts/base/protocols/conn/main.zeek); the records' own
// ipmon.conn_state_description wins when present.
// End reasons: IPFIX flowEndReason 1-5 (flow-semantics.md §4.1, IANA IE 136) as README "Output fields".

/** Zeek conn_state → meaning. */
export const STATE_MEANINGS = {
  S0: 'Connection attempt seen, no reply.',
  S1: 'Connection established, not terminated.',
  SF: 'Normal establishment and termination.',
  REJ: 'Connection attempt rejected.',
  S2: 'Connection established and close attempt by originator seen (but no reply from responder).',
  S3: 'Connection established and close attempt by responder seen (but no reply from originator).',
  RSTO: 'Connection established, originator aborted (sent a RST).',
  RSTR: 'Responder sent a RST.',
  RSTOS0: 'Originator sent a SYN followed by a RST, we never saw a SYN-ACK from the responder.',
  RSTRH: 'Responder sent a SYN ACK followed by a RST, we never saw a SYN from the (purported) originator.',
  SH: 'Originator sent a SYN followed by a FIN, we never saw a SYN ACK from the responder (hence the connection was "half" open).',
  SHR: 'Responder sent a SYN ACK followed by a FIN, we never saw a SYN from the originator.',
  OTH: 'No SYN seen, just midstream traffic (one example of this is a "partial connection" that was not later closed).',
};

/** ipmon.end_reason → meaning (IPFIX flowEndReason). */
export const REASON_MEANINGS = {
  idle_timeout: 'idleTimeout (1): no packet for the protocol\'s idle timeout.',
  active_timeout: 'activeTimeout (2): an interim report of a long conversation (--active-timeout).',
  end_of_flow: 'endOfFlowDetected (3): the conversation ended (TCP FIN both ways or RST), after the close grace.',
  forced_end: 'forcedEnd (4): still open when the input ended (or on shutdown).',
  lack_of_resources: 'lackOfResources (5): reported early because the flow table was full (--capacity).',
};
