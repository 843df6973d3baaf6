// Live input: tail a log (--follow) or receive it from the network (--listen) into the engine,
// keep flows expiring on time while the input is quiet, checkpoint to the --state file, and
// shut down cleanly. One loop (LiveRun) serves both; an input adapter (FileInput, ListenInput)
// supplies the bytes and what a checkpoint records about where they came from.
//
// Quiet logs: the engine only knows event time, which moves with the lines. While no line
// arrives, the host lets event time run on with the wall clock from the last line, less a lag
// allowance for logs written a little late, so a conversation that ended is reported within its
// timeout. Checkpoints: the engine snapshot and the offset of the next unread whole line are
// taken together, and the file is written only after every record emitted before it has been
// delivered (sink barrier), so a restart neither loses a flow nor counts a line twice. Records
// re-emitted by a replay after a crash carry the same event.id as before.

import { resolve } from 'node:path';
import { locateCheckpointFile, StreamReader, TailReader } from './follow.mjs';
import { readStateFile, writeStateFile, STATE_VERSION } from './state.mjs';
import { ListenInput } from './listen-input.mjs';

export { Stopper } from './stopper.mjs';

const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);
/** A "line" longer than this without a newline is cut, so memory stays bounded. */
const MAX_LINE = 1 << 16;

/** The engine's event clock in µs, or null before the first timed line. */
export function clockUs(engine) {
  const c = engine.clock();
  return c > 0 ? c : null;
}

/**
 * Runs follow mode until stop.requested (or the end of a followed stream); returns when the open flows have been emitted and
 * delivered. Options: path, makeEngine(), sink, statePath, fromStart, stats (write the stats
 * record at the end), pollMs, sweepMs, lagUs, checkpointMs, warn(msg), stop ({ requested,
 * sleep(ms) }), configDigest (to notice a changed configuration across restarts).
 */
export async function runFollow(opts) {
  await runLive({ ...opts, input: new FileInput(opts) });
}

/**
 * Runs on a started Listener (host/listen.mjs) until stop.requested: the same options as
 * runFollow, with `listener` instead of path/stream/fromStart. With statePath, checkpoints keep
 * the engine (open flows, clock, counters) across restarts; there is no read position, so what
 * was in flight on the network at a stop is the senders' to resend.
 */
export async function runListen(opts) {
  await runLive({ ...opts, input: new ListenInput(opts.listener, opts.warn) });
}

async function runLive(opts) {
  const run = new LiveRun(opts);
  await run.start();
  await run.loop();
  await run.finish();
}

/**
 * A followed file or stream. The reader (TailReader, StreamReader) hands out raw bytes; this
 * adds where reading starts or resumes, and what a checkpoint records about the position.
 */
class FileInput {
  constructor(o) {
    this.o = o;
    this.warn = o.warn;
    this.reader = o.stream ? new StreamReader(o.stream) : new TailReader(o.path, { warn: this.warn });
    // recorded in checkpoints absolute, so a restart from another directory is not mistaken
    // for another log
    this.logPath = o.stream ? null : resolve(o.path);
  }

  get busy() {
    return this.reader.busy;
  }

  next() {
    return this.reader.next();
  }

  arrival() {
    return this.reader.arrival?.();
  }

  close() {
    this.reader.close();
  }

  /** No usable checkpoint: start at the end of the file (or its start with --from-start). */
  startFresh() {
    if (!this.o.stream) this.reader.start(this.o.fromStart ? 'start' : 'end');
  }

  /** Whether a checkpoint may be resumed here (see #belongsHere); warns when not. */
  accepts(meta) {
    return this.o.stream ? true : this.#belongsHere(meta);
  }

  /** Continues at the checkpointed position. */
  resume(meta, pending) {
    if (meta.input) {
      const i = meta.input;
      const notes = this.reader.resume({
        ident: { dev: i.dev, ino: i.ino }, path: i.path, headLen: i.head_len, headHash: i.head_sha256 ?? null, offset: i.offset, pending,
      });
      for (const n of notes) this.warn(n);
    } else {
      // the file did not exist at the checkpoint: when it appears, all of it is new
      this.reader.start('start');
    }
  }

  /** The checkpoint's record of the input: the file and the offset of the next unread whole line. */
  position(partialLen) {
    const ident = this.reader.ident;
    const input = ident
      ? {
        path: this.logPath, dev: ident.dev, ino: ident.ino, offset: this.reader.pos - partialLen,
        head_len: this.reader.headLen, head_sha256: this.reader.headHash,
      }
      : null;
    return { log_path: this.logPath, input };
  }

