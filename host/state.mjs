// The --state file: where reading stopped and the engine's whole state, so a restart resumes
// without losing a flow or counting a line twice.
//
// Layout (integers little-endian):
//   0   8  magic "IPMFSTAT"
//   8   2  format version (STATE_VERSION)
//   10  2  reserved, 0
//   12  4  M: length of the metadata JSON
//   16  4  P: length of the pending partial line
//   20  4  B: length of the engine snapshot
//   24  M  metadata JSON (UTF-8): the followed log's absolute path, input identity and
//          offset (or, for --listen, the endpoints and no input), clocks, writer
//   ..  P  the unfinished last line (bytes from the offset on, already read)
//   ..  B  the engine snapshot (FlowEngine.snapshot(): versioned by the module itself)
//   ..  32 SHA-256 of everything before it
// A file that fails any check is reported and ignored: a fresh start is better than a resume
// from numbers that cannot be trusted.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';

/** Version of the state file layout this code writes and reads. */
export const STATE_VERSION = 1;

const MAGIC = Buffer.from('IPMFSTAT', 'latin1');
const FIXED = 24;
const DIGEST = 32;

/** A state file that cannot be used; `message` says why, for the warning. */
export class StateError extends Error {}

/** Serialises { meta, pending, blob } into the file layout above. */
export function encodeState({ meta, pending = Buffer.alloc(0), blob }) {
  const metaBuf = Buffer.from(JSON.stringify(meta));
  const head = Buffer.alloc(FIXED);
  MAGIC.copy(head, 0);
  head.writeUInt16LE(STATE_VERSION, 8);
  head.writeUInt16LE(0, 10);
  head.writeUInt32LE(metaBuf.length, 12);
  head.writeUInt32LE(pending.length, 16);
  head.writeUInt32LE(blob.length, 20);
  const body = Buffer.concat([head, metaBuf, pending, blob]);
  const digest = createHash('sha256').update(body).digest();
  return Buffer.concat([body, digest]);
}

/** Parses and checks a state file's bytes; throws StateError naming the first problem. */
export function decodeState(buf) {
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new StateError('not an ipmon-flow state file');
  }
  if (buf.length < FIXED + DIGEST) throw new StateError('truncated');
  const version = buf.readUInt16LE(8);
  if (version !== STATE_VERSION) {
    throw new StateError(`format version ${version}, this ipmon-flow reads version ${STATE_VERSION}`);
  }
  const m = buf.readUInt32LE(12);
  const p = buf.readUInt32LE(16);
  const b = buf.readUInt32LE(20);
  const total = FIXED + m + p + b + DIGEST;
  if (buf.length < total) throw new StateError('truncated');
  if (buf.length > total) throw new StateError('trailing bytes after the checksum');
  const body = buf.subarray(0, total - DIGEST);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(buf.subarray(total - DIGEST))) throw new StateError('checksum mismatch (corrupt)');
  let meta;
  try {
    meta = JSON.parse(buf.subarray(FIXED, FIXED + m).toString('utf8'));
  } catch {
    throw new StateError('metadata is not JSON');
  }
  checkMeta(meta);
  return {
    meta,
    pending: Buffer.from(buf.subarray(FIXED + m, FIXED + m + p)),
    blob: Buffer.from(buf.subarray(FIXED + m + p, FIXED + m + p + b)),
  };
}

function checkMeta(meta) {
  const bad = (what) => {
    throw new StateError(`metadata: ${what}`);
  };
  if (meta === null || typeof meta !== 'object') bad('not an object');
  if (meta.log_path !== undefined && meta.log_path !== null && typeof meta.log_path !== 'string') bad('log path');
  const input = meta.input;
  if (input !== null) {
    if (typeof input !== 'object') bad('input');
    if (typeof input.path !== 'string' || typeof input.dev !== 'string' || typeof input.ino !== 'string') bad('input identity');
    if (!Number.isSafeInteger(input.offset) || input.offset < 0) bad('input offset');
    if (!Number.isSafeInteger(input.head_len) || input.head_len < 0) bad('input head length');
    if (input.head_len > 0 && !/^[0-9a-f]{64}$/.test(input.head_sha256)) bad('input head hash');
  }
  if (meta.listen !== undefined && (!Array.isArray(meta.listen) || !meta.listen.every((u) => typeof u === 'string'))) bad('listen endpoints');
  const clock = meta.clock;
  if (clock === null || typeof clock !== 'object') bad('clock');
  if (clock.wall_ms !== null && !Number.isFinite(clock.wall_ms)) bad('clock');
  if (clock.event_us !== null && !/^\d{1,17}$/.test(clock.event_us)) bad('clock');
}

/**
 * Writes a state file atomically: a temporary file next to it, flushed to disk, then renamed
 * over the old one, so a crash leaves either the old or the new file, never half of one.
 */
export function writeStateFile(path, parts) {
  const bytes = encodeState(parts);
  const tmp = `${path}.tmp`;
  let fd = openSync(tmp, 'w', 0o600);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  // the rename itself must reach the disk too
  try {
    fd = openSync(dirname(path), 'r');
    fsyncSync(fd);
    closeSync(fd);
  } catch {
    // some file systems refuse fsync on directories; the rename is still atomic
  }
}

/**
 * Reads a state file. Returns { state } on success, { missing: true } when there is none, or
 * { problem } with the reason it cannot be used (never throws).
 */
export function readStateFile(path) {
  let buf;
  try {
    buf = readFileSync(path);
  } catch (err) {
    if (err.code === 'ENOENT') return { missing: true };
    return { problem: `cannot read it: ${err.code || err.message}` };
  }
  try {
    return { state: decodeState(buf) };
  } catch (err) {
    if (err instanceof StateError) return { problem: err.message };
    return { problem: `cannot parse it: ${err.message}` };
  }
}
