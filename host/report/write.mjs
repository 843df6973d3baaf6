// Writes the report: one HTML file with the page's script and style, the charting library
// (uPlot, read from node_modules with its license) and the data inlined. A Content-Security-
// Policy allows exactly those inline scripts and styles (by hash) and nothing from any host.

import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const PAGE = new URL('./page/', import.meta.url);
const read = (url) => readFileSync(url, 'utf8');

/** uPlot's minified script and style, and its license text, from the installed package. */
export function chartLibrary() {
  const root = dirname(require.resolve('uplot/package.json'));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return {
    version: pkg.version,
    license: readFileSync(join(root, 'LICENSE'), 'utf8').trim(),
    js: readFileSync(join(root, 'dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(join(root, 'dist/uPlot.min.css'), 'utf8'),
  };
}

const sha256 = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const escapeHtml = (s) => String(s).replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** JSON that cannot end its <script> element early ("</script>", "<!--" inside strings). */
export function embedJson(data) {
  return JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The complete HTML page for `data` (from aggregate()). */
export function renderPage(data, { title = 'ipmon-flow report' } = {}) {
  const lib = chartLibrary();
  const libScript = `/*! uPlot ${lib.version}\n${lib.license.replace(/\*\//g, '* /')}\n*/\n${lib.js}`;
  const appScript = read(new URL('app.js', PAGE));
  const style = `${lib.css}\n${read(new URL('page.css', PAGE))}`;
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(libScript)} ${sha256(appScript)}`,
    `style-src ${sha256(style)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const parts = { CSP: escapeHtml(csp), TITLE: escapeHtml(title), STYLE: style, DATA: embedJson(data), LIBRARY: libScript, APP: appScript };
  // one pass over the template: inlined text is never scanned for placeholders itself
  return read(new URL('template.html', PAGE)).replace(/\{\{([A-Z]+)\}\}/g, (_, k) => parts[k]);
}
