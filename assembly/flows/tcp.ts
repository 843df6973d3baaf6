// TCP connection semantics from flags alone: Zeek's endpoint state machine, conn_state and
// history letters (flow-semantics.md §1.2, §1.2.1, §1.3). A log has no sequence numbers, so
// S/H/F/R are written once per direction like A/D/I/Q (§5.2: "once-only matches the common
// case of retransmitted SYN/FIN").

import { Flow, FLOW_CLOSED, FLOW_FLIPPED } from "./flowtable";
import { TH_ACK, TH_FIN, TH_RST, TH_SYN } from "../parse/line";

// Endpoint states, as Zeek names them.
// @ts-ignore: decorator
@inline export const TCP_INACTIVE: u8 = 0;
// @ts-ignore: decorator
@inline export const TCP_SYN_SENT: u8 = 1;
// @ts-ignore: decorator
@inline export const TCP_SYN_ACK_SENT: u8 = 2;
// @ts-ignore: decorator
@inline export const TCP_PARTIAL: u8 = 3;
// @ts-ignore: decorator
@inline export const TCP_ESTABLISHED: u8 = 4;
// @ts-ignore: decorator
@inline export const TCP_CLOSED: u8 = 5;
// @ts-ignore: decorator
@inline export const TCP_RESET: u8 = 6;

// conn_state values (Zeek's 13)
// @ts-ignore: decorator
@inline export const CS_S0: u8 = 0;
// @ts-ignore: decorator
@inline export const CS_S1: u8 = 1;
// @ts-ignore: decorator
@inline export const CS_SF: u8 = 2;
// @ts-ignore: decorator
@inline export const CS_REJ: u8 = 3;
// @ts-ignore: decorator
@inline export const CS_S2: u8 = 4;
// @ts-ignore: decorator
@inline export const CS_S3: u8 = 5;
// @ts-ignore: decorator
@inline export const CS_RSTO: u8 = 6;
// @ts-ignore: decorator
@inline export const CS_RSTR: u8 = 7;
// @ts-ignore: decorator
@inline export const CS_RSTOS0: u8 = 8;
// @ts-ignore: decorator
@inline export const CS_RSTRH: u8 = 9;
// @ts-ignore: decorator
@inline export const CS_SH: u8 = 10;
// @ts-ignore: decorator
@inline export const CS_SHR: u8 = 11;
// @ts-ignore: decorator
@inline export const CS_OTH: u8 = 12;

/** The conn_state keyword. */
export function connStateName(cs: u8): string {
  switch (cs) {
    case CS_S0: return "S0";
    case CS_S1: return "S1";
    case CS_SF: return "SF";
    case CS_REJ: return "REJ";
    case CS_S2: return "S2";
    case CS_S3: return "S3";
    case CS_RSTO: return "RSTO";
    case CS_RSTR: return "RSTR";
    case CS_RSTOS0: return "RSTOS0";
    case CS_RSTRH: return "RSTRH";
    case CS_SH: return "SH";
    case CS_SHR: return "SHR";
  }
  return "OTH";
}

/** Zeek's documented meaning of a conn_state (main.zeek), for people reading the record. */
export function connStateDescription(cs: u8): string {
  switch (cs) {
    case CS_S0: return "Connection attempt seen, no reply.";
    case CS_S1: return "Connection established, not terminated.";
    case CS_SF: return "Normal establishment and termination.";
    case CS_REJ: return "Connection attempt rejected.";
    case CS_S2: return "Connection established and close attempt by originator seen (but no reply from responder).";
    case CS_S3: return "Connection established and close attempt by responder seen (but no reply from originator).";
    case CS_RSTO: return "Connection established, originator aborted (sent a RST).";
    case CS_RSTR: return "Responder sent a RST.";
    case CS_RSTOS0: return "Originator sent a SYN followed by a RST, we never saw a SYN-ACK from the responder.";
    case CS_RSTRH: return "Responder sent a SYN ACK followed by a RST, we never saw a SYN from the (purported) originator.";
    case CS_SH: return "Originator sent a SYN followed by a FIN, we never saw a SYN ACK from the responder (hence the connection was 'half' open).";
    case CS_SHR: return "Responder sent a SYN ACK followed by a FIN, we never saw a SYN from the originator.";
  }
  return "No SYN seen, just midstream traffic (one example of this is a 'partial connection' that was not later closed).";
}

// ── history ──────────────────────────────────────────────────────────────────────────────────

/**
 * A history letter's four-bit code, which is also its bit in Flow.historySeen: the eight
 * letters a log can produce are 0-7 from the originator, 8-15 from the responder.
 */
