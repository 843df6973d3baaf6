// A Node emulation of the two Fluent Bit filters the shipped configs chain: `wasm` (JSON mode)
// and `lua`. It follows the call sequence of Fluent Bit 5.1.1 as read from its source
// (../shared/reference/fluent-bit-wasm.md, cited as §x.y below), byte for byte where the module
// can tell the difference:
//
//   WasmFilter.call(tag, time, recordBytes)
//     1. the record body is JSON text (flb_msgpack_to_json_str with json.escape_unicode, §1.1)
//     2. tag and record are copied in with wasm_runtime_module_dup_data: len+1 bytes,
//        NUL-terminated, from WAMR's app heap inside linear memory when the module exports no
//        allocator (inserted at instantiation after the declared initial pages, §1.5), else
//        through the module's exported malloc (or __new(size, 0) then __pin); a copy that does
//        not fit leaves address 0 and the call goes on (wasm_runtime.c wasm_module_malloc_internal)
//     3. fn(tag_ptr, tag_len, time_sec, time_nsec, record_ptr, record_len), all u32 (§1.1)
//     4. a trap is logged and cleared: the record is dropped, the instance lives on (§1.2)
//     5. the result is validated as a C string (a NUL before the end of memory) and copied
//        (strdup) BEFORE the copies are freed; an invalid pointer drops this record and, by
//        Fluent Bit's uncleared exception, the next one too (§1.2)
//     6. both copies are freed (app heap, free or __unpin, §1.1 "freed after every call")
//     7. "" (incl. address 0) drops the record; text that is not one JSON object is dropped
//        with "invalid JSON format"; two concatenated objects corrupt the chunk (§1.2), which
//        this emulation reports as status "corrupt" so tests can fail on it
//
//   LuaFilter.filter(tag, time, body) runs the real script in a Lua VM (fengari, Lua 5.3) with
//   Fluent Bit's conversions (src/flb_lua.c: flb_lua_pushmsgpack / flb_lua_tomsgpack, tables
//   tagged array/map by metatable) and return codes (-1 drop, 0 keep, 1 new time, 2 keep
//   time; a table of maps becomes one record each; plugins/filter_lua/lua.c).

import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fengari from 'fengari';

const { lua, lauxlib, lualib, to_luastring, to_jsstring } = fengari;

/** The release module `npm run build` writes. */
export const DEFAULT_WASM = fileURLToPath(new URL('../../build/ipmon-flow.wasm', import.meta.url));
/** The shipped Lua script and its function. */
export const SPLIT_LUA = fileURLToPath(new URL('../../fluent-bit/split.lua', import.meta.url));
export const SPLIT_CALL = 'split_records';
/** The exported function the shipped configs name in Function_Name. */
export const FUNCTION_NAME = 'filter_ipmon_flow';

// ── JSON as Fluent Bit writes a record body (flb_msgpack_to_json_str) ─────────────────────────

const HEX = '0123456789abcdef';
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const SHORT_ESCAPES = new Map([[0x22, '\\"'], [0x5c, '\\\\'], [0x0a, '\\n'], [0x0d, '\\r'], [0x09, '\\t'], [0x08, '\\b'], [0x0c, '\\f']]);

function hex4(v) {
  return HEX[(v >> 12) & 15] + HEX[(v >> 8) & 15] + HEX[(v >> 4) & 15] + HEX[v & 15];
}

/** Length of the well-formed UTF-8 sequence at i, or -k if byte k (k ≥ 1) of it is bad, or 0 if the lead byte is. */
function utf8Check(b, i) {
  const c = b[i];
  let need;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) need = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    need = 3;
    if (c === 0xe0) lo = 0xa0;
    if (c === 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 4;
    if (c === 0xf0) lo = 0x90;
    if (c === 0xf4) hi = 0x8f;
  } else return 0;
  for (let k = 1; k < need; k++) {
    const d = b[i + k];
    if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return -k;
  }
  return need;
}

/** Lead-byte sequence length as flb_utf8_len's table gives it (0x80-0xbf count as 1). */
function flbUtf8Len(c) {
  if (c < 0xc0) return 1;
  if (c < 0xe0) return 2;
  if (c < 0xf0) return 3;
  if (c < 0xf8) return 4;
  if (c < 0xfc) return 5;
  return 6;
}