  /**
   * Whether a state file was written for the log followed now. The same path always is
   * (rotation, truncation or replacement while stopped are TailReader.resume()'s business).
   * Another path is the same log only when the checkpointed file is found there or next to it,
   * as after a rotation (same inode, or a copytruncate copy by its first bytes). Otherwise the
   * state belongs to another log, and resuming it would carry that log's open flows and
   * counters into this one: a warning naming that log, and a fresh start.
   */
  #belongsHere(meta) {
    const i = meta.input;
    if (meta.listen) {
      this.warn(`state file ${this.o.statePath} belongs to a network listener (${meta.listen.join(' ')}), not to a followed log; `
        + `ignoring it and starting fresh (from now on it records ${this.o.path})`);
      return false;
    }
    const was = meta.log_path ?? i?.path ?? null;
    if (was === null) return true; // nothing recorded to compare with
    if (resolve(was) === this.logPath) return true;
    const sp = this.o.statePath;
    const found = i && locateCheckpointFile(this.o.path, {
      ident: { dev: i.dev, ino: i.ino }, headLen: i.head_len, headHash: i.head_sha256 ?? null, offset: i.offset,
    });
    if (found) {
      const how = found.how === 'same file' ? `${this.o.path} is that file` : `that file is next to ${this.o.path}, rotated (${found.path})`;
      this.warn(`state file ${sp} was written while following ${was}; ${how}; resuming`);
      return true;
    }
    const what = i ? `${was} (inode ${i.ino}), which is neither ${this.o.path} nor a rotated file next to it`
      : `${was}, which did not exist at the checkpoint`;
    this.warn(`state file ${sp} belongs to another log: it was written while following ${what}; `
      + `ignoring it and starting fresh (from now on it records ${this.o.path})`);
    return false;
  }
}

class LiveRun {
  constructor(o) {
    this.o = { pollMs: 250, sweepMs: 1000, lagUs: 2_000_000, checkpointMs: 5000, ...o };
    this.warn = o.warn;
    this.sink = o.sink;
    this.engine = o.makeEngine();
    this.input = o.input;
    this.partial = EMPTY; // bytes after the last newline handed to the engine
    this.baseUs = null; // event clock after the last line
    this.baseWall = null; // wall clock (ms) when that line was read
    this.advancedUs = null; // last time given to advance()
    this.lastSweep = 0;
    this.lastCheckpoint = 0;
    this.dirty = false;
  }

  async start() {
    const { statePath } = this.o;
    let resumed = false;
    if (statePath) {
      const r = readStateFile(statePath);
      if (r.state) resumed = this.#resume(r.state);
      else if (r.problem) this.warn(`state file ${statePath} is unusable (${r.problem}); starting fresh`);
    }
    if (!resumed) this.input.startFresh();
    if (this.restored?.length) await this.#emit(this.restored);
    // Write one right away: an unwritable state path fails now, not hours later.
    if (statePath) await this.checkpoint();
  }

