// Browser tests of the web UI: a real `cmdbuilder serve` on a copy of the
// demo workspace, driven by Playwright through Debian's chromium. Prints TAP.
// Environment (set by meson): CMDB_TEST_SOURCE_ROOT, CMDB_TEST_CMDBUILDER.
// CMDB_SCREENSHOT_DIR (optional): keep the page screenshots there (the
// window as a user sees it: wide pages keep their command panel in view, so
// a full-page capture would not show the page as it looks; the narrow one
// is the whole page).
import fs from 'node:fs';
import path from 'node:path';
import {
  assert, assertEqual, copyDemoWorkspace, finishTap, isolatedEnvironment, runInBrowser, step,
  TestServer, waitValue,
} from './helpers.mjs';

const { tmp, workspace } = copyDemoWorkspace('cmdb-browser-');
const screenshots = process.env.CMDB_SCREENSHOT_DIR || path.join(tmp, 'screenshots');
fs.mkdirSync(screenshots, { recursive: true });
const server = new TestServer(workspace, isolatedEnvironment(tmp));

await runInBrowser({
  tmp, server, timeout: 15000,
  contextOptions: { acceptsDownloads: true, permissions: ['clipboard-read', 'clipboard-write'] },
}, async (page) => {
  await step('the start URL sets the cookie and lands on the first page without the token', async () => {
    await page.goto(server.url);
    assertEqual(new URL(page.url()).pathname, '/train', 'landing page');
    assert(!page.url().includes('token'), 'the token left the address bar');
    assertEqual(await page.textContent('#page-title'), 'Train', 'heading');
    await page.screenshot({ path: path.join(screenshots, 'train.png') });
  });

  await step('requests without the token are refused', async () => {
    for (const route of ['/train', '/api/plugins', '/api/pages/train']) {
      const response = await fetch(server.origin + route);
      assertEqual(response.status, 401, route);
    }
    const forged = await fetch(server.origin + '/api/pages/train', {
      method: 'POST', body: '{}',
      headers: { Cookie: `cmdbuilder-token-${new URL(server.origin).port}=${server.token}`,
                 Origin: 'http://evil.example', 'Content-Type': 'application/json' },
    });
    assertEqual(forged.status, 403, 'cross-origin POST');
  });

  await step('switching pages happens in the page and the sidebar follows', async () => {
    await page.evaluate(() => { window.notReloaded = true; });
    await page.click('.sidebar a[data-page="test"]');
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Test');
    assertEqual(new URL(page.url()).pathname, '/test', 'address');
    assert(await page.evaluate(() => window.notReloaded === true), 'the document was reloaded');
    assertEqual(await page.getAttribute('.sidebar a[data-page="test"]', 'aria-current'), 'page', 'current link');
    await page.screenshot({ path: path.join(screenshots, 'test.png') });
    await page.click('.sidebar a[data-page="predict"]');
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Predict');
    await page.screenshot({ path: path.join(screenshots, 'predict.png') });
    await page.waitForURL(server.origin + '/predict', { timeout: 2000 });
    await page.goBack();
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Test');
    await page.click('.sidebar a[data-page="train"]');
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Train');
  });

  await step('changing the architecture changes decoder choices and defaults', async () => {
    const before = await page.$eval('#f-decoder', (e) => e.options.length);
    assert(before > 1, 'dbnet offers several decoders');
    await page.selectOption('#f-architecture', 'craft');
    await waitValue(page, '#f-decoder', 'craft_decoder');
    await waitValue(page, '#f-head', 'craft_head');
    assertEqual(await page.$eval('#f-decoder', (e) => e.options.length), 1, 'craft decoders');
    assert((await page.inputValue('#command')).includes('model/architectures=craft'), 'command follows');
    await page.selectOption('#f-architecture', 'dbnet');
    await page.waitForFunction(() => document.querySelector('#f-decoder').options.length > 1);
  });

  await step('validation messages appear and clear while focus and caret stay', async () => {
    await page.fill('#f-exp_name', '');
    await page.type('#f-exp_name', 'ab');
    await page.waitForSelector('#m-exp_name .error');
    await page.type('#f-exp_name', 'c');
    await page.waitForFunction(() => !document.querySelector('#m-exp_name .error'));
    const focus = await page.evaluate(() => ({
      id: document.activeElement.id,
      caret: document.activeElement.selectionStart,
      value: document.activeElement.value,
    }));
    assertEqual(focus.id, 'f-exp_name', 'focused element');
    assertEqual(focus.value, 'abc', 'typed value');
    assertEqual(focus.caret, 3, 'caret');
    await page.waitForFunction(() => document.querySelector('#command').value.includes('exp_name=abc'));
  });

  await step('applying a suggested setup fills the form', async () => {
    await page.click('form.card:has(button[value="receipts_fast"]) button');
    await waitValue(page, '#f-encoder', 'mobilenetv3_small_050');
    await waitValue(page, '#f-decoder', 'pan_decoder');
    await page.waitForSelector('form.card.active button[value="receipts_fast"]');
  });

  await step('Ctrl+Enter generates and Copy puts the command on the clipboard', async () => {
    await page.focus('#f-exp_name');
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(() => document.querySelector('#status').textContent.includes('generated'));
    await page.click('#copy');
    await page.waitForFunction(() => document.querySelector('#status').textContent === 'Copied!');
    const clipboard = await page.evaluate(() => navigator.clipboard.readText());
    assertEqual(clipboard, await page.inputValue('#command'), 'clipboard');
  });

  await step('Download gives command.sh with the command', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    assertEqual(download.suggestedFilename(), 'command.sh', 'file name');
    const saved = path.join(tmp, 'command.sh');
    await download.saveAs(saved);
    const text = fs.readFileSync(saved, 'utf8');
    assert(text.startsWith('#!/bin/sh\n'), 'shebang');
    assert(text.includes('runners/train.py'), 'runner in the file');
  });

  await step('values are kept across page switches and a server restart', async () => {
    await page.fill('#f-exp_name', 'kept_in_browser');
    await page.waitForFunction(() => document.querySelector('#command').value.includes('kept_in_browser'));
    await page.click('.sidebar a[data-page="test"]');
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Test');
    await page.click('.sidebar a[data-page="train"]');
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Train');
    assertEqual(await page.inputValue('#f-exp_name'), 'kept_in_browser', 'after a page switch');

    await server.restart();
    await page.goto(server.url);
    assertEqual(new URL(page.url()).pathname, '/train', 'the last visited page');
    assertEqual(await page.inputValue('#f-exp_name'), 'kept_in_browser', 'after a restart');
  });

  await step('the suffix checkbox changes the command and survives a page switch', async () => {
    await page.goto(server.origin + '/train');
    assert(await page.isChecked('#append-suffix'), 'on by default on Train');
    await page.waitForFunction(() => /exp_name=kept_in_browser-dbnet-/.test(document.querySelector('#command').value));
    await page.uncheck('#append-suffix');
    await page.waitForFunction(() => /exp_name=kept_in_browser( |$)/.test(document.querySelector('#command').value));
    await page.click('.sidebar a[data-page="test"]');
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Test');
    assertEqual(await page.$('#append-suffix'), null, 'no checkbox on Test');
    await page.click('.sidebar a[data-page="train"]');
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Train');
    assert(!(await page.isChecked('#append-suffix')), 'still off after a page switch');
    assert(/exp_name=kept_in_browser( |$)/.test(await page.inputValue('#command')), 'command without suffix');
    await page.check('#append-suffix');
    await page.waitForFunction(() => /exp_name=kept_in_browser-dbnet-/.test(document.querySelector('#command').value));
  });

  await step('a warm switch shows the page at once and then what the server knows', async () => {
    await page.goto(server.origin + '/train');
    await page.click('.sidebar a[data-page="test"]');
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Test');
    // Changed elsewhere (another tab, a script) while this tab shows Test.
    const changed = await fetch(server.origin + '/api/pages/train', {
      method: 'POST', body: JSON.stringify({ changes: { exp_name: 'from_elsewhere' } }),
      headers: { Authorization: 'Bearer ' + server.token, 'Content-Type': 'application/json' },
    });
    assertEqual(changed.status, 200, 'POST from elsewhere');
    await page.click('.sidebar a[data-page="train"]');
    await waitValue(page, '#f-exp_name', 'from_elsewhere');
    await page.waitForFunction(() => document.querySelector('#command').value.includes('exp_name=from_elsewhere'));
    const last = await fetch(server.origin + '/', { redirect: 'manual', headers: { Authorization: 'Bearer ' + server.token } });
    assertEqual(last.headers.get('location'), '/train', 'the server knows the page shown');
  });

  await step('what is typed just before a switch is saved for its own page', async () => {
    await page.goto(server.origin + '/train');
    await page.fill('#f-exp_name', '');
    await page.type('#f-exp_name', 'typed_then_left', { delay: 0 });
    await page.click('.sidebar a[data-page="test"]');
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Test');
    await page.click('.sidebar a[data-page="train"]');
    await waitValue(page, '#f-exp_name', 'typed_then_left');
    await page.waitForFunction(() => document.querySelector('#command').value.includes('exp_name=typed_then_left'));
    const stored = await (await fetch(server.origin + '/api/pages/train', {
      headers: { Authorization: 'Bearer ' + server.token } })).json();
    assertEqual(stored.state.values.exp_name, 'typed_then_left', 'stored for Train');
    const test = await (await fetch(server.origin + '/api/pages/test', {
      headers: { Authorization: 'Bearer ' + server.token } })).json();
    assert(!('exp_name' in test.state.values), 'nothing of Train went to Test');
    assert(!(await page.textContent('#status')).includes('Not saved'), 'no request failed');
  });

  await step('pages left stay in the tab, hidden and out of reach', async () => {
    await page.goto(server.origin + '/train');
    for (const [id, title] of [['test', 'Test'], ['predict', 'Predict']]) {
      await page.click(`.sidebar a[data-page="${id}"]`);
      await page.waitForFunction((title) => document.querySelector('#page-title')?.textContent === title, title);
    }
    await page.waitForURL(server.origin + '/predict');
    const boxes = await page.$$eval('#main > .view', (list) => list.map((box) => [box.dataset.view, box.classList.contains('away')]));
    assertEqual(JSON.stringify(boxes.sort()), JSON.stringify([['predict', false], ['test', true], ['train', true]]), 'one box per page visited');
    // Ids stay unique: labels, scripts and tests find the page shown only.
    assertEqual(await page.evaluate(() => document.querySelectorAll('[id="page-title"]').length), 1, 'one #page-title');
    assertEqual(await page.evaluate(() => document.querySelectorAll('[id="execution-panel"]').length), 1, 'one run panel');
    assert(await page.evaluate(() => getComputedStyle(document.querySelector('.view.away')).contentVisibility === 'hidden'), 'not rendered');
    // Keyboard: Tab never reaches a field of a page left.
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      const inAway = await page.evaluate(() => !!document.activeElement.closest('.view.away'));
      assert(!inAway, 'focus went into a hidden page after ' + (i + 1) + ' Tabs');
    }
    await page.click('.sidebar a[data-page="train"]');
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Train');
    assert(await page.$('#f-exp_name') !== null, 'Train has its ids back');
    assertEqual(await page.evaluate(() => document.querySelectorAll('[data-away-id]').length > 0), true, 'the others keep theirs aside');
    await page.waitForURL(server.origin + '/train');
  });

  await step('a deep link works on reload, and Reset restores the defaults', async () => {
    await page.goto(server.origin + '/predict');
    assertEqual(await page.textContent('#page-title'), 'Predict', 'deep link');
    await page.reload();
    assertEqual(await page.textContent('#page-title'), 'Predict', 'after reload');
    await page.goto(server.origin + '/train');
    await page.click('#reset');
    await waitValue(page, '#f-exp_name', 'ocr_training');
  });

  await step('no page is wider than the window, full or on half a laptop screen', async () => {
    for (const width of [1280, 640]) {
      await page.setViewportSize({ width, height: 900 });
      for (const id of ['train', 'test', 'predict']) {
        await page.goto(server.origin + '/' + id);
        const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert(wide <= 0, `/${id} at ${width} px is ${wide} px wider than the window`);
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await step('dark colour scheme renders', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(server.origin + '/train');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assertEqual(background, 'rgb(21, 24, 30)', 'dark background');
    await page.screenshot({ path: path.join(screenshots, 'train-dark.png') });
    await page.setViewportSize({ width: 700, height: 900 });
    await page.screenshot({ path: path.join(screenshots, 'train-narrow.png'), fullPage: true });
  });
});
if (process.env.CMDB_SCREENSHOT_DIR) console.log(`# screenshots in ${screenshots}`);
finishTap();
