// Shared set-up of the browser tests: a copy of the demo workspace in a
// temporary directory, a real `cmdbuilder serve` on it with an isolated
// environment, Debian's chromium through Playwright, and TAP output.
// Environment (set by meson): CMDB_TEST_SOURCE_ROOT, CMDB_TEST_CMDBUILDER.
// CMDB_CHROMIUM (optional): the chromium binary to drive.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const sourceRoot = process.env.CMDB_TEST_SOURCE_ROOT;
// The cmdbuilder binary under test.
export const cmdbuilder = process.env.CMDB_TEST_CMDBUILDER;
const chromiumPath = process.env.CMDB_CHROMIUM || '/usr/bin/chromium';
const chromiumFlags = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// Makes a temporary directory named after `prefix` and copies the demo
// workspace into it. Returns { tmp, workspace }; runInBrowser() removes tmp.
export function copyDemoWorkspace(prefix) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const workspace = path.join(tmp, 'ws');
  fs.cpSync(path.join(sourceRoot, 'examples', 'ocr-workspace'), workspace, { recursive: true });
  return { tmp, workspace };
}

// The environment for the server: this process's, plus `extra`, with
// XDG directories and HOME inside `tmp` and no CMDBUILDER_* variables, so
// no real user's configuration leaks into the server.
export function isolatedEnvironment(tmp, extra = {}) {
  const env = { ...process.env, ...extra };
  for (const name of Object.keys(env))
    if (name.startsWith('CMDBUILDER_')) delete env[name];
  for (const [name, dir] of [['XDG_CONFIG_HOME', 'config'], ['XDG_CONFIG_DIRS', 'config-dirs'],
                             ['XDG_DATA_HOME', 'data'], ['XDG_CACHE_HOME', 'cache'],
                             ['XDG_STATE_HOME', 'state'], ['HOME', 'home']]) {
    env[name] = path.join(tmp, 'env', dir);
    fs.mkdirSync(env[name], { recursive: true });
  }
  return env;
}

// A `cmdbuilder serve --port 0` on a workspace. After start(): url (the
// start URL it printed), origin and token (null without one).
export class TestServer {
  constructor(workspace, env) {
    this.workspace = workspace;
    this.env = env;
    this.child = null;
  }

  // Resolves once the server printed its URL; rejects if it exits first.
  // `port` (default 0: any free one) keeps a restarted server's address.
  start(port = 0) {
    return new Promise((resolve, reject) => {
      const child = spawn(cmdbuilder, ['serve', '--workspace', this.workspace, '--port', String(port),
                                        ...(this.extraArgs || [])], {
        cwd: this.workspace, env: this.env, stdio: ['ignore', 'pipe', 'inherit'],
      });
      const lines = createInterface({ input: child.stdout });
      child.once('exit', (code) => reject(new Error('server exited early with ' + code)));
      lines.once('line', (url) => {
        const parsed = new URL(url);
        this.child = child;
        this.url = url;
        this.origin = parsed.origin;
        this.token = parsed.searchParams.get('token');
        resolve(this);
      });
    });
  }

  // SIGTERM and wait for the exit; nothing to do when it is not running.
  stop() {
    const { child } = this;
    this.child = null;
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  }

  // A new server on the same workspace and environment (a new port and token).
  async restart() {
    await this.stop();
    await this.start();
  }
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

export function assertEqual(actual, expected, what) {
  if (actual !== expected)
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

// Waits until the element's value is `expected`; the error names the value seen.
export async function waitValue(page, selector, expected) {
  await page.waitForFunction(([s, v]) => {
    const element = document.querySelector(s);
    return element && element.value === v;
  }, [selector, expected], { timeout: 10000 }).catch(async () => {
    const actual = await page.$eval(selector, (e) => e.value).catch(() => '<missing>');
    throw new Error(`${selector}: expected value ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  });
}

// One TAP result per step, in order; a test file is one process, so one list.
const results = [];

// Runs one named step; a thrown error fails it and the next step still runs.
export async function step(name, body) {
  try {
    await body();
    results.push({ name, ok: true });
  } catch (error) {
    results.push({ name, ok: false, error });
  }
}

// Starts `server`, opens chromium (a profile in `tmp`; `contextOptions` add
// to or replace the defaults) and calls `body(page)` with the first page,
// whose default timeout is `timeout`. An error outside the steps is a failed
// 'setup' result. Always closes the browser, stops the server and removes `tmp`.
export async function runInBrowser({ tmp, server, timeout, contextOptions = {} }, body) {
  let context = null;
  try {
    await server.start();
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: chromiumPath,
      headless: true,
      args: chromiumFlags,
      viewport: { width: 1280, height: 900 },
      ...contextOptions,
    });
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(timeout);
    await body(page);
  } catch (error) {
    results.push({ name: 'setup', ok: false, error });
  } finally {
    if (context) await context.close().catch(() => {});
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// Prints the TAP plan and results and exits: 0 when every step passed.
export function finishTap() {
  console.log(`1..${results.length}`);
  results.forEach((result, i) => {
    console.log(`${result.ok ? 'ok' : 'not ok'} ${i + 1} - ${result.name}`);
    if (!result.ok)
      for (const line of String(result.error && result.error.stack || result.error).split('\n'))
        console.log('# ' + line);
  });
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}