/** A private-use character U+E0xx for a byte that is not UTF-8 (flb_utils.c, escaped mode). */
function privateUse(byte) {
  return String.fromCharCode(0xe000 | byte);
}

/**
 * A string's bytes as JSON string contents, the way flb_utils_write_str does it. With
 * escapeUnicode (Fluent Bit's default) every non-ASCII character becomes \uXXXX (a surrogate
 * pair above U+FFFF) and the result is pure ASCII; invalid bytes become U+E0xx. Without it,
 * valid UTF-8 is copied and invalid bytes become U+FFFD.
 */
export function escapeJsonBytes(bytes, escapeUnicode = true) {
  let out = '';
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const c = bytes[i];
    if (c < 0x80) {
      const s = SHORT_ESCAPES.get(c);
      if (s) out += s;
      else if (c < 0x20 || c === 0x7f) out += '\\u00' + HEX[c >> 4] + HEX[c & 15];
      else out += String.fromCharCode(c);
      i++;
      continue;
    }
    const len = utf8Check(bytes, i);
    if (!escapeUnicode) {
      if (len > 0) {
        out += Buffer.from(bytes.subarray(i, i + len)).toString('utf8');
        i += len;
      } else {
        out += '\ufffd';
        i++;
      }
      continue;
    }
    if (i + flbUtf8Len(c) > n && len <= 0) {
      i++; // truncated sequence at the end: skipped
      continue;
    }
    if (len > 0) {
      const cp = Buffer.from(bytes.subarray(i, i + len)).toString('utf8').codePointAt(0);
      if (cp > 0xffff) {
        const v = cp - 0x10000;
        out += '\\u' + hex4(0xd800 + (v >> 10)) + '\\u' + hex4(0xdc00 + (v & 0x3ff));
      } else {
        out += '\\u' + hex4(cp);
      }
      i += len;
    } else {
      const bad = len === 0 ? 1 : -len; // the bytes read before the decoder rejected
      for (let k = 0; k < bad; k++) out += privateUse(bytes[i + k]);
      i += bad;
    }
  }
  return out;
}

/**
 * A record body as Fluent Bit's JSON text. Values: plain objects, arrays, strings, Buffers
 * (a msgpack str with exactly these bytes, e.g. invalid UTF-8), numbers, booleans, null.
 */
export function encodeRecordJson(value, escapeUnicode = true) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    // printable ASCII without " or \ is copied as is (Fluent Bit's SIMD fast path does the same)
    if (PLAIN.test(value)) return '"' + value + '"';
    return '"' + escapeJsonBytes(Buffer.from(value, 'utf8'), escapeUnicode) + '"';
  }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return '"' + escapeJsonBytes(value, escapeUnicode) + '"';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return '[' + value.map((v) => encodeRecordJson(v, escapeUnicode)).join(',') + ']';
  const parts = [];
  for (const [k, v] of Object.entries(value)) {
    parts.push('"' + escapeJsonBytes(Buffer.from(k, 'utf8'), escapeUnicode) + '":' + encodeRecordJson(v, escapeUnicode));
  }
  return '{' + parts.join(',') + '}';
}

// ── the wasm filter ──────────────────────────────────────────────────────────────────────────

// ── WAMR's app heap (wasm_runtime.c memory_instantiate, "Insert app heap before new page") ─────

const PAGE = 65536;
/** Fluent Bit's smallest heap: Wasm_Heap_Size is applied only above it (filter_wasm.c, §1.3). */
export const FLB_WASM_DEFAULT_HEAP_SIZE = 8192;

/** Pages WAMR adds for an app heap of Wasm_Heap_Size bytes; the heap fills them but for 1 KiB. */
function appHeapPages(wasmHeapSize) {
  return Math.ceil(Math.max(wasmHeapSize, FLB_WASM_DEFAULT_HEAP_SIZE) / PAGE);
}

