// Browser test of the web UI's layout and polish (issue "the web UI tells
// the truth", point 7): a real `cmdbuilder serve` on a copy of the demo
// workspace whose Test runner script is missing, driven by Playwright
// through Debian's chromium in a window of 1280x800, in the Asia/Kolkata
// time zone (UTC+05:30, so a time shown in UTC is visibly wrong). Prints TAP.
// Environment (set by meson): CMDB_TEST_SOURCE_ROOT, CMDB_TEST_CMDBUILDER.
import fs from 'node:fs';
import path from 'node:path';
import {
  assert, assertEqual, copyDemoWorkspace, finishTap, isolatedEnvironment, runInBrowser, step,
  TestServer, waitValue,
} from './helpers.mjs';

const timeZone = 'Asia/Kolkata';
const locale = 'en-GB';
const { tmp, workspace } = copyDemoWorkspace('cmdb-browser-layout-');
// The Test page's runner is missing: a set-up problem of that page only.
fs.rmSync(path.join(workspace, 'runners', 'test.py'));
const server = new TestServer(workspace, isolatedEnvironment(tmp, { DEMO_EPOCH_SECONDS: '0.1' }));
const auth = () => ({ Authorization: 'Bearer ' + server.token });

// The box of @selector relative to the window: {top, bottom, left, right}.
function box(page, selector) {
  return page.$eval(selector, (element) => {
    const r = element.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
  });
}

async function gotoFresh(page, id) {
  await page.goto(server.origin + '/' + id);
  await page.evaluate(() => window.scrollTo(0, 0));
}

