// `ipmon-flow report` in a real browser: the CLI writes the page, headless Chromium opens it
// from disk, and the page must agree with the NDJSON the CLI writes for the same input, the
// figures recomputed here from those records (not from the page's code).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { parseNdjson } from '../host/index.mjs';
import { generateTraffic } from './lib/generator.mjs';
import { launchChromium, openReport } from './lib/browser.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'host/cli.mjs');
const SCREENSHOT = join(ROOT, 'build/report-sample.png');

function cli(args, input) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 30 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The records the CLI writes for `args` (the reference the page is checked against). */
function records(args) {
  const r = cli(args);
  assert.equal(r.code, 0, r.stderr);
  return parseNdjson(Buffer.from(r.stdout));
}

const flowBytes = (f) => f.source.bytes + f.destination.bytes;
const flowPackets = (f) => f.source.packets + f.destination.packets;

/** Headline figures over flows starting in [fromMs, toMs), computed here in Node. */
function expectFigures(flows, fromMs = -Infinity, toMs = Infinity) {
  const inRange = flows.filter((f) => {
    const t = Date.parse(f.event.start);
    return t >= fromMs && t < toMs;
  });
  return {
    conversations: inRange.length,
    packets: inRange.reduce((s, f) => s + flowPackets(f), 0),
    bytes: inRange.reduce((s, f) => s + flowBytes(f), 0),
    blocked: inRange.filter((f) => f.ipmon.action === 'block').length,
  };
}

async function headline(page) {
  return page.$$eval('#figures dd[data-value]', (dds) => Object.fromEntries(dds.map((d) => [d.dataset.key, Number(d.dataset.value)])));
}

async function tableCount(page) {
  await page.waitForFunction(() => !document.querySelector('#table-status').dataset.pending);
  const status = await page.textContent('#table-status');
  return Number(status.split(' of ')[0].replace(/,/g, ''));
}

// Sets the table's filters (empty strings clear them) and waits for the table to follow.
async function filter(page, values) {
  await page.evaluate((v) => {
    for (const [id, value] of Object.entries(v)) document.getElementById(id).value = value;
  }, values);
  await page.dispatchEvent('#f-text', 'input');
  await page.waitForTimeout(200); // the filters wait 120 ms for typing to pause
  return tableCount(page);
}

/**
 * For each chart: its series count, the sum of each series' data, and per series how many
 * canvas pixels have its colour and how tall (CSS px) its tallest visible bar is. Stacked
 * timeline series: "blocked" is drawn to the total, "allowed" over it, so blocked shows above.
 */
async function chartPixels(page) {
  return page.evaluate(() => {
    const out = {};
    for (const [id, u] of Object.entries(window.ipmonReport.charts)) {
      // read a copy: reading uPlot's own canvas back makes Chrome warn about readbacks
      const { width, height } = u.ctx.canvas;
      const copy = document.createElement('canvas');
      Object.assign(copy, { width, height });
      const ctx = copy.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(u.ctx.canvas, 0, 0);
      const px = ctx.getImageData(0, 0, width, height).data;
      const series = u.series.slice(1).map((s, k) => {
        const [r, g, b] = [1, 3, 5].map((o) => parseInt(s.color.slice(o, o + 2), 16));
        const top = u.data[k + 1];
        const over = u.data[k + 2]; // the series drawn over this one, if any
        let tallest = 0;
        top.forEach((v, i) => {
          tallest = Math.max(tallest, u.valToPos(over ? over[i] : 0, 'y') - u.valToPos(v ?? 0, 'y'));
        });
        let pixels = 0;
        for (let p = 0; p < px.length; p += 4) if (px[p] === r && px[p + 1] === g && px[p + 2] === b && px[p + 3] === 255) pixels++;
        return { label: s.label, pixels, tallest, sum: top.reduce((a, v) => a + (v ?? 0), 0) };
      });
      out[id] = { series: series.length, list: series, data: series.map((s) => s.sum) };
    }
    return out;
  });
}

