#!/usr/bin/env node
// The browser part of the benchmark (issue 8 §3, issue 5's acceptance).
//
//   node bench/browser/bench-browser.mjs --cmdbuilder PATH [--workspace DIR]
//        [--switches N] [--changes N] [--navigations N] [--chromium PATH]
//
// Starts `cmdbuilder serve --port 0` on a copy of DIR (default: the demo
// workspace), drives Debian's chromium through playwright-core (installed in
// tests/browser/node_modules) and prints one JSON object on stdout; progress
// goes to stderr. Every figure is measured inside the page:
//
// - warm page switch: from the sidebar click's event.timeStamp to the second
//   requestAnimationFrame after app.js announced 'cmdb:page-swapped' (the new
//   page's DOM is in place; the second frame callback runs after the frame
//   showing it was produced). Pages train -> test -> predict -> train..., all
//   visited once in the tab before measuring.
// - static navigation floor: a full link navigation between two saved static
//   copies of the same pages (same HTML, CSS, JavaScript and headers), served
//   by a small node HTTP server on 127.0.0.1: from the click's timeStamp
//   (performance.timeOrigin + timeStamp, kept in sessionStorage) to the second
//   requestAnimationFrame after 'load' in the new document. The same figure
//   for a full navigation to the real server (location.href = '/test') is
//   reported as browser_full_nav_median_ms.
// - cold first visit: a fresh server process (no page activated, no state,
//   nothing of its origin in the browser's cache), each page opened once by
//   a full navigation in a tab whose renderer already showed the other
//   server's page: navigation start to first contentful paint (the
//   'first-contentful-paint' paint entry). browser_cold_visit_ms is the
//   slowest of the three pages.
// - live update: selecting another encoder, from the input event's timeStamp
//   to the second requestAnimationFrame after the command text on screen
//   changed (app.js announces 'cmdb:updated' after applying the answer).
//   Typing in exp_name is measured the same way (live_update_typing_*).
// - first load: what a user sees first: a fresh server process and a fresh
//   browser context (empty cache, no cookie) per sample, the URL serve
//   printed (with its token) opened: navigation start (before any
//   redirect) to the first contentful paint of Train
//   (browser_first_load_fcp_median_ms, --first-loads samples). The same
//   for the static /blank.html in a fresh context each time
//   (browser_blank_first_load_fcp_median_ms): the browser's own floor
//   under the same conditions.
// - first-load anatomy: where that first paint's time goes. The Train
//   document the server sent, served as a static file in a fresh context
//   per sample, as is and with parts taken out: no scripts; no scripts and
//   no stylesheet; no scripts and every form control (input, select,
//   textarea, button) replaced by its text. The variants take turns, so a
//   change of the machine's load touches them all alike
//   (browser_first_load_anatomy_fcp_median_ms).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceRoot = path.resolve(here, '..', '..');
const require = createRequire(import.meta.url);

function parseArguments(argv) {
  const options = {
    cmdbuilder: null,
    workspace: path.join(sourceRoot, 'examples', 'ocr-workspace'),
    switches: 36,
    changes: 40,
    navigations: 20,
    'first-loads': 12,
    chromium: process.env.CMDB_CHROMIUM || '/usr/bin/chromium',
  };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (!(name in options) || value === undefined) {
      console.error(`bench-browser: unknown or incomplete argument ${argv[i]}`);
      console.error('usage: bench-browser.mjs --cmdbuilder PATH [--workspace DIR] [--switches N] ' +
                    '[--changes N] [--navigations N] [--first-loads N] [--chromium PATH]');
      process.exit(2);
    }
    options[name] = typeof options[name] === 'number' ? Number(value) : value;
    i++;
  }
  if (!options.cmdbuilder) {
    console.error('bench-browser: --cmdbuilder PATH is required');
    process.exit(2);
  }
  options.cmdbuilder = path.resolve(options.cmdbuilder);
  options.workspace = path.resolve(options.workspace);
  return options;
}

const options = parseArguments(process.argv.slice(2));
let chromium;
try {
  ({ chromium } = require(path.join(sourceRoot, 'tests', 'browser', 'node_modules', 'playwright-core')));
} catch (error) {
  console.error("bench-browser: playwright-core is missing: run 'npm ci --prefix tests/browser'");
  process.exit(2);
}

const chromiumFlags = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdb-bench-browser-'));
const log = (text) => process.stderr.write(`bench-browser: ${text}\n`);

