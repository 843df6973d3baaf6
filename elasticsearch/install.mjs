#!/usr/bin/env node
// Installs ipmon-flow's templates into Elasticsearch: the component template with the ECS
// mapping, then the index template (ipmon-flow-* indices) and the data stream template
// (logs-ipmon-* data streams) that use it. Safe to run again: templates are replaced.
//
//   node elasticsearch/install.mjs --es-url https://127.0.0.1:9200 [--es-api-key KEY |
//        --es-user USER (password from --es-password or IPMON_FLOW_ES_PASSWORD)] [--es-ca FILE]
//        [--es-insecure]

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { clientOptions } from '../host/elasticsearch.mjs';

const load = (name) => JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8'));

/** The templates in install order: [kind, name, body]. */
export const TEMPLATES = [
  ['component', 'ipmon-flow-mappings', load('./component-template.json')],
  ['index', 'ipmon-flow', load('./index-template.json')],
  ['index', 'logs-ipmon', load('./data-stream-template.json')],
];

/** Puts every template through `client`; returns the names installed. */
export async function installTemplates(client) {
  const done = [];
  for (const [kind, name, body] of TEMPLATES) {
    // `body` whole: the client would turn body keys it does not know into query parameters
    if (kind === 'component') await client.cluster.putComponentTemplate({ name, body });
    else await client.indices.putIndexTemplate({ name, body });
    done.push(`${kind} template ${name}`);
  }
  return done;
}

async function main(argv, env) {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      'es-url': { type: 'string' },
      'es-api-key': { type: 'string' },
      'es-user': { type: 'string' },
      'es-password': { type: 'string' },
      'es-ca': { type: 'string' },
      'es-insecure': { type: 'boolean' },
    },
  });
  const url = v['es-url'] ?? env.IPMON_FLOW_ES_URL;
  if (!url) {
    process.stderr.write('install.mjs: give --es-url URL (or IPMON_FLOW_ES_URL)\n');
    return 2;
  }
  const client = new Client(clientOptions({
    url,
    apiKey: v['es-api-key'] ?? env.IPMON_FLOW_ES_API_KEY,
    user: v['es-user'] ?? env.IPMON_FLOW_ES_USER,
    password: v['es-password'] ?? env.IPMON_FLOW_ES_PASSWORD,
    caFile: v['es-ca'],
    insecure: v['es-insecure'],
  }));
  try {
    for (const line of await installTemplates(client)) process.stdout.write(`installed ${line}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`install.mjs: ${err.message}\n`);
    return 1;
  } finally {
    await client.close();
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = await main(process.argv.slice(2), process.env);
}
