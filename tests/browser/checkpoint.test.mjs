// Browser test of checkpoint-aware pages: choosing a checkpoint on Test
// (and Predict) fills the architecture and components from the run that
// made it (the run history first, then the experiment name); a value the
// user set by hand wins, with a warning; the picker shows each
// checkpoint's experiment, file name, epoch/step, date and size, the file
// name never cut. Prints TAP.
// Environment (set by meson): CMDB_TEST_SOURCE_ROOT, CMDB_TEST_CMDBUILDER.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  assert, assertEqual, cmdbuilder, copyDemoWorkspace, finishTap, isolatedEnvironment,
  runInBrowser, step, TestServer, waitValue,
} from './helpers.mjs';

const { tmp, workspace } = copyDemoWorkspace('cmdb-checkpoint-');
const server = new TestServer(workspace, isolatedEnvironment(tmp));
const craft = 'outputs/ocr_training-craft-craft_decoder-resnet50/checkpoints/epoch=2-step=150.ckpt';
const dbnet = 'outputs/ocr_training-dbnet-unet-resnet18/checkpoints/last.ckpt';

await runInBrowser({ tmp, server, timeout: 15000 }, async (page) => {
  await page.goto(server.url);
  await page.goto(server.origin + '/test');
  await page.waitForSelector('#f-checkpoint_path');

  await step('picking the craft checkpoint selects craft and its components', async () => {
    await page.selectOption('#f-checkpoint_path', craft);
    await waitValue(page, '#f-architecture', 'craft');
    await waitValue(page, '#f-decoder', 'craft_decoder');
    await waitValue(page, '#f-encoder', 'resnet50');
    assert((await page.inputValue('#command')).includes('model/architectures=craft'), 'the command follows');
  });

  await step('the picker shows experiment, file name, epoch/step, date and size', async () => {
    const text = await page.$eval(`#f-checkpoint_path option[value="${craft}"]`, (o) => o.textContent);
    for (const part of ['epoch=2-step=150.ckpt', 'ocr_training-craft-craft_decoder-resnet50',
                        'epoch 2, step 150', 'bytes'])
      assert(text.includes(part), `the option ${JSON.stringify(text)} shows ${part}`);
    // The date in the reader's local time (app.js rewrote the server's UTC).
    const local = await page.$eval(`#f-checkpoint_path option[value="${craft}"]`,
                                   (o) => window.cmdbLocalTime(o.dataset.time));
    assert(local && text.endsWith(' \u00b7 ' + local) && !text.includes('UTC'),
           'a local date ends the option: ' + text);
    // The closed select shows the label's start: the whole file name fits.
    const fits = await page.$eval('#f-checkpoint_path', (select) => {
      const style = getComputedStyle(select);
      const context = document.createElement('canvas').getContext('2d');
      context.font = style.font;
      const name = select.selectedOptions[0].textContent.split(' \u2014 ')[0];
      const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 24;
      return { name, needed: context.measureText(name).width, room };
    });
    assertEqual(fits.name, 'epoch=2-step=150.ckpt', 'the selected option starts with the file name');
    assert(fits.needed <= fits.room, `the file name needs ${fits.needed}px of ${fits.room}px`);
  });

  await step('the dbnet checkpoint brings dbnet back', async () => {
    await page.selectOption('#f-checkpoint_path', dbnet);
    await waitValue(page, '#f-architecture', 'dbnet');
    await waitValue(page, '#f-encoder', 'resnet18');
  });

  await step('an architecture set by hand wins, with a warning', async () => {
    await page.selectOption('#f-architecture', 'craft');
    await page.waitForSelector('#m-architecture .warning');
    assert((await page.textContent('#m-architecture')).includes("'dbnet'"), 'the warning names the run\'s');
    assertEqual(await page.inputValue('#f-architecture'), 'craft', 'the user\'s choice stays');
  });

  await step('the API and the CLI infer the same', async () => {
    const answer = await page.evaluate(async (checkpoint) => {
      const response = await fetch('/api/evaluate/test', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ values: { checkpoint_path: checkpoint } }),
      });
      return response.json();
    }, craft);
    assertEqual(answer.values.architecture, 'craft', 'POST /api/evaluate/test');
    const built = spawnSync(cmdbuilder, ['build', 'test', '--workspace', workspace, '--json',
                                         '--set', 'checkpoint_path=' + craft],
                            { env: server.env, encoding: 'utf8' });
    assert(built.stdout.includes('model/architectures=craft'),
           'cmdbuilder build test: ' + built.stdout + built.stderr);
  });

  await step('the run history wins over the experiment name (API, then the page)', async () => {
    // A real Train run of craft whose experiment name says dbnet (suffix off).
    const experiment = 'x-dbnet-unet-resnet18';
    const trained = spawnSync(cmdbuilder, ['run', 'train', '--workspace', workspace, '--config',
                                           'command.suffix=false', '--set', 'exp_name=' + experiment,
                                           '--set', 'architecture=craft', '--set', 'max_epochs=1'],
                              { env: { ...server.env, DEMO_EPOCH_SECONDS: '0' }, encoding: 'utf8' });
    assertEqual(trained.status, 0, 'the Train run: ' + trained.stderr);
    const directory = path.join('outputs', experiment, 'checkpoints');
    const written = path.join(directory, fs.readdirSync(path.join(workspace, directory))[0]);
    const answer = await page.evaluate(async (checkpoint) => {
      const post = (body) => fetch('/api/pages/test', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      });
      await post({ action: 'reset' });   // the architecture set by hand above is forgotten
      return (await post({ changes: { checkpoint_path: checkpoint } })).json();
    }, written);
    assertEqual(answer.form.values.architecture, 'craft', 'POST /api/pages/test form.values.architecture');
    assertEqual(answer.form.values.decoder, 'craft_decoder', 'form.values.decoder');
    await page.goto(server.origin + '/test');
    await page.waitForSelector('#f-checkpoint_path');
    await page.selectOption('#f-checkpoint_path', dbnet);
    await waitValue(page, '#f-architecture', 'dbnet');
    await page.selectOption('#f-checkpoint_path', written);
    await waitValue(page, '#f-architecture', 'craft');
  });
});
finishTap();