// No real user's configuration reaches the server.
const serverEnv = { ...process.env };
for (const name of Object.keys(serverEnv))
  if (name.startsWith('CMDBUILDER_')) delete serverEnv[name];
for (const [name, dir] of [['XDG_CONFIG_HOME', 'config'], ['XDG_CONFIG_DIRS', 'config-dirs'],
                           ['XDG_DATA_HOME', 'data'], ['XDG_CACHE_HOME', 'cache'],
                           ['XDG_STATE_HOME', 'state'], ['HOME', 'home']]) {
  serverEnv[name] = path.join(tmp, 'env', dir);
  fs.mkdirSync(serverEnv[name], { recursive: true });
}

// ---- the server ----

const servers = [];
// A benchmark stopped early leaves no server behind.
process.on('exit', () => {
  for (const server of servers)
    if (server.child.exitCode === null && server.child.signalCode === null) {
      try { process.kill(server.pid, 'SIGKILL'); } catch (error) { /* already gone */ }
    }
  fs.rmSync(tmp, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

function copyWorkspace(name) {
  const copy = path.join(tmp, name);
  fs.cpSync(options.workspace, copy, { recursive: true });
  fs.rmSync(path.join(copy, '.cmdbuilder'), { recursive: true, force: true });
  return copy;
}

function startServer(workspace) {
  return new Promise((resolve, reject) => {
    const child = spawn(options.cmdbuilder, ['serve', '--port', '0', '--workspace', workspace], {
      cwd: workspace, env: serverEnv, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const server = { child, pid: child.pid };
    servers.push(server);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error('cmdbuilder serve exited early with ' + code)));
    createInterface({ input: child.stdout }).once('line', (url) => {
      const parsed = new URL(url);
      Object.assign(server, { url, origin: parsed.origin, token: parsed.searchParams.get('token') });
      child.removeAllListeners('exit');
      resolve(server);
    });
  });
}

function stopServer(server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    server.child.once('exit', resolve);
    process.kill(server.pid, 'SIGTERM');
  });
}

// ---- statistics ----

function percentile(samples, fraction) {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1];
}
const median = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const round = (value) => Math.round(value * 100) / 100;

// ---- measurements ----

// Marks installed in every document of the context before its own scripts:
// the static navigation's click time crosses documents via sessionStorage.
function navigationProbe() {
  addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('#bench-nav');
    if (link) sessionStorage.setItem('bench-click', String(performance.timeOrigin + event.timeStamp));
  }, true);
  const started = sessionStorage.getItem('bench-click');
  if (started === null) return;
  sessionStorage.removeItem('bench-click');
  addEventListener('load', () => requestAnimationFrame(() => requestAnimationFrame(() => {
    window.benchNavigation = performance.timeOrigin + performance.now() - Number(started);
  })));
}

async function waitResult(page, expression) {
  const handle = await page.waitForFunction(expression, null, { timeout: 15000, polling: 'raf' });
  return handle.jsonValue();
}

// Click time to the second animation frame after the page swap.
function installSwitchProbe(page) {
  return page.evaluate(() => {
    window.bench = { click: null, result: null };
    document.querySelector('.sidebar').addEventListener('click', (event) => {
      if (event.target.closest('a[data-page]')) window.bench.click = event.timeStamp;
    }, true);
    document.addEventListener('cmdb:page-swapped', () => {
      const click = window.bench.click;
      const swapped = performance.now();
      requestAnimationFrame((frame1) => requestAnimationFrame((frame2) => {
        const now = performance.now();
        window.bench.result = now - click;
        // Where the time went: the click to the new DOM in place, then to the
        // start of the first and second frames after it.
        window.bench.phases = { swap: swapped - click, frame1: frame1 - click, frame2: frame2 - click };
      }));
    });
  });
}

async function measureSwitches(page, origin, phases = []) {
  const order = ['test', 'predict', 'train'];
  await page.goto(origin + '/train');
  // Visit every page once in this tab first: the figure is the warm switch.
  for (const id of order) {
    await page.click(`.sidebar a[data-page="${id}"]`);
    await page.waitForFunction((id) => document.getElementById('main').dataset.page === id &&
                               document.getElementById('page-title'), id);
  }
  await installSwitchProbe(page);
  const samples = [];
  for (let i = 0; i < options.switches; i++) {
    const id = order[i % order.length];
    await page.evaluate(() => { window.bench.result = null; });
    await page.click(`.sidebar a[data-page="${id}"]`);
    samples.push(await waitResult(page, () => window.bench.result));
    phases.push(await page.evaluate(() => window.bench.phases));
  }
  return samples;
}

