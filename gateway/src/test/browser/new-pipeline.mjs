// The console's "new pipeline" form: a spec with an unknown sink type is refused with the server's message and adds
// no card; a good one adds a running pipeline marked as added at run time; its Delete button removes it again.
// Prints {refused, cardsAfterRefusal, created, state, origin, deleted}.
// Usage: node new-pipeline.mjs URL NAME SCREENSHOT.png
import { withPage } from './chromium.mjs';

const [url, name, screenshot] = process.argv.slice(2);
const card = `#pipelines [data-pipeline="${name}"]`;

const result = await withPage({}, async page => {
  page.on('dialog', dialog => dialog.accept());
  await page.goto(url);
  await page.waitForSelector('#pipelines [data-pipeline]', { timeout: 15000 });
  await page.click('#new-pipeline summary');
  await page.fill('#new-pipeline-name', name);
  await page.fill('#new-pipeline-spec', JSON.stringify({ engine: 'vosk', sinks: ['log', { id: 'form-out', type: 'no-such-sink' }] }));
  await page.click('#new-pipeline-create');
  await page.waitForFunction(() => document.getElementById('action-status').classList.contains('error'), null, { timeout: 15000 });
  const refused = await page.locator('#action-status').innerText();
  const cardsAfterRefusal = await page.locator(card).count();

  await page.fill('#new-pipeline-spec', JSON.stringify({ engine: 'vosk', sinks: ['log'] }));
  await page.click('#new-pipeline-create');
  await page.waitForFunction(selector => document.querySelector(selector + ' [data-field="state"]')?.dataset.value === 'running',
    card, { timeout: 30000 });
  const created = await page.locator('#action-status').innerText();
  const state = await page.getAttribute(`${card} [data-field="state"]`, 'data-value');
  const origin = await page.locator(`${card} .origin`).innerText();
  await page.screenshot({ path: screenshot, fullPage: true });

  await page.click(`${card} button[data-action="delete"]`);
  await page.waitForSelector(card, { state: 'detached', timeout: 30000 });
  const deleted = await page.locator('#action-status').innerText();
  return { refused, cardsAfterRefusal, created, state, origin, deleted };
});
console.log(JSON.stringify(result));
