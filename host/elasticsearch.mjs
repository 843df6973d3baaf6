// Direct shipping to Elasticsearch (--output elasticsearch) through the official client's bulk
// helper.
//
// Delivery rules:
// - every document has a deterministic _id: its event.id, which the module gives every record
//   (a flow: its flow id; a forwarded line: a hash of the logging host, the line's time and its
//   bytes; stats: a hash of the clock and the counters), stable across retries and restarts, so
//   a retried item, a resent batch or a replay after a restart replaces its earlier copy (and a
//   flow written provisionally at a stop is replaced by its final record); a record without one
//   gets the SHA-256 of its bytes. Nothing is ever stored twice;
// - records wait in a bounded queue; when it is full, write() waits (back-pressure reaches the
//   reader, and the log simply stays unread on disk);
// - a batch is retried with capped exponential backoff for as long as the cluster answers 429,
//   5xx or not at all; items rejected for their content (mapping errors) are reported on stderr
//   and counted, never retried forever;
// - barrier() resolves once everything queued before it has been accepted, which is what a
//   --state checkpoint waits for.

import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';

/** A failure that retrying cannot fix (bad credentials, unknown endpoint, bad request). */
export class ElasticsearchFatalError extends Error {}

/** Builds the client's options from the CLI's connection settings. */
export function clientOptions({ url, apiKey, user, password, caFile, insecure, timeoutMs = 30000 }) {
  const nodes = String(url).split(',').map((u) => u.trim()).filter(Boolean);
  const opts = {
    nodes,
    // all retries happen in ElasticsearchSink, with backoff and without a retry limit
    maxRetries: 0,
    requestTimeout: timeoutMs,
    compression: true,
  };
  if (apiKey) opts.auth = { apiKey };
  else if (user) opts.auth = { username: user, password: password ?? '' };
  const tls = {};
  if (caFile) tls.ca = readFileSync(caFile);
  if (insecure) tls.rejectUnauthorized = false;
  if (Object.keys(tls).length) opts.tls = tls;
  return opts;
}

