// Browser tests of "the web UI tells the truth": the command text and the
// form are one command (an edit maps back onto the fields, a field change
// updates an edited text), a text the form cannot give marks the form as
// not in effect, and a word that does not parse is an error at its place.
// Prints TAP. Environment (set by meson): CMDB_TEST_SOURCE_ROOT,
// CMDB_TEST_CMDBUILDER.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  assert, cmdbuilder, assertEqual, copyDemoWorkspace, finishTap, isolatedEnvironment, runInBrowser, step,
  TestServer, waitValue,
} from './helpers.mjs';

const { tmp, workspace } = copyDemoWorkspace('cmdb-truth-');
const server = new TestServer(workspace, isolatedEnvironment(tmp));

// Replaces the command text as a user would (select all, type).
async function typeCommand(page, text) {
  await page.fill('#command', text);
  await page.dispatchEvent('#command', 'input');
}

await runInBrowser({ tmp, server, timeout: 15000 }, async (page) => {
  await page.goto(server.url);
  await page.waitForSelector('#f-seed');

  await step('editing seed=7 in the command text sets the seed field to 7', async () => {
    const text = await page.inputValue('#command');
    assert(text.includes(' seed=42'), 'the default command sets seed=42');
    await typeCommand(page, text.replace(' seed=42', ' seed=7') + ' +my.edit=1');
    await waitValue(page, '#f-seed', '7');
    await page.waitForSelector('#command-extras code');
    assertEqual(await page.textContent('#command-extras code'), '+my.edit=1', 'the extra is shown');
    assertEqual(await page.$('#form-not-in-effect'), null, 'the form is in effect');
    const pretty = await page.textContent('#pretty');
    assert(pretty.includes('seed=7') && pretty.includes('+my.edit=1'),
           'the pretty view shows what Run executes: ' + pretty);
  });

  await step('changing a field after an edit: the text follows, the extra stays', async () => {
    await page.fill('#f-max_epochs', '2');
    await page.dispatchEvent('#f-max_epochs', 'input');
    await page.waitForFunction(() => document.querySelector('#command').value.includes('trainer.max_epochs=2'));
    const text = await page.inputValue('#command');
    assert(text.includes('seed=7'), 'the edited seed stays: ' + text);
    assert(text.includes('+my.edit=1'), 'the extra override stays: ' + text);
    const pretty = await page.textContent('#pretty');
    assert(pretty.includes('trainer.max_epochs=2') && pretty.includes('+my.edit=1'),
           'the pretty view follows: ' + pretty);
  });

  await step('another runner marks the form as not in effect, and Run says what differs', async () => {
    await typeCommand(page, 'python3 elsewhere.py seed=3');
    await page.waitForSelector('#page-form.form-not-in-effect #form-not-in-effect');
    const differences = await page.textContent('#command-differences');
    assert(differences.includes('elsewhere.py'), 'the difference names the runner: ' + differences);
    let dialogText = null;
    page.once('dialog', async (dialog) => {
      dialogText = dialog.message();
      await dialog.dismiss();
    });
    await page.click('#run-start');
    await page.waitForFunction(() => !document.querySelector('#run-start').disabled);
    assert(dialogText && dialogText.includes('elsewhere.py'), 'Run asked first: ' + dialogText);
  });

  await step('a word that does not parse is an error at its position', async () => {
    await page.click('#generate');
    await page.waitForFunction(() => !document.querySelector('#form-not-in-effect'));
    const text = await page.inputValue('#command');
    await typeCommand(page, text + ' broken=[1,');
    await page.waitForSelector('#command-problem');
    const problem = await page.textContent('#command-problem');
    assert(/At character \d+: Word \d+ of the command/.test(problem), 'located: ' + problem);
    assert(problem.includes('broken=[1,'), 'names the word: ' + problem);
    assertEqual(await page.textContent('#command-badge'), 'Invalid', 'badge');
  });

  await step('out of range: an error under the field, badge Invalid, Run off, the value kept', async () => {
    await page.click('#generate');
    await page.waitForFunction(() => !document.querySelector('#command-problem'));
    await page.fill('#f-batch_size', '-3');
    await page.dispatchEvent('#f-batch_size', 'input');
    await page.waitForSelector('#m-batch_size .error');
    assertEqual(await page.textContent('#command-badge'), 'Invalid', 'badge');
    assert(await page.$eval('#run-start', (e) => e.disabled), 'Run is disabled');
    assertEqual(await page.inputValue('#f-batch_size'), '-3', 'the typed value stays');
    assert((await page.textContent('#m-batch_size .error')).includes('between 1 and 64'),
           'the message names the range');
  });

  await step('wrong type: "abc" for a number and 1.5 for a whole number are errors, kept as typed', async () => {
    await page.fill('#f-batch_size', '4');
    await page.dispatchEvent('#f-batch_size', 'input');
    await page.waitForFunction(() => !document.querySelector('#m-batch_size .error'));
    assertEqual(await page.textContent('#command-badge'), 'Valid', 'badge back to Valid');
    assert(!(await page.$eval('#run-start', (e) => e.disabled)), 'Run is enabled again');
    // A number input takes no letters in a browser: text comes through the API.
    const answer = await page.evaluate(async () => {
      const response = await fetch('/api/pages/train', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ changes: { learning_rate: 'abc' } }),
      });
      return { status: response.status, body: await response.json() };
    });
    assertEqual(answer.status, 200, 'the text is kept, not refused');
    assertEqual(answer.body.form.valid, false, 'the form is invalid');
    assert(answer.body.form.errors.some((e) => e.key === 'learning_rate' && e.message.includes('needs a number')),
           'the error is under learning_rate: ' + JSON.stringify(answer.body.form.errors));
    assertEqual(answer.body.form.values.learning_rate, 'abc', 'kept as typed');
    await page.evaluate(() => fetch('/api/pages/train', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ changes: { learning_rate: '0.001' } }),
    }));
    await page.fill('#f-seed', '1.5');
    await page.dispatchEvent('#f-seed', 'input');
    await page.waitForSelector('#m-seed .error');
    assert((await page.textContent('#m-seed .error')).includes('whole number'), 'seed message');
    assertEqual(await page.inputValue('#f-seed'), '1.5', 'the typed seed stays');
    assert(await page.$eval('#run-start', (e) => e.disabled), 'Run is disabled');
  });

  await step('a restart keeps the token: a reload needs no new URL; cmdbuilder url prints it', async () => {
    const { token, origin } = server;
    const tokenFile = path.join(workspace, '.cmdbuilder', 'ui', 'token');
    assertEqual(fs.statSync(tokenFile).mode & 0o777, 0o600, 'the kept token file mode');
    const printed = spawnSync(cmdbuilder, ['url', '--workspace', workspace],
                              { env: server.env, encoding: 'utf8' });
    assertEqual(printed.status, 0, 'cmdbuilder url exit status');
    assertEqual(printed.stdout.trim(), server.url, 'cmdbuilder url prints the start URL');
    const cookie = (await page.context().cookies()).find((c) => c.name.startsWith('cmdbuilder-token-'));
    assert(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', 'an HttpOnly, strict cookie');
    assert(cookie.expires - Date.now() / 1000 > 29 * 86400, 'the cookie lives 30 days: ' + cookie.expires);
    await server.stop();
    const stopped = spawnSync(cmdbuilder, ['url', '--workspace', workspace],
                              { env: server.env, encoding: 'utf8' });
    assertEqual(stopped.status, 1, 'no server: cmdbuilder url fails');
    await server.start(new URL(origin).port);
    assertEqual(server.token, token, 'the token after a restart');
    await page.goto(origin + '/train');
    await page.waitForSelector('#f-seed');
    assertEqual(new URL(page.url()).pathname, '/train', 'the bookmarked page opens');
  });

  await step('serve --new-token rotates the token', async () => {
    const { token, origin } = server;
    await server.stop();
    server.extraArgs = ['--new-token'];
    await server.start(new URL(origin).port);
    server.extraArgs = [];
    assert(server.token && server.token !== token, 'a new token');
    const refused = await page.request.get(origin + '/api/pages/train', { headers: { Authorization: 'Bearer ' + token } });
    assertEqual(refused.status(), 401, 'the old token is refused');
  });
});
finishTap();