let browser;
let dir;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ipmon-report-'));
  browser = await launchChromium(); // throws (test fails) when no browser starts
});
after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Writes the report for `args`, opens it, and checks what every page must satisfy. */
async function openAndCheckBasics(t, name, args, { reference = args, max } = {}) {
  const out = join(dir, `${name}.html`);
  const r = cli(['report', ...args, '-o', out, ...(max ? ['--max-conversations', String(max)] : [])]);
  assert.equal(r.code, 0, r.stderr);
  const recs = records(reference);
  const flows = recs.filter((x) => x.ipmon.record_type === 'flow');
  const stats = recs.find((x) => x.ipmon.record_type === 'stats').ipmon.stats;
  const html = readFileSync(out, 'utf8');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;|<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
  assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i, 'nothing is loaded from elsewhere');
  const { page, problems } = await openReport(browser, out);
  t.after(() => page.close());

  // headline figures equal the stats record, and the flows' sums
  const h = await headline(page);
  assert.equal(h.lines_read, stats.lines_read);
  assert.equal(h.unparsed, stats.unparsed_lines);
  assert.equal(h.conversations, stats.flows_emitted);
  assert.equal(h.packets, stats.packets);
  assert.equal(h.bytes, stats.bytes);
  const whole = expectFigures(flows);
  assert.deepEqual({ conversations: h.conversations, packets: h.packets, bytes: h.bytes, blocked: h.blocked }, whole);
  assert.equal(await page.getAttribute('#figures dd[data-key="unparsed"] a', 'href'), '#accounting');

  // every chart drawn with its series, each series with data visible in the canvas
  const charts = await chartPixels(page);
  const expectSeries = { 'chart-bytes': 2, 'chart-conversations': 2, 'chart-duration': 1, 'chart-size': 1 };
  for (const [id, n] of Object.entries(expectSeries)) {
    assert.equal(charts[id]?.series, n, `${id} series`);
    for (const s of charts[id].list) {
      if (s.tallest >= 3) assert.ok(s.pixels > 0, `${id}: series ${s.label} drawn (${s.tallest.toFixed(1)} px tall, no pixel of its colour)`);
    }
    assert.ok(charts[id].list.some((s) => s.pixels > 0), `${id}: something drawn`);
  }
  const listed = max ? Math.min(max, flows.length) : flows.length;
  assert.equal(charts['chart-duration'].data[0], listed, 'duration histogram counts every listed conversation');
  assert.equal(charts['chart-size'].data[0], listed);
  assert.equal(await tableCount(page), listed);
  return { page, problems, flows, stats, out };
}

function assertClean(problems) {
  assert.deepEqual(problems.errors, [], 'no console errors');
  assert.deepEqual(problems.requests, [], 'no network requests');
}

