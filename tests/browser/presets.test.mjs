// Browser test of presets in the web UI (docs/sweeps.md, "Presets"): a
// preset committed to the workspace while the server runs is listed beside
// the suggested setups with what it would change; Apply fills the form;
// the current form saved as a new preset lands in the workspace as YAML;
// Delete removes it.
// Environment (set by meson): CMDB_TEST_SOURCE_ROOT, CMDB_TEST_CMDBUILDER.
import fs from 'node:fs';
import path from 'node:path';
import {
  assert, assertEqual, copyDemoWorkspace, finishTap, isolatedEnvironment, runInBrowser, step,
  TestServer,
} from './helpers.mjs';

const { tmp, workspace } = copyDemoWorkspace('cmdb-browser-presets-');
const server = new TestServer(workspace, isolatedEnvironment(tmp));
const presets = path.join(workspace, 'configs', 'ui_meta', 'presets', 'train');

await runInBrowser({ tmp, server, timeout: 20000 }, async (page) => {
  await page.goto(server.url);
  await page.waitForSelector('#presets');

  await step('a preset committed while the server runs is listed, with its diff', async () => {
    fs.mkdirSync(presets, { recursive: true });
    fs.writeFileSync(path.join(presets, 'receipts.yaml'),
      'description: receipts baseline\nvalues:\n  encoder: resnet34\n  old_key: 1\n');
    await page.reload();
    const card = await page.waitForSelector('.preset[data-preset="receipts"]');
    const text = await card.textContent();
    assert(text.includes('receipts baseline'), 'the description: ' + text);
    assert(text.includes('encoder: resnet18 \u2192 resnet34'), 'the diff: ' + text);
    assert(text.includes('skipped (no longer on this page): old_key'), 'the skipped key: ' + text);
  });

  await step('Apply fills the form', async () => {
    await page.click('.preset[data-preset="receipts"] .preset-apply');
    await page.waitForFunction(() => document.querySelector('#f-encoder')?.value === 'resnet34');
    const command = await page.inputValue('#command');
    assert(command.includes('model.encoder.model_name=resnet34'), 'the command: ' + command);
    const same = await page.textContent('.preset[data-preset="receipts"] .preset-diff');
    assertEqual(same, 'same as the form', 'the diff after applying');
  });

  await step('the form saved as a preset lands in the workspace', async () => {
    await page.waitForSelector('#presets[data-loaded="true"]');
    await page.fill('.preset-save input[name="name"]', 'mine');
    await page.fill('.preset-save input[name="description"]', 'from the browser');
    await page.click('.preset-save button[type="submit"]');
    await page.waitForSelector('.preset[data-preset="mine"], .presets-status.error');
    const status = await page.textContent('.presets-status');
    assert(await page.$('.preset[data-preset="mine"]'), 'the new card (status: ' + status + ')');
    const text = fs.readFileSync(path.join(presets, 'mine.yaml'), 'utf8');
    assert(text.includes('encoder: "resnet34"'), 'the file: ' + text);
    assert(text.includes('description: "from the browser"'), 'the file: ' + text);
  });

  await step('Delete removes it', async () => {
    page.once('dialog', (dialog) => dialog.accept());
    await page.click('.preset[data-preset="mine"] .preset-delete');
    await page.waitForFunction(() => !document.querySelector('.preset[data-preset="mine"]'));
    assert(!fs.existsSync(path.join(presets, 'mine.yaml')), 'the file is gone');
  });
});
finishTap();
