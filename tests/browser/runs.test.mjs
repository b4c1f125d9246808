// Browser test of the execution panel: a real `cmdbuilder serve` on a copy
// of the demo workspace, driven by Playwright through Debian's chromium.
// Runs the Train command from the UI, watches its lines and the collapsed
// \r progress arrive live, stops a run, reruns one from the history and
// compares two runs' commands. Prints TAP.
// Environment (set by meson): CMDB_TEST_SOURCE_ROOT, CMDB_TEST_CMDBUILDER.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  assert, assertEqual, cmdbuilder, copyDemoWorkspace, finishTap, isolatedEnvironment, runInBrowser,
  step, TestServer,
} from './helpers.mjs';

const { tmp, workspace } = copyDemoWorkspace('cmdb-browser-runs-');
const serverEnv = isolatedEnvironment(tmp, { DEMO_EPOCH_SECONDS: '0.4' });
const server = new TestServer(workspace, serverEnv);

// Every run the page shows, as the server lists them.
async function listRuns() {
  const response = await fetch(server.origin + '/api/runs?page=train',
                               { headers: { Authorization: 'Bearer ' + server.token } });
  return (await response.json()).runs;
}

async function waitStatus(page, status) {
  await page.waitForFunction((s) => document.querySelector('#run-status')?.dataset.status === s,
                             status, { timeout: 60000 }).catch(async () => {
    const actual = await page.$eval('#run-status', (e) => e.dataset.status).catch(() => '<missing>');
    throw new Error(`run status: expected ${status}, got ${actual}`);
  });
}

async function setMaxEpochs(page, value) {
  await page.fill('#f-max_epochs', String(value));
  await page.press('#f-max_epochs', 'Tab');
  await page.waitForFunction((v) => document.querySelector('#command')?.value.includes('trainer.max_epochs=' + v),
                             value);
}