// Saves the server's own pages, CSS and JavaScript and serves them as
// static files with the headers the server sent, each page with a plain
// link to the other one outside the parts app.js handles; /blank.html is a
// page with one heading and nothing to load (the browser's own floor).
async function startStaticCopy(server) {
  const headers = { Authorization: 'Bearer ' + server.token };
  const files = new Map();
  const assets = new Set();
  for (const [name, route, next] of [['a.html', '/train', '/b.html'], ['b.html', '/test', '/a.html']]) {
    const response = await fetch(server.origin + route, { headers });
    const text = await response.text();
    for (const match of text.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)) assets.add(match[1]);
    const html = text.replace(
      '<body>', `<body><a id="bench-nav" href="${next}">Next page (full navigation)</a>`);
    files.set('/' + name, { body: html, headers: pickHeaders(response) });
  }
  // The anatomy starts from the document a browser's first navigation gets
  // (the token URL: the stylesheet inline, no redirect), as the first-load
  // figure does.
  const first = await firstDocument(server.url);
  addAnatomyVariants(files, first.body, first.headers);
  for (const asset of assets) {
    const response = await fetch(server.origin + asset, { headers });
    files.set(asset, { body: Buffer.from(await response.arrayBuffer()), headers: pickHeaders(response) });
  }
  // The frame-scheduling floor of the switch measurement: the same sidebar
  // and probe, but a click changes one line of text (no page at all).
  files.set('/floor.html', {
    body: '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Floor</title></head>' +
          '<body><nav class="sidebar"><a data-page="a" href="#a">A</a> <a data-page="b" href="#b">B</a>' +
          '</nav><main id="main"><h1 id="page-title">A</h1></main></body></html>',
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  });
  files.set('/blank.html', {
    body: '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Blank</title></head>' +
          '<body><h1>Blank</h1></body></html>',
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  });
  const staticServer = http.createServer((request, response) => {
    const file = files.get(request.url) || files.get(new URL(request.url, 'http://127.0.0.1').pathname);
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, file.headers).end(file.body);
  });
  await new Promise((resolve) => staticServer.listen(0, '127.0.0.1', resolve));
  return { server: staticServer, origin: `http://127.0.0.1:${staticServer.address().port}` };
}

// The page a browser's navigation to @url gets: the server tells a
// navigation from a script's request by its Sec-Fetch headers, which a
// script's fetch() may not set.
function firstDocument(url) {
  return new Promise((resolve, reject) => {
    const request = http.get(url, {
      headers: { Accept: 'text/html', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' },
    }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => {
        if (response.statusCode !== 200)
          reject(new Error(`the first navigation got ${response.statusCode}, not the page`));
        else
          resolve({ body: Buffer.concat(chunks).toString('utf8'),
                    headers: pickHeaders({ headers: new Headers(Object.entries(response.headers)
                      .filter(([, value]) => typeof value === 'string')) }) });
      });
    });
    request.on('error', reject);
  });
}

function pickHeaders(response) {
  const kept = {};
  for (const name of ['content-type', 'cache-control', 'content-security-policy',
                      'x-content-type-options', 'referrer-policy', 'x-frame-options'])
    if (response.headers.get(name)) kept[name] = response.headers.get(name);
  return kept;
}

async function measureStaticNavigations(page, staticOrigin) {
  await page.goto(staticOrigin + '/a.html');
  const samples = [];
  for (let i = 0; i < options.navigations; i++) {
    await page.click('#bench-nav');
    await page.waitForURL(/\/[ab]\.html$/);
    samples.push(await waitResult(page, () => window.benchNavigation));
  }
  return samples;
}

// The same full navigation to the real server's page (rendered per request).
async function measureFullNavigations(page, origin) {
  const samples = [];
  for (let i = 0; i < options.navigations; i++) {
    const target = i % 2 ? '/train' : '/test';
    await Promise.all([
      page.waitForURL(origin + target),
      page.evaluate((target) => {
        sessionStorage.setItem('bench-click', String(performance.timeOrigin + performance.now()));
        location.href = target;
      }, target),
    ]);
    samples.push(await waitResult(page, () => window.benchNavigation));
  }
  return samples;
}

function firstPaint() {
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  if (!paint) return null;
  const navigation = performance.getEntriesByType('navigation')[0];
  return {
    first_contentful_paint_ms: paint.startTime,
    response_end_ms: navigation.responseEnd,
    server_ms: navigation.responseStart - navigation.requestStart,
    dom_content_loaded_ms: navigation.domContentLoadedEventEnd,
    redirect_ms: navigation.redirectEnd - navigation.redirectStart,
    request_start_ms: navigation.requestStart,
  };
}