function readLeb(b, at) {
  let v = 0;
  let shift = 0;
  for (;;) {
    const c = b[at++];
    v += (c & 0x7f) * 2 ** shift;
    shift += 7;
    if (c < 0x80) return { v, at };
  }
}

function leb(v) {
  const out = [];
  do {
    let c = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) c |= 0x80;
    out.push(c);
  } while (v > 0);
  return out;
}

/**
 * The module's bytes with its memory's initial (and maximum) page count raised by `extra`, as
 * WAMR raises them when it inserts the app heap; also returns the declared initial pages.
 */
export function withExtraPages(bytes, extra) {
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const size = readLeb(bytes, at + 1);
    const body = size.at;
    const end = body + size.v;
    if (id === 5) {
      const count = readLeb(bytes, body);
      if (count.v !== 1) throw new Error('WAMR emulation: one memory expected');
      const flags = bytes[count.at];
      const min = readLeb(bytes, count.at + 1);
      const limits = [flags, ...leb(min.v + extra)];
      let rest = min.at;
      if (flags & 1) {
        const max = readLeb(bytes, min.at);
        limits.push(...leb(Math.min(max.v + extra, 65536)));
        rest = max.at;
      }
      const content = [...leb(1), ...limits, ...bytes.subarray(rest, end)];
      const out = Buffer.concat([bytes.subarray(0, at), Buffer.from([5, ...leb(content.length), ...content]), bytes.subarray(end)]);
      return { bytes: out, declaredPages: min.v };
    }
    at = end;
  }
  throw new Error('WAMR emulation: the module declares no memory');
}

/**
 * The app heap's allocator, as far as the module could tell: copies inside [start, start+size),
 * 8-byte aligned behind an 8-byte header, 0 when one does not fit. The bytes no copy holds keep
 * a pattern, so intact() shows whether the module ever wrote into the heap.
 */
class AppHeap {
  static FILL = 0xa5;

  constructor(memory, { start, size }) {
    this.memory = memory;
    this.start = start;
    this.size = size;
    this.top = 0;
    this.live = 0;
    new Uint8Array(memory.buffer, start, size).fill(AppHeap.FILL);
  }

  alloc(n) {
    const need = (n + 8 + 7) & ~7;
    if (this.top + need > this.size) return 0;
    const p = this.start + this.top + 8;
    this.top += need;
    this.live++;
    return p;
  }

  free() {
    if (--this.live > 0) return;
    new Uint8Array(this.memory.buffer, this.start, this.top).fill(AppHeap.FILL);
    this.top = 0;
  }

  /** No byte of the heap outside live copies changed: the module kept out of it. */
  intact() {
    const v = new Uint8Array(this.memory.buffer, this.start + this.top, this.size - this.top);
    return v.every((b) => b === AppHeap.FILL);
  }
}

/** The module as WAMR instantiates it, per source (path or bytes) and heap size, made once. */
const prepared = new Map();

/**
 * Compiles the module and applies WAMR's allocator choice (wasm_loader.c, §1.5): exported
 * malloc/free, else AssemblyScript's __new + __pin/__retain + __unpin/__release, else its own
 * app heap, inserted after the declared initial pages. Returns { module, heap }: heap is
 * { start, size } for an app heap, else null.
 */
function prepare(source, wasmHeapSize) {
  const key = typeof source === 'string' ? `${source}#${wasmHeapSize}` : source;
  let p = typeof source === 'string' ? prepared.get(key) : undefined;
  if (p) return p;
  const bytes = typeof source === 'string' ? readFileSync(source) : source;
  const module = new WebAssembly.Module(bytes);
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const allocator = (names.has('malloc') && names.has('free'))
    || (names.has('__new') && (names.has('__pin') || names.has('__retain')) && (names.has('__unpin') || names.has('__release')));
  if (allocator) {
    p = { module, heap: null };
  } else {
    const pages = appHeapPages(wasmHeapSize);
    const { bytes: patched, declaredPages } = withExtraPages(bytes, pages);
    p = { module: new WebAssembly.Module(patched), heap: { start: declaredPages * PAGE, size: pages * PAGE - 1024 } };
  }
  if (typeof source === 'string') prepared.set(key, p);
  return p;
}