// @ts-ignore: decorator
@inline function letterCode(letter: u32, fromOrig: bool): u32 {
  let c: u32 = 0;
  switch (letter) {
    case 0x53: c = 0; break; // S
    case 0x48: c = 1; break; // H
    case 0x41: c = 2; break; // A
    case 0x44: c = 3; break; // D
    case 0x46: c = 4; break; // F
    case 0x52: c = 5; break; // R
    case 0x49: c = 6; break; // I
    default: c = 7; // Q
  }
  return fromOrig ? c : c + 8;
}

/** The letters of codes 0-15: upper case from the originator, lower from the responder. */
const LETTERS: usize = memory.data<u8>([0x53, 0x48, 0x41, 0x44, 0x46, 0x52, 0x49, 0x51, 0x73, 0x68, 0x61, 0x64, 0x66, 0x72, 0x69, 0x71]);
// @ts-ignore: decorator
@inline const CODE_S: u64 = 0;
// @ts-ignore: decorator
@inline const CODE_R: u64 = 5;
/** Originator codes that end Zeek's RSTOS0 pattern: H, A, F, I, Q ([^HAFGIQ]; logs have no G). */
// @ts-ignore: decorator
@inline const RSTOS0_STOPS: u32 = 0b11010110;

/** Appends a history letter once per direction: upper case from the originator, lower from the responder. */
export function addHistory(f: Flow, letter: u32, fromOrig: bool): void {
  const code = letterCode(letter, fromOrig);
  const seen = <u32>f.historySeen;
  if (seen & (1 << code)) return;
  f.history |= <u64>code << (<u64>popcnt(seen) << 2);
  f.historySeen = <u16>(seen | (1 << code));
}

/** Letters in a flow's history (without the flip marker). */
// @ts-ignore: decorator
@inline export function historyLength(f: Flow): u32 {
  return popcnt(<u32>f.historySeen);
}

/** Writes a flow's history as Zeek prints it (a leading '^' when flipped) at dst; returns its length. */
export function historyText(f: Flow, dst: usize): u32 {
  let n: u32 = 0;
  if ((f.flags & FLOW_FLIPPED) != 0) store<u8>(dst + n++, 0x5e);
  const len = historyLength(f);
  const h = f.history;
  for (let i: u32 = 0; i < len; i++) store<u8>(dst + n++, load<u8>(LETTERS + <usize>((h >> (<u64>i << 2)) & 15)));
  return n;
}

/**
 * Sets a flow's history from Zeek's text at src (snapshots store it so); a '^' is the flip
 * marker, which FLOW_FLIPPED carries. False if the text has a letter a log cannot produce or
 * one twice from the same side.
 */
export function historyFromText(f: Flow, src: usize, n: u32): bool {
  f.history = 0;
  f.historySeen = 0;
  for (let i: u32 = 0; i < n; i++) {
    const c = <u32>load<u8>(src + i);
    if (c == 0x5e) continue;
    let code: u32 = 16;
    for (let k: u32 = 0; k < 16; k++) if (<u32>load<u8>(LETTERS + k) == c) code = k;
    if (code == 16 || (<u32>f.historySeen & (1 << code)) != 0) return false;
    addHistory(f, c & ~0x20, code < 8);
  }
  return true;
}

/** The history letter a TCP packet produces (update_history, §1.3), or 0 for none. */
export function tcpHistoryLetter(flags: u32, hasData: bool): u32 {
  const syn = (flags & TH_SYN) != 0;
  const fin = (flags & TH_FIN) != 0;
  const rst = (flags & TH_RST) != 0;
  const n = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
  if (n > 1) return fin && rst ? 0x49 : 0x51; // I : Q
  if (n == 1) {
    if (syn) return (flags & TH_ACK) != 0 ? 0x48 : 0x53; // H : S
    return fin ? 0x46 : 0x52; // F : R
  }
  if (hasData) return 0x44; // D
  return (flags & TH_ACK) != 0 ? 0x41 : 0; // A
}

// ── endpoint state machine ───────────────────────────────────────────────────────────────────

/**
 * Advances both endpoint states for one packet from one side (TCPSessionAdapter.cc
 * L722-982, reduced to what flags can tell). Returns true when this packet completed the close.
 */