describe('ipmon-flow report', () => {
  test('sample log: figures, charts, table sorting and filtering, screenshot', async (t) => {
    const { page, problems, flows } = await openAndCheckBasics(t, 'sample', ['--year', '2026', join(ROOT, 'fixtures/sample.log')]);
    // sorting: responder bytes, largest first, then start ascending
    await page.click('#table th[data-key="dst_bytes"]');
    const col = (key) => page.$$eval(`#table tbody td[data-col="${key}"]`, (tds) => tds.map((td) => td.textContent));
    assert.deepEqual((await col('dst_bytes')).map((s) => Number(s.replace(/,/g, ''))), flows.map((f) => f.destination.bytes).sort((a, b) => b - a));
    await page.click('#table th[data-key="start"]');
    const starts = flows.map((f) => f.event.start).sort();
    assert.deepEqual((await col('community_id')), starts.map((s) => flows.find((f) => f.event.start === s).network.community_id));
    // filters
    assert.equal(await filter(page, { 'f-addr': '10.0.0.5' }), flows.filter((f) => f.source.ip === '10.0.0.5' || f.destination.ip === '10.0.0.5').length);
    // hand-checked: 10.0.0.5 -> 198.51.100.20:443 and 10.0.0.9 -> 198.51.100.30:443
    assert.equal(await filter(page, { 'f-addr': '10.0.0.', 'f-port': '443' }), 2);
    const cid = flows[2].network.community_id;
    assert.equal(await filter(page, { 'f-addr': '', 'f-port': '', 'f-text': cid.toLowerCase() }), 1);
    assert.deepEqual(await col('community_id'), [cid]);
    const stateOption = await page.$eval('#f-state', (s, want) => [...s.options].find((o) => o.textContent === want).value, 'S0');
    assert.equal(await filter(page, { 'f-text': '', 'f-state': stateOption }), flows.filter((f) => f.ipmon.conn_state === 'S0').length);
    await filter(page, { 'f-state': '' });
    // hover meaning of a conn_state
    assert.equal(await page.getAttribute('#mix-state abbr:text-is("SF")', 'title'), 'Normal establishment and termination.');
    mkdirSync(join(ROOT, 'build'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(statSync(SCREENSHOT).size > 10_000);
    assertClean(problems);
  });

  test('seed-solaris fixture', async (t) => {
    const { problems } = await openAndCheckBasics(t, 'solaris', ['--year', '2026', join(ROOT, 'fixtures/seed-solaris.log')]);
    assertClean(problems);
  });

  const log = join(tmpdir(), `ipmon-report-gen-${process.pid}.log`);
  before(() => {
    const g = generateTraffic({ seed: 5, connections: 2500, concurrency: 600, format: 'syslog', observers: ['fw1', 'fw2'] });
    writeFileSync(log, g.text);
  });
  after(() => rmSync(log, { force: true }));

  async function brushAndCheck(page, flows) {
    const box = await page.locator('#chart-bytes .u-over').boundingBox();
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.3, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, y, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.6, y, { steps: 5 });
    await page.mouse.up();
    const { range, base, iv } = await page.evaluate(() => ({ range: window.ipmonReport.range(), base: window.ipmonReport.data.base_ms, iv: window.ipmonReport.data.interval_ms }));
    assert.ok(range, 'dragging across the timeline selects a range');
    const want = expectFigures(flows, base + range[0] * iv, base + range[1] * iv);
    assert.ok(want.conversations > 0 && want.conversations < flows.length, 'the range holds some, not all, conversations');
    const h = await headline(page);
    assert.deepEqual({ conversations: h.conversations, packets: h.packets, bytes: h.bytes, blocked: h.blocked }, want);
    await page.click('#clear-range');
    assert.equal((await headline(page)).conversations, flows.length);
    return want;
  }

  test('generated log (syslog, two firewalls): figures, brushing filters every panel, table', async (t) => {
    const { page, problems, flows } = await openAndCheckBasics(t, 'generated', ['--year', '2024', log]);
    const want = await brushAndCheck(page, flows);
    // brush again, then the panels below the timeline follow the range
    await brushAndCheck(page, flows);
    const box = await page.locator('#chart-bytes .u-over').boundingBox();
    await page.mouse.move(box.x + box.width * 0.3, box.y + 20);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + 20, { steps: 8 });
    await page.mouse.up();
    assert.equal(await tableCount(page), want.conversations);
    const charts = await chartPixels(page);
    assert.equal(charts['chart-duration'].data[0], want.conversations);
    await page.click('#clear-range');
    // sorting by originator bytes, descending
    await page.click('#table th[data-key="src_bytes"]');
    const shown = await page.$$eval('#table tbody td[data-col="src_bytes"]', (tds) => tds.map((td) => Number(td.textContent.replace(/,/g, ''))));
    assert.deepEqual(shown, flows.map((f) => f.source.bytes).sort((a, b) => b - a).slice(0, 100));
    // sorting by originator: IPv4 numerically, then IPv6 as text, then port
    await page.click('#table th[data-key="source"]');
    const ipKey = (ep) => {
      const v6 = ep.startsWith('[');
      const [ip, port] = v6 ? [ep.slice(1, ep.indexOf(']')), ep.slice(ep.indexOf(']') + 2)] : ep.split(':');
      return [v6 ? 1 : 0, v6 ? ip : ip.split('.').map((o) => o.padStart(3, '0')).join('.'), Number(port ?? -1)];
    };
    const origins = (await page.$$eval('#table tbody td[data-col="source"]', (tds) => tds.map((td) => td.textContent))).map(ipKey);
    const byOrigin = flows.map((f) => ipKey(f.source.port === undefined ? f.source.ip : f.source.ip.includes(':') ? `[${f.source.ip}]:${f.source.port}` : `${f.source.ip}:${f.source.port}`))
      .sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) || a[2] - b[2]).slice(0, 100);
    assert.deepEqual(origins, byOrigin);
    // filters: protocol, action, address prefix and port, against the records
    const opt = (sel, text) => page.$eval(sel, (s, want) => [...s.options].find((o) => o.textContent === want)?.value ?? '', text);
    assert.equal(await filter(page, { 'f-proto': await opt('#f-proto', 'udp') }), flows.filter((f) => f.network.transport === 'udp').length);
    assert.equal(await filter(page, { 'f-proto': '', 'f-action': await opt('#f-action', 'block') }), flows.filter((f) => f.ipmon.action === 'block').length);
    const port = 22;
    assert.equal(await filter(page, { 'f-action': '', 'f-port': String(port), 'f-addr': '10.' }),
      flows.filter((f) => (f.source.port === port || f.destination.port === port) && (f.source.ip.startsWith('10.') || f.destination.ip.startsWith('10.'))).length);
    assertClean(problems);
  });

  test('capped list: left-out conversations still count in the headline and in brushed ranges', async (t) => {
    const { page, problems, flows } = await openAndCheckBasics(t, 'capped', ['--year', '2024', log], { max: 500 });
    assert.match(await page.textContent('#left-out'), new RegExp(`${(flows.length - 500).toLocaleString('en-US')} more`));
    await brushAndCheck(page, flows);
    assertClean(problems);
  });

  test('flow NDJSON written earlier is read as flows (detected from the content)', async (t) => {
    const ndjson = join(dir, 'flows.ndjson');
    writeFileSync(ndjson, cli(['--year', '2024', log]).stdout);
    const { page, problems, flows } = await openAndCheckBasics(t, 'from-ndjson', [ndjson], { reference: ['--year', '2024', log] });
    await brushAndCheck(page, flows);
    assertClean(problems);
  });
});

