import {
  outReset, outPtr, outLen, outRecords, reserve, commit, beginRecord, endRecord, putByte, putBytes, putAscii, putU64,
  putI64, putPadded, putJsonText, MODE_NDJSON, MODE_ARRAY,
} from "../../records/output";

// Spec-only input bytes for putBytes / putJsonText.
const SRC = memory.data(256);

function text(): string {
  return String.UTF8.decodeUnsafe(outPtr(), <usize>outLen());
}

/** Lowercase hex of the output so far. */
function outHex(): string {
  let s = "";
  const p = outPtr();
  for (let i = 0; i < outLen(); i++) {
    const b = load<u8>(p + <usize>i);
    s += (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}

/** Writes the bytes of a hex string to SRC; returns the count. */
function bytes(h: string): usize {
  const n = h.length >> 1;
  for (let i = 0; i < n; i++) store<u8>(SRC + <usize>i, <u8>U32.parseInt(h.substr(i << 1, 2), 16));
  return <usize>n;
}

/** putJsonText of raw bytes given in hex, returned as output hex. */
function jsonHex(h: string): string {
  outReset(MODE_NDJSON);
  putJsonText(SRC, bytes(h));
  return outHex();
}

/** putJsonText of an ASCII/UTF-8 string, returned as output text. */
function jsonText(s: string): string {
  const n = String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, SRC);
  outReset(MODE_NDJSON);
  putJsonText(SRC, n);
  return text();
}

describe("outReset", () => {
  it("starts an empty call and drops what was written before", () => {
    outReset(MODE_NDJSON);
    putAscii("abc");
    expect<i32>(outLen()).toBe(3);
    outReset(MODE_NDJSON);
    expect<i32>(outLen()).toBe(0);
    expect<i32>(outRecords()).toBe(0);
    expect<bool>(outPtr() != 0).toBe(true);
  });
});

describe("beginRecord / endRecord", () => {
  it("NDJSON: one record per line", () => {
    outReset(MODE_NDJSON);
    beginRecord(); putAscii("{}"); endRecord();
    beginRecord(); putAscii('{"a":1}'); endRecord();
    expect<string>(text()).toBe('{}\n{"a":1}\n');
    expect<i32>(outRecords()).toBe(2);
  });
  it("array mode: records separated by commas, no newline", () => {
    outReset(MODE_ARRAY);
    beginRecord(); putAscii("{}"); endRecord();
    beginRecord(); putAscii("{}"); endRecord();
    beginRecord(); putAscii("{}"); endRecord();
    expect<string>(text()).toBe("{},{},{}");
    expect<i32>(outRecords()).toBe(3);
  });
  it("the record count and separator restart with each call", () => {
    outReset(MODE_ARRAY);
    beginRecord(); putAscii("{}"); endRecord();
    outReset(MODE_ARRAY);
    beginRecord(); putAscii("{}"); endRecord();
    expect<string>(text()).toBe("{}");
    expect<i32>(outRecords()).toBe(1);
  });
});

describe("putByte / putBytes / putAscii", () => {
  it("append in order", () => {
    outReset(MODE_NDJSON);
    putByte(0x41);
    const n = bytes("42430a");
    putBytes(SRC, n);
    putAscii("xyz");
    expect<string>(outHex()).toBe("4142430a78797a");
  });
  it("putAscii writes a literal the same every time (later ones from its UTF-8 copy)", () => {
    for (let round = 0; round < 3; round++) {
      outReset(MODE_NDJSON);
      putAscii('{"a":'); putAscii("1"); putAscii(',"bcdefghij":"'); putAscii("klmnopq"); putAscii('"}');
      expect<string>(text()).toBe('{"a":1,"bcdefghij":"klmnopq"}');
    }
  });
  it("putAscii writes strings made at run time as they are, though a freed one's address comes back", () => {
    for (let i = 0; i < 8; i++) {
      const s = "run" + (1000 + i).toString();
      outReset(MODE_NDJSON);
      putAscii(s);
      expect<string>(text()).toBe(s);
      __collect();
    }
  });
  it("putAscii of an empty string writes nothing", () => {
    outReset(MODE_NDJSON);
    putAscii("");
    expect<i32>(outLen()).toBe(0);
  });
});

describe("reserve / commit (growth)", () => {
  it("grows past the initial 64 KiB and keeps what was written", () => {
    outReset(MODE_NDJSON);
    for (let i = 0; i < 200000; i++) putByte(0x30 + <u32>(i % 10));
    expect<i32>(outLen()).toBe(200000);
    const p = outPtr();
    expect<u8>(load<u8>(p)).toBe(0x30);
    expect<u8>(load<u8>(p + 65535)).toBe(<u8>(0x30 + 65535 % 10));
    expect<u8>(load<u8>(p + 65536)).toBe(<u8>(0x30 + 65536 % 10));
    expect<u8>(load<u8>(p + 199999)).toBe(0x39);
  });
  it("a single large reservation is satisfied at once", () => {
    outReset(MODE_NDJSON);
    putAscii("head");
    const w = reserve(1 << 20);
    memory.fill(w, 0x61, 1 << 20);
    commit(1 << 20);
    expect<i32>(outLen()).toBe(4 + (1 << 20));
    expect<u8>(load<u8>(outPtr() + 3)).toBe(0x64);
    expect<u8>(load<u8>(outPtr() + 4 + (1 << 20) - 1)).toBe(0x61);
  });
  it("reserve without commit writes nothing", () => {
    outReset(MODE_NDJSON);
    reserve(100);
    expect<i32>(outLen()).toBe(0);
  });
});

describe("putU64 / putI64", () => {
  it("unsigned decimals, including 0 and the maximum", () => {
    outReset(MODE_NDJSON);
    putU64(0); putByte(0x20);
    putU64(9); putByte(0x20);
    putU64(10); putByte(0x20);
    putU64(1627272271438987); putByte(0x20);
    putU64(u64.MAX_VALUE);
    expect<string>(text()).toBe("0 9 10 1627272271438987 18446744073709551615");
  });
  it("signed decimals, including the minimum", () => {
    outReset(MODE_NDJSON);
    putI64(-1); putByte(0x20);
    putI64(0); putByte(0x20);
    putI64(42); putByte(0x20);
    putI64(-2333000000); putByte(0x20);
    putI64(i64.MAX_VALUE); putByte(0x20);
    putI64(i64.MIN_VALUE);
    expect<string>(text()).toBe("-1 0 42 -2333000000 9223372036854775807 -9223372036854775808");
  });
});

describe("putPadded", () => {
  it("zero-pads to the width", () => {
    outReset(MODE_NDJSON);
    putPadded(7, 4); putByte(0x20);
    putPadded(0, 2); putByte(0x20);
    putPadded(438987, 6); putByte(0x20);
    putPadded(4711, 6);
    expect<string>(text()).toBe("0007 00 438987 004711");
  });
  it("keeps only the low digits when the value is too wide", () => {
    outReset(MODE_NDJSON);
    putPadded(12345, 4);
    expect<string>(text()).toBe("2345");
  });
});

describe("putJsonText", () => {
  it("passes printable ASCII through", () => {
    expect<string>(jsonText("e1000g0 @0:3 p 10.0.0.1,22")).toBe("e1000g0 @0:3 p 10.0.0.1,22");
    expect<string>(jsonText("")).toBe("");
  });
  it("escapes quote and backslash", () => {
    expect<string>(jsonText('say "hi" \\ bye')).toBe('say \\"hi\\" \\\\ bye');
  });
  it("escapes \\n \\r \\t by name and other controls as \\u00XX", () => {
    expect<string>(jsonHex("0a0d09")).toBe("5c6e5c725c74"); // \n\r\t
    expect<string>(jsonText("\x00")).toBe("\\u0000");
    expect<string>(jsonText("\x01")).toBe("\\u0001");
    expect<string>(jsonText("\x08")).toBe("\\u0008");
    expect<string>(jsonText("\x0c")).toBe("\\u000c");
    expect<string>(jsonText("\x1b")).toBe("\\u001b");
    expect<string>(jsonText("\x1f")).toBe("\\u001f");
  });
  it("leaves DEL (0x7f) and '/' unescaped (valid JSON)", () => {
    expect<string>(jsonHex("7f2f")).toBe("7f2f");
  });
  it("copies well-formed 2-, 3- and 4-byte UTF-8", () => {
    expect<string>(jsonHex("c3a9")).toBe("c3a9");           // é
    expect<string>(jsonHex("e282ac")).toBe("e282ac");       // €
    expect<string>(jsonHex("f09f9880")).toBe("f09f9880");   // 😀
    expect<string>(jsonHex("f48fbfbf")).toBe("f48fbfbf");   // U+10FFFF
    expect<string>(jsonHex("efbfbd")).toBe("efbfbd");       // U+FFFD itself
  });
  it("replaces each invalid byte with U+FFFD", () => {
    expect<string>(jsonHex("ff")).toBe("efbfbd");
    expect<string>(jsonHex("80")).toBe("efbfbd");                        // lone continuation
    expect<string>(jsonHex("41fe42")).toBe("41efbfbd42");
    expect<string>(jsonHex("c080")).toBe("efbfbdefbfbd");                // overlong NUL
    expect<string>(jsonHex("c1bf")).toBe("efbfbdefbfbd");                // overlong
    expect<string>(jsonHex("e08080")).toBe("efbfbdefbfbdefbfbd");        // overlong 3-byte
    expect<string>(jsonHex("eda080")).toBe("efbfbdefbfbdefbfbd");        // UTF-16 surrogate
    expect<string>(jsonHex("f4908080")).toBe("efbfbdefbfbdefbfbdefbfbd"); // above U+10FFFF
    expect<string>(jsonHex("f5808080")).toBe("efbfbdefbfbdefbfbdefbfbd"); // lead byte F5
  });
  it("does not swallow the byte after a broken sequence", () => {
    expect<string>(jsonHex("c341")).toBe("efbfbd41");
    expect<string>(jsonHex("e241")).toBe("efbfbd41");
    expect<string>(jsonHex("f022")).toBe("efbfbd5c22"); // the quote after it is still escaped
  });
  it("appends after what is already in the buffer", () => {
    outReset(MODE_NDJSON);
    putAscii('{"m":"');
    const n = bytes("610a62");
    putJsonText(SRC, n);
    putAscii('"}');
    expect<string>(text()).toBe('{"m":"a\\nb"}');
  });
  it("grows the buffer for worst-case escaping of long input", () => {
    outReset(MODE_NDJSON);
    for (let i = 0; i < 256; i++) store<u8>(SRC + <usize>i, 0x01);
    for (let k = 0; k < 100; k++) putJsonText(SRC, 256);
    expect<i32>(outLen()).toBe(100 * 256 * 6);
    expect<u8>(load<u8>(outPtr() + 100 * 256 * 6 - 1)).toBe(0x31);
  });
});
