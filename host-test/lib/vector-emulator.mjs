// The two Vector components of vector-socket.toml that touch ipmon-flow, played in-process for
// the contract test (there is no Vector binary in CI; ../shared/reference/vector.md §2a, §2d):
//
//   * SocketSink, `type = "socket"`, `mode = "tcp"`, `encoding.codec = "json"`,
//     `framing.method = "newline_delimited"`: each event as one JSON object and a newline. It
//     holds events while it has no connection (its buffer, `when_full = "block"`), reconnects
//     with a growing backoff when the connection is refused or closed, and writes held events
//     once connected. What it wrote into a connection the peer then closed is gone (Vector's
//     TCP sink has no application-level acknowledgement).
//   * ExecSource, `type = "exec"`, `mode = "streaming"`: runs the command with stdin /dev/null,
//     takes each stdout line as a JSON event (`decoding.codec = "json"`), keeps stderr out of
//     the events (`include_stderr = false`), respawns the command when it exits
//     (`respawn_on_exit`), and on shutdown sends SIGTERM and reads stdout to its end.

import net from 'node:net';
import { startCli } from './live-cli.mjs';

/** Vector's socket sink in TCP mode with the JSON codec and newline framing. */
export class SocketSink {
  /** Connects to 127.0.0.1:port; backoff from minMs, doubling up to maxMs. */
  constructor(port, { minMs = 20, maxMs = 500 } = {}) {
    this.port = port;
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.backoff = minMs;
    this.held = []; // encoded events waiting for a connection
    this.sock = null;
    this.connected = false;
    this.connections = 0; // successful connects
    this.refused = 0; // failed attempts
    this.disconnects = 0;
    this.closed = false;
    this.waiters = [];
    this.#connect();
  }

  #connect() {
    if (this.closed) return;
    const sock = net.connect({ host: '127.0.0.1', port: this.port });
    this.sock = sock;
    sock.on('connect', () => {
      this.connected = true;
      this.connections++;
      this.backoff = this.minMs;
      this.#flush();
      this.#wake();
    });
    // the sink never expects data; reading tells it when the peer has gone
    sock.on('data', () => {});
    sock.on('error', () => {});
    sock.on('close', () => {
      if (this.connected) this.disconnects++;
      else this.refused++;
      this.connected = false;
      this.#wake();
      if (this.closed) return;
      setTimeout(() => this.#connect(), this.backoff);
      this.backoff = Math.min(this.maxMs, this.backoff * 2);
    });
  }

  /** Encodes events (objects) as NDJSON and writes them, or holds them until connected. */
  send(events) {
    for (const e of events) this.held.push(Buffer.from(`${JSON.stringify(e)}\n`));
    this.#flush();
  }

  #flush() {
    if (!this.connected || this.held.length === 0) return;
    // written in pieces that ignore event boundaries, as TCP may deliver them
    const all = Buffer.concat(this.held);
    this.held = [];
    const PIECE = 1777;
    for (let i = 0; i < all.length; i += PIECE) this.sock.write(all.subarray(i, i + PIECE));
  }

  #wake() {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** Resolves once pred(this) holds (checked whenever the connection changes). */
  async until(pred) {
    while (!pred(this)) await new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops reconnecting and closes the connection. */
  close() {
    this.closed = true;
    this.sock?.end();
  }
}

/** Vector's exec source in streaming mode, running the CLI (startCli) for `args`. */
export class ExecSource {
  constructor(args, { respawnMs }) {
    this.args = args;
    this.respawnMs = respawnMs;
    this.runs = []; // one startCli run per spawn
    this.stopping = false;
    this.#spawn();
  }

  #spawn() {
    const run = startCli(this.args);
    this.runs.push(run);
    run.exited.then(() => {
      if (!this.stopping) setTimeout(() => this.#spawn(), this.respawnMs);
    });
  }

  /** The child running now (the latest spawned). */
  get current() {
    return this.runs.at(-1);
  }

  /** Every event read from stdout, over all spawns. */
  get events() {
    return this.runs.flatMap((r) => r.records);
  }

  /** Vector's shutdown: SIGTERM to the child, then its stdout to the end. Resolves { code, signal }. */
  async shutdown() {
    this.stopping = true;
    const run = this.current;
    run.signal('SIGTERM');
    return run.exited;
  }
}
