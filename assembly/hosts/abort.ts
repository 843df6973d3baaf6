// The module's abort handler, wired with `--use abort=assembly/hosts/abort/onAbort` so the
// module has no `env.abort` import (Fluent Bit's WAMR cannot link AssemblyScript's signature,
// fluent-bit-wasm.md §1.6). The message is kept in a static buffer so a host that caught the
// trap can read why it happened.

// @ts-ignore: decorator
@inline const ABORT_CAP: i32 = 512;
const abortText: usize = memory.data(ABORT_CAP);
// The length lives in memory, not a global: abort may run while globals are still initialising.
const abortLenAt: usize = memory.data(4);

/** Records the abort message as ASCII (non-ASCII becomes '?') and traps. */
export function onAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  store<i32>(abortLenAt, 0);
  if (message !== null) appendAscii(message);
  if (fileName !== null) {
    appendAscii(" at ");
    appendAscii(fileName);
    appendAscii(":");
    appendNumber(line);
  }
  unreachable();
}

/** Decimal digits without allocating: abort may run inside the allocator or the GC. */
function appendNumber(v: u32): void {
  let div: u32 = 1;
  while (v / div >= 10) div *= 10;
  let len = load<i32>(abortLenAt);
  while (div > 0 && len < ABORT_CAP) {
    store<u8>(abortText + len, <u8>(0x30 + (v / div) % 10));
    len++;
    div /= 10;
  }
  store<i32>(abortLenAt, len);
}

function appendAscii(s: string): void {
  const n = s.length;
  let len = load<i32>(abortLenAt);
  for (let i = 0; i < n && len < ABORT_CAP; i++) {
    const c = s.charCodeAt(i);
    store<u8>(abortText + len, c < 0x80 ? <u8>c : 0x3f);
    len++;
  }
  store<i32>(abortLenAt, len);
}

/** Pointer to the last abort message (ASCII, not NUL-terminated). */
export function lastAbortPtr(): usize {
  return abortText;
}

/** Length in bytes of the last abort message, 0 if none. */
export function lastAbortLen(): i32 {
  return load<i32>(abortLenAt);
}
