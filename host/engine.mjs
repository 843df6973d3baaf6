// The Node host for the ipmon-flow module: loads build/ipmon-flow.wasm and speaks its raw
// pointer/length ABI (assembly/hosts/node.ts). Many lines go in per call; NDJSON comes out.

import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

// node:crypto is loaded only when needed: loading it initialises OpenSSL, about 2 MB resident
// for the whole run (measured: `node -e` 40.2 MB, with randomFillSync 42.3, reading
// /dev/urandom 40.5), and a run needs it only for random keys where /dev/urandom is missing.
const require = createRequire(import.meta.url);

/**
 * Fills `view` with random bytes: the kernel's /dev/urandom where there is one, else
 * node:crypto (Windows).
 */
export function randomFill(view) {
  let fd = -1;
  try {
    fd = openSync('/dev/urandom', 'r');
  } catch {
    require('node:crypto').randomFillSync(view);
    return;
  }
  try {
    for (let got = 0; got < view.length;) {
      const n = readSync(fd, view, got, view.length - got, null);
      if (n <= 0) throw new Error('/dev/urandom returned no bytes');
      got += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** The SHA-256 of `data`, hex. */
export function sha256Hex(data) {
  return require('node:crypto').createHash('sha256').update(data).digest('hex');
}

/** Default location of the release module, relative to this file. */
export const DEFAULT_WASM = fileURLToPath(new URL('../build/ipmon-flow.wasm', import.meta.url));

const NEWLINE = 0x0a;
let compiled = new Map();

/** Compiles (once per path) the Wasm module. */
export function compileModule(wasmPath = DEFAULT_WASM) {
  let mod = compiled.get(wasmPath);
  if (!mod) {
    let bytes;
    try {
      bytes = readFileSync(wasmPath);
    } catch (err) {
      throw new Error(`cannot read the Wasm module ${wasmPath} (run "npm run build" first): ${err.message}`);
    }
    mod = new WebAssembly.Module(bytes);
    compiled.set(wasmPath, mod);
  }
  return mod;
}

/**
 * Instantiates the module with the one import it has, WASI random_get (the hash keys of
 * assembly/flows/hash.ts, from randomFill), and runs its start-up (`_initialize`, which
 * WAMR calls by itself and Node does not).
 */
export function instantiate(mod) {
  let memory = null;
  const instance = new WebAssembly.Instance(mod, {
    wasi_snapshot_preview1: {
      random_get(ptr, len) {
        randomFill(new Uint8Array(memory.buffer, ptr, len));
        return 0;
      },
    },
  });
  memory = instance.exports.memory;
  instance.exports._initialize?.();
  return instance;
}

/** A configuration problem reported by the module (names the offending key). */
export class ConfigError extends Error {}

/**
 * One correlator instance. Feed it bytes with push(); it keeps a partial last line until the
 * next push or end(). Every method returns the NDJSON the call produced, as a Buffer.
 */
export class FlowEngine {
  /** Creates an engine; `config` is the module's JSON configuration (README "Configuration"). */
  /**
   * Creates an engine; `config` is the module's JSON configuration (README "Configuration").
   * `instantiate` (tests) replaces how an instance is made from the compiled module.
   */
  constructor(config = {}, { wasmPath, instantiate: make = instantiate } = {}) {
    this.#module = compileModule(wasmPath);
    this.#make = make;
    this.#config = Buffer.from(JSON.stringify(config));
    this.pending = null; // bytes of an unfinished last line
    this.#start();
  }

  #module;
  #make;
  #config;
  #lastOutLen = 0;
  /**
   * The state to go back to after a trap: a snapshot blob as its pieces deflated one by one
   * ({ parts, length }: length the blob's), null for a freshly configured one.
   */
  #checkpoint = null;
  /**
   * What changed the state since the checkpoint, to replay: ['p', bytes] | ['f', fd, position,
   * length, crc32] (input bytes still in a file) | ['a', µs] | ['s'] (a flush piece).
   */
  #journal = [];
  /** Where the journal's input bytes are kept: one buffer reused between checkpoints. */
  #arena = null;
  #arenaUsed = 0;
  /** Input bytes in the journal (kept or in files): what a recovery would process again. */
  #journalBytes = 0;
  /** close() of files released while the journal still reads them: called at the next checkpoint. */
  #held = [];
  /** Traps caught, instances started again, lines that trapped (forwarded as `trapped`). */
  trap = { traps: 0, restarts: 0, lines: 0 };

  /** A new instance, configured. */
  #start() {
    this.instance = this.#make(this.#module);
    this.x = this.instance.exports;
    const cfg = this.#config;
    const ptr = this.x.node_input(cfg.length);
    new Uint8Array(this.x.memory.buffer, ptr, cfg.length).set(cfg);
    const rc = this.#call(() => this.x.node_configure(cfg.length));
    if (rc < 0) {
      const msg = this.#output(this.x.out_len()).toString('utf8');
      throw new ConfigError(msg);
    }
  }

  /** Calls into the module; a trap becomes a ModuleTrap carrying the module's abort message. */
  #call(fn) {
    let r;
    try {
      r = fn();
    } catch (err) {
      let msg = err.message;
      try {
        const len = this.x.abort_message_len();
        if (len > 0) msg = Buffer.from(new Uint8Array(this.x.memory.buffer, this.x.abort_message_ptr(), len)).toString('latin1');
      } catch {
        // the instance is past reading: keep the engine's own message
      }
      throw new ModuleTrap(`ipmon-flow module trapped: ${msg}`);
    }
    this.#lastOutLen = r;
    return r;
  }

  /**
   * Runs a call that changes the engine's state. A trap does not end the host: the instance is
   * started again at the checkpoint with the journal replayed, and `retry` decides what
   * becomes of the input that trapped (its return value is the call's output).
   */
  #stateful(fn, entry, retry) {
    try {
      const out = fn();
      this.#note(entry);
      return out;
    } catch (err) {
      if (!(err instanceof ModuleTrap)) throw err;
      this.trap.traps++;
      process.emitWarning(`${err.message}; starting the module again from its last checkpoint`, 'IpmonFlowTrap');
      this.#rebuild();
      const out = retry(err);
      this.#checkpointNow();
      return out;
    }
  }

  #note(entry) {
    this.#journal.push(entry);
  }

  /**
   * A copy of input bytes for the journal, in the arena (no allocation per call). When the
   * arena is full the state is checkpointed first, so the journal starts again empty.
   */
  #keep(bytes) {
    if (this.#arenaUsed + bytes.length > CHECKPOINT_BYTES || this.#journalBytes + bytes.length > JOURNAL_BYTES) {
      // copied out first: the snapshot may grow memory, which detaches a view of it
      const out = Buffer.from(bytes);
      this.#checkpointNow();
      if (out.length > CHECKPOINT_BYTES) return out;
      bytes = out;
    }
    this.#arena ??= Buffer.allocUnsafe(CHECKPOINT_BYTES);
    const at = this.#arenaUsed;
    this.#arena.set(bytes, at);
    this.#arenaUsed += bytes.length;
    this.#journalBytes += bytes.length;
    return this.#arena.subarray(at, at + bytes.length);
  }

  /**
   * The journal entry of input bytes that are also in a file (`origin`: fd and position): where
   * they are and their CRC-32, not a copy. Checkpoints first when the journal is long enough.
   */
  #place(bytes, fd, position) {
    if (this.#journalBytes + bytes.length > JOURNAL_BYTES) this.#checkpointNow();
    this.#journalBytes += bytes.length;
    return ['f', fd, position, bytes.length, crc32(bytes)];
  }

  /** The bytes of a file entry read back, or a trap if the file no longer holds them. */
  #readBack([, fd, position, length, crc]) {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    for (let n; got < length; got += n) {
      n = readSync(fd, buf, got, length - got, position + got);
      if (n === 0) break;
    }
    if (got < length || crc32(buf) !== crc) throw new ModuleTrap(`ipmon-flow module trapped, and its input since the last checkpoint cannot be read again: the file changed at byte ${position}`);
    return buf;
  }

  #checkpointNow() {
    // Deflated piece by piece as the pieces come: a full table's snapshot held as it is was the
    // host's largest allocation (~9 MB at the default capacity, beside the table itself), and
    // level 1 takes about as long as the snapshot does (a SYN flood's table deflates ~16:1).
    // The checkpoint before stays until this one is whole: a trap midway leaves it, with the
    // journal, to recover from.
    const parts = [];
    let length = 0;
    for (const piece of this.#snapshotPieces()) {
      parts.push(deflateRawSync(piece, DEFLATE));
      length += piece.length;
    }
    this.#checkpoint = { parts, length };
    this.#journal = [];
    this.#arenaUsed = 0;
    this.#journalBytes = 0;
    for (const close of this.#held.splice(0)) close();
  }

  /**
   * The snapshot blob in pieces of about OUTPUT_PIECE bytes, each a view of linear memory valid
   * until the next is taken: written in one call, it grew the module's output buffer (and so
   * linear memory, which never shrinks) to the size of the table.
   */
  *#snapshotPieces() {
    do {
      const len = this.#call(() => this.x.node_snapshot_some(OUTPUT_PIECE));
      yield new Uint8Array(this.x.memory.buffer, this.x.out_ptr(), len);
    } while (this.x.node_snapshot_more() === 1);
  }

  /** A new instance at the checkpoint, the journal replayed; what it writes was written before. */
  #rebuild() {
    this.trap.restarts++;
    this.#start();
    if (this.#checkpoint) {
      const { parts, length } = this.#checkpoint;
      const ptr = this.x.node_input(length); // before any view: it may grow memory
      let at = 0;
      for (const part of parts) {
        const piece = inflateRawSync(part);
        new Uint8Array(this.x.memory.buffer, ptr + at, piece.length).set(piece);
        at += piece.length;
      }
      this.#call(() => this.x.node_restore(length));
    }
    for (const entry of this.#journal) {
      const [op, arg] = entry;
      if (op === 'p') this.#feedRaw(arg); // its records were written before
      else if (op === 'f') this.#feedRaw(this.#readBack(entry));
      else if (op === 'a') this.#call(() => this.x.node_advance(BigInt(arg)));
      else this.#call(() => this.x.node_flush_some(OUTPUT_PIECE));
    }
  }

  /** Processes whole lines; returns the length of their output, left in linear memory. */
  #feedRaw(bytes) {
    const ptr = this.x.node_input(bytes.length);
    new Uint8Array(this.x.memory.buffer, ptr, bytes.length).set(bytes);
    return this.#call(() => this.x.node_process(bytes.length));
  }

  #processRaw(bytes, reuse = false) {
    return this.#outputAs(this.#feedRaw(bytes), reuse);
  }

  /**
   * The lines of a batch that trapped, one by one: each that traps again is forwarded as a
   * `trapped` record (and the instance started again without it); the rest count as usual.
   */
  #linesAfterTrap(bytes) {
    const out = [];
    for (let start = 0; start < bytes.length;) {
      const nl = bytes.indexOf(NEWLINE, start);
      const end = nl < 0 ? bytes.length : nl + 1;
      const line = Buffer.from(bytes.subarray(start, end));
      start = end;
      try {
        out.push(this.#processRaw(line));
        this.#journal.push(['p', line]);
      } catch (err) {
        if (!(err instanceof ModuleTrap)) throw err;
        this.trap.traps++;
        this.trap.lines++;
        out.push(trappedRecord(line, err.message, this.clock()));
        this.#rebuild();
      }
    }
    return Buffer.concat(out);
  }

  #output(len) {
    if (len <= 0) return EMPTY;
    // copy: the module reuses its output buffer on the next call
    return Buffer.from(new Uint8Array(this.x.memory.buffer, this.x.out_ptr(), len));
  }

  /**
   * The output of the last call where the module wrote it, no copy: valid until the next call
   * into the module. A fresh Buffer per piece left garbage that V8 collects late, tens of MB
   * under a flood; a copy into one reused buffer cost that buffer (~1 MB resident) and a copy
   * of every output byte.
   */
  #outputReused(len) {
    if (len <= 0) return EMPTY;
    return Buffer.from(this.x.memory.buffer, this.x.out_ptr(), len);
  }

  /** The output of the last call: a fresh Buffer, or with `reuse` a view of linear memory. */
  #outputAs(len, reuse) {
    return reuse ? this.#outputReused(len) : this.#output(len);
  }

  /** Copies bytes into the module's input buffer and processes them as whole lines. */
  #process(bytes, reuse = false, origin = null, at = 0) {
    if (bytes.length === 0) return EMPTY;
    const entry = origin && crc32 ? this.#place(bytes, origin.fd, origin.position + at) : ['p', this.#keep(bytes)];
    const copy = entry[0] === 'p' ? entry[1] : bytes;
    return this.#stateful(() => this.#processRaw(copy, reuse), entry, () => this.#linesAfterTrap(copy));
  }

  /** Feeds log bytes (Buffer, Uint8Array or string); returns the NDJSON of the records that became due. */
  push(chunk) {
    return concat(this.pushPieces(chunk));
  }

  /**
   * Feeds log bytes like push(), yielding the NDJSON in pieces: the whole lines go to the module
   * INPUT_PIECE bytes at a time, so what one call writes stays small (a SYN flood writes a
   * record of ~1 KB for every line of ~100 bytes) and a caller that writes each piece before
   * taking the next keeps memory flat. Iterate it to the end: lines are processed as it goes.
   * With `reuse`, every piece is a view of the module's output buffer, which the next piece
   * overwrites (no copy, nothing left for the garbage collector): for a caller that is done
   * with a piece before it takes the next.
   * With `origin` ({ fd, position }), the chunk is what the regular file open as fd holds at
   * that position: the journal notes where, not a copy (a recovery reads the bytes again and
   * checks them), so fd must stay open until given to release().
   */
  *pushPieces(chunk, { reuse = false, origin = null } = {}) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const cut = bytes.lastIndexOf(NEWLINE);
    if (cut < 0) {
      this.pending = this.pending ? Buffer.concat([this.pending, bytes]) : Buffer.from(bytes);
      return;
    }
    const tail = cut + 1 < bytes.length ? Buffer.from(bytes.subarray(cut + 1)) : null;
    let start = 0;
    if (this.pending) {
      // the unfinished line from last time, completed by this chunk's first line
      const nl = bytes.indexOf(NEWLINE);
      const first = Buffer.concat([this.pending, bytes.subarray(0, nl + 1)]);
      this.pending = null;
      start = nl + 1;
      yield this.#process(first, reuse);
    }
    while (start <= cut) {
      let end = cut + 1;
      if (end - start > INPUT_PIECE) {
        const nl = bytes.lastIndexOf(NEWLINE, start + INPUT_PIECE - 1);
        end = nl >= start ? nl + 1 : bytes.indexOf(NEWLINE, start + INPUT_PIECE) + 1; // one long line
      }
      const out = this.#process(bytes.subarray(start, end), reuse, origin, start);
      start = end;
      yield out;
    }
    this.pending = tail;
  }

  /** Tells the engine that event time is now `us` (µs since the epoch); reports expired flows. */
  advance(us) {
    const t = Math.floor(us);
    return this.#stateful(() => this.#output(this.#call(() => this.x.node_advance(BigInt(t)))), ['a', t], () => EMPTY);
  }

  /** Processes an unfinished last line, if any; returns its records. */
  drain() {
    if (!this.pending) return EMPTY;
    const last = this.pending;
    this.pending = null;
    return this.#process(last);
  }

  /** Reports every open flow with end reason forced_end. */
  flush() {
    return concat(this.flushPieces());
  }

  /**
   * Reports every open flow with end reason forced_end, yielding the NDJSON in pieces of about
   * OUTPUT_PIECE bytes; `reuse` as for pushPieces().
   */
  *flushPieces({ reuse = false } = {}) {
    do {
      yield this.#stateful(() => this.#outputAs(this.#call(() => this.x.node_flush_some(OUTPUT_PIECE)), reuse), ['s'], () => EMPTY);
    } while (this.x.node_flush_more() === 1);
  }

  /** The engine clock: latest event time seen, in µs since the epoch (0 before any dated line). */
  clock() {
    return Number(this.x.node_clock());
  }

  /** One stats record. */
  stats() {
    const out = this.#output(this.#call(() => this.x.node_stats()));
    if (this.trap.traps === 0) return out;
    // the host's own part of the accounting: lines that trapped are read, and forwarded
    const rec = JSON.parse(out.toString('utf8'));
    const s = rec.ipmon.stats;
    s.lines_read += this.trap.lines;
    s.trapped_lines = this.trap.lines;
    s.module_traps = this.trap.traps;
    s.module_restarts = this.trap.restarts;
    return Buffer.from(`${JSON.stringify(rec)}\n`);
  }

  /** End of input: the unfinished line, every open flow (forced_end), then the stats record. */
  end() {
    return Buffer.concat([this.drain(), this.flush(), this.stats()]);
  }

  /**
   * The whole engine state (flows, clock, counters, names) as a versioned binary blob. The
   * unfinished last line is not part of it: hosts keep their own input position.
   */
  snapshot() {
    const parts = [];
    for (const piece of this.#snapshotPieces()) parts.push(Buffer.from(piece)); // copied before the next overwrites it
    return Buffer.concat(parts);
  }

  /**
   * Loads a blob from snapshot() into this (fresh) engine. Returns the NDJSON of flows that no
   * longer fit the table (usually empty); throws an Error naming the problem for a corrupt,
   * truncated or foreign blob, leaving the engine unchanged.
   */
  restore(blob) {
    const ptr = this.x.node_input(blob.length);
    new Uint8Array(this.x.memory.buffer, ptr, blob.length).set(blob);
    const rc = this.#call(() => this.x.node_restore(blob.length));
    if (rc < 0) throw new Error(`cannot restore state: ${this.#output(this.x.out_len()).toString('utf8')}`);
    const out = this.#output(rc);
    this.#checkpointNow();
    return out;
  }

  /**
   * The caller is done reading fd (an `origin` of pushPieces): `close` is called once no
   * recovery can need the file, now or at a later checkpoint (after MAX_HELD such files, at once).
   */
  release(fd, close) {
    if (!this.#journal.some((e) => e[0] === 'f' && e[1] === fd)) return close();
    this.#held.push(close);
    if (this.#held.length >= MAX_HELD) this.#checkpointNow();
  }

  /** Takes a checkpoint now: the journal starts again empty, and released files are closed. */
  checkpoint() {
    this.#checkpointNow();
  }

  /** Bytes of linear memory in use by the instance. */
  memoryBytes() {
    return this.x.memory.buffer.byteLength;
  }
}

const EMPTY = Buffer.alloc(0);
const { deflateRawSync, inflateRawSync } = zlib;
/** CRC-32 of file input noted in the journal (Node 20.15 on; before it, input is copied). */
const crc32 = zlib.crc32;
/** Checkpoints: the fastest level, which still takes a full table's snapshot to about a tenth. */
const DEFLATE = { level: 1 };

/**
 * Input bytes per module call, and output bytes per flush call: what one call writes, and so
 * the module's output buffer (linear memory never shrinks), stays near a megabyte even when
 * every line ends a flow.
 */
const INPUT_PIECE = 64 << 10;
const OUTPUT_PIECE = 256 << 10;

function concat(pieces) {
  const parts = [...pieces];
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/**
 * Input kept for replay after a trap before a checkpoint (a snapshot) is taken: the bound on
 * what the journal holds, and on the work a recovery repeats.
 */
const CHECKPOINT_BYTES = 8 << 20;
/**
 * Input in the journal, kept or in files, before a checkpoint: the bound on the work a recovery
 * repeats (~0.2 s). Larger than the arena, since file input costs the journal no memory: fewer
 * checkpoints of a full table (each ~45 ms, and its deflated copy garbage that V8 collects late).
 */
const JOURNAL_BYTES = 32 << 20;
/** Files released while the journal still reads them, held open until a checkpoint. */
const MAX_HELD = 16;

/** A trap inside the module (out of bounds, unreachable, stack overflow). */
export class ModuleTrap extends Error {}

/** Forwarded record for a line the module trapped on twice (README "Trapped lines"). */
function trappedRecord(line, why, clockUs) {
  let text = line.toString('utf8');
  if (text.endsWith('\n')) text = text.slice(0, -1);
  if (text.endsWith('\r')) text = text.slice(0, -1);
  const rec = {
    ...(clockUs > 0 ? { '@timestamp': new Date(Math.floor(clockUs / 1000)).toISOString().replace('Z', `${String(clockUs % 1000).padStart(3, '0')}Z`) } : {}),
    ecs: { version: '8.17.0' },
    event: {
      kind: 'pipeline_error', module: 'ipmon', dataset: 'ipmon.trapped',
      id: sha256Hex(line).slice(0, 16),
    },
    message: text.length > 65536 ? text.slice(0, 65536) : text,
    error: { type: 'module_trap', message: why },
    ipmon: { record_type: 'trapped', reason: why },
  };
  return Buffer.from(`${JSON.stringify(rec)}\n`);
}

/** Parses NDJSON bytes into objects. */
export function parseNdjson(buf) {
  const out = [];
  const text = buf.toString('utf8');
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    if (nl > start) out.push(JSON.parse(text.slice(start, nl)));
    start = nl + 1;
  }
  return out;
}
