// Helpers shared by the specs (not a spec itself): driving the engine with text lines and
// reading what it wrote, and showing raw bytes.

import { applyConfig, resetConfig } from "../config";
import { engineInit, processLine } from "../engine";
import { outReset, outPtr, outLen, MODE_NDJSON } from "../records/output";

const LINE_BUF = memory.data(2048);

/** Every setting at its documented default, except a small table and a fixed year. */
export const DEFAULTS =
  '{"tcp_timeout":300,"tcp_handshake_timeout":60,"tcp_attempt_timeout":5,"close_grace":5,"udp_timeout":60,' +
  '"icmp_timeout":60,"other_timeout":60,"active_timeout":0,"capacity":1024,"year":2024,"utc_offset":0,"community_id_seed":0}';

/** Default settings (small table), then the given overrides, then a fresh engine and output. */
export function init(overrides: string = "{}"): void {
  resetConfig();
  applyConfig(DEFAULTS);
  applyConfig(overrides);
  engineInit();
  outReset(MODE_NDJSON);
}

/** Feeds one line (no newline) to the engine. */
export function feed(s: string): void {
  const n = <i32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, LINE_BUF);
  processLine(LINE_BUF, n);
}

/** Everything written since the last take(), then a fresh output buffer. */
export function take(): string {
  const s = String.UTF8.decodeUnsafe(outPtr(), <usize>outLen());
  outReset(MODE_NDJSON);
  return s;
}

/** Lowercase hex of the 16 bytes at slot. */
export function hex16(slot: usize): string {
  let s = "";
  for (let i = 0; i < 16; i++) {
    const b = load<u8>(slot + <usize>i);
    s += (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}

/** 2024-03-03T11:00:00Z, where the engine specs' scenarios start (file mode, year 2024). */
export const T0: i64 = 1709463600000000;
/** One second in µs. */
export const SEC: i64 = 1000000;

/** v in decimal, zero-padded to w digits. */
export function pad(v: i64, w: i32): string {
  let s = v.toString();
  while (s.length < w) s = "0" + s;
  return s;
}

/** File-mode time stamp `off` µs after 11:00:00 on 03/03/2024. */
export function stamp(off: i64): string {
  const t = 11 * 3600 * SEC + off;
  return "03/03/2024 " + pad(t / (3600 * SEC), 2) + ":" + pad((t / (60 * SEC)) % 60, 2) + ":" +
    pad((t / SEC) % 60, 2) + "." + pad(t % SEC, 6);
}