describe('ipmon-flow report: command line', () => {
  test('needs -o, refuses live and Elasticsearch flags, names a broken NDJSON input', () => {
    let r = cli(['report', join(ROOT, 'fixtures/sample.log')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /-o FILE is required/);
    r = cli(['report', '--follow', 'x.log', '-o', join(dir, 'x.html')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--follow does not apply to reports/);
    const bad = join(dir, 'bad.ndjson');
    writeFileSync(bad, '{"ipmon":{"record_type":"flow"\n');
    r = cli(['report', bad, '-o', join(dir, 'bad.html')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.ndjson: not ipmon-flow NDJSON/);
    r = cli(['report', '--year', '2026', '-o', join(dir, 'stdin.html')], readFileSync(join(ROOT, 'fixtures/sample.log')));
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(dir, 'stdin.html'), 'utf8'), /"lines_read":27/);
    // .gz like the CLI, and the CLI's flags reach the engine (a bad one is refused the same way)
    const gz = join(dir, 'sample.log.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(ROOT, 'fixtures/sample.log'))));
    r = cli(['report', '--year', '2026', '--device', 'host', gz, '-o', join(dir, 'gz.html')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(dir, 'gz.html'), 'utf8'), /"lines_read":27,/);
    r = cli(['report', '--device', 'switch', gz, '-o', join(dir, 'gz.html')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /device/);
    r = cli(['report', '--max-conversations', 'many', gz, '-o', join(dir, 'gz.html')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--max-conversations needs a whole number/);
  });
});
