// The CLI's shutdown request, shared by batch and live input (its own module, so the batch path
// does not load the live one).

/** A shutdown request (SIGTERM/SIGINT) that wakes whatever is sleeping. */
export class Stopper {
  constructor() {
    this.requested = false;
    this.signal = null;
    this.listeners = new Set();
  }

  /** Asks everything to stop; `signal` names the reason (e.g. 'SIGTERM'). */
  request(signal) {
    if (this.requested) return;
    this.requested = true;
    this.signal = signal;
    for (const f of [...this.listeners]) f(signal);
  }

  /** Calls f when a stop is requested. */
  onRequest(f) {
    this.listeners.add(f);
  }

  /** Forgets a listener added with onRequest. */
  offRequest(f) {
    this.listeners.delete(f);
  }

  /** Waits ms, or less when a stop is requested or `early` (a promise) settles first. */
  sleep(ms, early) {
    if (this.requested) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.listeners.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.listeners.add(done);
      early?.then(done, done);
    });
  }
}
