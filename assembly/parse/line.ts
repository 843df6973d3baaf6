// The ipmon line parser: one log line (UTF-8 bytes) in, one LineRecord filled in place.
//
// Grammar and field meanings: ../shared/reference/ipmon-format.md. The envelope (envelope.ts:
// syslog headers and ipmon's time) is peeled first, then the ipmon message is classified:
// packet line (packet.ts, §4), STATE (§5) and NAT (§6) lines, and the untimed forms
// (forwarded.ts: `missed N ... log entries` §4.14, hex-dump rows §4.13, status lines §7).
//
// Nothing here allocates: the cursor lives in globals (cursor.ts), the result in static memory
// (record.ts), and text fields are (pointer, length) views into the caller's line buffer, valid
// until the next line.

import { e, p } from "./cursor";
import { envelope, ipmonTime, placeHeaderTime, TIME_BAD, TIME_NONE } from "./envelope";
import { stateOrNat, untimed } from "./forwarded";
import { packet } from "./packet";
import { line, KIND_BLANK, KIND_UNPARSED, WHY_NONE } from "./record";

export * from "./record";
export { findByte } from "./cursor";
export { DATE_CONTEXT_SIZE, dateContextLoad, dateContextSave, setDateContext, setFallbackDay } from "./envelope";
export { zoneAdd, zonesClear } from "./zones";

/** Parses one line (without its newline) into `line`; returns line.kind. */
export function parseLine(start: usize, n: i32): u8 {
  p = start;
  e = start + <usize>n;
  // tolerate CRLF logs and trailing blanks
  while (e > p && (load<u8>(e - 1) == 0x0d || load<u8>(e - 1) == 0x20 || load<u8>(e - 1) == 0x09)) e--;
  const r = line;
  r.kind = KIND_UNPARSED;
  r.why = WHY_NONE;
  r.hasTime = false;
  r.observerPtr = 0;
  r.observerLen = 0;
  r.tokenLen = 0;
  r.msgPtr = p;
  r.msgLen = <i32>(e - p);
  if (p == e) {
    r.kind = KIND_BLANK;
    return KIND_BLANK;
  }
  if (!envelope(start)) return r.kind;
  r.msgPtr = p;
  r.msgLen = <i32>(e - p);
  const t = ipmonTime(r);
  if (t == TIME_BAD) return r.kind;
  if (t == TIME_NONE) {
    placeHeaderTime(r);
    return untimed(r);
  }
  if (stateOrNat(r)) return r.kind;
  return packet(r);
}
