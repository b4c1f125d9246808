// Browser tests of "the web UI tells the truth": the command text and the
// form are one command (an edit maps back onto the fields, a field change
// updates an edited text), a text the form cannot give marks the form as
// not in effect, and a word that does not parse is an error at its place.
// Prints TAP. Environment (set by meson): CMDB_TEST_SOURCE_ROOT,
// CMDB_TEST_CMDBUILDER.
import {
  assert, assertEqual, copyDemoWorkspace, finishTap, isolatedEnvironment, runInBrowser, step,
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
    assertEqual(await page.textContent('#command-badge'), 'Has errors', 'badge');
  });
});
finishTap();
