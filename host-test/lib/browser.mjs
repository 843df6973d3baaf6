// Starts Debian's Chromium headless through playwright-core (no browser download: the package
// is installed with apt, .ci/run does it when missing). A browser that does not start is an
// error, never a skip: the report's tests are worth nothing without one.

import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean);

/** The Chromium executable to drive: $CHROMIUM_PATH or the first one installed. */
export function chromiumPath() {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error(`no Chromium found (looked at ${CANDIDATES.join(', ')}); install it: apt-get install -y chromium`);
  return found;
}

/** Launches headless Chromium; as root (containers) without the sandbox, which needs user namespaces. */
export async function launchChromium() {
  const args = ['--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args });
}

/**
 * Opens `file` in a new page, recording console errors, page errors and every request other
 * than the page itself. Resolves once the page's script has finished (body[data-ready]).
 */
export async function openReport(browser, file, { width = 1400, height = 900 } = {}) {
  const page = await browser.newPage({ viewport: { width, height } });
  const url = `file://${file}`;
  const problems = { errors: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.errors.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== url) problems.requests.push(r.url());
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return { page, problems };
}
