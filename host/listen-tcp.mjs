// One TCP connection of a listener: RFC 6587 framing (octet counting or newline framing,
// decided from the first bytes), each whole message handed to the Listener (host/listen.mjs),
// an unfinished one held up to --max-message bytes, and whatever cannot become a message
// (too long, cut off, a broken frame header) reported to it as a rejection.

import { isUtf8 } from 'node:buffer';
import { peerHost } from './syslog.mjs';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const LT = 0x3c;
/** Bytes of a rejected message quoted in its record (as the Fluent Bit host does). */
export const QUOTE_BYTES = 256;
const isDigit = (b) => b >= 0x30 && b <= 0x39;

/** Framing state of one TCP connection; the bytes go to the Listener as whole messages. */
export class Connection {
  constructor(listener, socket, ep) {
    this.l = listener;
    this.socket = socket;
    this.ep = ep;
    this.peer = peerHost(socket.remoteAddress);
    this.port = socket.remotePort;
    this.mode = ep.format === 'ndjson' ? 'lf' : null; // 'lf' | 'octet', decided by the first bytes
    this.pre = null; // first bytes while the framing is undecided
    this.parts = []; // pieces of the unfinished message
    this.partLen = 0;
    this.over = null; // { quote, bytes } of a message longer than --max-message, being skipped
    this.need = -1; // octet counting: bytes of the frame still to come; -1 = reading its length
    this.hdr = 0;
    this.hdrDigits = 0;
    this.lastActive = Date.now();
    this.done = false;
    if (this.mode === 'lf') listener.counts.tcp_newline_framing++;
  }

  /** Takes one chunk read from the socket. */
  data(chunk) {
    this.lastActive = Date.now();
    if (this.done) return;
    if (this.mode === null) {
      const c = this.pre ? Buffer.concat([this.pre, chunk]) : chunk;
      const mode = detectFraming(c);
      if (mode === null) {
        this.pre = c;
        return;
      }
      this.pre = null;
      this.mode = mode;
      this.l.counts[mode === 'octet' ? 'tcp_octet_counting' : 'tcp_newline_framing']++;
      chunk = c;
    }
    if (this.mode === 'lf') this.#lines(chunk);
    else this.#frames(chunk);
  }

