// Publishes Chromium's fake microphone (playing a WAV file once) to a WHIP endpoint, as a browser WHIP client does:
// getUserMedia, a sendonly audio transceiver, the offer POSTed as application/sdp, the 201's answer applied. Waits
// until the connection is up, lets the file play for HOLD_MS more, then DELETEs the session resource.
// Prints {status, location, etag, connected, deleteStatus, answerHasOpus} as JSON on the last line.
// Usage: node whip-publish.mjs PAGE_URL WHIP_URL WAV HOLD_MS [BEARER_TOKEN]
import { withPage } from './chromium.mjs';

const [pageUrl, whipUrl, wav, holdMs, token] = process.argv.slice(2);
const result = await withPage({ fakeAudio: wav }, async page => {
  await page.goto(pageUrl);
  return await page.evaluate(async ({ whipUrl, holdMs, token }) => {
    const auth = token ? { Authorization: `Bearer ${token}` } : {};
    // Raw microphone audio: no echo cancellation, noise suppression or gain control altering the speech.
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    const pc = new RTCPeerConnection();
    pc.addTransceiver(stream.getAudioTracks()[0], { direction: 'sendonly', streams: [stream] });
    await pc.setLocalDescription(await pc.createOffer());
    // Non-trickle: wait (at most 3 s) for our candidates to be in the offer.
    await new Promise(resolve => {
      if (pc.iceGatheringState === 'complete') return resolve();
      const timer = setTimeout(resolve, 3000);
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); }
      });
    });
    const response = await fetch(whipUrl, {
      method: 'POST', headers: { 'Content-Type': 'application/sdp', ...auth }, body: pc.localDescription.sdp,
    });
    const answer = await response.text();
    const out = { status: response.status, location: response.headers.get('Location'),
      session: response.headers.get('X-Earshot-Session'),
      etag: response.headers.get('ETag'), answerHasOpus: /opus\/48000/i.test(answer), connected: false };
    if (response.status !== 201) {
      out.error = answer;
      pc.close();
      return out;
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    out.connected = await new Promise(resolve => {
      if (pc.connectionState === 'connected') return resolve(true);
      const timer = setTimeout(() => resolve(false), 15000);
      pc.addEventListener('connectionstatechange', () => {
        if (pc.connectionState === 'connected') { clearTimeout(timer); resolve(true); }
        if (pc.connectionState === 'failed') { clearTimeout(timer); resolve(false); }
      });
    });
    out.connectionState = pc.connectionState;
    if (out.connected) {
      await new Promise(resolve => setTimeout(resolve, Number(holdMs)));
      const stats = await pc.getStats();
      stats.forEach(report => {
        if (report.type === 'outbound-rtp' && report.kind === 'audio') out.packetsSent = report.packetsSent;
      });
    }
    const resource = new URL(out.location, whipUrl).toString();
    const deleted = await fetch(resource, { method: 'DELETE', headers: auth });
    out.deleteStatus = deleted.status;
    pc.close();
    stream.getTracks().forEach(track => track.stop());
    return out;
  }, { whipUrl, holdMs, token });
});
console.log(JSON.stringify(result));
