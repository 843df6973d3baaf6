// A stand-in for Elasticsearch that speaks just enough of its HTTP API for ipmon-flow's tests:
// GET / (version and product header, which the official client checks), POST /_bulk (index and
// create actions, with scripted failures), PUT of component and index templates. It listens on
// 127.0.0.1 only, on a port the OS picks. A real cluster cannot be installed on the test
// machines, so this is what "tested against Elasticsearch" means here.

import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';

const PRODUCT = { 'x-elastic-product': 'Elasticsearch' };

/**
 * Starts a fake cluster. Returns { url, docs, requests, templates, script, close(), stop(),
 * start() }:
 *   docs        Map index → Map _id → document (what a search would find)
 *   requests    one entry per _bulk request: { items, statuses }
 *   script      hooks tests set: requestStatus(n) → HTTP status for the whole n-th bulk request
 *               (0-based; null = normal), itemStatus(n, i, action, doc) → status for one item
 *               (null = accept), delayMs(n) → answer the n-th request this much later
 *   stop/start  close the listening socket (connections refused) and open it again, same port
 */
export async function startFakeEs({ version = '8.17.0' } = {}) {
  const docs = new Map();
  const requests = [];
  const templates = { component: new Map(), index: new Map() };
  const script = { requestStatus: () => null, itemStatus: () => null, delayMs: () => 0 };
  const sockets = new Set();
  let bulkCount = 0;

  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const send = (status, obj) => {
      const text = JSON.stringify(obj);
      res.writeHead(status, { 'content-type': 'application/json', ...PRODUCT });
      res.end(text);
    };
    const url = new URL(req.url, 'http://x');
    if (req.method === 'GET' && url.pathname === '/') {
      return send(200, { name: 'fake', cluster_name: 'fake', version: { number: version, build_flavor: 'default' }, tagline: 'You Know, for Search' });
    }
    let m = /^\/_component_template\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === 'PUT') {
      templates.component.set(m[1], JSON.parse(body.toString('utf8')));
      return send(200, { acknowledged: true });
    }
    m = /^\/_index_template\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === 'PUT') {
      const t = JSON.parse(body.toString('utf8'));
      const optional = new Set(t.ignore_missing_component_templates || []);
      const missing = (t.composed_of || []).filter((c) => !templates.component.has(c) && !optional.has(c));
      if (missing.length) {
        return send(400, { error: { type: 'invalid_index_template_exception', reason: `missing component templates ${missing}` }, status: 400 });
      }
      templates.index.set(m[1], t);
      return send(200, { acknowledged: true });
    }
    m = /^(?:\/([^/_][^/]*))?\/_bulk$/.exec(url.pathname);
    if (m && (req.method === 'POST' || req.method === 'PUT')) {
      const n = bulkCount++;
      const delay = script.delayMs(n);
      if (delay) await new Promise((r) => setTimeout(r, delay));
      const status = script.requestStatus(n);
      if (status) {
        requests.push({ items: 0, statuses: [status], rejectedWhole: true });
        return send(status, { error: { type: status === 429 ? 'es_rejected_execution_exception' : 'fake_failure', reason: `scripted ${status}` }, status });
      }
      const lines = body.toString('utf8').split('\n').filter((l) => l !== '');
      const items = [];
      const statuses = [];
      for (let i = 0; i < lines.length; i += 2) {
        const action = JSON.parse(lines[i]);
        const op = Object.keys(action)[0];
        const meta = action[op];
        const index = meta._index ?? m[1];
        const doc = JSON.parse(lines[i + 1]);
        let st = script.itemStatus(n, i / 2, op, doc) ?? null;
        const idx = docs.get(index) ?? new Map();
        const id = meta._id ?? `auto-${n}-${i}`;
        if (st === null) {
          if (op === 'create' && idx.has(id)) st = 409;
          else {
            st = idx.has(id) ? 200 : 201;
            idx.set(id, doc);
            docs.set(index, idx);
          }
        }
        statuses.push(st);
        const item = { _index: index, _id: id, status: st };
        if (st < 300) item.result = st === 201 ? 'created' : 'updated';
        else {
          item.error = {
            type: st === 409 ? 'version_conflict_engine_exception'
              : st === 429 ? 'es_rejected_execution_exception'
                : st >= 500 ? 'unavailable_shards_exception' : 'document_parsing_exception',
            reason: `scripted ${st}`,
          };
        }
        items.push({ [op]: item });
      }
      requests.push({ items: items.length, statuses });
      return send(200, { took: 1, errors: statuses.some((s) => s >= 300), items });
    }
    send(404, { error: { type: 'fake_not_found', reason: `${req.method} ${url.pathname}` }, status: 404 });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}`,
    docs,
    requests,
    templates,
    script,
    /** All stored documents of every index, as [index, id, doc]. */
    all() {
      const out = [];
      for (const [index, m] of docs) for (const [id, doc] of m) out.push([index, id, doc]);
      return out;
    },
    /** Stops listening and drops open connections: requests now fail to connect. */
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
    /** Listens again on the same port. */
    async start() {
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    /** Shuts the server down for good. */
    async close() {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise((r) => server.close(r));
    },
  };
}
