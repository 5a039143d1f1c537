// Opens the console, waits until it has refreshed its status at least `refreshes` times after loading and shows the
// session `session`, saves a screenshot (360 px wide: a phone), and prints what the status view shows as JSON:
// {health, pipelines: {name: fields}, sinks: {"pipeline/sink": fields}, sessions: {id: fields}, plugins: {name: fields}}
// where fields maps each data-field to {value, text}.
// Usage: node status-view.mjs URL SESSION SCREENSHOT.png [WIDTH]
import { withPage } from './chromium.mjs';

const [url, session, screenshot, width = '360'] = process.argv.slice(2);
const result = await withPage({}, async page => {
  await page.setViewportSize({ width: Number(width), height: 800 });
  await page.goto(url);
  await page.waitForSelector(`#sessions [data-session="${session}"]`, { timeout: 20000 });
  // Two more refreshes after the session appeared: the values shown are from a moment the test knows is settled.
  const seen = Number(await page.evaluate(() => document.body.dataset.refreshes || '0'));
  await page.waitForFunction(n => Number(document.body.dataset.refreshes || '0') >= n, seen + 2, { timeout: 20000 });
  await page.waitForSelector('#plugins [data-plugin]', { timeout: 20000 });
  await page.screenshot({ path: screenshot, fullPage: true });
  return page.evaluate(() => {
    const fields = (element, nested) => {
      const out = {};
      for (const field of element.querySelectorAll('[data-field]')) {
        // Fields of a nested object (a pipeline's sinks) belong to that object, not this one.
        if (nested && field.closest(nested) !== null && field.closest(nested) !== element) continue;
        out[field.dataset.field] = { value: field.dataset.value, text: field.textContent };
      }
      return out;
    };
    const collect = (selector, key, nested) => Object.fromEntries([...document.querySelectorAll(selector)]
      .map(element => [key(element), fields(element, nested)]));
    return {
      health: document.getElementById('health').dataset.value,
      pipelines: collect('#pipelines [data-pipeline]', e => e.dataset.pipeline, '[data-sink]'),
      sinks: collect('#pipelines [data-sink]', e => e.dataset.of + '/' + e.dataset.sink),
      sessions: collect('#sessions [data-session]', e => e.dataset.session),
      plugins: collect('#plugins [data-plugin]', e => e.dataset.plugin),
      horizontalOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    };
  });
});
console.log(JSON.stringify(result));
