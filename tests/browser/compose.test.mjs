// Browser test of the composition check in the web UI (docs/compose-check.md):
// on a copy of the demo workspace whose trainer config names the key
// max_epoch (so the form's trainer.max_epochs does not compose), the Train
// page marks the command Invalid and shows Hydra's message at the Max epochs
// field; Run asks first: dismissing runs nothing, accepting runs it anyway.
// Environment (set by meson): CMDB_TEST_SOURCE_ROOT, CMDB_TEST_CMDBUILDER.
import fs from 'node:fs';
import path from 'node:path';
import {
  assert, assertEqual, copyDemoWorkspace, finishTap, isolatedEnvironment, runInBrowser, step,
  TestServer,
} from './helpers.mjs';

const { tmp, workspace } = copyDemoWorkspace('cmdb-browser-compose-');
const trainer = path.join(workspace, 'configs', 'trainer', 'default.yaml');
fs.writeFileSync(trainer, fs.readFileSync(trainer, 'utf8').replace('max_epochs: 10', 'max_epoch: 10'));
const server = new TestServer(workspace, isolatedEnvironment(tmp, { DEMO_EPOCH_SECONDS: '0.05' }));

async function runCount() {
  const response = await fetch(server.origin + '/api/runs?page=train',
                               { headers: { Authorization: 'Bearer ' + server.token } });
  return (await response.json()).total;
}

await runInBrowser({ tmp, server, timeout: 20000 }, async (page) => {
  await page.goto(server.url);

  await step('a command Hydra would not compose is Invalid, the problem at its field', async () => {
    await page.waitForSelector('#command-badge');
    assertEqual(await page.textContent('#command-badge'), 'Invalid', 'the badge');
    const field = await page.$eval('#f-max_epochs', (input) => input.closest('.field')?.textContent || '');
    assert(field.includes("Hydra would not compose this: Could not override 'trainer.max_epochs'."),
           'the field shows Hydra\'s message: ' + field);
    assert(field.includes("did you mean 'trainer.max_epoch'?"), 'and the hint: ' + field);
  });

  await step('Run asks first; dismissed, nothing runs', async () => {
    const asked = new Promise((resolve) => page.once('dialog', async (dialog) => {
      resolve(dialog.message());
      await dialog.dismiss();
    }));
    await page.click('#run-start');
    const message = await asked;
    assert(message.includes("Could not override 'trainer.max_epochs'"), 'the question names it: ' + message);
    assert(message.includes('Run it anyway?'), 'and asks: ' + message);
    await page.waitForFunction(() => /Cannot run/.test(document.querySelector('#run-message')?.textContent || ''));
    assertEqual(await runCount(), 0, 'runs after dismissing');
  });

  await step('accepted, it runs anyway', async () => {
    page.once('dialog', (dialog) => dialog.accept());
    await page.click('#run-start');
    await page.waitForFunction(() => ['running', 'succeeded', 'failed']
      .includes(document.querySelector('#run-status')?.dataset.status));
    assertEqual(await runCount(), 1, 'runs after accepting');
  });
});
finishTap();