/**
 * Unresolved function imports do not stop WAMR from loading a module; calling one traps
 * ("failed to call unlinked import function", §1.6). Memory/table/global imports are fatal.
 */
function wamrImports(module, log, memoryOf) {
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') throw new Error(`WAMR cannot link ${imp.kind} import ${imp.module}.${imp.name} (§1.6)`);
    if (imp.module === 'wasi_snapshot_preview1' && imp.name === 'random_get') {
      // Fluent Bit's WAMR is built with libc-WASI and links it for every filter module
      // (checked in a real Fluent Bit 5.1.1: getrandom bytes, interpreter and AOT)
      (imports[imp.module] ??= {})[imp.name] = (ptr, len) => {
        randomFillSync(new Uint8Array(memoryOf().buffer, ptr, len));
        return 0;
      };
      continue;
    }
    log(`warning: failed to link import function (${imp.module}, ${imp.name})`);
    (imports[imp.module] ??= {})[imp.name] = () => {
      throw new WebAssembly.RuntimeError(`failed to call unlinked import function (${imp.module}, ${imp.name})`);
    };
  }
  return imports;
}

/** One `wasm` filter instance: created once, its state kept across records (since 4.1.0, §1.4). */
export class WasmFilter {
  /**
   * Options: wasmPath (default build/ipmon-flow.wasm) or bytes (the module's), functionName
   * (Function_Name), escapeUnicode (json.escape_unicode, default on), wasmHeapSize
   * (Wasm_Heap_Size, default 8 KiB).
   */
  constructor({ wasmPath = DEFAULT_WASM, bytes, functionName = FUNCTION_NAME, escapeUnicode = true, wasmHeapSize = FLB_WASM_DEFAULT_HEAP_SIZE } = {}) {
    this.log = [];
    const { module: mod, heap } = prepare(bytes ?? wasmPath, wasmHeapSize);
    this.instance = new WebAssembly.Instance(mod, wamrImports(mod, (m) => this.log.push(m), () => this.x.memory));
    this.x = this.instance.exports;
    if (heap) {
      // the heap is set up before the module's start runs
      this.appHeap = new AppHeap(this.x.memory, heap);
      this.alloc = (n) => this.appHeap.alloc(n);
      this.free = () => this.appHeap.free();
    }
    // WAMR calls a reactor's _initialize at instantiation (wasm_runtime.c:1661)
    this.x._initialize?.();
    this.functionName = functionName;
    this.escapeUnicode = escapeUnicode;
    this.pendingException = null;
    this.tags = new Map();
    this.stats = { calls: 0, dropped: 0, emitted: 0, traps: 0, invalid: 0, corrupt: 0, skipped: 0 };
    if (heap) return;
    if (typeof this.x.malloc === 'function' && typeof this.x.free === 'function') {
      this.alloc = (n) => this.x.malloc(n) >>> 0;
      this.free = (p) => this.x.free(p);
    } else {
      const retain = this.x.__pin ?? this.x.__retain;
      const release = this.x.__unpin ?? this.x.__release;
      this.alloc = (n) => {
        const p = this.x.__new(n, 0) >>> 0;
        return p === 0 ? 0 : retain(p) >>> 0;
      };
      this.free = (p) => release(p);
    }
  }

  /** Pages of linear memory (64 KiB each). */
  memoryPages() {
    return this.x.memory.buffer.byteLength / 65536;
  }

