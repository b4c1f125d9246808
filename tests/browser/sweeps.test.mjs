// Browser test of sweeps in the web UI (docs/web-ui.md, "Sweeps"): on the
// demo Train page, the learning rate gets 3 values and the encoder 2; the
// page says "6 runs" and shows each command before anything starts; a
// sweep over the limit is refused in words; the sweep is launched locally
// with 2 at a time and watched to the end on its comparison page, which is
// sorted by the metric, marks the best row and downloads the CSV; a run is
// deleted from the run history and the sweep from its page; a running
// sweep is stopped from its page and its stopped members rerun. A real
// `cmdbuilder serve` runs the demo runner for every member.
// Environment (set by meson): CMDB_TEST_SOURCE_ROOT, CMDB_TEST_CMDBUILDER.
import fs from 'node:fs';
import {
  assert, assertEqual, copyDemoWorkspace, finishTap, isolatedEnvironment, runInBrowser, step,
  TestServer,
} from './helpers.mjs';

const { tmp, workspace } = copyDemoWorkspace('cmdb-browser-sweeps-');
// Short epochs: six one-epoch members take a few seconds in all.
const server = new TestServer(workspace, isolatedEnvironment(tmp, { DEMO_EPOCH_SECONDS: '0.3' }));

async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + server.token };
  if (body) headers['Content-Type'] = 'application/json';
  const response = await fetch(server.origin + path, {
    method, headers, body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

// Gives the field @key several values in the sweep editor.
async function sweepField(page, key) {
  await page.selectOption('#sweep-add-key', key);
  await page.click('#sweep-add');
  return `.sweep-field[data-key="${key}"]`;
}

async function waitCount(page, count) {
  await page.waitForFunction((n) => document.querySelector('#sweep-count')?.dataset.count === String(n),
                             count, { timeout: 20000 }).catch(async () => {
    const shown = await page.textContent('#sweep-count');
    const error = await page.textContent('#sweep-error');
    throw new Error(`expected ${count} runs, the page says ${JSON.stringify(shown)} ${JSON.stringify(error)}`);
  });
}

await runInBrowser({ tmp, server, timeout: 20000 }, async (page) => {
  await page.goto(server.url);
  await page.waitForSelector('#sweep-panel');
  let sweepId = null;

  await step('3 learning rates x 2 encoders: "6 runs" and each command, nothing started', async () => {
    await page.fill('#f-max_epochs', '1');
    await page.press('#f-max_epochs', 'Tab');
    await page.waitForFunction(() => document.querySelector('#command')?.value.includes('trainer.max_epochs=1'));
    await page.click('#sweep-panel > summary');
    const rate = await sweepField(page, 'learning_rate');
    await page.fill(rate + ' .sweep-list', '0.001, 0.0003, 0.0001');
    const encoder = await sweepField(page, 'encoder');
    await page.check(encoder + ' .sweep-option[value="resnet34"]');
    assert(await page.isChecked(encoder + ' .sweep-option[value="resnet18"]'), 'the current encoder is checked');
    await waitCount(page, 6);
    assertEqual(await page.textContent('#sweep-count'), '6 runs', 'the count');
    const commands = await page.$$eval('#sweep-commands .sweep-command', (nodes) => nodes.map((n) => n.textContent));
    assertEqual(commands.length, 6, 'commands shown');
    for (const lr of ['0.001', '0.0003', '0.0001'])
      for (const encoderName of ['resnet18', 'resnet34'])
        assert(commands.some((c) => c.includes('model.optimizer.lr=' + lr + ' ') &&
                                    c.includes('model.encoder.model_name=' + encoderName + ' ')),
               `a command with lr ${lr} and ${encoderName}: ${commands.join('\n')}`);
    assert(commands.every((c) => c.includes('trainer.max_epochs=1')), 'the form\'s other values');
    const { body } = await api('GET', '/api/sweeps');
    assertEqual(body.length, 0, 'sweeps before launching');
    assert(!(await page.isDisabled('#sweep-launch')), 'launch is enabled');
  });

  await step('a sweep over the limit (100) is refused in words', async () => {
    const epochs = await sweepField(page, 'max_epochs');
    await page.selectOption(epochs + ' .sweep-mode', 'range');
    await page.fill(epochs + ' .sweep-start', '1');
    await page.fill(epochs + ' .sweep-stop', '30');
    await page.fill(epochs + ' .sweep-step', '1');
    // (While the range is typed, the editor asks for its stop first.)
    await page.waitForFunction(() => document.querySelector('#sweep-error')?.textContent.includes('limit'))
      .catch(() => {});
    const error = await page.textContent('#sweep-error');
    assert(error.includes('more than the limit of 100'), 'the error: ' + error);
    assert(error.includes('174'), 'the size is named: ' + error);
    assert(await page.isDisabled('#sweep-launch'), 'launch is off');
    await page.click(epochs + ' .sweep-remove');
    await waitCount(page, 6);
    assert(await page.isHidden('#sweep-error'), 'the error is gone');
  });

  await step('launched locally with 2 at a time, watched until every member ended', async () => {
    await page.fill('#sweep-parallel', '2');
    await Promise.all([page.waitForURL(/\/sweeps\/sweep-/), page.click('#sweep-launch')]);
    await page.waitForSelector('#sweep-view');
    sweepId = await page.getAttribute('#sweep-view', 'data-sweep');
    const { body } = await api('GET', '/api/sweeps/' + sweepId);
    assertEqual(body.parallel, 2, 'parallel');
    assertEqual(body.executor, 'local', 'executor');
    assertEqual(body.count, 6, 'members');
    // Never more than 2 members at once, while the page follows them.
    let most = 0;
    let ended = false;
    const watching = (async () => {
      while (!ended) {
        const now = await api('GET', '/api/sweeps/' + sweepId);
        const counts = now.body.counts || {};
        most = Math.max(most, (counts.running || 0) + (counts.starting || 0) + (counts.stopping || 0));
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    })();
    await page.waitForSelector('#sweep-view[data-final="true"]', { timeout: 90000 }).finally(() => { ended = true; });
    await watching;
    assert(most <= 2, 'at most 2 members ran at once, saw ' + most);
    assertEqual(await page.getAttribute('#sweep-status', 'data-status'), 'succeeded', 'the sweep status');
    assertEqual(await page.textContent('#sweep-counts'), '6 succeeded', 'the counts');
    assertEqual((await page.$$('#sweep-table tbody tr')).length, 6, 'rows');
  });

  await step('the comparison sorted by the metric, the best row marked', async () => {
    await page.click('#sweep-table a.sweep-sort[data-sort="metric:val_hmean"]');
    await page.waitForSelector('#sweep-table th[aria-sort="descending"] a[data-sort="metric:val_hmean"]');
    const values = await page.$$eval('#sweep-table tbody td[data-metric="val_hmean"]',
                                     (cells) => cells.map((c) => Number(c.textContent)));
    assertEqual(values.length, 6, 'metric cells');
    assert(values.every((v) => Number.isFinite(v) && v > 0), 'every member has val_hmean: ' + values);
    for (let i = 1; i < values.length; i++)
      assert(values[i - 1] >= values[i], 'sorted best first: ' + values);
    assert(await page.$('#sweep-table tbody tr:first-child.best'), 'the first row is the best');
    assert(page.url().includes('sort=metric'), 'the address keeps the order: ' + page.url());
    await page.reload();
    await page.waitForSelector('#sweep-table th[aria-sort="descending"] a[data-sort="metric:val_hmean"]');
    assert(page.url().includes('sort=metric'), 'and keeps it after a reload: ' + page.url());
    // The same order without the script: the server sorts.
    const response = await fetch(page.url(), { headers: { Authorization: 'Bearer ' + server.token } });
    const html = await response.text();
    assert(html.includes('aria-sort="descending"'), 'the server-rendered page is sorted');
    assert(html.includes('data-status="succeeded"'), 'and shows the sweep\'s state');
  });

  await step('the CSV downloads with its header and 6 rows', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#sweep-csv')]);
    const text = fs.readFileSync(await download.path(), 'utf8');
    const lines = text.split('\r\n').filter((line) => line !== '');
    assertEqual(lines[0], 'run,learning_rate,encoder,status,exit,val_hmean,hmean,train_loss', 'the header');
    assertEqual(lines.length, 7, 'header and 6 rows');
    assert(lines.slice(1).every((line) => line.includes(',succeeded,0,')), 'rows: ' + lines.join('\n'));
    assertEqual(download.suggestedFilename(), sweepId + '.csv', 'the file name');
  });

  await step('the run history links members to their sweep; a run is deleted there', async () => {
    await page.goto(server.origin + '/train');
    await page.click('#run-history > summary');
    const link = await page.waitForSelector('#run-list a.run-sweep');
    assertEqual(await link.getAttribute('href'), '/sweeps/' + sweepId, 'the sweep link');
    const row = await page.waitForSelector('#run-list tr[data-status="succeeded"]');
    const run = await row.getAttribute('data-run');
    page.once('dialog', (dialog) => dialog.accept());
    await page.click(`#run-list tr[data-run="${run}"] .run-delete`);
    await page.waitForFunction((id) => !document.querySelector(`#run-list tr[data-run="${id}"]`), run);
    assertEqual((await api('GET', '/api/runs/' + run)).status, 404, 'the run is gone');
    const { body } = await api('GET', '/api/sweeps/' + sweepId);
    assertEqual(body.counts.deleted, 1, 'the sweep counts it deleted');
  });

  await step('the sweep is deleted from its page', async () => {
    await page.goto(server.origin + '/sweeps/' + sweepId);
    await page.waitForSelector('#sweep-delete:not([disabled])');
    page.once('dialog', (dialog) => dialog.accept());
    await Promise.all([page.waitForURL(/\/train$/), page.click('#sweep-delete')]);
    assertEqual((await api('GET', '/api/sweeps/' + sweepId)).status, 404, 'the sweep is gone');
    const { body } = await api('GET', '/api/runs?page=train');
    assertEqual(body.runs.filter((r) => r.sweep === sweepId).length, 0, 'its runs are gone');
  });

  await step('a running sweep is stopped from its page, and its stopped members rerun', async () => {
    // Long members, one at a time: the second is still queued when stopped.
    const started = await api('POST', '/api/sweeps', {
      page: 'train', parallel: 1, sweep: [{ key: 'max_epochs', values: ['10', '9'] }],
    });
    assertEqual(started.status, 201, 'launch: ' + JSON.stringify(started.body));
    const id = started.body.id;
    await page.goto(server.origin + '/sweeps/' + id);
    await page.waitForSelector('#sweep-stop:not([disabled])');
    assert(await page.isHidden('#sweep-delete'), 'no delete while members run');
    await page.click('#sweep-stop');
    await page.waitForSelector('#sweep-view[data-final="true"]', { timeout: 60000 });
    assertEqual(await page.getAttribute('#sweep-status', 'data-status'), 'stopped', 'the status');
    page.once('dialog', (dialog) => dialog.accept());
    await Promise.all([page.waitForURL((url) => url.pathname.startsWith('/sweeps/') && !url.pathname.endsWith(id)),
                       page.click('#sweep-rerun')]);
    const rerun = await page.getAttribute('#sweep-view', 'data-sweep');
    assert(await page.$(`.sweep-summary a[href="/sweeps/${id}"]`), 'the rerun names the first sweep');
    const { body } = await api('GET', '/api/sweeps/' + rerun);
    assertEqual(body.rerun_of, id, 'rerun_of');
    assertEqual(body.count, 2, 'both stopped members rerun');
    // Stopped and ended before the server and the workspace go.
    await api('POST', '/api/sweeps/' + rerun + '/stop');
    for (let i = 0; i < 100; i++) {
      const now = await api('GET', '/api/sweeps/' + rerun);
      if (!['queued', 'running', 'stopping'].includes(now.body.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
});
finishTap();
