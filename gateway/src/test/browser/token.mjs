// The token prompt: on a gateway with an API token, pressing Stop on a pipeline asks for the token (showing the
// server's reason); Cancel reports the refusal; a wrong token is asked for again; the right one stops the pipeline and
// is kept for the session, so Start needs no prompt. Prints {reasons, afterCancel, stateAfterCancel, stateAfterToken,
// promptedOnStart, stateAfterStart, stored}.
// Usage: node token.mjs URL PIPELINE TOKEN SCREENSHOT.png
import { withPage } from './chromium.mjs';

const [url, pipeline, token, screenshot] = process.argv.slice(2);
const card = `#pipelines [data-pipeline="${pipeline}"]`;

const result = await withPage({}, async page => {
  const reasons = [];
  const prompt = async () => {
    await page.waitForSelector('#token-dialog[open]', { timeout: 10000 });
    reasons.push(await page.locator('#token-reason').innerText());
  };
  const state = () => page.getAttribute(`${card} [data-field="state"]`, 'data-value');
  const waitState = value => page.waitForFunction(([selector, v]) =>
    document.querySelector(selector + ' [data-field="state"]')?.dataset.value === v, [card, value], { timeout: 20000 });
  const press = action => page.click(`${card} button[data-action="${action}"]`);

  await page.goto(url);
  await page.waitForSelector(`${card} button[data-action="stop"]`, { timeout: 15000 });

  await press('stop');
  await prompt();
  await page.screenshot({ path: screenshot, fullPage: false });
  await page.click('#token-cancel');
  await page.waitForFunction(() => document.getElementById('action-status').classList.contains('error'), null, { timeout: 10000 });
  const afterCancel = await page.locator('#action-status').innerText();
  await page.waitForTimeout(1500);
  const stateAfterCancel = await state();

  await press('stop');
  await prompt();
  await page.fill('#token-input', 'not-the-token');
  await page.click('#token-ok');
  await page.waitForFunction(() => !document.getElementById('token-dialog').open, null, { timeout: 5000 }).catch(() => {});
  await prompt();
  await page.fill('#token-input', token);
  await page.click('#token-ok');
  await waitState('stopped');
  const stateAfterToken = await state();

  let promptedOnStart = false;
  page.locator('#token-dialog[open]').waitFor({ timeout: 15000 }).then(() => { promptedOnStart = true; }, () => {});
  await press('start');
  await waitState('running');
  return {
    reasons, afterCancel, stateAfterCancel, stateAfterToken, promptedOnStart, stateAfterStart: await state(),
    stored: await page.evaluate(() => sessionStorage.getItem('earshot-token')),
  };
});
console.log(JSON.stringify(result));
