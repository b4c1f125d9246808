// Browser test of the Predict page's export: an output name that leaves
// outputs/ is refused (and nothing is written); a successful export shows
// the CSV's absolute path and size, and its Download link saves the file;
// a JSON uploaded from the browser converts too; the help says what the
// CSV is for. Prints TAP.
// Environment (set by meson): CMDB_TEST_SOURCE_ROOT, CMDB_TEST_CMDBUILDER.
import fs from 'node:fs';
import path from 'node:path';
import {
  assert, assertEqual, copyDemoWorkspace, finishTap, isolatedEnvironment, runInBrowser, step,
  TestServer,
} from './helpers.mjs';

const { tmp, workspace } = copyDemoWorkspace('cmdb-export-');
const submission = 'outputs/ocr_prediction/submissions/20261207_053000.json';
const prediction = JSON.stringify({
  images: {
    'receipt_0001.jpg': { words: { '0001': { points: [[55, 67], [214, 67], [214, 105], [55, 105]] } } },
    'receipt_0002.jpg': { words: {} },
  },
});
fs.mkdirSync(path.join(workspace, path.dirname(submission)), { recursive: true });
fs.writeFileSync(path.join(workspace, submission), prediction);
const server = new TestServer(workspace, isolatedEnvironment(tmp));

async function convert(page, output) {
  await page.fill('#export-output', output);
  // The answer replaces the panel: the message seen next is this export's.
  await page.$$eval('.export-message', (messages) => messages.forEach((m) => m.remove()));
  await page.click('#export-convert');
  await page.waitForSelector('.export-message');
  return page.textContent('.export-message');
}

await runInBrowser({ tmp, server, timeout: 15000, contextOptions: { acceptDownloads: true } }, async (page) => {
  await page.goto(server.url);
  await page.goto(server.origin + '/predict');
  await page.waitForFunction(() => document.querySelector('#export-json-path')?.value !== undefined);
  await page.selectOption('#export-experiment', 'ocr_prediction');
  await page.waitForFunction((s) => document.querySelector('#export-json-path')?.value === s, submission);

  await step('an export to ../x.csv is refused, naming the field, and writes nothing', async () => {
    const said = await convert(page, '../x.csv');
    assert(said.startsWith("Output CSV filename: '../x.csv' leaves the folder"), 'refused: ' + said);
    assertEqual(await page.getAttribute('#export-output', 'aria-invalid'), 'true', 'the field is marked');
    assert(!fs.existsSync(path.join(workspace, 'x.csv')), 'nothing next to outputs/');
    assert(!fs.existsSync(path.join(tmp, 'x.csv')), 'nothing above the workspace');
  });

  await step('a successful export shows the absolute path and size; Download saves it', async () => {
    const said = await convert(page, 'submission.csv');
    assertEqual(said, 'Successfully converted to submission.csv', 'converted');
    const csv = path.join(workspace, 'outputs', 'submission.csv');
    const written = fs.readFileSync(csv, 'utf8');
    const shown = await page.textContent('#export-file');
    assert(shown.includes(csv), 'the absolute path: ' + shown);
    assert(shown.includes(`(${written.length.toLocaleString('en-US')} bytes)`), 'the size: ' + shown);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-download')]);
    assertEqual(download.suggestedFilename(), 'submission.csv', 'saved as');
    assertEqual(fs.readFileSync(await download.path(), 'utf8'), written, 'the downloaded bytes');
  });

  await step('a JSON uploaded from the browser converts', async () => {
    const local = path.join(tmp, 'from-my-laptop.json');
    fs.writeFileSync(local, prediction);
    await page.setInputFiles('#export-upload', local);
    await page.waitForFunction(() => /uploads\/.*-from-my-laptop\.json$/.test(
      document.querySelector('#export-json-path')?.value || ''));
    const said = await convert(page, 'uploaded.csv');
    assertEqual(said, 'Successfully converted to uploaded.csv', 'converted');
    assert(fs.readFileSync(path.join(workspace, 'outputs', 'uploaded.csv'), 'utf8').startsWith('filename,polygons'),
           'the CSV from the upload');
  });

  await step('the help says what the CSV is for', async () => {
    await page.click('#export-help summary');
    const help = await page.textContent('#export-help');
    assert(help.includes('How to use submission files') && help.includes('filename,polygons') &&
           help.includes('leaderboard'), 'help: ' + help);
  });
});
finishTap();