  /** A view of linear memory, re-created when a grow has detached the old one. */
  #view() {
    const buf = this.x.memory.buffer;
    if (this.mem === undefined || this.mem.buffer !== buf) this.mem = new Uint8Array(buf);
    return this.mem;
  }

  /** wasm_runtime_module_dup_data: len+1 bytes from the module's allocator, NUL-terminated. */
  #dup(bytes) {
    const p = this.alloc(bytes.length + 1);
    if (p === 0) return 0;
    const mem = this.#view(); // after the allocation: it may have grown
    mem.set(bytes, p);
    mem[p + bytes.length] = 0;
    return p;
  }

  /**
   * Calls the filter function with one record body given as raw JSON bytes. Returns
   * { status, text?, body?, error? }: status is "record" (body = the new record body),
   * "drop", "trap", "invalid" (bad return pointer), "skipped" (dropped unseen because of an
   * earlier invalid pointer) or "corrupt" (concatenated objects, which corrupt a real chunk).
   */
  callRaw(tag, timeSec, timeNsec, jsonBytes) {
    this.stats.calls++;
    if (this.pendingException) {
      // flb_wasm.c never clears the exception set by a failed address validation (§1.2)
      this.log.push(`Got exception running wasm code: ${this.pendingException}`);
      this.pendingException = null;
      this.stats.skipped++;
      this.stats.dropped++;
      return { status: 'skipped' };
    }
    let tagBytes = this.tags.get(tag);
    if (tagBytes === undefined) this.tags.set(tag, (tagBytes = Buffer.from(tag, 'utf8')));
    let tagPtr = 0;
    let recPtr = 0;
    try {
      tagPtr = this.#dup(tagBytes);
      recPtr = this.#dup(jsonBytes);
    } catch (err) {
      // a trap inside the module's allocator: the copy fails and the record is lost
      this.log.push(`Got exception running wasm code: ${err.message}`);
      this.stats.traps++;
      this.stats.dropped++;
      return { status: 'trap', error: err.message };
    }
    const fn = this.x[this.functionName];
    if (typeof fn !== 'function') {
      this.#release(tagPtr, recPtr);
      this.log.push(`The ${this.functionName} wasm function is not found.`);
      this.stats.dropped++;
      return { status: 'drop', error: 'function not found' };
    }
    let ret;
    try {
      ret = fn(tagPtr, tagBytes.length, timeSec >>> 0, timeNsec >>> 0, recPtr, jsonBytes.length) >>> 0;
    } catch (err) {
      this.#release(tagPtr, recPtr);
      this.log.push(`Got exception running wasm code: ${err.message}`);
      this.stats.traps++;
      this.stats.dropped++;
      return { status: 'trap', error: err.message };
    }
    // wasm_runtime_validate_app_str_addr, then strdup, both before the copies are freed
    const mem = this.#view();
    let text = null;
    if (ret < mem.length) {
      const nul = mem[ret] === 0 ? ret : mem.indexOf(0, ret);
      if (nul === ret) text = '';
      else if (nul > ret) text = Buffer.from(mem.buffer, mem.byteOffset + ret, nul - ret).toString('utf8');
    }
    this.#release(tagPtr, recPtr);
    if (text === null) {
      this.log.push('[wasm] returned value is invalid');
      this.pendingException = 'Exception: out of bounds memory access';
      this.stats.invalid++;
      this.stats.dropped++;
      return { status: 'invalid' };
    }
    if (text.length === 0) {
      this.stats.dropped++;
      return { status: 'drop' };
    }
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      if (/^\s*\{[\s\S]*\}\s*\{/.test(text)) {
        this.stats.corrupt++;
        return { status: 'corrupt', text };
      }
      this.log.push(`invalid JSON format. ret: -1, buf: ${text.slice(0, 80)}`);
      this.stats.dropped++;
      return { status: 'drop', text, error: 'invalid JSON format' };
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      this.log.push(`invalid JSON format. ret: -1, buf: ${text.slice(0, 80)}`);
      this.stats.dropped++;
      return { status: 'drop', text, error: 'invalid JSON format' };
    }
    this.stats.emitted++;
    // for tests, not Fluent Bit: the ipmon-flow records the answer carries (an envelope's, or
    // the answer itself when one record was due)
    const records = body.ipmon_envelope === '1' && Array.isArray(body.records) ? body.records : [body];
    return { status: 'record', text, body, records };
  }

  #release(tagPtr, recPtr) {
    if (tagPtr) this.free(tagPtr);
    if (recPtr) this.free(recPtr);
  }

  /** Calls the filter with a record body (object), encoded as Fluent Bit encodes it. */
  call(tag, timeSec, timeNsec, body) {
    const json = encodeRecordJson(body, this.escapeUnicode);
    return this.callRaw(tag, timeSec, timeNsec, Buffer.from(json, 'utf8'));
  }
}