  #resume(state) {
    const { meta, blob, pending } = state;
    if (!this.input.accepts(meta, this.o.statePath)) return false;
    try {
      // flows that no longer fit a smaller --capacity come back as records
      this.restored = this.engine.restore(blob);
    } catch (err) {
      this.warn(`state file ${this.o.statePath} is unusable (${err.message}); starting fresh`);
      this.engine = this.o.makeEngine();
      return false;
    }
    if (this.o.configDigest && meta.config_sha256 && meta.config_sha256 !== this.o.configDigest) {
      this.warn('the configuration changed since the checkpoint; open flows continue under the new settings');
    }
    this.input.resume(meta, pending);
    // Until a new line arrives, quiet time counts from the last line before the stop. The
    // saved base is the clock of that line, not the engine clock, which sweeps moved on since.
    this.baseUs = meta.clock.event_us !== null ? Number(meta.clock.event_us) : clockUs(this.engine);
    this.baseWall = meta.clock.wall_ms ?? Date.now();
    return true;
  }

  async loop() {
    const { stop } = this.o;
    for (;;) {
      if (stop.requested) return this.#drainAfterStop();
      const ev = this.input.next();
      if (ev) {
        if (await this.#handle(ev)) return;
        if (Date.now() - this.lastCheckpoint >= this.o.checkpointMs) await this.checkpoint();
        continue;
      }
      await this.#sweep();
      if (this.dirty && Date.now() - this.lastCheckpoint >= this.o.checkpointMs) await this.checkpoint();
      await stop.sleep(this.o.pollMs, this.input.arrival());
    }
  }

  /**
   * After a stop request, reads what the file holds by now (lines written before the signal are
   * reported, not left behind), or what the listener has received and queued, within a few
   * seconds so a huge backlog cannot stall the exit.
   */
  async #drainAfterStop() {
    await this.input.stopReceiving?.();
    // a listener's queue is bounded (--listen-buffer): it is always processed to its end
    const until = this.input.drainsAll ? Infinity : Date.now() + 5000;
    while (Date.now() < until) {
      const ev = this.input.next();
      if (!ev || (await this.#handle(ev))) return;
    }
  }

  /** Applies one reader result; true at the end of a followed stream. */
  async #handle(ev) {
    this.dirty = true;
    if (ev.type === 'data') await this.#feed(ev.buf);
    else if (ev.type === 'records') await this.#emit(ev.buf); // the input's own (ipmon.rejected)
    else if (ev.type === 'rotated') await this.#finishPartial();
    else if (ev.type === 'reset') this.#dropPartial(ev.reason);
    else if (ev.type === 'end') {
      // end of a followed stream: like a file's end, the last line counts even without \n
      await this.#finishPartial();
      if (ev.error) this.warn(`error reading stdin: ${ev.error.code || ev.error.message}`);
      return true;
    }
    return false;
  }

  async #feed(buf) {
    const bytes = this.partial.length ? Buffer.concat([this.partial, buf]) : buf;
    const cut = bytes.lastIndexOf(NEWLINE);
    if (cut < 0) {
      this.partial = Buffer.from(bytes);
      if (this.partial.length > MAX_LINE) {
        this.warn(`a line longer than ${MAX_LINE} bytes was cut`);
        await this.#finishPartial();
      }
      return;
    }
    // copy: `bytes` may be a view of a reused read buffer
    this.partial = cut + 1 < bytes.length ? Buffer.from(bytes.subarray(cut + 1)) : EMPTY;
    // reused pieces: the sink is done with each before the next (no garbage per piece)
    for (const piece of this.engine.pushPieces(bytes.subarray(0, cut + 1), { reuse: true })) await this.#emit(piece);
    this.#noteLine();
  }

  #noteLine() {
    this.baseUs = clockUs(this.engine);
    this.baseWall = Date.now();
    this.advancedUs = null;
  }

  /** The old file is finished: its unterminated last line is as complete as it will get. */
  async #finishPartial() {
    if (this.partial.length === 0) return;
    const line = Buffer.concat([this.partial, Buffer.from('\n')]);
    this.partial = EMPTY;
    await this.#emit(this.engine.push(line));
    this.#noteLine();
  }

  #dropPartial(reason) {
    if (this.partial.length === 0) return;
    this.warn(`dropped an unfinished line of ${this.partial.length} bytes (the file was ${reason})`);
    this.partial = EMPTY;
  }

  async #emit(out) {
    if (out.length) await this.sink.write(out);
  }

  /** Lets event time run on with the wall clock while the log is quiet. */
  async #sweep() {
    const now = Date.now();
    if (this.baseUs === null || now - this.lastSweep < this.o.sweepMs) return;
    this.lastSweep = now;
    const target = this.baseUs + (now - this.baseWall) * 1000 - this.o.lagUs;
    if (target <= (this.advancedUs ?? this.baseUs)) return;
    this.advancedUs = target;
    const out = this.engine.advance(target);
    if (out.length) {
      this.dirty = true;
      await this.sink.write(out);
    }
  }

  /**
   * Writes the state file: engine snapshot and input position taken together, written once
   * everything emitted before them has been delivered.
   */
  async checkpoint() {
    if (!this.o.statePath || this.input.busy) return;
    const meta = {
      format: STATE_VERSION,
      written_at: new Date().toISOString(),
      ...this.input.position(this.partial.length),
      clock: { event_us: this.baseUs === null ? null : String(this.baseUs), wall_ms: this.baseWall },
      config_sha256: this.o.configDigest ?? null,
    };
    const blob = this.engine.snapshot();
    const pending = this.partial;
    await this.sink.barrier();
    try {
      writeStateFile(this.o.statePath, { meta, pending, blob });
    } catch (err) {
      const msg = `cannot write the state file ${this.o.statePath}: ${err.code || err.message}`;
      // at start-up this is a set-up mistake; later (disk full) the old checkpoint stays valid,
      // and a restart merely replays a little more (same event.id: no duplicates downstream)
      if (this.lastCheckpoint === 0) throw new Error(msg);
      if (msg !== this.lastWriteError) this.warn(`${msg}; will retry`);
      this.lastWriteError = msg;
      this.lastCheckpoint = Date.now();
      return;
    }
    if (this.lastWriteError) this.warn(`state file ${this.o.statePath} written again`);
    this.lastWriteError = null;
    this.dirty = false;
    this.lastCheckpoint = Date.now();
  }

  /** Checkpoints (open flows included, so a restart continues them), then emits them all. */
  async finish() {
    if (this.partial.length && !this.o.statePath) {
      this.warn(`ignored an unfinished last line of ${this.partial.length} bytes`);
    }
    if (this.o.statePath) await this.checkpoint();
    this.input.close();
    for (const piece of this.engine.flushPieces({ reuse: true })) await this.#emit(piece);
    if (this.o.stats) {
      const stats = this.engine.stats();
      await this.#emit(this.input.decorateStats ? this.input.decorateStats(stats) : stats);
    }
    await this.sink.close();
  }
}
