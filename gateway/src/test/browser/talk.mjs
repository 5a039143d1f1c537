// Talk end to end: Chromium's fake microphone plays FAKE_MIC.wav once; the script presses Talk (WHIP to PIPELINE),
// waits until the speech is over and the feed has settled, saves a screenshot, presses Talk again and waits for the
// page to say it stopped; then talks again and leaves the page while talking. Prints {resource, session, finals:
// [finals of the talk session, in order], feed, talkTranscript, statusWhileTalking, statusAfter, pressedAfter,
// leftResource, leftSession, shownSessions}.
// Usage: node talk.mjs URL PIPELINE FAKE_MIC.wav SECONDS_OF_SPEECH SCREENSHOT.png
import { withPage } from './chromium.mjs';

const [url, pipeline, fakeMic, seconds, screenshot] = process.argv.slice(2);

const result = await withPage({ fakeAudio: fakeMic }, async page => {
  await page.goto(url);
  await page.waitForSelector(`#talk-pipeline option[value="${pipeline}"]`, { state: 'attached', timeout: 15000 });
  await page.selectOption('#talk-pipeline', pipeline);
  await page.waitForFunction(() => document.getElementById('feed-state').textContent === 'connected', null, { timeout: 10000 });
  await page.click('#talk');
  await page.waitForFunction(() => document.getElementById('talk').dataset.resource
    || document.getElementById('talk-status').classList.contains('error'), null, { timeout: 30000 });
  const resource = await page.evaluate(() => document.getElementById('talk').dataset.resource || null);
  const session = await page.evaluate(() => document.getElementById('talk').dataset.session || null);
  const statusWhileTalking = await page.locator('#talk-status').innerText();
  if (!resource) {
    return { resource, session, statusWhileTalking, finals: [], feed: [] };
  }
  // The fake microphone plays the file once, then silence: wait for the speech, then for the feed to settle.
  const deadline = Date.now() + (Number(seconds) + 20) * 1000;
  // Mid-speech (the second clip is playing): partials and a live level meter; the README's picture.
  await page.waitForTimeout(Number(seconds) * 600);
  await page.screenshot({ path: screenshot.replace(/\.png$/, '-speaking.png'), fullPage: true });
  await page.waitForTimeout(Number(seconds) * 400);
  let previous = '';
  while (Date.now() < deadline) {
    const now = await page.evaluate(() => [...document.querySelectorAll('#feed .line')].map(l => l.dataset.type + l.textContent).join('|'));
    const open = await page.locator('#feed .line[data-type="partial"]').count();
    if (now && now === previous && open === 0) break;
    previous = now;
    await page.waitForTimeout(1500);
  }
  await page.screenshot({ path: screenshot, fullPage: true });
  const shownSessions = await page.evaluate(() => [...document.querySelectorAll('#sessions [data-session]')]
    .map(s => ({ id: s.dataset.session, origin: s.querySelector('[data-field="origin"]').dataset.value })));
  const feed = await page.evaluate(() => [...document.querySelectorAll('#feed .line')].reverse()
    .map(l => ({ session: l.dataset.session, type: l.dataset.type, text: l.querySelector('.text').textContent })));
  const talkTranscript = await page.evaluate(() => [...document.querySelectorAll('#talk-transcript .line')].reverse()
    .map(l => l.querySelector('.text').textContent).join(' '));
  await page.click('#talk');
  await page.waitForFunction(() => document.getElementById('talk').getAttribute('aria-pressed') === 'false'
    && !document.getElementById('talk-status').textContent.startsWith('Talking'), null, { timeout: 15000 });
  const statusAfter = await page.locator('#talk-status').innerText();
  const pressedAfter = await page.getAttribute('#talk', 'aria-pressed');
  // Talk again, then leave the page while talking: the page ends that session too (DELETE on pagehide).
  await page.click('#talk');
  await page.waitForFunction(() => document.getElementById('talk').dataset.resource
    || document.getElementById('talk-status').classList.contains('error'), null, { timeout: 30000 });
  const leftResource = await page.evaluate(() => document.getElementById('talk').dataset.resource || null);
  const leftSession = await page.evaluate(() => document.getElementById('talk').dataset.session || null);
  await page.goto('about:blank');
  return {
    resource, session, statusWhileTalking, talkTranscript, feed,
    finals: feed.filter(l => l.type === 'final' && (!session || l.session === session)).map(l => l.text),
    statusAfter, pressedAfter, leftResource, leftSession, shownSessions,
  };
});
console.log(JSON.stringify(result));