// ── the lua filter ───────────────────────────────────────────────────────────────────────────

const TYPE_ARRAY = 1; // flb_lua_l2c_type_enum: what flb_lua_setmetatable records per table
const TYPE_MAP = 2;

/** One `lua` filter instance running a script file in fengari. */
export class LuaFilter {
  /** script: path of the .lua file; call: the function name (Call). */
  constructor(script = SPLIT_LUA, call = SPLIT_CALL) {
    this.call = call;
    this.errors = [];
    const L = lauxlib.luaL_newstate();
    lualib.luaL_openlibs(L);
    this.L = L;
    const code = readFileSync(script);
    if (lauxlib.luaL_loadbuffer(L, code, code.length, to_luastring(script)) !== lua.LUA_OK) {
      throw new Error(`lua load: ${to_jsstring(lua.lua_tostring(L, -1))}`);
    }
    if (lua.lua_pcall(L, 0, 0, 0) !== lua.LUA_OK) throw new Error(`lua init: ${to_jsstring(lua.lua_tostring(L, -1))}`);
    lua.lua_getglobal(L, to_luastring(call));
    const ok = lua.lua_isfunction(L, -1);
    lua.lua_pop(L, 1);
    if (!ok) throw new Error(`function ${call} is not found`);
  }

  /** flb_lua_pushmsgpack for a JS value. */
  #push(v) {
    const L = this.L;
    if (v === null || v === undefined) {
      lua.lua_getglobal(L, to_luastring('flb_null')); // nil unless enable_flb_null
    } else if (typeof v === 'boolean') {
      lua.lua_pushboolean(L, v);
    } else if (typeof v === 'number') {
      // fengari's integers are 32-bit; LuaJIT's numbers are all doubles anyway
      if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) lua.lua_pushinteger(L, v);
      else lua.lua_pushnumber(L, v);
    } else if (typeof v === 'string') {
      lua.lua_pushstring(L, to_luastring(v));
    } else if (Array.isArray(v)) {
      lua.lua_createtable(L, v.length, 0);
      const t = lua.lua_gettop(L);
      v.forEach((e, i) => {
        this.#push(e);
        lua.lua_rawseti(L, t, i + 1);
      });
      this.#tag(t, TYPE_ARRAY);
    } else {
      const entries = Object.entries(v);
      lua.lua_createtable(L, 0, entries.length);
      const t = lua.lua_gettop(L);
      for (const [k, e] of entries) {
        lua.lua_pushstring(L, to_luastring(k));
        this.#push(e);
        lua.lua_settable(L, t);
      }
      this.#tag(t, TYPE_MAP);
    }
  }

  #tag(t, type) {
    const L = this.L;
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushstring(L, to_luastring('type'));
    lua.lua_pushinteger(L, type);
    lua.lua_settable(L, -3);
    lua.lua_setmetatable(L, t);
  }

  /** flb_lua_tomsgpack for the value at index i, as a JS value. */
  #toJs(i) {
    const L = this.L;
    const idx = lua.lua_absindex(L, i);
    switch (lua.lua_type(L, idx)) {
      case lua.LUA_TSTRING: return to_jsstring(lua.lua_tostring(L, idx));
      case lua.LUA_TNUMBER: return lua.lua_tonumber(L, idx);
      case lua.LUA_TBOOLEAN: return lua.lua_toboolean(L, idx);
      case lua.LUA_TNIL: return null;
      case lua.LUA_TTABLE: {
        let type = -1;
        if (lua.lua_getmetatable(L, idx)) {
          lua.lua_getfield(L, -1, to_luastring('type'));
          if (lua.lua_type(L, -1) === lua.LUA_TNUMBER) type = lua.lua_tointeger(L, -1);
          lua.lua_pop(L, 2);
        }
        if (type < 0) type = this.#arrayLength(idx) > 0 ? TYPE_ARRAY : TYPE_MAP;
        if (type === TYPE_ARRAY) {
          const n = lua.lua_rawlen(L, idx);
          const out = [];
          for (let k = 1; k <= n; k++) {
            lua.lua_rawgeti(L, idx, k);
            out.push(this.#toJs(-1));
            lua.lua_pop(L, 1);
          }
          return out;
        }
        const out = {};
        lua.lua_pushnil(L);
        while (lua.lua_next(L, idx) !== 0) {
          const key = this.#toJs(-2);
          out[String(key)] = this.#toJs(-1);
          lua.lua_pop(L, 1);
        }
        return out;
      }
      default:
        return undefined; // functions, userdata: "cannot serialize"
    }
  }

  /** flb_lua_arraylength: n if the keys are exactly 1..n, else -1. */
  #arrayLength(idx) {
    const L = this.L;
    let count = 0;
    let max = 0;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, idx) !== 0) {
      if (lua.lua_type(L, -2) === lua.LUA_TNUMBER) {
        const n = lua.lua_tonumber(L, -2);
        if (n > 0) {
          max = Math.max(max, n);
          count++;
          lua.lua_pop(L, 1);
          continue;
        }
      }
      lua.lua_pop(L, 2);
      return -1;
    }
    return max === count ? max : -1;
  }

  /**
   * Runs the function on one record; returns the records that come out, each { time, body }
   * (time as the double Fluent Bit passes, seconds), or null if the filter left the whole
   * chunk untouched because of an error (the error is in this.errors).
   */
  filter(tag, time, body) {
    const L = this.L;
    lua.lua_getglobal(L, to_luastring(this.call));
    lua.lua_pushstring(L, to_luastring(tag));
    lua.lua_pushnumber(L, time);
    this.#push(body);
    if (lua.lua_pcall(L, 3, 3, 0) !== lua.LUA_OK) {
      this.errors.push(`error: ${to_jsstring(lua.lua_tostring(L, -1))}`);
      lua.lua_pop(L, 1);
      return null;
    }
    const out = this.#toJs(-1);
    const newTime = lua.lua_tonumber(L, -2);
    const code = lua.lua_tointeger(L, -3);
    lua.lua_pop(L, 3);
    if (code === -1) return [];
    if (code === 0) return [{ time, body }];
    if (code !== 1 && code !== 2) {
      this.errors.push(`unexpected Lua script return code ${code}, original record will be kept.`);
      return [{ time, body }];
    }
    const t = code === 1 ? newTime : time;
    if (Array.isArray(out)) {
      if (!out.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) {
        this.errors.push(`invalid table returned at ${this.call}()`);
        return null;
      }
      return out.map((r) => ({ time: t, body: r }));
    }
    if (out !== null && typeof out === 'object') return [{ time: t, body: out }];
    this.errors.push(`invalid table returned at ${this.call}()`);
    return null;
  }
}

