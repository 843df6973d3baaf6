// The Node host for the ipmon-flow module: loads build/ipmon-flow.wasm and speaks its raw
// pointer/length ABI (assembly/hosts/node.ts). Many lines go in per call; NDJSON comes out.

import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
 * assembly/flows/hash.ts, from node:crypto), and runs its start-up (`_initialize`, which
 * WAMR calls by itself and Node does not).
 */
export function instantiate(mod) {
  let memory = null;
  const instance = new WebAssembly.Instance(mod, {
    wasi_snapshot_preview1: {
      random_get(ptr, len) {
        randomFillSync(new Uint8Array(memory.buffer, ptr, len));
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
  constructor(config = {}, { wasmPath } = {}) {
    this.instance = instantiate(compileModule(wasmPath));
    this.x = this.instance.exports;
    this.pending = null; // bytes of an unfinished last line
    const cfg = Buffer.from(JSON.stringify(config));
    const ptr = this.x.node_input(cfg.length);
    new Uint8Array(this.x.memory.buffer, ptr, cfg.length).set(cfg);
    const rc = this.#call(() => this.x.node_configure(cfg.length));
    if (rc < 0) {
      const msg = this.#output(this.x.out_len()).toString('utf8');
      throw new ConfigError(msg);
    }
  }

  #lastOutLen = 0;

  /** Calls into the module; a trap becomes an Error carrying the module's abort message. */
  #call(fn) {
    let r;
    try {
      r = fn();
    } catch (err) {
      const len = this.x.abort_message_len();
      const msg = len > 0
        ? Buffer.from(new Uint8Array(this.x.memory.buffer, this.x.abort_message_ptr(), len)).toString('latin1')
        : err.message;
      throw new Error(`ipmon-flow module trapped: ${msg}`);
    }
    this.#lastOutLen = r;
    return r;
  }

  #output(len) {
    if (len <= 0) return EMPTY;
    // copy: the module reuses its output buffer on the next call
    return Buffer.from(new Uint8Array(this.x.memory.buffer, this.x.out_ptr(), len));
  }

  /** Copies bytes into the module's input buffer and processes them as whole lines. */
  #process(bytes) {
    if (bytes.length === 0) return EMPTY;
    const ptr = this.x.node_input(bytes.length);
    new Uint8Array(this.x.memory.buffer, ptr, bytes.length).set(bytes);
    return this.#output(this.#call(() => this.x.node_process(bytes.length)));
  }

  /**
   * Reserves room for n bytes in the module's input buffer and returns a view to fill, so a
   * reader can read straight into Wasm memory (no copy). Follow with processFilled(n).
   */
  inputView(n) {
    const ptr = this.x.node_input(n);
    return new Uint8Array(this.x.memory.buffer, ptr, n);
  }

  /** Processes the first n bytes written into inputView(): whole lines only (see push). */
  processFilled(n) {
    return this.#output(this.#call(() => this.x.node_process(n)));
  }

  /** Feeds log bytes (Buffer, Uint8Array or string); returns the NDJSON of the records that became due. */
  push(chunk) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const cut = bytes.lastIndexOf(NEWLINE);
    if (cut < 0) {
      this.pending = this.pending ? Buffer.concat([this.pending, bytes]) : Buffer.from(bytes);
      return EMPTY;
    }
    // The unfinished line from last time and the whole lines of this chunk go straight into
    // the module's input buffer: one copy, no concatenation.
    const head = this.pending ? this.pending.length : 0;
    const n = head + cut + 1;
    const view = this.inputView(n);
    if (head) view.set(this.pending, 0);
    view.set(bytes.subarray(0, cut + 1), head);
    this.pending = cut + 1 < bytes.length ? Buffer.from(bytes.subarray(cut + 1)) : null;
    return this.processFilled(n);
  }

  /** Tells the engine that event time is now `us` (µs since the epoch); reports expired flows. */
  advance(us) {
    return this.#output(this.#call(() => this.x.node_advance(BigInt(Math.floor(us)))));
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
    return this.#output(this.#call(() => this.x.node_flush()));
  }

  /** The engine clock: latest event time seen, in µs since the epoch (0 before any dated line). */
  clock() {
    return Number(this.x.node_clock());
  }

  /** One stats record. */
  stats() {
    return this.#output(this.#call(() => this.x.node_stats()));
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
    return this.#output(this.#call(() => this.x.node_snapshot()));
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
    return this.#output(rc);
  }

  /** Bytes of linear memory in use by the instance. */
  memoryBytes() {
    return this.x.memory.buffer.byteLength;
  }
}

const EMPTY = Buffer.alloc(0);

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
