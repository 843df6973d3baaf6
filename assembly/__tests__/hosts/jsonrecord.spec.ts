import {
  J_ARRAY, J_LITERAL, J_NUMBER, J_OBJECT, J_STRING, beginObject, decodeString, keyIs, keyIsBytes, nextMember, valueEnd,
  valueEscaped, valueIs, valueStart, valueType,
} from "../../hosts/jsonrecord";

// Spec-only scratch: the record under test, and a decode target.
const BUF = memory.data(4096);
const OUT = memory.data(256);

function put(s: string): usize {
  return String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, BUF);
}

/** Starts reading s; the number of members, or -1 if reading fails somewhere. */
function members(s: string): i32 {
  const n = put(s);
  if (!beginObject(BUF, n)) return -1;
  let count = 0;
  while (true) {
    const r = nextMember();
    if (r < 0) return -1;
    if (r == 0) return count;
    count++;
  }
  return count;
}

/** Reads s up to the member named key; its value as a decoded string, or "<none>". */
function valueOf(s: string, key: string): string {
  const n = put(s);
  if (!beginObject(BUF, n)) return "<not an object>";
  while (nextMember() == 1) {
    if (!keyIs(key)) continue;
    if (valueType != J_STRING) return "<not a string>";
    const m = decodeString(valueStart + 1, valueEnd - 1, OUT, 256);
    if (m < 0) return "<bad escape>";
    return String.UTF8.decodeUnsafe(OUT, <usize>m);
  }
  return "<none>";
}

function typeOf(s: string): i32 {
  const n = put(s);
  beginObject(BUF, n);
  return nextMember() == 1 ? valueType : -1;
}

describe("beginObject / nextMember", () => {
  it("counts the members of well-formed objects", () => {
    expect<i32>(members("{}")).toBe(0);
    expect<i32>(members(" { } ")).toBe(0);
    expect<i32>(members('{"log":"x"}')).toBe(1);
    expect<i32>(members('{"a":1,"b":[1,{"c":"]"}],"d":{"e":null},"f":true,"g":false,"h":-1.5e3}')).toBe(6);
    expect<i32>(members('{ "a" : "x" ,\n\t"b" : "y" }')).toBe(2);
  });
  it("refuses what is not an object, and stops at damage", () => {
    expect<i32>(members("")).toBe(-1);
    expect<i32>(members("[]")).toBe(-1);
    expect<i32>(members('"log"')).toBe(-1);
    expect<i32>(members("{")).toBe(-1);
    expect<i32>(members('{"log"')).toBe(-1);
    expect<i32>(members('{"log":')).toBe(-1);
    expect<i32>(members('{"log":"x')).toBe(-1);
    expect<i32>(members('{"log" "x"}')).toBe(-1);
    expect<i32>(members('{"a":1 "b":2}')).toBe(-1);
    expect<i32>(members('{,"a":1}')).toBe(-1);
    expect<i32>(members('{"a":tru}')).toBe(-1);
    expect<i32>(members('{"a":[1,2}')).toBe(-1);
    expect<i32>(members('{"a":x}')).toBe(-1);
  });
  it("reports the value type", () => {
    expect<i32>(typeOf('{"a":"x"}')).toBe(J_STRING);
    expect<i32>(typeOf('{"a":12}')).toBe(J_NUMBER);
    expect<i32>(typeOf('{"a":{}}')).toBe(J_OBJECT);
    expect<i32>(typeOf('{"a":[]}')).toBe(J_ARRAY);
    expect<i32>(typeOf('{"a":null}')).toBe(J_LITERAL);
  });
  it("skips deep nesting without recursion", () => {
    let s = '{"deep":';
    for (let i = 0; i < 1500; i++) s += "[";
    for (let i = 0; i < 1500; i++) s += "]";
    s += ',"log":"y"}';
    expect<string>(valueOf(s, "log")).toBe("y");
  });
  it("does not read past the end it was given", () => {
    const n = put('{"log":"abc"}');
    expect<bool>(beginObject(BUF, n - 3)).toBe(true);
    expect<i32>(nextMember()).toBe(-1);
  });
});

describe("keys and values", () => {
  it("matches keys after unescaping", () => {
    expect<string>(valueOf('{"message":"m","log":"l"}', "log")).toBe("l");
    expect<string>(valueOf('{"l\\u006fg":"escaped key"}', "log")).toBe("escaped key");
    expect<string>(valueOf('{"logs":"x","lo":"y"}', "log")).toBe("<none>");
    const n = put('{"msg":"x"}');
    beginObject(BUF, n);
    nextMember();
    expect<bool>(keyIsBytes(BUF + 2, 3)).toBe(true);
  });
  it("tells an unescaped string value by its text", () => {
    let n = put('{"ipmon_flow":"tick"}');
    beginObject(BUF, n);
    nextMember();
    expect<bool>(valueIs("tick")).toBe(true);
    expect<bool>(valueIs("tic")).toBe(false);
    expect<bool>(valueEscaped).toBe(false);
    n = put('{"ipmon_flow":"t\\u0069ck"}');
    beginObject(BUF, n);
    nextMember();
    expect<bool>(valueEscaped).toBe(true);
    expect<bool>(valueIs("tick")).toBe(false);
  });
});

describe("decodeString", () => {
  it("decodes every JSON escape", () => {
    expect<string>(valueOf('{"log":"a\\"b\\\\c\\/d\\n\\t\\r\\b\\f"}', "log")).toBe('a"b\\c/d\n\t\r\b\f');
    expect<string>(valueOf('{"log":"caf\\u00e9 \\u2603"}', "log")).toBe("café ☃");
    expect<string>(valueOf('{"log":"\\ud83d\\ude00"}', "log")).toBe("😀");
  });
  it("turns lone surrogates into U+FFFD", () => {
    expect<string>(valueOf('{"log":"a\\ud800b"}', "log")).toBe("a\uFFFDb");
    expect<string>(valueOf('{"log":"a\\udc00b"}', "log")).toBe("a\uFFFDb");
    expect<string>(valueOf('{"log":"\\ud800\\u0041"}', "log")).toBe("\uFFFDA");
  });
  it("refuses malformed escapes", () => {
    expect<string>(valueOf('{"log":"a\\qb"}', "log")).toBe("<bad escape>");
    expect<string>(valueOf('{"log":"\\u12g4"}', "log")).toBe("<bad escape>");
    expect<string>(valueOf('{"log":"\\u12"}', "log")).toBe("<bad escape>");
  });
  it("stops at the capacity it was given", () => {
    const n = put("abcdef");
    expect<isize>(decodeString(BUF, BUF + n, OUT, 3)).toBe(-1);
    expect<isize>(decodeString(BUF, BUF + n, OUT, 6)).toBe(6);
  });
});
