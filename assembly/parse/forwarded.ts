// Lines that are not packets and are forwarded as records of their own: STATE (§5) and NAT
// (§6) lines after ipmon's time, and the untimed ones: `missed N ... log entries` (§4.14),
// hex-dump rows of `-x`/`log body` (§4.13) and ipmon's own status messages (§7).

import { at, e, eat, eatByte, isHex, number, p, tokenEnd } from "./cursor";
import {
  line, LineRecord, unparsed, KIND_HEX, KIND_MISSED, KIND_NAT, KIND_STATE, KIND_STATUS, WHY_NO_TIME,
} from "./record";

/** After ipmon's time: true when the message is a NAT (`@N NAT:…`) or STATE line (r.kind set). */
export function stateOrNat(r: LineRecord): bool {
  if (p < e && at(0) == 0x40) {
    r.kind = KIND_NAT;
    markToken();
    return true;
  }
  const kindStart = p;
  const k0 = at(0);
  if ((k0 == 0x53 && eat("STATE:")) || (k0 == 0x54 && eat("Type: "))) {
    p = kindStart;
    r.kind = KIND_STATE;
    markToken();
    return true;
  }
  return false;
}

/** STATE and NAT lines: remember the kind token (e.g. STATE:CLOSE, NAT:EXPIRE) for the record. */
function markToken(): void {
  const r = line;
  if (at(0) == 0x40) {
    // "@N " before the NAT kind
    while (p < e && at(0) != 0x20) p++;
    p++;
  }
  r.tokenPtr = p;
  let q = tokenEnd();
  // "Type: N" is two words
  if (q - p == 5 && load<u8>(p + 4) == 0x3a) {
    q++;
    while (q < e && load<u8>(q) != 0x20) q++;
  }
  r.tokenLen = <i32>(q - p);
}

/** Lines without an ipmon timestamp: `missed …`, status messages, hex rows. */
export function untimed(r: LineRecord): u8 {
  const start = p;
  if (eat("missed ")) {
    // missed N (ipf|state|NAT) log entries: A B  (§4.14)
    if (number() >= 0 && eatByte(0x20)) {
      r.tokenPtr = p;
      const q = tokenEnd();
      r.tokenLen = <i32>(q - p);
      p = q;
      if (eat(" log entries")) {
        r.kind = KIND_MISSED;
        return KIND_MISSED;
      }
    }
    p = start;
  }
  if (isHexRow()) {
    r.kind = KIND_HEX;
    return KIND_HEX;
  }
  // Status lines ipmon writes itself (§7).
  if (
    eat("read: ") || eat("aborting logging") || eat("ioctl(") || eat("Logging ") ||
    (number() >= 0 && eat(" bytes flushed from log"))
  ) {
    r.kind = KIND_STATUS;
    return KIND_STATUS;
  }
  p = start;
  return unparsed(WHY_NO_TIME);
}

/** A `-x`/`-X`/`-b` dump row: 1-16 `hh ` groups, spaces, then the printable column (§4.13). */
function isHexRow(): bool {
  let q = p;
  let groups = 0;
  while (q + 3 <= e && groups < 16) {
    if (!isHex(<u32>load<u8>(q)) || !isHex(<u32>load<u8>(q + 1)) || load<u8>(q + 2) != 0x20) break;
    q += 3;
    groups++;
  }
  if (groups == 0) return false;
  if (q == e) return true;
  if (load<u8>(q) != 0x20) return false;
  while (q < e && load<u8>(q) == 0x20) q++;
  return e - q <= 16;
}