// A fresh server process: the tab loads Train (a full load: its first
// contentful paint is reported), then opens Test and Predict for the first
// time from the sidebar. Each of them is activated on the server then (its
// plugin, schema and registries load), and is not in the tab yet.
async function measureColdVisits(page) {
  const server = await startServer(copyWorkspace('cold-ws'));
  const visits = {};
  const phases = {};
  let load = null;
  try {
    // The token for the cookie, on a route that activates no page.
    await page.goto(server.origin + '/api/pages?token=' + server.token);
    await page.goto(server.origin + '/train');
    load = await waitResult(page, firstPaint);
    await installSwitchProbe(page);
    for (const id of ['test', 'predict']) {
      await page.evaluate(() => { window.bench.result = null; });
      await page.click(`.sidebar a[data-page="${id}"]`);
      visits[id] = await waitResult(page, () => window.bench.result);
      phases[id] = await page.evaluate(() => window.bench.phases);
    }
  } finally {
    await stopServer(server);
  }
  return { visits, load, phases };
}

// The switch probe on /floor.html, where a click only changes a heading's
// text: what the browser's own frame scheduling costs the measurement.
async function measureFrameFloor(page, staticOrigin, phases = []) {
  await page.goto(staticOrigin + '/floor.html');
  await page.evaluate(() => {
    document.querySelector('.sidebar').addEventListener('click', (event) => {
      const link = event.target.closest('a[data-page]');
      if (!link) return;
      event.preventDefault();
      document.getElementById('page-title').textContent = link.textContent;
      document.dispatchEvent(new CustomEvent('cmdb:page-swapped'));
    });
  });
  await installSwitchProbe(page);
  const samples = [];
  for (let i = 0; i < options.switches; i++) {
    await page.evaluate(() => { window.bench.result = null; });
    await page.click(`.sidebar a[data-page="${i % 2 ? 'a' : 'b'}"]`);
    samples.push(await waitResult(page, () => window.bench.result));
    phases.push(await page.evaluate(() => window.bench.phases));
  }
  return samples;
}

// Medians of each phase of the switch probe, and of the time from the start
// of the second frame to its callback (where the main thread was busy).
function phaseMedians(phases, totals) {
  const result = Object.fromEntries(['swap', 'frame1', 'frame2'].map(
    (name) => [name, round(median(phases.map((phase) => phase[name])))]));
  result.frame2_to_callback = round(median(phases.map((phase, i) => totals[i] - phase.frame2)));
  return result;
}

// Each sample: a fresh context of @browser (nothing cached, no cookie) opens
// the URL @open() gives (after starting what it needs); returns firstPaint().
async function measureFreshLoads(browser, count, open) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    const { url, done } = await open(i);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(url);
      samples.push(await waitResult(page, firstPaint));
    } finally {
      await context.close();
      await done();
    }
  }
  return samples;
}

async function measureFirstLoads(browser, staticOrigin) {
  const blanks = await measureFreshLoads(browser, options['first-loads'], async () => (
    { url: staticOrigin + '/blank.html', done: async () => {} }));
  const loads = await measureFreshLoads(browser, options['first-loads'], async (i) => {
    const server = await startServer(copyWorkspace(`first-load-${i}`));
    return { url: server.url, done: () => stopServer(server) };
  });
  return { blanks, loads };
}

// The first-load anatomy's documents: the Train page as the server sent
// it, then without its scripts (the inline loader and the preload links),
// without its stylesheet too, and with every form control replaced by its
// text (a span), so only the controls' own cost is gone.
const anatomyVariants = ['as-sent', 'no-scripts', 'no-scripts-no-style', 'no-scripts-no-controls'];

function addAnatomyVariants(files, html, headers) {
  const noScripts = html.replace(/<script>[\s\S]*?<\/script>/g, '')
    .replace(/<link rel="preload"[^>]*>/g, '');
  const noStyle = noScripts.replace(/<style>[\s\S]*?<\/style>/g, '');
  const noControls = noScripts
    .replace(/<select[^>]*>[\s\S]*?<\/select>/g, '<span>select</span>')
    .replace(/<textarea[^>]*>([\s\S]*?)<\/textarea>/g, '<span>$1</span>')
    .replace(/<button[^>]*>([\s\S]*?)<\/button>/g, '<span>$1</span>')
    .replace(/<input type="hidden"[^>]*>/g, '')
    .replace(/<input[^>]*>/g, '<span>input</span>');
  const bodies = [html, noScripts, noStyle, noControls];
  anatomyVariants.forEach((name, i) => files.set(`/anatomy/${name}.html`, { body: bodies[i], headers }));
}