await runInBrowser({
  tmp, server, timeout: 20000,
  contextOptions: { viewport: { width: 1280, height: 800 }, timezoneId: timeZone, locale },
}, async (page) => {
  await page.goto(server.url);

  await step('at 1280x800 Run is on screen on Train without scrolling, and stays there', async () => {
    await gotoFresh(page, 'train');
    assertEqual(await page.evaluate(() => window.scrollY), 0, 'not scrolled');
    const run = await box(page, '#run-start');
    assert(run.top >= 0 && run.bottom <= 800, `Run is at ${run.top}-${run.bottom} px, outside the 800 px window`);
    assert(await page.isVisible('#run-start'), 'Run is visible');
    // The form is long: scrolling to its last field keeps the panel in view.
    await page.$eval('#w-suffix', (element) => element.scrollIntoView());
    assert(await page.evaluate(() => window.scrollY) > 300, 'the page scrolled');
    const after = await box(page, '#run-start');
    assert(after.top >= 0 && after.bottom <= 800, `after scrolling Run is at ${after.top}-${after.bottom} px`);
    const command = await box(page, '#command');
    assert(command.top >= 0 && command.bottom <= 800, 'the command text stays in view too');
  });

  await step('applying a suggested setup does not move the form', async () => {
    await gotoFresh(page, 'train');
    const before = await box(page, '#page-form .fields');
    await page.click('form.card:has(button[value="receipts_fast"]) button');
    await page.waitForSelector('form.card.active .applied');
    await waitValue(page, '#f-encoder', 'mobilenetv3_small_050');
    const after = await box(page, '#page-form .fields');
    assertEqual(after.top, before.top, 'the form\'s top (px)');
    // Its values open over the page, not inside the flow.
    await page.click('form.card.active .card-values summary');
    const opened = await box(page, '#page-form .fields');
    assertEqual(opened.top, before.top, 'the form\'s top with the values open (px)');
    await page.click('#reset');
    await waitValue(page, '#f-exp_name', 'ocr_training');
  });

  await step('Tab skips the help buttons, which screen readers still reach', async () => {
    await gotoFresh(page, 'train');
    const helps = await page.$$eval('#page-form button.help', (list) => list.length);
    assert(helps >= 5, `Train has ${helps} help buttons`);
    await page.focus('#f-exp_name');
    const visited = [];
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const element = document.activeElement;
        return { id: element.id, help: element.classList.contains('help'), run: element.id === 'run-start' };
      });
      assert(!focused.help, `Tab ${i + 1} focused a help button`);
      visited.push(focused.id);
    }
    assert(visited.includes('f-architecture') && visited.includes('f-seed'), 'Tab went through the fields');
    // In the accessibility tree: a named button, and the field describes itself with the help.
    const button = page.getByRole('button', { name: 'Help: Experiment name' });
    assertEqual(await button.count(), 1, 'the help button by its accessible name');
    const described = await page.$eval('#f-exp_name', (input) => input.getAttribute('aria-describedby'));
    assert(described.split(' ').includes('h-exp_name'), 'the field is described by its help');
    assert((await page.textContent('#h-exp_name')).length > 10, 'the help text is in the page');
  });

  await step('a legend explains the changed-field mark', async () => {
    await gotoFresh(page, 'train');
    assert(await page.isVisible('#form-legend'), 'legend shown');
    assert((await page.textContent('#form-legend')).includes('changed by you'), 'legend text');
    await page.fill('#f-seed', '7');
    await page.waitForSelector('#w-seed .user-set-mark');
    assertEqual(await page.textContent('#w-seed .user-set-mark .visually-hidden'), 'changed by you', 'the mark\'s words');
    assertEqual(await page.$eval('#w-seed .user-set-mark [aria-hidden]', (e) => e.textContent),
                await page.$eval('#form-legend .user-set-mark', (e) => e.textContent), 'the same mark as the legend');
  });

  await step('Differences lists only the changed overrides, one line each', async () => {
    await gotoFresh(page, 'train');
    await page.waitForFunction(() => document.querySelector('#command').value.includes('seed=7'));
    await page.click('#diffs summary');
    const lines = await page.$$eval('#diffs pre.diff', (pres) => pres[0].innerText.split('\n').filter((l) => l !== ''));
    assertEqual(JSON.stringify(lines), JSON.stringify(['- seed=42', '+ seed=7']), 'against the defaults');
    const unchanged = await page.textContent('#diffs .diff-unchanged');
    assert(/^\d+ unchanged words not shown\.$/.test(unchanged), 'the unchanged words are counted: ' + unchanged);
    // No empty line between them: each line is one line high.
    const heights = await page.$$eval('#diffs pre.diff', (pres) => {
      const pre = pres[0];
      const lineHeight = parseFloat(getComputedStyle(pre).lineHeight) || 18;
      const children = Array.from(pre.children);
      return { lineHeight, rows: children.map((c) => c.getBoundingClientRect().height),
               gap: children[1].getBoundingClientRect().top - children[0].getBoundingClientRect().bottom };
    });
    assert(heights.rows.every((h) => h <= heights.lineHeight * 1.5), 'each line is one line: ' + JSON.stringify(heights));
    assert(heights.gap < heights.lineHeight / 2, 'no empty line between lines: ' + JSON.stringify(heights));
    await page.click('#reset');
    await waitValue(page, '#f-seed', '42');
  });

  await step('log line markers are words, not emoji', async () => {
    await gotoFresh(page, 'train');
    const markers = await page.evaluate(() => {
      const output = document.querySelector('#run-output');
      const result = {};
      for (const kind of ['metrics', 'error', 'warning', 'success', 'progress']) {
        const line = document.createElement('div');
        line.className = 'line line-' + kind;
        line.textContent = 'x';
        output.append(line);
        result[kind] = getComputedStyle(line, '::before').content;
        line.remove();
      }
      return result;
    });
    for (const [kind, content] of Object.entries(markers))
      assert(/^"\[[a-z]+\] "$/.test(content), `${kind}: ${content}`);
  });

  await step('the favicon is linked, served and cached', async () => {
    const href = await page.$eval('link[rel="icon"]', (link) => link.href);
    for (const url of [href, server.origin + '/favicon.ico']) {
      const response = await fetch(url, { headers: auth() });
      assertEqual(response.status, 200, url);
      assertEqual(response.headers.get('content-type'), 'image/svg+xml', url + ' type');
      assert(/max-age=\d{4,}/.test(response.headers.get('cache-control') || ''), url + ' is cached: ' + response.headers.get('cache-control'));
      assert((await response.text()).startsWith('<svg'), url + ' is the icon');
    }
  });

  await step('run start times show in the browser\'s time zone', async () => {
    await gotoFresh(page, 'train');
    await page.fill('#f-max_epochs', '1');
    await page.waitForFunction(() => document.querySelector('#command').value.includes('trainer.max_epochs=1'));
    await page.click('#run-start');
    await page.waitForFunction(() => ['succeeded', 'failed'].includes(document.querySelector('#run-status')?.dataset.status),
                               null, { timeout: 60000 });
    const runs = (await (await fetch(server.origin + '/api/runs?page=train', { headers: auth() })).json()).runs;
    const startedAt = runs[0].started_at;
    assert(/Z$|[+-]\d\d:\d\d$/.test(startedAt), 'the server sends an offset: ' + startedAt);
    const format = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' };
    const expected = new Date(startedAt).toLocaleString(locale, { ...format, timeZone });
    const inUtc = new Date(startedAt).toLocaleString(locale, { ...format, timeZone: 'UTC' });
    assert(expected !== inUtc, 'the zone differs from UTC');
    await page.waitForFunction(() => document.querySelector('#run-started')?.textContent !== '');
    assertEqual(await page.textContent('#run-started'), 'started ' + expected, 'the panel\'s start');
    await page.click('#run-history summary');
    await page.waitForSelector('#run-list time.local-time[data-local]');
    assertEqual(await page.textContent('#run-list time.local-time'), expected, 'the runs table\'s start');
  });

  await step('a set-up problem shows as a banner on the page it affects only', async () => {
    await gotoFresh(page, 'test');
    const banner = await page.textContent('#setup-problems');
    assert(banner.includes('runners/test.py') && banner.includes('does not exist'), 'the banner names the runner: ' + banner);
    await page.click('.sidebar a[data-page="train"]');
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Train');
    assertEqual(await page.$('#setup-problems'), null, 'no banner on Train');
    // The API says the same, page by page.
    const problemsOf = async (id) => (await (await fetch(server.origin + '/api/pages/' + id, { headers: auth() })).json()).setup_problems;
    const testProblems = await problemsOf('test');
    assertEqual(testProblems.length, 1, 'Test\'s set-up problems');
    assert(testProblems[0].path.endsWith('runners/test.py'), 'located at the runner: ' + testProblems[0].path);
    assertEqual((await problemsOf('train')).length, 0, 'Train\'s set-up problems');
    // Put back, the banner goes at the next look at the page.
    fs.writeFileSync(path.join(workspace, 'runners', 'test.py'), '# restored\n');
    await gotoFresh(page, 'test');
    assertEqual(await page.$('#setup-problems'), null, 'the banner went with the problem');
  });
});
finishTap();
