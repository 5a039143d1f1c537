// Launches Debian's Chromium (never a downloaded browser) headless, as these tests need it.
// CHROMIUM overrides the executable; a fake microphone plays a WAV file when `fakeAudio` is given.
import { chromium } from 'playwright-core';

export async function launch({ fakeAudio, loopAudio = false } = {}) {
  const args = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    // This machine's network is closed: without these Chromium keeps trying to reach Google's hosts.
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  ];
  if (fakeAudio) {
    // Without %noloop Chromium plays the file over and over.
    args.push(`--use-file-for-fake-audio-capture=${fakeAudio}${loopAudio ? '' : '%noloop'}`);
  }
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args });
}

// Runs `body(page, browser)` in a fresh page, prints what the page logged, and always closes the browser.
export async function withPage(options, body) {
  const browser = await launch(options);
  try {
    const page = await browser.newPage();
    page.on('console', message => console.error(`[page ${message.type()}] ${message.text()}`));
    page.on('pageerror', error => console.error(`[page error] ${error.message}`));
    return await body(page, browser);
  } finally {
    await browser.close();
  }
}