// Each round opens every variant once, each in a fresh context of @browser.
async function measureFirstLoadAnatomy(browser, staticOrigin, rounds) {
  const samples = Object.fromEntries(anatomyVariants.map((name) => [name, []]));
  for (let i = 0; i < rounds; i++) {
    for (const name of anatomyVariants) {
      const [load] = await measureFreshLoads(browser, 1, async () => (
        { url: `${staticOrigin}/anatomy/${name}.html`, done: async () => {} }));
      samples[name].push(load.first_contentful_paint_ms);
    }
  }
  return Object.fromEntries(anatomyVariants.map((name) => [name, round(median(samples[name]))]));
}

async function measureBlankPaints(page, staticOrigin) {
  const samples = [];
  for (let i = 0; i < 5; i++) {
    await page.goto(staticOrigin + '/blank.html');
    samples.push((await waitResult(page, firstPaint)).first_contentful_paint_ms);
  }
  return samples;
}

async function measureLiveUpdates(page, origin) {
  await page.goto(origin + '/train');
  const encoders = await page.$$eval('#f-encoder option', (list) => list.map((o) => o.value));
  if (encoders.length < 2) throw new Error('the demo Train page offers fewer than two encoders');
  await page.evaluate(() => {
    window.live = { start: null, before: null, result: null };
    const main = document.getElementById('main');
    const begin = (event) => {
      if (window.live.start !== null) return;
      window.live.start = event.timeStamp;
      window.live.before = document.getElementById('command').value;
    };
    main.addEventListener('input', (event) => {
      if (event.target.id === 'f-encoder' || event.target.id === 'f-exp_name') begin(event);
    }, true);
    document.addEventListener('cmdb:updated', () => {
      const { start, before } = window.live;
      if (start === null || document.getElementById('command').value === before) return;
      window.live.start = null;
      requestAnimationFrame(() => requestAnimationFrame(() => {
        window.live.result = performance.now() - start;
      }));
    });
  });
  const selecting = [];
  for (let i = 0; i < options.changes; i++) {
    await page.evaluate(() => { window.live.result = null; });
    await page.selectOption('#f-encoder', encoders[(i + 1) % 2]);
    selecting.push(await waitResult(page, () => window.live.result));
  }
  const typing = [];
  await page.focus('#f-exp_name');
  await page.keyboard.press('End');
  for (let i = 0; i < options.changes; i++) {
    await page.evaluate(() => { window.live.result = null; });
    await page.keyboard.type(String.fromCharCode(97 + (i % 26)));
    typing.push(await waitResult(page, () => window.live.result));
  }
  return { selecting, typing };
}

// ---- main ----

