// Browser test of checkpoint-aware pages: choosing a checkpoint on Test
// (and Predict) fills the architecture and components from the run that
// made it; a value the user set by hand wins, with a warning. Prints TAP.
// Environment (set by meson): CMDB_TEST_SOURCE_ROOT, CMDB_TEST_CMDBUILDER.
import { spawnSync } from 'node:child_process';
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
});
finishTap();
