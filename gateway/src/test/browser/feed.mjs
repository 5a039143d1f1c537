// The live feed of the console: with the filter on another pipeline, an upload to 'default' shows nothing; with the
// filter on 'default', the same upload (through the page's own form) shows its partials settling into the final in
// one line. Prints {filtered, lines: [{session, type, text}], history: {session: [types in order]}, result}.
// Usage: node feed.mjs URL OTHER_PIPELINE WAV SCREENSHOT.png
import { withPage } from './chromium.mjs';

const [url, other, wav, screenshot] = process.argv.slice(2);

async function filterOn(page, pipeline) {
  await page.selectOption('#feed-pipeline', pipeline);
  await page.waitForFunction(() => document.getElementById('feed-state').textContent === 'connected', null, { timeout: 10000 });
}

async function upload(page) {
  await page.evaluate(() => { document.getElementById('result').textContent = ''; });
  await page.click('#send');
  await page.waitForFunction(() => /^“.*”/.test(document.getElementById('result').textContent)
    || /^Error/.test(document.getElementById('result').textContent), null, { timeout: 60000 });
  return page.locator('#result').innerText();
}

const result = await withPage({}, async page => {
  await page.goto(url);
  await page.waitForSelector(`#feed-pipeline option[value="${other}"]`, { state: 'attached', timeout: 15000 });
  // Every state a feed line goes through, in order (each SSE event is its own task, so the observer sees each).
  await page.evaluate(() => {
    window.lineHistory = {};
    new MutationObserver(() => {
      for (const line of document.querySelectorAll('#feed .line')) {
        const history = (window.lineHistory[line.dataset.session] ||= []);
        if (history[history.length - 1] !== line.dataset.type) history.push(line.dataset.type);
      }
    }).observe(document.getElementById('feed'), { subtree: true, childList: true, attributes: true, characterData: true });
  });
  await page.setInputFiles('#file', wav);

  await filterOn(page, other);
  await upload(page);
  await page.waitForTimeout(1000);
  const filtered = await page.locator('#feed .line').count();

  await filterOn(page, 'default');
  const uploaded = await upload(page);
  await page.waitForSelector('#feed .line[data-type="final"]', { timeout: 15000 });
  await page.screenshot({ path: screenshot, fullPage: true });
  const lines = await page.evaluate(() => [...document.querySelectorAll('#feed .line')]
    .map(l => ({ session: l.dataset.session, type: l.dataset.type, text: l.querySelector('.text').textContent })));
  return { filtered, lines, history: await page.evaluate(() => window.lineHistory), result: uploaded };
});
console.log(JSON.stringify(result));
