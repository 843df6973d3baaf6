// tail -F for one log file, by polling (fs.watch misses renames on some file systems and
// fires storms on busy logs). The reader hands out raw bytes; the caller cuts lines.
//
// Rotation by rename: when the name points to a new file, the old one is read to its end, and
// only left once the new one has data (a writer switches files only after finishing the old
// one, so nothing written late to the old file is lost). Truncation (copytruncate, `> log`):
// what was copied out after our last read is picked up from the copy when it sits next to the
// log, then reading starts again at 0. A file replaced in place is noticed by a hash of its
// first bytes.

import { closeSync, fstatSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** How many leading bytes of the file identify its content (hashed; see headOf). */
export const HEAD_BYTES = 1024;

const NEWLINE = 0x0a;
const SCAN_BACK = 1 << 16;

/** Device and inode of a file as decimal strings (bigint stats: inodes can exceed 2^53). */
export function identityOf(st) {
  return { dev: String(st.dev), ino: String(st.ino) };
}

function sameIdentity(a, b) {
  return !!a && !!b && a.dev === b.dev && a.ino === b.ino;
}

function readAt(fd, len, pos) {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === len ? buf : buf.subarray(0, got);
}

/** Hash of the first `len` bytes of an open file, or null when the file is shorter. */
export function headOf(fd, len) {
  const buf = readAt(fd, len, 0);
  if (buf.length < len) return null;
  return createHash('sha256').update(buf).digest('hex');
}

/**
 * Looks next to `path` for the file that used to be it: same device and inode (renamed by
 * rotation), else same leading bytes (a copytruncate copy). Only plain, uncompressed files whose
 * name starts with the log's name are considered, so nothing unrelated is opened. Returns
 * { path, st } or null.
 */
export function findRotatedFile(path, { ident, headLen, headHash }, minSize = 0) {
  let names;
  try {
    names = readdirSync(dirname(path));
  } catch {
    return null;
  }
  const base = basename(path);
  const candidates = names.filter((n) => n !== base && n.startsWith(base) && !/\.(gz|bz2|xz|zst|z)$/i.test(n)).sort();
  let byHead = null;
  for (const name of candidates) {
    const p = join(dirname(path), name);
    let st;
    try {
      st = statSync(p, { bigint: true });
    } catch {
      continue;
    }
    if (!st.isFile() || Number(st.size) < minSize) continue;
    if (ident && sameIdentity(identityOf(st), ident)) return { path: p, st };
    if (!byHead && headHash && headLen > 0) {
      let fd;
      try {
        fd = openSync(p, 'r');
        if (headOf(fd, headLen) === headHash) byHead = { path: p, st };
      } catch {
        // unreadable: not ours
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
  }
  return byHead;
}

/**
 * Whether `path` is the log a checkpoint was taken on, as far as the files show: the file itself
 * (same device and inode), or, after a rotation, the old file next to it (renamed: same inode;
 * a copytruncate copy: same leading bytes), at least as long as the checkpointed offset. These
 * are the places TailReader.resume() looks. Returns { path, how: 'same file' | 'rotated' } or
 * null (the checkpoint belongs to another log, or its file is gone).
 */
export function locateCheckpointFile(path, { ident, headLen, headHash, offset }) {
  try {
    if (sameIdentity(identityOf(statSync(path, { bigint: true })), ident)) return { path, how: 'same file' };
  } catch {
    // not there (yet): only a file next to it can be the old one
  }
  const old = findRotatedFile(path, { ident, headLen, headHash }, offset);
  return old ? { path: old.path, how: 'rotated' } : null;
}

/**
 * Follows one file by name. next() returns, without blocking:
 *   { type: 'data', buf }        new bytes
 *   { type: 'rotated' }          the old file is finished (its last line is complete); the
 *                                following data comes from the new file
 *   { type: 'reset', reason }    the file was truncated or replaced: the next data starts at 0
 *   null                         nothing new (poll again later)
 */
export class TailReader {
  /** `warn(msg)` reports conditions worth a line on stderr. */
  constructor(path, { chunkBytes = 1 << 20, warn = () => {} } = {}) {
    this.path = path;
    this.chunkBytes = chunkBytes;
    this.warn = warn;
    this.fd = null;
    this.ident = null;
    this.pos = 0; // next byte to read from fd
    this.headLen = 0;
    this.headHash = null;
    this.fdPath = path; // where fd was opened (a rotated copy while finishing it)
    this.startAt = 'end';
    this.waitingSaid = false;
    this.queue = []; // results to hand out before reading on (recovered copy tails)
  }

  /** Where reading starts when the file is opened: 'start' or 'end' (after the last whole line). */
  start(where) {
    this.startAt = where;
    this.#tryOpen();
  }

  /**
   * Resumes at a checkpointed position: { ident, headLen, headHash, offset, pending }. Returns a
   * list of warnings (empty when the position was found exactly as it was left).
   */
  resume(pos) {
    const notes = [];
    let st = null;
    try {
      st = statSync(this.path, { bigint: true });
    } catch {
      // gone for now: look for the rotated file below
    }
    const matches = (fd, size) => size >= pos.offset + pos.pending.length
      && (pos.headLen === 0 || headOf(fd, pos.headLen) === pos.headHash)
      && readAt(fd, pos.pending.length, pos.offset).equals(pos.pending);
    if (st && sameIdentity(identityOf(st), pos.ident)) {
      const fd = openSync(this.path, 'r');
      if (matches(fd, Number(st.size))) return this.#adopt(fd, this.path, st, pos.offset), notes;
      closeSync(fd);
      const copy = findRotatedFile(this.path, { headLen: pos.headLen, headHash: pos.headHash }, pos.offset);
      if (copy && this.#recoverCopyTail(copy.path, pos.offset)) {
        notes.push(`${this.path} was truncated while stopped; reading the rest from its copy ${copy.path}`);
      } else {
        notes.push(`${this.path} was truncated or replaced while stopped; lines written after the checkpoint and before that are lost`);
      }
      this.startAt = 'start';
      this.#tryOpen();
      return notes;
    }
    const old = findRotatedFile(this.path, pos, pos.offset);
    if (old) {
      const fd = openSync(old.path, 'r');
      if (matches(fd, Number(old.st.size))) {
        notes.push(`${this.path} was rotated while stopped; finishing ${old.path} first`);
        this.#adopt(fd, old.path, old.st, pos.offset);
        return notes;
      }
      closeSync(fd);
    }
    notes.push(`the file followed before the restart (${pos.path ?? this.path}, inode ${pos.ident.ino}) is gone; lines written to it after the checkpoint are lost; starting ${this.path} from its beginning`);
    this.startAt = 'start';
    this.#tryOpen();
    return notes;
  }

  /** True while recovered bytes of another file are being handed out: no position to save. */
  get busy() {
    return this.queue.length > 0;
  }

  #adopt(fd, path, st, pos) {
    this.fd = fd;
    this.fdPath = path;
    this.ident = identityOf(st);
    this.pos = pos;
    this.#captureHead(Number(st.size));
  }

  #captureHead(size) {
    this.headLen = Math.min(size, HEAD_BYTES);
    this.headHash = this.headLen > 0 ? headOf(this.fd, this.headLen) : null;
  }

  #tryOpen() {
    let fd;
    try {
      fd = openSync(this.path, 'r');
    } catch (err) {
      if (!this.waitingSaid) this.warn(`waiting for ${this.path} to appear (${err.code || err.message})`);
      this.waitingSaid = true;
      this.startAt = 'start'; // whatever it holds when it appears was written after we started
      return false;
    }
    const st = fstatSync(fd, { bigint: true });
    if (this.waitingSaid) this.warn(`${this.path} appeared`);
    this.waitingSaid = false;
    let pos = 0;
    if (this.startAt === 'end') pos = lastLineStart(fd, Number(st.size));
    this.startAt = 'start'; // a file that appears later, or replaces this one, is read whole
    this.#adopt(fd, this.path, st, pos);
    return true;
  }

  /**
   * Queues the bytes of a copytruncate copy from `from` on, then the end of that file (its last
   * line is complete). Returns false when the copy cannot be read.
   */
  #recoverCopyTail(copyPath, from) {
    let fd;
    try {
      fd = openSync(copyPath, 'r');
      const size = Number(fstatSync(fd).size);
      if (size > from) this.queue.push({ type: 'data', buf: readAt(fd, size - from, from), recovered: true });
      this.queue.push({ type: 'rotated' });
      return true;
    } catch (err) {
      this.warn(`cannot read ${copyPath}: ${err.code || err.message}`);
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Next piece of input; see the class comment. */
  next() {
    if (this.queue.length) return this.queue.shift();
    if (this.fd === null && !this.#tryOpen()) return null;
    const data = this.#read();
    if (data) return data;
    return this.#checkAtEof();
  }

  #read() {
    const buf = readAt(this.fd, this.chunkBytes, this.pos);
    if (buf.length === 0) return null;
    this.pos += buf.length;
    return { type: 'data', buf };
  }

  #checkAtEof() {
    const st = fstatSync(this.fd, { bigint: true });
    const size = Number(st.size);
    if (size < this.pos || (this.headLen > 0 && headOf(this.fd, this.headLen) !== this.headHash)) {
      return this.#reset(size < this.pos ? 'truncated' : 'replaced');
    }
    if (this.headLen < HEAD_BYTES && size > this.headLen) this.#captureHead(size);
    let named = null;
    try {
      named = statSync(this.path, { bigint: true });
    } catch {
      return null; // removed and not (yet) recreated: keep reading the open file
    }
    if (sameIdentity(identityOf(named), this.ident)) return null;
    // The name points to another file. Leave the old one only when the new one has data: the
    // writer has moved on, so one last read of the old file gets everything it will ever hold.
    if (named.size === 0n) return null;
    const last = this.#read();
    if (last) return last;
    closeSync(this.fd);
    this.fd = null;
    this.startAt = 'start';
    this.#tryOpen();
    return { type: 'rotated' };
  }

  #reset(reason) {
    const copy = reason === 'truncated'
      ? findRotatedFile(this.path, { headLen: this.headLen, headHash: this.headHash }, this.pos)
      : null;
    const recovered = copy ? this.#recoverCopyTail(copy.path, this.pos) : false;
    this.warn(`${this.fdPath} was ${reason}${recovered ? `; read the rest from its copy ${copy.path}` : ''}; reading it again from the start`);
    this.pos = 0;
    this.#captureHead(Number(fstatSync(this.fd).size));
    // With the copy's tail queued, the unfinished line continues there; without it, it is cut.
    return recovered ? this.queue.shift() : { type: 'reset', reason };
  }

  /** Closes the open file. */
  close() {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Start of the line being written at the end of the file (so it is read whole), or size. */
function lastLineStart(fd, size) {
  if (size === 0) return 0;
  const from = Math.max(0, size - SCAN_BACK);
  const tail = readAt(fd, size - from, from);
  const nl = tail.lastIndexOf(NEWLINE);
  // no newline in the last 64 KiB: not a line-based log here; start at the very end
  return nl < 0 ? (from === 0 ? 0 : size) : from + nl + 1;
}

/**
 * The same next() interface over a stream (stdin for `--follow -`): no position, no rotation;
 * { type: 'end', error } once the stream is over. Reading pauses while chunks wait, so a slow
 * sink slows the writer down instead of filling memory.
 */
export class StreamReader {
  /** Starts reading `stream`; at most `maxQueued` chunks wait before it is paused. */
  constructor(stream, { maxQueued = 16 } = {}) {
    this.stream = stream;
    this.maxQueued = maxQueued;
    this.queue = [];
    this.ended = false;
    this.endSent = false;
    this.error = null;
    this.notify = null;
    this.busy = false;
    this.ident = null;
    stream.on('data', (chunk) => {
      this.queue.push(chunk);
      if (this.queue.length >= this.maxQueued) stream.pause();
      this.#notify();
    });
    stream.on('end', () => this.#finish(null));
    stream.on('error', (err) => this.#finish(err));
    stream.resume();
  }

  #finish(err) {
    this.ended = true;
    this.error ??= err;
    this.#notify();
  }

  #notify() {
    const n = this.notify;
    this.notify = null;
    n?.();
  }

  /** A promise that settles when new data (or the end) arrives. */
  arrival() {
    return new Promise((resolve) => {
      this.notify = resolve;
    });
  }

  /** Next chunk, the end, or null. */
  next() {
    if (this.queue.length) {
      const buf = this.queue.shift();
      if (this.queue.length < this.maxQueued / 2 && !this.ended) this.stream.resume();
      return { type: 'data', buf };
    }
    if (this.ended && !this.endSent) {
      this.endSent = true;
      return { type: 'end', error: this.error };
    }
    return null;
  }

  /** Stops reading. */
  close() {
    this.stream.pause();
  }
}
