// The token prompt: on a gateway with an API token, the console's first reads are refused, so it asks for the token
// (showing the server's reason) before it shows anything; Cancel leaves the page empty; after a reload a wrong token is
// asked for again; the right one shows the pipelines, is kept for the session, and Stop and Start go through without
// asking. Prints {reasons, cardsAfterCancel, promptedOnStop, stateAfterStop, promptedOnStart, stateAfterStart, stored,
// feedState}.
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
  const answer = async value => {
    await page.fill('#token-input', value);
    await page.click('#token-ok');
    await page.waitForFunction(() => !document.getElementById('token-dialog').open, null, { timeout: 5000 }).catch(() => {});
  };
  const state = () => page.getAttribute(`${card} [data-field="state"]`, 'data-value');
  const waitState = value => page.waitForFunction(([selector, v]) =>
    document.querySelector(selector + ' [data-field="state"]')?.dataset.value === v, [card, value], { timeout: 20000 });
  const press = action => page.click(`${card} button[data-action="${action}"]`);
  const watchPrompt = () => {
    const seen = { prompted: false };
    page.locator('#token-dialog[open]').waitFor({ timeout: 5000 }).then(() => { seen.prompted = true; }, () => {});
    return seen;
  };

  await page.goto(url);
  await prompt();
  await page.screenshot({ path: screenshot, fullPage: false });
  await page.click('#token-cancel');
  await page.waitForTimeout(2500);
  const cardsAfterCancel = await page.locator('#pipelines [data-pipeline]').count();

  await page.reload();
  await prompt();
  await answer('not-the-token-0123456789');
  await prompt();
  await answer(token);
  await page.waitForSelector(`${card} button[data-action="stop"]`, { timeout: 15000 });

  const onStop = watchPrompt();
  await press('stop');
  await waitState('stopped');
  const stateAfterStop = await state();
  const onStart = watchPrompt();
  await press('start');
  await waitState('running');
  await page.waitForFunction(() => document.getElementById('feed-state').textContent === 'connected', null,
    { timeout: 10000 }).catch(() => {});
  return {
    reasons, cardsAfterCancel, promptedOnStop: onStop.prompted, stateAfterStop, promptedOnStart: onStart.prompted,
    stateAfterStart: await state(), stored: await page.evaluate(() => sessionStorage.getItem('earshot-token')),
    feedState: await page.locator('#feed-state').innerText(),
  };
});
console.log(JSON.stringify(result));
