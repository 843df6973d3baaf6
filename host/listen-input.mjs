// The network as a live input (host/live.mjs): a started Listener (host/listen.mjs) behind the
// same adapter shape as a followed file. It has no read position: a checkpoint records the
// endpoints, and a restart continues the open flows of the engine.

/** Lines from the network for the live loop: next(), arrival(), checkpoint position, stats. */
export class ListenInput {
  constructor(listener, warn) {
    this.listener = listener;
    this.warn = warn;
    this.urls = listener.o.endpoints.map((e) => e.url);
  }

  get busy() {
    return false;
  }

  get drainsAll() {
    return true;
  }

  next() {
    return this.listener.next();
  }

  arrival() {
    return this.listener.arrival();
  }

  close() {
    this.listener.close();
  }

  startFresh() {}

  /** A state file written while following a log belongs to that log, not to a listener. */
  accepts(meta, statePath) {
    if (meta.listen) {
      const same = meta.listen.length === this.urls.length && meta.listen.every((u, i) => u === this.urls[i]);
      if (!same) this.warn(`state file ${statePath} was written while listening on ${meta.listen.join(' ')}; resuming its open flows`);
      return true;
    }
    const was = meta.log_path ?? meta.input?.path ?? null;
    if (was === null) return true; // nothing recorded to compare with
    this.warn(`state file ${statePath} belongs to a followed log (${was}), not to a listener; `
      + `ignoring it and starting fresh (from now on it records ${this.urls.join(' ')})`);
    return false;
  }

  resume() {}

  position() {
    return { log_path: null, input: null, listen: this.urls };
  }

  /** After a stop: no more receiving (resolves when the sockets are closed); what is queued is still processed. */
  stopReceiving() {
    return this.listener.stopReceiving();
  }

  /** The engine's stats record with ipmon.stats.listen added. */
  decorateStats(buf) {
    return this.listener.decorateStats(buf);
  }
}
