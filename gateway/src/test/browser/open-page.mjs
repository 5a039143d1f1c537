// Opens a page, waits for a selector, saves a screenshot and prints {title, text} as JSON, text being the inner
// text of every element the selector matches, one per line.
// Usage: node open-page.mjs URL SELECTOR SCREENSHOT.png
import { withPage } from './chromium.mjs';

const [url, selector, screenshot] = process.argv.slice(2);
const result = await withPage({}, async page => {
  await page.goto(url);
  await page.waitForSelector(selector, { timeout: 15000 });
  await page.screenshot({ path: screenshot, fullPage: true });
  return { title: await page.title(), text: (await page.locator(selector).allInnerTexts()).join('\n') };
});
console.log(JSON.stringify(result));
