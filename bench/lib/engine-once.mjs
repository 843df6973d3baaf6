// One engine run over a file, nothing printed: what bench/instructions.bench.mjs has valgrind
// count. Usage: node engine-once.mjs FILE CONFIG_JSON
import { readFileSync } from 'node:fs';
import { FlowEngine } from '../../host/engine.mjs';

const buf = readFileSync(process.argv[2]);
const engine = new FlowEngine(JSON.parse(process.argv[3]));
for (let i = 0; i < buf.length; i += 1 << 20) engine.push(buf.subarray(i, i + (1 << 20)));
engine.end();
