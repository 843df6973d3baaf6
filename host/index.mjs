// Library entry of ipmon-flow for Node.js: the engine and a one-call helper.

import { FlowEngine, parseNdjson } from './engine.mjs';

export { FlowEngine, ConfigError, parseNdjson, DEFAULT_WASM } from './engine.mjs';

/**
 * Correlates a whole log (string or bytes) and returns every record as an object: flows and
 * forwarded lines as they became due, then the flows still open (forced_end), then stats.
 */
export async function correlate(text, config = {}, options = {}) {
  const engine = new FlowEngine(config, options);
  const parts = [engine.push(text), engine.end()];
  return parseNdjson(Buffer.concat(parts));
}