const loadAtStart = os.loadavg()[0];
let context = null;
let staticCopy = null;
let exitCode = 0;
try {
  const server = await startServer(copyWorkspace('ws'));
  log(`server pid ${server.pid} at ${server.origin}`);
  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: options.chromium, headless: true, args: chromiumFlags,
    viewport: { width: 1280, height: 900 },
  });
  await context.addInitScript(navigationProbe);
  const page = context.pages()[0] || await context.newPage();
  // The tab's renderer and its fonts are started on the other server's
  // page first: the cold figure is about the app, not the browser's start.
  await page.goto(server.url);

  log('cold first visits (fresh server)');
  const cold = await measureColdVisits(page);
  await page.goto(server.origin + '/train');
  log(`warm page switches (${options.switches})`);
  const switchPhases = [];
  const switches = await measureSwitches(page, server.origin, switchPhases);
  log(`live updates (${options.changes} selections, ${options.changes} keystrokes)`);
  const live = await measureLiveUpdates(page, server.origin);
  log(`static navigations (${options.navigations})`);
  staticCopy = await startStaticCopy(server);
  const statics = await measureStaticNavigations(page, staticCopy.origin);
  const blanks = await measureBlankPaints(page, staticCopy.origin);
  log(`frame floor (${options.switches} clicks on a one-line page)`);
  const floorPhases = [];
  const floor = await measureFrameFloor(page, staticCopy.origin, floorPhases);
  log(`first loads (${options['first-loads']} fresh servers and browser contexts)`);
  const freshBrowser = await chromium.launch({
    executablePath: options.chromium, headless: true, args: chromiumFlags,
  });
  let first;
  let anatomy;
  try {
    first = await measureFirstLoads(freshBrowser, staticCopy.origin);
    log(`first-load anatomy (${options['first-loads']} rounds of ${anatomyVariants.length} documents)`);
    anatomy = await measureFirstLoadAnatomy(freshBrowser, staticCopy.origin, options['first-loads']);
  } finally {
    await freshBrowser.close();
  }
  log(`full navigations to the server (${options.navigations})`);
  await page.goto(server.origin + '/train');
  const fulls = await measureFullNavigations(page, server.origin);

  const coldVisits = Object.values(cold.visits);
  const result = {
    browser_switch_median_ms: round(median(switches)),
    browser_switch_p95_ms: round(percentile(switches, 0.95)),
    browser_switch_samples: switches.length,
    browser_switch_phases_median_ms: phaseMedians(switchPhases, switches),
    browser_frame_floor_median_ms: round(median(floor)),
    browser_frame_floor_p95_ms: round(percentile(floor, 0.95)),
    browser_frame_floor_phases_median_ms: phaseMedians(floorPhases, floor),
    browser_static_nav_median_ms: round(median(statics)),
    browser_static_nav_samples: statics.length,
    browser_switch_to_static_ratio: round(median(switches) / median(statics)),
    browser_full_nav_median_ms: round(median(fulls)),
    browser_full_nav_samples: fulls.length,
    browser_cold_visit_ms: round(Math.max(...coldVisits)),
    browser_cold_visit_samples: coldVisits.length,
    browser_cold_visits_ms: Object.fromEntries(
      Object.entries(cold.visits).map(([id, value]) => [id, round(value)])),
    browser_cold_visit_phases_ms: Object.fromEntries(Object.entries(cold.phases).map(
      ([id, phase]) => [id, Object.fromEntries(Object.entries(phase).map(([k, v]) => [k, round(v)]))])),
    browser_cold_load_fcp_ms: round(cold.load.first_contentful_paint_ms),
    browser_cold_load: Object.fromEntries(
      Object.entries(cold.load).map(([name, value]) => [name, round(value)])),
    browser_blank_fcp_median_ms: round(median(blanks)),
    browser_blank_fcp_samples: blanks.length,
    browser_first_load_fcp_median_ms: round(median(first.loads.map((l) => l.first_contentful_paint_ms))),
    browser_first_load_fcp_samples: first.loads.length,
    browser_first_load_median_ms: Object.fromEntries(Object.keys(first.loads[0]).map(
      (name) => [name, round(median(first.loads.map((l) => l[name])))])),
    browser_blank_first_load_fcp_median_ms: round(median(first.blanks.map((l) => l.first_contentful_paint_ms))),
    browser_blank_first_load_fcp_samples: first.blanks.length,
    browser_first_load_anatomy_fcp_median_ms: anatomy,
    live_update_median_ms: round(median(live.selecting)),
    live_update_p95_ms: round(percentile(live.selecting, 0.95)),
    live_update_samples: live.selecting.length,
    live_update_typing_median_ms: round(median(live.typing)),
    live_update_typing_samples: live.typing.length,
  };
  // The machine's load (1-minute average, at the start and the end): on a
  // shared 2-core machine the figures stretch with it.
  result.load_average = [round(loadAtStart), round(os.loadavg()[0])];
  result.targets = {
    switch_median_le_30ms: result.browser_switch_median_ms <= 30,
    switch_below_static_floor: result.browser_switch_median_ms < result.browser_static_nav_median_ms,
    cold_visit_le_100ms: result.browser_cold_visit_ms <= 100,
    live_update_median_le_50ms: result.live_update_median_ms <= 50,
    live_update_median_le_frame_floor_plus_8ms:
      result.live_update_median_ms <= result.browser_frame_floor_median_ms + 8,
    first_load_fcp_le_100ms: result.browser_first_load_fcp_median_ms <= 100,
    first_load_fcp_le_blank_plus_40ms:
      result.browser_first_load_fcp_median_ms <= result.browser_blank_fcp_median_ms + 40,
  };
  console.log(JSON.stringify(result, null, 2));
} catch (error) {
  console.error('bench-browser: ' + (error && error.stack || error));
  exitCode = 1;
} finally {
  if (context) await context.close().catch(() => {});
  if (staticCopy) staticCopy.server.close();
  for (const server of servers) await stopServer(server);
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(exitCode);
