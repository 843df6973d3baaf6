// Where the CLI's NDJSON goes. Every sink has the same three calls, so the readers (batch and
// follow) do not care whether records go to stdout or to Elasticsearch:
//   write(buf)  queues records; resolves when there is room again (back-pressure on the input)
//               and the sink no longer needs buf (callers overwrite it: reused engine pieces)
//   barrier()   resolves once everything written so far has been delivered; a checkpoint waits
//               for it, so a state file never points past records that could still be lost
//   close()     delivers what is left and releases the destination

/** A sink that writes NDJSON to a stream (stdout), with back-pressure and a delivery barrier. */
export class StreamSink {
  /** Wraps a writable stream; a write error (EPIPE: the reader went away) fails later calls. */
  constructor(stream) {
    this.stream = stream;
    this.error = null;
    this.waiters = new Set();
    this.onError = (err) => {
      this.error ??= err;
    };
    stream.on('error', this.onError);
  }

  /**
   * Queues bytes; waits while the stream's buffer is full so memory stays bounded. Once it
   * resolves the stream is done with `buf`, which the caller may then overwrite (the CLI's
   * pieces are views of one reused buffer).
   */
  async write(buf) {
    if (this.error) throw this.error;
    if (buf.length === 0) return;
    if (!this.stream.write(buf)) await this.#wait((done) => this.stream.once('drain', done), (done) => this.stream.off('drain', done));
    else if (this.stream.writableLength > 0) await this.barrier(); // queued under the high-water mark: still holds buf
  }

  // Waits for `on(done)`, an error, or abort(), whichever comes first.
  #wait(on, off) {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err) => {
        if (settled) return;
        settled = true;
        off(done);
        this.stream.off('error', fail);
        this.waiters.delete(fail);
        if (err) reject(err);
        else resolve();
      };
      const done = () => settle(null);
      const fail = (err) => settle(err);
      this.stream.once('error', fail);
      this.waiters.add(fail);
      on(done);
    });
  }

  /** Gives up waiting for a stuck reader (shutdown deadline): pending calls reject. */
  abort(reason = 'shutting down') {
    this.error ??= new Error(`output: ${reason}`);
    for (const fail of [...this.waiters]) fail(this.error);
  }

  /**
   * Resolves when every earlier write has been handed to the operating system: writes complete
   * in order, so the callback of an empty write fires after all of them.
   */
  barrier() {
    if (this.error) return Promise.reject(this.error);
    // a write error also arrives as an 'error' event, which #wait turns into a rejection
    return this.#wait((done) => this.stream.write('', () => done()), () => {});
  }

  /** Delivers what is buffered; the stream itself (stdout) stays open. */
  async close() {
    await this.barrier();
    this.stream.off('error', this.onError);
  }
}