  /** Newline framing (RFC 6587 §3.4.2): every message ends with LF. */
  #lines(c) {
    let pos = 0;
    if (this.over || this.partLen) {
      const nl = c.indexOf(LF);
      if (nl < 0) {
        this.#hold(c, 0, c.length);
        return;
      }
      this.#hold(c, 0, nl);
      this.#complete();
      pos = nl + 1;
    }
    // one UTF-8 check for the whole chunk; only a chunk that fails is checked line by line
    const valid = pos < c.length && isUtf8(c);
    const max = this.l.maxMessage;
    while (pos < c.length) {
      const nl = c.indexOf(LF, pos);
      if (nl < 0) break;
      if (nl - pos > max) this.l.reject(this, 'too_long', tooLongWhy(nl - pos, max), nl - pos, c.subarray(pos, pos + QUOTE_BYTES));
      else this.l.message(this, c, pos, nl, valid, this.ep.format, true);
      pos = nl + 1;
    }
    if (pos < c.length) this.#hold(c, pos, c.length);
  }

  /** Octet counting (RFC 6587 §3.4.1): `MSG-LEN SP SYSLOG-MSG`. */
  #frames(c) {
    let pos = 0;
    const valid = isUtf8(c); // length headers are ASCII: a valid chunk has valid messages
    let nextLf = -1; // first LF at or after the current message (searched forward only)
    while (pos < c.length) {
      if (this.need < 0) {
        const b = c[pos];
        if (this.hdrDigits === 0 && (b === LF || b === CR)) {
          pos++; // a trailer some senders add after a frame: between frames, harmless
        } else if (isDigit(b) && this.hdrDigits < 10) {
          this.hdr = this.hdr * 10 + (b - 0x30);
          this.hdrDigits++;
          pos++;
        } else if (b === SP && this.hdrDigits > 0) {
          pos++;
          this.need = this.hdr;
          this.hdr = 0;
          this.hdrDigits = 0;
          if (this.need > this.l.maxMessage) this.over = { quote: Buffer.alloc(0), bytes: this.need };
          if (this.need === 0) this.#complete();
        } else {
          this.#badFrame(c, pos);
          return;
        }
        continue;
      }
      const take = Math.min(this.need, c.length - pos);
      if (!this.over && this.partLen === 0 && take === this.need) {
        this.need = -1;
        if (nextLf < pos) {
          const i = c.indexOf(LF, pos);
          nextLf = i < 0 ? Infinity : i;
        }
        this.l.message(this, c, pos, pos + take, valid, this.ep.format, nextLf >= pos + take);
      } else {
        this.#hold(c, pos, pos + take, true);
        this.need -= take;
        if (this.need === 0) this.#complete();
      }
      pos += take;
    }
  }

  /** Keeps c[s, e) of the unfinished message, or only its quote once it is too long. */
  #hold(c, s, e, counted = false) {
    if (e <= s) return;
    if (this.over) {
      if (this.over.quote.length < QUOTE_BYTES) this.over.quote = Buffer.concat([this.over.quote, c.subarray(s, s + QUOTE_BYTES - this.over.quote.length)]);
      if (!counted) this.over.bytes += e - s;
      return;
    }
    if (this.partLen + (e - s) > this.l.maxMessage) {
      const all = Buffer.concat([...this.parts, c.subarray(s, e)]);
      this.over = { quote: Buffer.from(all.subarray(0, QUOTE_BYTES)), bytes: all.length };
      this.l.held -= this.partLen;
      this.parts = [];
      this.partLen = 0;
      return;
    }
    this.parts.push(c.subarray(s, e));
    this.partLen += e - s;
    this.l.held += e - s;
    this.l.noteHeld();
  }

  /** The unfinished message is complete (its LF, or the last byte of its frame, arrived). */
  #complete() {
    this.need = -1;
    if (this.over) {
      const { quote, bytes } = this.over;
      this.over = null;
      this.l.reject(this, 'too_long', tooLongWhy(bytes, this.l.maxMessage), bytes, quote);
      return;
    }
    const msg = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partLen);
    this.l.held -= this.partLen;
    this.parts = [];
    this.partLen = 0;
    this.l.message(this, msg, 0, msg.length, false, this.ep.format);
  }

  #badFrame(c, pos) {
    const rest = c.subarray(pos);
    this.l.reject(this, 'bad_frame', 'an octet-counted frame (RFC 6587) must start with its length and a space; '
      + 'the connection was closed, since its framing is lost', rest.length, rest.subarray(0, QUOTE_BYTES));
    this.#drop();
    this.socket.destroy();
  }

  /** The connection is over (`why`): an unfinished message is reported as cut. */
  end(why) {
    if (this.done) return;
    const have = this.pre?.length ?? this.partLen;
    if (this.over) {
      const { quote, bytes } = this.over;
      this.over = null;
      this.l.reject(this, 'too_long', `${tooLongWhy(bytes, this.l.maxMessage)}; the connection ${why} before it ended`, bytes, quote);
    } else if (have > 0 || this.need > 0 || this.hdrDigits > 0) {
      const got = this.pre ?? Buffer.concat(this.parts, this.partLen);
      const frame = this.need > 0 ? ` of a ${got.length + this.need}-byte frame` : this.mode === 'lf' ? ' without its closing newline' : '';
      this.l.reject(this, 'cut_frame', `the connection ${why} in the middle of a message: ${got.length} bytes${frame} arrived`, got.length, got.subarray(0, QUOTE_BYTES));
    }
    this.#drop();
  }

  #drop() {
    this.done = true;
    this.l.held -= this.partLen;
    this.parts = [];
    this.partLen = 0;
    this.pre = null;
    this.l.connections.delete(this);
  }
}

export function tooLongWhy(bytes, max) {
  return `message of ${bytes} bytes is longer than --max-message ${max}`;
}

/**
 * The framing of a TCP syslog connection from its first bytes (RFC 6587 §3.4): octet counting
 * when it starts with a length, a space and `<` (the PRI of the message), newline framing
 * otherwise; null while the first bytes could still be either.
 */
export function detectFraming(c) {
  let i = 0;
  while (i < c.length && i < 11 && isDigit(c[i])) i++;
  if (i === 0 || c[0] === 0x30 || i === 11) return 'lf';
  if (i === c.length || i + 1 === c.length) return c[i] === undefined || c[i] === SP ? null : 'lf';
  return c[i] === SP && c[i + 1] === LT ? 'octet' : 'lf';
}