// ── the shipped chain: wasm, then split.lua ──────────────────────────────────────────────────

/** The filter chain of fluent-bit/fluent-bit.yaml for records that match fw.*. */
export class FluentBitPipeline {
  /** Options as WasmFilter's, plus script/call for the Lua filter. */
  constructor(options = {}) {
    this.wasm = new WasmFilter(options);
    this.lua = new LuaFilter(options.script ?? SPLIT_LUA, options.call ?? SPLIT_CALL);
    /** Answers the filter gave (calls that returned a record), and how many were envelopes. */
    this.answers = 0;
    this.envelopes = 0;
  }

  /**
   * Pushes one record (body object, time in µs since the epoch) through both filters; returns
   * the record bodies that reach the output.
   */
  push(tag, timeUs, body) {
    const sec = Math.floor(timeUs / 1e6);
    const nsec = Math.round(timeUs - sec * 1e6) * 1000;
    const r = this.wasm.call(tag, sec, nsec, body);
    if (r.status === 'corrupt') throw new Error(`wasm filter returned concatenated objects: ${r.text.slice(0, 200)}`);
    if (r.status !== 'record') return [];
    this.answers++;
    if (r.body.ipmon_envelope === '1') this.envelopes++;
    const out = this.lua.filter(tag, sec + nsec / 1e9, r.body);
    if (out === null) throw new Error(`lua filter failed: ${this.lua.errors.at(-1)}`);
    return out.map((o) => o.body);
  }
}