/** True for HTTP statuses that mean "try again later" rather than "this document is wrong". */
export function retryableStatus(status) {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

function requestStatus(err) {
  return err?.meta?.statusCode ?? err?.statusCode ?? 0;
}

function retryableRequestError(err) {
  // connection refused/reset, timeouts and "no living connections" carry no HTTP status
  const status = requestStatus(err);
  return status === 0 || retryableStatus(status);
}

/**
 * The document id of one NDJSON record: its event.id (every record the module writes has one),
 * else the SHA-256 (hex) of the record's bytes, so identical records are stored once and
 * retries never duplicate.
 */
export function documentId(record, line) {
  const id = record?.event?.id;
  if (typeof id === 'string' && id !== '') return id;
  return createHash('sha256').update(line).digest('hex');
}

/** Resolves %Y, %m and %d in an index name from the record's @timestamp (UTC), else today. */
export function indexName(pattern, record) {
  if (!pattern.includes('%')) return pattern;
  const ts = typeof record?.['@timestamp'] === 'string' ? record['@timestamp'] : new Date().toISOString();
  const [y, m, d] = [ts.slice(0, 4), ts.slice(5, 7), ts.slice(8, 10)];
  return pattern.replaceAll('%Y', y).replaceAll('%m', m).replaceAll('%d', d);
}

/** A sink (see sinks.mjs) that indexes NDJSON records into Elasticsearch. */
export class ElasticsearchSink {
  /**
   * Options: client (an @elastic/elasticsearch Client) or clientOptions; index (a name, may hold
   * %Y %m %d) or dataStream (a data stream name: `create` actions, an existing id counts as
   * delivered); batchDocs, batchBytes, flushMs, maxQueue (documents), backoffMs, maxBackoffMs,
   * warn(msg).
   */
  constructor(o) {
    this.client = o.client ?? new Client(o.clientOptions);
    this.ownsClient = !o.client;
    this.index = o.index ?? 'ipmon-flow-%Y.%m.%d';
    this.dataStream = o.dataStream ?? null;
    this.action = this.dataStream ? 'create' : 'index';
    this.batchDocs = o.batchDocs ?? 1000;
    this.batchBytes = o.batchBytes ?? 5_000_000;
    this.flushMs = o.flushMs ?? 1000;
    this.maxQueue = Math.max(o.maxQueue ?? 10_000, this.batchDocs);
    this.backoffMs = o.backoffMs ?? 250;
    this.maxBackoffMs = o.maxBackoffMs ?? 30_000;
    this.warn = o.warn ?? (() => {});
    this.queue = [];
    this.seq = 0; // sequence number of the last queued document
    this.acked = 0; // every document up to this sequence number has been delivered or reported
    this.barriers = []; // { seq, resolve, reject }
    this.spaceWaiters = [];
    this.fatal = null;
    this.closing = false;
    this.aborted = false;
    this.wakePump = null;
    this.wakeBackoff = null;
    this.stats = { indexed: 0, duplicates: 0, rejected: 0, retries: 0, requests: 0 };
    this.pump = this.#pumpLoop();
  }

  /** Queues the NDJSON records in `buf` (read at once: the caller may reuse it); waits while the queue is full. */
  async write(buf) {
    if (this.fatal) throw this.fatal;
    if (buf.length === 0) return;
    const text = buf.toString('utf8');
    let start = 0;
    const now = Date.now();
    while (start < text.length) {
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = text.length;
      const line = text.slice(start, nl);
      start = nl + 1;
      if (line === '') continue;
      let record;
      try {
        record = JSON.parse(line);
      } catch {
        this.warn(`elasticsearch: skipped a record that is not JSON: ${line.slice(0, 80)}`);
        continue;
      }
      this.queue.push({
        seq: ++this.seq,
        id: documentId(record, line),
        index: this.dataStream ?? indexName(this.index, record),
        line,
        bytes: line.length + 64,
        at: now,
      });
    }
    this.#wake();
    while (this.queue.length >= this.maxQueue && !this.fatal && !this.aborted) {
      await new Promise((resolve) => this.spaceWaiters.push(resolve));
    }
    if (this.fatal) throw this.fatal;
  }

  /** Resolves once every document queued so far has been delivered (or reported as rejected). */
  barrier() {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.acked >= this.seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.barriers.push({ seq: this.seq, resolve, reject });
      this.#wake();
    });
  }

  /** Delivers what is queued, then closes the client. */
  async close() {
    this.closing = true;
    this.#wake();
    try {
      await this.pump;
      if (this.fatal) throw this.fatal;
    } finally {
      if (this.ownsClient) await this.client.close();
    }
  }

  /** Gives up on what is not delivered yet (shutdown deadline); pending waits reject. */
  abort(reason = 'shutting down before delivery') {
    this.aborted = true;
    this.#fail(new ElasticsearchFatalError(`elasticsearch: ${reason}; ${this.seq - this.acked} records not delivered`));
  }

  #backoff(ms) {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(t);
        self.wakeBackoff = null;
        resolve();
      }
      this.wakeBackoff = done;
    });
  }

  #fail(err) {
    this.fatal ??= err;
    this.wakeBackoff?.();
    for (const b of this.barriers.splice(0)) b.reject(this.fatal);
    for (const w of this.spaceWaiters.splice(0)) w();
    this.#wake();
  }

  #wake() {
    const w = this.wakePump;
    this.wakePump = null;
    w?.();
  }

  #sleepUntilWoken(ms) {
    return new Promise((resolve) => {
      const t = ms === undefined ? null : setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakePump = done;
    });
  }

  async #pumpLoop() {
    while (!this.fatal) {
      if (this.queue.length === 0) {
        if (this.closing) return;
        await this.#sleepUntilWoken();
        continue;
      }
      // Send when a batch is full, someone waits for delivery, or the oldest record is due.
      const urgent = this.closing || this.barriers.length > 0 || this.spaceWaiters.length > 0;
      const age = Date.now() - this.queue[0].at;
      if (!urgent && this.queue.length < this.batchDocs && age < this.flushMs) {
        await this.#sleepUntilWoken(this.flushMs - age);
        continue;
      }
      let n = 0;
      let bytes = 0;
      while (n < this.queue.length && n < this.batchDocs && (n === 0 || bytes + this.queue[n].bytes <= this.batchBytes)) {
        bytes += this.queue[n].bytes;
        n++;
      }
      const batch = this.queue.slice(0, n);
      try {
        await this.#send(batch);
      } catch (err) {
        this.#fail(err instanceof ElasticsearchFatalError ? err : new ElasticsearchFatalError(`elasticsearch: ${err.message}`));
        return;
      }
      this.queue.splice(0, n);
      this.acked = batch[batch.length - 1].seq;
      this.barriers = this.barriers.filter((b) => (b.seq <= this.acked ? (b.resolve(), false) : true));
      if (this.queue.length < this.maxQueue) for (const w of this.spaceWaiters.splice(0)) w();
    }
  }

  /** Sends one batch until every document is accepted or rejected for its content. */
  async #send(batch) {
    // Within a batch the last record of an id wins, as it would in the index.
    const pending = new Map();
    for (const d of batch) {
      pending.delete(d.id);
      pending.set(d.id, d);
    }
    let attempt = 0;
    let complained = 0;
    for (;;) {
      if (this.aborted) throw this.fatal;
      let lastProblem = null;
      let requestError = null;
      this.stats.requests++;
      try {
        await this.client.helpers.bulk({
          datasource: [...pending.values()],
          onDocument: (d) => [{ [this.action]: { _index: d.index, _id: d.id } }, d.line],
          onSuccess: ({ result }) => {
            pending.delete(result[Object.keys(result)[0]]._id);
            this.stats.indexed++;
          },
          onDrop: (drop) => {
            const action = drop.operation[Object.keys(drop.operation)[0]];
            const err = drop.error ? `${drop.error.type}: ${drop.error.reason}` : 'no reason given';
            if (drop.status === 409 && this.action === 'create') {
              // data streams only create: the document is already there
              pending.delete(action._id);
              this.stats.duplicates++;
            } else if (retryableStatus(drop.status)) {
              lastProblem = `HTTP ${drop.status} for some documents (${err})`;
            } else {
              pending.delete(action._id);
              this.stats.rejected++;
              this.warn(`elasticsearch: document ${action._id} rejected by ${action._index}: HTTP ${drop.status} ${err}`);
            }
          },
          flushBytes: this.batchBytes,
          flushInterval: 60_000,
          concurrency: 1,
          retries: 0, // 429s come back here and are retried with backoff below
          refreshOnCompletion: false,
        });
      } catch (err) {
        requestError = err;
      }
      if (requestError) {
        if (!retryableRequestError(requestError)) {
          const status = requestStatus(requestError);
          throw new ElasticsearchFatalError(`elasticsearch: bulk request failed${status ? ` with HTTP ${status}` : ''}: ${requestError.message}`);
        }
        lastProblem = `${requestStatus(requestError) ? `HTTP ${requestStatus(requestError)}` : 'no answer'} (${requestError.message})`;
      }
      if (pending.size === 0) {
        if (attempt > 0) this.warn(`elasticsearch: delivered after ${attempt} ${attempt === 1 ? 'retry' : 'retries'}`);
        return;
      }
      attempt++;
      this.stats.retries++;
      const wait = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** Math.min(attempt - 1, 20));
      if (Date.now() - complained >= 30_000) {
        complained = Date.now();
        this.warn(`elasticsearch: ${pending.size} documents not accepted yet: ${lastProblem}; retrying (attempt ${attempt}, next in ${wait < 1000 ? `${wait} ms` : `${(wait / 1000).toFixed(1)} s`})`);
      }
      await this.#backoff(wait);
    }
  }
}
