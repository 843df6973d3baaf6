// Helpers shared by the parser specs (not a spec itself): a line buffer, parsing a string,
// reading the record's text views, and the reference lines of ipmon-format.md §10.

import { parseLine, line } from "../../parse/line";

// Spec-only line buffer: the parser's text views point into it.
export const BUF = memory.data(2048);
export const CTX = memory.data(32);

export function parse(s: string): u8 {
  const n = <i32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, BUF);
  return parseLine(BUF, n);
}

export function view(p: usize, n: i32): string {
  return String.UTF8.decodeUnsafe(p, <usize>n);
}

/** Dotted quad of an IPv4-mapped 16-byte slot, or "" if the slot is not IPv4-mapped. */
export function v4(slot: usize): string {
  if (load<u64>(slot) != 0 || load<u32>(slot + 8) != 0xffff0000) return "";
  return load<u8>(slot + 12).toString() + "." + load<u8>(slot + 13).toString() + "." +
    load<u8>(slot + 14).toString() + "." + load<u8>(slot + 15).toString();
}


export function observer(): string { return view(line.observerPtr, line.observerLen); }
export function iface(): string { return view(line.ifPtr, line.ifLen); }
export function rule(): string { return view(line.rulePtr, line.ruleLen); }
export function token(): string { return view(line.tokenPtr, line.tokenLen); }
export function msg(): string { return view(line.msgPtr, line.msgLen); }

// Reference lines (ipmon-format.md §10).
export const R01 = "Jul 26 04:04:32 10.50.12.32 ipmon[137]: [local2.info] [ID 702911 local2.info] 04:04:31.438987 e1000g0 @-1:-1 L 10.50.12.32,10050 -> 10.50.13.2,45380 PR tcp len 20 55 -AFP OUT";
export const C01 = "Jul 26 09:12:01 sol1 ipmon[137]: [ID 702911 local0.notice] 09:12:01.004711 e1000g0 @0:3 p 10.50.13.77,50514 -> 10.50.12.32,22 PR tcp len 20 60 -S K-S IN";
export const B01 = "Mar  3 11:20:45 fw1 ipmon[812]: 11:20:44.873412 em0 @0:7 b 192.0.2.77,44321 -> 198.51.100.10,3389 PR tcp len 20 52 -S IN";
export const FILE_PREFIX = "26/07/2021 09:12:01.004711 ";
export const SYSLOG_PREFIX = "Jul 26 09:12:01 sol1 ipmon[137]: [ID 702911 local0.notice] 09:12:01.004711 ";

/** A file-mode packet line with the given text after the timestamp. */
export function fileLine(rest: string): u8 {
  return parse(FILE_PREFIX + rest);
}