await runInBrowser({ tmp, server, timeout: 20000 }, async (page) => {
  await page.goto(server.url);
  let firstRun = null;

  await step('Run shows the Train command\'s lines and its collapsed progress live', async () => {
    await setMaxEpochs(page, 3);
    // Record, as they happen, the lines added and the status at that moment.
    await page.evaluate(() => {
      window.seen = { lines: [], partials: [], statusAtFirstLine: null };
      new MutationObserver((records) => {
        for (const record of records)
          for (const node of record.addedNodes) {
            if (node.nodeType !== 1 || !node.classList.contains('line')) continue;
            if (window.seen.statusAtFirstLine === null)
              window.seen.statusAtFirstLine = document.querySelector('#run-status').dataset.status;
            (node.classList.contains('partial') ? window.seen.partials : window.seen.lines)
              .push({ text: node.textContent, className: node.className });
          }
      }).observe(document.querySelector('#run-output'), { childList: true });
    });
    await page.click('#run-start');
    await waitStatus(page, 'running');
    assert(await page.isDisabled('#run-start'), 'Run is disabled while running');
    assert(!(await page.isDisabled('#run-stop')), 'Stop is enabled while running');
    await waitStatus(page, 'succeeded');
    const seen = await page.evaluate(() => window.seen);
    assertEqual(seen.statusAtFirstLine, 'running', 'status when the first line arrived');
    const texts = seen.lines.map((l) => l.text);
    assert(texts.some((t) => t.startsWith('[demo] train.py')), 'the first line arrived');
    assert(texts.every((t) => !t.includes('\r')), 'no carriage return reaches the page');
    const bars = texts.filter((t) => /^Epoch \d\/3: +\d+%\|/.test(t));
    assertEqual(bars.length, 3, 'one progress line per epoch (the \\r updates collapsed)');
    assert(bars.every((t) => t.includes('100%|')), 'each progress line shows its last state');
    const metrics = seen.lines.filter((l) => l.text.startsWith('Epoch 1/3: train_loss'));
    assertEqual(metrics.length, 1, 'the epoch metrics line');
    assert(metrics[0].className.includes('line-metrics'), 'metrics lines are highlighted');
    const warning = seen.lines.find((l) => l.text.startsWith('UserWarning'));
    assert(warning && warning.className.includes('line-warning'), 'warnings are highlighted');
    assert(warning.className.includes('stderr'), 'stderr lines are marked');
    assertEqual(await page.textContent('#run-exit'), 'exit 0', 'exit code');
    firstRun = await page.$eval('#execution-panel', (e) => e.dataset.run);
    const stdout = await page.getAttribute('#run-stdout', 'href');
    assertEqual(stdout, `/api/runs/${firstRun}/log?stream=stdout`, 'full stdout link');
    const log = await page.evaluate(async (url) => (await fetch(url)).text(), stdout);
    assert(log.includes('\rEpoch 1/3:'), 'the complete stdout keeps the raw bytes');
  });

  await step('the panel shows the last run again after a reload', async () => {
    await page.reload();
    await page.waitForFunction((id) => document.querySelector('#run-id')?.textContent === id, firstRun);
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#run-output .line'))
      .some((l) => l.textContent.startsWith('Training completed successfully')));
    assertEqual(await page.$eval('#run-status', (e) => e.dataset.status), 'succeeded', 'status');
  });

  await step('Stop stops a running command', async () => {
    await setMaxEpochs(page, 10);
    await page.click('#run-start');
    await waitStatus(page, 'running');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#run-output .line'))
      .some((l) => l.textContent.startsWith('Seed set to')));
    await page.click('#run-stop');
    await waitStatus(page, 'stopped');
    assert(!(await page.isDisabled('#run-start')), 'Run is enabled again');
    assert(await page.isDisabled('#run-stop'), 'Stop is disabled');
    const runs = await listRuns();
    assertEqual(runs[0].status, 'stopped', 'the server agrees');
  });

  await step('a run is rerun from the history with its exact command', async () => {
    await page.click('#run-history summary');
    const row = `#run-list tr[data-run="${firstRun}"]`;
    await page.waitForSelector(row);
    await page.waitForFunction(() => document.querySelectorAll('#run-list tr[data-run]').length === 2);
    let asked = null;
    page.once('dialog', async (dialog) => {
      asked = dialog.message();
      await dialog.accept();
    });
    await page.click(`${row} .run-rerun[data-mode="argv"]`);
    await page.waitForFunction((id) => {
      const shown = document.querySelector('#run-id')?.textContent;
      return shown && shown !== id;
    }, firstRun);
    await waitStatus(page, 'succeeded');
    const runs = await listRuns();
    assertEqual(runs.length, 3, 'three runs');
    const shown = await page.$eval('#run-id', (e) => e.textContent);
    const rerun = runs.find((r) => r.id === shown);
    const first = runs.find((r) => r.id === firstRun);
    assertEqual(JSON.stringify(rerun.argv), JSON.stringify(first.argv), 'the same argv');
    assert(asked && asked.includes(first.command), 'the rerun asked first, showing the command: ' + asked);
    await page.waitForFunction(() => document.querySelectorAll('#run-list tr[data-run]').length === 3);
  });

  await step('the runs table fits its card at 1280 and 390 px, with local start times', async () => {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 800 });
      await page.waitForFunction(() => document.querySelector('#run-list table.runs'));
      const sizes = await page.$eval('#run-list', (list) => {
        const card = list.closest('details, section, .run-panel') || list.parentElement;
        return { table: list.querySelector('table.runs').scrollWidth, list: list.clientWidth,
                 card: card.clientWidth, cardScroll: card.scrollWidth, page: document.documentElement.scrollWidth };
      });
      assert(sizes.table <= sizes.list, `${width} px: the table (${sizes.table}) fits its list (${sizes.list})`);
      assertEqual(sizes.cardScroll, sizes.card, `${width} px: the card's scroll width`);
      assert(sizes.page <= width, `${width} px: the page (${sizes.page}) is no wider than the window`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    const time = await page.$eval('#run-list time.local-time', (t) => ({ text: t.textContent, title: t.title }));
    assert(!time.text.includes('UTC') && time.title.includes('UTC'), 'local time shown, UTC in the title: ' + JSON.stringify(time));
    const headers = await page.$$eval('#run-list th', (ths) => ths.map((th) => th.textContent));
    for (const name of ['Status', 'Experiment', 'Differs from defaults', 'Started', 'Duration', 'Exit'])
      assert(headers.includes(name), 'column ' + name + ': ' + headers);
  });

  await step('two runs\' commands are compared', async () => {
    const runs = await listRuns();
    const stopped = runs.find((r) => r.status === 'stopped');
    await page.check(`#run-list .run-compare[value="${firstRun}"]`);
    await page.check(`#run-list .run-compare[value="${stopped.id}"]`);
    await page.click('#run-diff-button');
    await page.waitForSelector('#run-diff pre.diff');
    assertEqual(await page.textContent('#run-diff del'), '- trainer.max_epochs=3', 'removed');
    assertEqual(await page.textContent('#run-diff ins'), '+ trainer.max_epochs=10', 'added');
  });

  await step('a run started by the CLI shows up live in the panel', async () => {
    const child = spawn(cmdbuilder, ['exec', '--workspace', workspace, '--page', 'train', '--detach',
                                     '--', 'sh', '-c', 'echo from the CLI; sleep 1; echo bye'],
                        { cwd: workspace, env: serverEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    let id = '';
    child.stdout.on('data', (chunk) => { id += chunk; });
    await new Promise((resolve) => child.once('exit', resolve));
    id = id.trim();
    await page.waitForFunction((run) => document.querySelector('#run-id')?.textContent === run, id);
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#run-output .line'))
      .some((l) => l.textContent === 'from the CLI'));
    await waitStatus(page, 'succeeded');
  });

  await step('the Slurm executor\'s options are checked next to their fields, before any run exists', async () => {
    await page.goto(server.origin + '/train');
    await page.waitForSelector('#run-executor-select');
    const before = (await listRuns()).length;
    await page.selectOption('#run-executor-select', 'slurm');
    await page.waitForSelector('#run-executor-form fieldset[data-executor="slurm"]');
    await page.fill('#run-executor-form [data-option="time"]', 'soon');
    await page.fill('#run-executor-form [data-option="gpus"]', 'a100:0');
    await page.waitForSelector('[data-problem-for="time"]:not([hidden])');
    assert((await page.textContent('[data-problem-for="time"]')).includes("expected MINUTES"), 'time problem');
    assert((await page.textContent('[data-problem-for="gpus"]')).includes("'a100:0'"), 'gpus problem');
    assertEqual(await page.getAttribute('#run-executor-form [data-option="time"]', 'aria-invalid'), 'true', 'marked');
    assert(await page.isHidden('[data-problem-for="mem"]'), 'nothing said about mem');
    await page.click('#run-start');
    await page.waitForFunction(() => document.querySelector('#run-message')?.textContent.includes('Fix the marked'));
    assertEqual((await listRuns()).length, before, 'no run created for wrong options');
    await page.fill('#run-executor-form [data-option="time"]', '1:30:00');
    await page.fill('#run-executor-form [data-option="gpus"]', '');
    await page.waitForSelector('[data-problem-for="time"][hidden]', { state: 'attached' });
    assert(await page.isHidden('[data-problem-for="gpus"]'), 'gpus problem gone');
    await page.selectOption('#run-executor-select', 'local');
  });

  await step('Predict: the new submission is preselected and exported, overwriting only when confirmed', async () => {
    const checkpoint = 'outputs/ocr_training-dbnet-unet-resnet18/checkpoints/epoch_09_step_000450.ckpt';
    const set = await fetch(server.origin + '/api/pages/predict', {
      method: 'POST', body: JSON.stringify({ changes: { checkpoint_path: checkpoint } }),
      headers: { Authorization: 'Bearer ' + server.token, 'Content-Type': 'application/json' },
    });
    assertEqual(set.status, 200, 'checkpoint set');
    await page.click('.sidebar a[data-page="predict"]');
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Predict');
    await page.waitForSelector('#export-none');
    await page.click('#run-start');
    await waitStatus(page, 'succeeded');
    await page.waitForFunction(() => document.querySelector('#export-experiment')?.value === 'ocr_prediction');
    const chosen = await page.$eval('#export-json', (e) => e.value);
    assert(/^outputs\/ocr_prediction\/submissions\/.+\.json$/.test(chosen), 'newest submission chosen: ' + chosen);
    await page.click('#export-convert');
    await page.waitForSelector('.export-message.success');
    assertEqual(await page.textContent('.export-message'), 'Successfully converted to submission.csv', 'converted');
    await page.click('#export-convert');
    await page.waitForSelector('#export-overwrite');
    assertEqual(await page.textContent('.export-message'), 'submission.csv already exists. Overwrite it?', 'asks first');
    await page.click('#export-overwrite');
    await page.waitForSelector('.export-message.success');
    assert(fs.existsSync(path.join(workspace, 'outputs', 'submission.csv')), 'the CSV exists in outputs/');
  });

  await step('a live run keeps streaming across a switch away and back, without repeating lines', async () => {
    await page.goto(server.origin + '/train');
    await setMaxEpochs(page, 6);
    await page.click('#run-start');
    await waitStatus(page, 'running');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#run-output .line'))
      .some((l) => /^Epoch 1\/6: train_loss/.test(l.textContent)));
    await page.click('.sidebar a[data-page="test"]');
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Test');
    await page.waitForTimeout(800);   // lines keep being written meanwhile
    await page.click('.sidebar a[data-page="train"]');
    await page.waitForFunction(() => document.querySelector('#page-title')?.textContent === 'Train');
    await waitStatus(page, 'succeeded');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#run-output .line'))
      .some((l) => l.textContent.startsWith('Training completed successfully')));
    const texts = await page.$$eval('#run-output .line:not(.partial)', (list) => list.map((l) => l.textContent));
    const metrics = texts.filter((t) => /^Epoch \d\/6: train_loss/.test(t));
    assertEqual(metrics.length, 6, 'each epoch\'s metrics line once: ' + JSON.stringify(metrics));
    assertEqual(new Set(texts.filter((t) => t.startsWith('[demo] train.py'))).size, 1, 'the first line once');
    assertEqual(texts.filter((t) => t.startsWith('[demo] train.py')).length, 1, 'not repeated');
  });
});
finishTap();