export function tcpUpdate(f: Flow, fromOrig: bool, flags: u32, hasData: bool): bool {
  let es = fromOrig ? f.origState : f.respState;
  let ps = fromOrig ? f.respState : f.origState;
  const syn = (flags & TH_SYN) != 0;
  const fin = (flags & TH_FIN) != 0;
  const rst = (flags & TH_RST) != 0;
  const ack = (flags & TH_ACK) != 0;
  const before = es;
  if (es == TCP_INACTIVE) {
    if (syn) {
      if (fromOrig) {
        es = ack ? TCP_SYN_ACK_SENT : TCP_SYN_SENT;
      } else {
        es = TCP_ESTABLISHED;
        if (ps == TCP_SYN_SENT || ps == TCP_SYN_ACK_SENT) ps = TCP_ESTABLISHED;
      }
    }
    if (fin) es = TCP_CLOSED;
    if (rst) es = TCP_RESET;
    if (!syn && !fin && !rst) {
      if (!fromOrig && ack && !hasData && ps == TCP_SYN_SENT) {
        // "eccentric" pure ACK from the responder to a SYN: stays inactive
      } else if (ack && ps == TCP_ESTABLISHED) {
        es = TCP_ESTABLISHED;
      } else {
        es = TCP_PARTIAL;
      }
    }
  } else if (es == TCP_SYN_SENT || es == TCP_SYN_ACK_SENT) {
    if (fin) es = TCP_CLOSED;
    if (rst) es = TCP_RESET;
  } else if (es == TCP_ESTABLISHED || es == TCP_PARTIAL) {
    if (syn && es == TCP_PARTIAL && ps == TCP_INACTIVE && !ack) es = TCP_SYN_SENT;
    if (fin && !rst) {
      es = TCP_CLOSED;
      // "FIN followed by RST … actually normal termination"
      const pPrev = fromOrig ? f.respPrevState : f.origPrevState;
      if (ps == TCP_RESET && pPrev == TCP_CLOSED) ps = TCP_CLOSED;
    }
    if (rst) es = TCP_RESET;
  } else if (es == TCP_CLOSED) {
    if (rst && ps != TCP_CLOSED) es = TCP_RESET;
  }
  if (fromOrig) {
    if (es != before) f.origPrevState = before;
    f.origState = es;
    f.respState = ps;
  } else {
    if (es != before) f.respPrevState = before;
    f.respState = es;
    f.origState = ps;
  }
  if ((f.flags & FLOW_CLOSED) != 0) return false;
  return closeComplete(f.origState, f.respState);
}

/** Both sides are done: a RST from either, or FINs with no side left that could still talk. */
function closeComplete(os: u8, rs: u8): bool {
  if (os == TCP_RESET || rs == TCP_RESET) return true;
  const oDone = os == TCP_CLOSED || os == TCP_INACTIVE;
  const rDone = rs == TCP_CLOSED || rs == TCP_INACTIVE;
  return oDone && rDone && (os == TCP_CLOSED || rs == TCP_CLOSED);
}

/** True once neither endpoint can send more (both closed or reset): the duration stops here. */
export function bothEnded(f: Flow): bool {
  const os = f.origState;
  const rs = f.respState;
  return (os == TCP_CLOSED || os == TCP_RESET) && (rs == TCP_CLOSED || rs == TCP_RESET);
}

/** Zeek's conn_state for a TCP flow (main.zeek L184-241). */
export function tcpConnState(f: Flow, noPayload: bool): u8 {
  const os = f.origState;
  const rs = f.respState;
  const oInactive = os == TCP_INACTIVE || os == TCP_PARTIAL;
  const rInactive = rs == TCP_INACTIVE || rs == TCP_PARTIAL;
  if (rs == TCP_RESET) {
    if (os == TCP_SYN_SENT || os == TCP_SYN_ACK_SENT || (os == TCP_RESET && noPayload)) return CS_REJ;
    return oInactive ? CS_RSTRH : CS_RSTR;
  }
  if (os == TCP_RESET) {
    if (rInactive) return historyIsRstOs0(f) ? CS_RSTOS0 : CS_OTH;
    return CS_RSTO;
  }
  if (rs == TCP_CLOSED && os == TCP_CLOSED) return CS_SF;
  if (os == TCP_CLOSED) return rInactive ? CS_SH : CS_S2;
  if (rs == TCP_CLOSED) return oInactive ? CS_SHR : CS_S3;
  if (os == TCP_SYN_SENT && rs == TCP_INACTIVE) return CS_S0;
  if (os == TCP_ESTABLISHED && rs == TCP_ESTABLISHED) return CS_S1;
  return CS_OTH;
}

/** history matches /^\^?S[^HAFGIQ]*R.*$/ (anchored, as Zeek's pattern == string is). */
function historyIsRstOs0(f: Flow): bool {
  const n = historyLength(f);
  const h = f.history;
  if (n == 0 || (h & 15) != CODE_S) return false;
  for (let i: u32 = 1; i < n; i++) {
    const code = (h >> (<u64>i << 2)) & 15;
    if (code == CODE_R) return true;
    if (code < 8 && (RSTOS0_STOPS & (1 << <u32>code)) != 0) return false;
  }
  return false;
}

/** Zeek's UDP conn_state: SF, S0, SHR (after a flip) or OTH. */
export function udpConnState(origActive: bool, respActive: bool): u8 {
  if (origActive) return respActive ? CS_SF : CS_S0;
  return respActive ? CS_SHR : CS_OTH;
}
