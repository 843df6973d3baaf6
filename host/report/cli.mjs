// `ipmon-flow report [options] FILE... -o report.html`: the CLI's inputs and flags, one
// self-contained HTML page out. The flags the report adds are taken off first; the rest goes
// through the CLI's own parser (host/cli.mjs), so both read logs the same way.

import { statSync, writeFileSync, renameSync } from 'node:fs';
import { basename } from 'node:path';
import { FlowEngine, ConfigError } from '../engine.mjs';
import { Collector } from './collect.mjs';
import { readInputs } from './read.mjs';
import { aggregate, DEFAULT_MAX_CONVERSATIONS } from './aggregate.mjs';
import { renderPage } from './write.mjs';

export const REPORT_USAGE = `Usage: ipmon-flow report [options] FILE... -o report.html

Writes one self-contained HTML page (charts, top lists, conversation table; no network
requests) about ipmon logs, or about flow NDJSON written earlier by ipmon-flow (told from the
content). FILE may be .gz; "-" or no FILE reads stdin.

Report options:
  -o, --out FILE               the HTML file to write (required)
  --max-conversations N        conversations listed in the page, the largest by bytes
                               (default ${DEFAULT_MAX_CONVERSATIONS}); the rest still count in the
                               headline and the timeline
  --title TEXT                 the page's title (default: "ipmon-flow report")

Every option of "ipmon-flow --help" that shapes flows applies (--year, --utc-offset,
--device, timeouts, --config, ...); live-log and Elasticsearch options do not.
`;

class ReportUsageError extends Error {}

/** Takes the report's own flags out of argv; returns { report, rest }. */
export function splitReportArgs(argv) {
  const report = { out: null, maxConversations: DEFAULT_MAX_CONVERSATIONS, title: 'ipmon-flow report', help: false };
  const rest = [];
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      if (k + 1 >= argv.length) throw new ReportUsageError(`${flag} needs a value`);
      return argv[++k];
    };
    if (a === '--') { rest.push(...argv.slice(k)); break; }
    if (flag === '-o' || flag === '--out') report.out = value();
    else if (flag === '--title') report.title = value();
    else if (flag === '--max-conversations') {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new ReportUsageError(`--max-conversations needs a whole number, got "${v}"`);
      report.maxConversations = n;
    } else if (flag === '-h' || flag === '--help') report.help = true;
    else rest.push(a);
  }
  return { report, rest };
}

const NOT_FOR_REPORTS = ['follow', 'state', 'from-start', 'output', 'es-url'];

/** Runs `ipmon-flow report`; returns the exit code. `parseCommandLine` (and its UsageError) are the CLI's. */
export async function reportMain(argv, { parseCommandLine, UsageError = ReportUsageError, stdin = process.stdin, stdout = process.stdout, stderr = process.stderr, env = process.env } = {}) {
  const fail = (msg, code = 2) => {
    stderr.write(`ipmon-flow report: ${msg}\n${code === 2 ? 'Try "ipmon-flow report --help".\n' : ''}`);
    return code;
  };
  let report;
  let cmd;
  try {
    ({ report, rest: argv } = splitReportArgs(argv));
    if (report.help) {
      stdout.write(REPORT_USAGE);
      return 0;
    }
    const bad = argv.find((a) => NOT_FOR_REPORTS.some((f) => a === `--${f}` || a.startsWith(`--${f}=`)));
    if (bad) throw new ReportUsageError(`${bad.split('=')[0]} does not apply to reports`);
    cmd = parseCommandLine(argv, env);
    if (!report.out) throw new ReportUsageError('-o FILE is required (the HTML page to write)');
  } catch (err) {
    if (err instanceof ReportUsageError || err instanceof UsageError) return fail(err.message);
    throw err;
  }
  for (const f of cmd.files) {
    if (f === '-') continue;
    try {
      if (statSync(f).isDirectory()) return fail(`cannot read ${f}: is a directory`, 1);
    } catch (err) {
      return fail(`cannot read ${f}: ${err.code === 'ENOENT' ? 'no such file' : err.code || err.message}`, 1);
    }
  }
  let engine;
  try {
    engine = new FlowEngine(cmd.config);
  } catch (err) {
    return fail(`${err instanceof ConfigError ? 'bad configuration: ' : ''}${err.message}`);
  }
  const collector = new Collector();
  try {
    await readInputs(cmd.files, engine, collector, { stdin });
  } catch (err) {
    return fail(err.message, 1);
  }
  const data = aggregate(collector, {
    maxConversations: report.maxConversations,
    meta: { inputs: cmd.files.map((f) => (f === '-' ? 'stdin' : basename(f))), written: new Date().toISOString().slice(0, 19) + 'Z' },
  });
  const html = renderPage(data, { title: report.title });
  // write beside the target and rename, so a reader never sees half a page
  const tmp = `${report.out}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, html);
    renameSync(tmp, report.out);
  } catch (err) {
    return fail(`cannot write ${report.out}: ${err.code || err.message}`, 1);
  }
  stderr.write(`ipmon-flow report: wrote ${report.out} (${(Buffer.byteLength(html) / 1e6).toFixed(1)} MB, ${data.meta.conversations} conversations, ${data.meta.listed} listed)\n`);
  return 0;
}
