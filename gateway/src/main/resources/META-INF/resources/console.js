// Earshot console: status from /api/* and /q/health, the live feed from /api/events, Talk over WHIP.
// Plain JavaScript, no build step. Every value shown from the API sits in an element with data-field (its name in
// the API's JSON) and data-value (the raw value), inside an element naming its object (data-pipeline, data-sink,
// data-session, data-plugin): the tests compare those with what the API returns.
'use strict';

const $ = id => document.getElementById(id);
const STATUS_INTERVAL_MS = 1000;
const PLUGINS_INTERVAL_MS = 10000;
const FEED_MAX_LINES = 200;
const TOKEN_KEY = 'earshot-token';

function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'text') element.textContent = value;
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  element.append(...children.filter(c => c !== null && c !== undefined));
  return element;
}

/** A value from the API: shown as `text` (default: the value), kept raw in data-value. */
function field(name, value, text) {
  const raw = value === null || value === undefined ? '' : String(value);
  return el('span', { 'data-field': name, 'data-value': raw, text: text === undefined ? raw : text });
}

function pair(label, ...content) {
  return el('div', {}, el('span', { class: 'label', text: label }), ...content);
}

function badge(name, value) {
  return el('span', { class: 'badge ' + value, 'data-field': name, 'data-value': value, text: value });
}

function bytes(n) {
  if (n < 1024) return n + ' B';
  const units = ['KiB', 'MiB', 'GiB'];
  let value = n / 1024, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return value.toFixed(value < 10 ? 1 : 0) + ' ' + units[unit];
}

// ---- the API token ---------------------------------------------------------------------------------------------

function storedToken() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
}

/**
 * Headers of every API call: the stored token, and X-Earshot-Request, which no cross-site form can send (without a
 * token the gateway takes calls that change something only with it, or with a JSON or audio body).
 */
function authHeaders(headers = {}) {
  const token = storedToken();
  const marked = { ...headers, 'X-Earshot-Request': '1' };
  return token ? { ...marked, Authorization: 'Bearer ' + token } : marked;
}

/** A URL with the stored token as access_token, for EventSource, which cannot send headers. */
function withToken(url) {
  const token = storedToken();
  return token ? url + (url.includes('?') ? '&' : '?') + 'access_token=' + encodeURIComponent(token) : url;
}

/** Asks for the token with the server's reason; resolves to the token, or null when the user cancels. */
function askToken(reason) {
  const dialog = $('token-dialog');
  $('token-reason').textContent = reason;
  $('token-input').value = '';
  return new Promise(resolve => {
    const done = value => {
      dialog.removeEventListener('close', onClose);
      $('token-cancel').onclick = null;
      resolve(value);
    };
    const onClose = () => done(dialog.returnValue === 'ok' && $('token-input').value.trim() ? $('token-input').value.trim() : null);
    dialog.addEventListener('close', onClose);
    $('token-cancel').onclick = () => dialog.close('cancel');
    dialog.returnValue = '';
    dialog.showModal();
    $('token-input').focus();
  });
}

async function errorText(response) {
  const body = await response.clone().text().catch(() => '');
  try {
    const json = JSON.parse(body);
    if (json.error) return json.error;
  } catch (e) { /* not JSON */ }
  return body.trim() || response.statusText || ('HTTP ' + response.status);
}

/**
 * fetch() for calls that change something: sends the stored token; on 401 or 403 asks for the token (showing the
 * server's reason), keeps it in sessionStorage and tries again. Returns the last response; when the user cancels, that
 * is the 401/403 one, for the caller to report.
 */
async function mutate(url, options = {}) {
  for (;;) {
    const response = await fetch(url, { ...options, headers: authHeaders(options.headers) });
    if (response.status !== 401 && response.status !== 403) return response;
    if (!await promptToken(response)) return response;
  }
}

/** One token prompt at a time: concurrent refused calls share it. Resolves to whether a token was entered. */
let pendingPrompt = null;
function promptToken(response) {
  if (!pendingPrompt) {
    pendingPrompt = errorText(response).then(askToken).then(token => {
      pendingPrompt = null;
      if (!token) return false;
      try { sessionStorage.setItem(TOKEN_KEY, token); } catch (e) { /* private mode: asked again next time */ }
      if (typeof connectFeed === 'function') connectFeed();
      return true;
    });
  }
  return pendingPrompt;
}

// ---- status ----------------------------------------------------------------------------------------------------

const state = { pipelines: [], refreshes: 0 };

/** Reads send the token too: with one set, transcripts and state are not for everyone. A 401 asks for it once. */
let readRefused = false;
async function getJson(url) {
  for (;;) {
    const response = await fetch(url, { cache: 'no-store', headers: authHeaders() });
    if (response.status === 401 && !readRefused) {
      if (await promptToken(response)) continue;
      readRefused = true;
    }
    if (response.ok) readRefused = false;
    return { ok: response.ok, status: response.status, body: await response.json() };
  }
}

async function refreshHealth() {
  const health = $('health');
  try {
    const { body } = await getJson('/q/health');
    const down = (body.checks || []).filter(c => c.status !== 'UP').map(c => c.name);
    health.textContent = body.status === 'UP' ? 'UP' : 'DOWN' + (down.length ? ': ' + down.join(', ') : '');
    health.className = 'badge ' + (body.status === 'UP' ? 'up' : 'down');
    health.dataset.value = body.status;
    health.title = (body.checks || []).map(c => c.name + ' ' + c.status).join('\n');
  } catch (e) {
    health.textContent = 'unreachable';
    health.className = 'badge down';
    health.dataset.value = 'unreachable';
  }
}

function renderPipelines(pipelines) {
  const container = $('pipelines');
  container.replaceChildren(...pipelines.map(p => {
    const running = p.state === 'running';
    return el('div', { class: 'card', 'data-pipeline': p.name },
      el('div', { class: 'card-title' },
        el('strong', {}, field('name', p.name)), badge('state', p.state),
        el('small', { class: 'origin', text: p.readOnly ? 'configuration file' : 'added at run time' }),
        el('span', { class: 'actions' },
          el('button', { type: 'button', class: 'small', 'data-action': running ? 'stop' : 'start',
            'aria-label': (running ? 'Stop' : 'Start') + ' pipeline ' + p.name,
            text: running ? 'Stop' : 'Start', onclick: () => pipelineAction(p.name, running ? 'stop' : 'start') }),
          // Only pipelines added through the API can be removed here; those of the configuration file are read-only.
          p.readOnly ? null : el('button', { type: 'button', class: 'small', 'data-action': 'delete',
            'aria-label': 'Delete pipeline ' + p.name, text: 'Delete', onclick: () => deletePipeline(p.name) }))),
      el('div', { class: 'pairs' },
        pair('source', field('source', p.source, p.source || 'API and ingest only')),
        // A pipeline that has not started yet has no engine: its components are created when it starts.
        p.engine ? pair('engine', field('engine.id', p.engine.id), ' ', el('small', {}, field('engine.inputFormat', p.engine.inputFormat)),
          p.engine.health && p.engine.health !== 'up' ? el('span', {}, ' ', badge('engine.health', p.engine.health)) : null,
          p.engine.healthDetail ? el('small', {}, ' ', field('engine.healthDetail', p.engine.healthDetail)) : null)
          : pair('engine', el('small', { text: 'created when the pipeline starts' })),
        pair('sessions', field('sessions', p.sessions), ' / ', field('maxSessions', p.maxSessions)),
        pair('frame queue', field('frameQueue', p.frameQueue)),
        pair('real-time factor', field('realtimeFactor', p.realtimeFactor, p.realtimeFactor.toFixed(2))),
        p.hooks.length ? pair('hooks', field('hooks', p.hooks.join(','), p.hooks.join(', '))) : null),
      p.failure ? el('p', { class: 'failure', 'data-field': 'failure', 'data-value': p.failure, text: p.failure }) : null,
      el('div', { class: 'sinks', 'aria-label': 'Sinks of ' + p.name }, ...p.sinks.map(s => renderSink(p.name, s))));
  }));
  if (!pipelines.length) container.replaceChildren(el('p', { class: 'empty', text: 'No pipelines configured.' }));
}

function renderSink(pipeline, s) {
  return el('div', { class: 'card', 'data-sink': s.id, 'data-of': pipeline },
    el('div', { class: 'card-title' }, el('span', { class: 'label muted', text: 'sink' }), el('strong', {}, field('id', s.id)),
      s.failing ? badge('failing', 'failing') : null),
    el('div', { class: 'pairs' },
      pair('queue', field('queueDepth', s.queueDepth), ' / ', field('queueCapacity', s.queueCapacity)),
      pair('delivered', field('delivered', s.delivered)),
      pair('retried', field('retried', s.retried)),
      pair('dropped', field('droppedPartials', s.droppedPartials), ' partials, ', field('droppedFinals', s.droppedFinals), ' finals'),
      pair('spool', field('spooledEvents', s.spooledEvents), ' events, ', field('spoolBytes', s.spoolBytes, bytes(s.spoolBytes)),
        ' of ', field('spoolLimit', s.spoolLimit, bytes(s.spoolLimit)))));
}

/** Width of the level bar: -60 dBFS and below is empty, 0 dBFS full. */
function meterPercent(dbfs) {
  if (dbfs === null || dbfs === undefined) return 0;
  return Math.max(0, Math.min(100, (dbfs + 60) / 60 * 100));
}

function renderSessions(sessions) {
  $('session-count').textContent = '(' + sessions.length + ')';
  const byName = Object.fromEntries(state.pipelines.map(p => [p.name, p]));
  const container = $('sessions');
  if (!sessions.length) {
    container.replaceChildren(el('p', { class: 'empty', text: 'No open sessions. Press Talk, or send a WAV file.' }));
    return;
  }
  container.replaceChildren(...sessions.map(s => {
    const p = byName[s.pipeline];
    const level = s.levelDbfs === null ? '–' : s.levelDbfs.toFixed(1);
    return el('div', { class: 'card', 'data-session': s.id },
      el('div', { class: 'card-title' }, el('strong', {}, field('id', s.id)), el('small', {}, field('origin', s.origin)),
        el('span', { class: 'actions' }, el('button', { type: 'button', class: 'small', 'data-action': 'close',
          'aria-label': 'Close session ' + s.id, text: 'Close', onclick: () => closeSession(s.id) }))),
      el('div', { class: 'pairs' },
        pair('pipeline', field('pipeline', s.pipeline)),
        pair('source', el('span', { text: p && p.source ? p.source : s.origin })),
        pair('engine', el('span', { text: p && p.engine ? p.engine.id : '?' })),
        pair('sinks', el('span', { text: p ? p.sinks.map(k => k.id).join(', ') || 'none' : '?' })),
        pair('level', el('span', { class: 'meter' },
          el('span', { class: 'bar', role: 'meter', 'aria-label': 'Audio level of session ' + s.id, 'aria-valuemin': '-60',
            'aria-valuemax': '0', 'aria-valuenow': s.levelDbfs === null ? '-60' : String(s.levelDbfs) },
            el('span', { style: 'width:' + meterPercent(s.levelDbfs).toFixed(0) + '%' })),
          field('levelDbfs', s.levelDbfs, level), ' dBFS', el('small', {}, ' peak ', field('peakDbfs', s.peakDbfs,
            s.peakDbfs === null ? '–' : s.peakDbfs.toFixed(1))))),
        pair('queued', field('queuedFrames', s.queuedFrames), ' / ', field('queueCapacity', s.queueCapacity)),
        pair('dropped frames', field('droppedFrames', s.droppedFrames)),
        pair('decoded frames', field('framesDecoded', s.framesDecoded)),
        pair('format', field('format', s.format)),
        pair('pacing', field('pacing', s.pacing))));
  }));
}

function renderPlugins(plugins) {
  $('plugins').replaceChildren(...plugins.map(p => el('div', { class: 'card', 'data-plugin': p.name },
    el('div', { class: 'card-title' }, el('strong', {}, field('name', p.name)), field('version', p.version), badge('state', p.state)),
    el('div', { class: 'pairs' }, ...Object.entries(p.provides).map(([kind, names]) =>
      pair(kind, field('provides.' + kind, names.join(','), names.join(', '))))),
    p.failure ? el('p', { class: 'failure', 'data-field': 'failure', 'data-value': p.failure, text: p.failure }) : null)));
}

function fillPipelineChoices(pipelines) {
  for (const [select, keepEmpty] of [[$('talk-pipeline'), false], [$('feed-pipeline'), true]]) {
    const names = pipelines.map(p => p.name);
    const current = [...select.options].map(o => o.value).filter(v => v);
    if (current.join() === names.join()) continue;
    const chosen = select.value;
    select.replaceChildren(...(keepEmpty ? [el('option', { value: '', text: 'all pipelines' })] : []),
      ...names.map(n => el('option', { value: n, text: n })));
    if (names.includes(chosen) || (keepEmpty && chosen === '')) select.value = chosen;
    else if (!keepEmpty && names.includes('default')) select.value = 'default';
  }
}

let lastPluginsRefresh = 0;
const shown = {};

function changed(what, data) {
  const json = JSON.stringify(data);
  if (shown[what] === json) return false;
  shown[what] = json;
  return true;
}

async function refreshStatus() {
  try {
    const [pipelines, sessions] = await Promise.all([getJson('/api/pipelines'), getJson('/api/sessions')]);
    // Redrawn only when something changed, so that keyboard focus and text selection survive idle refreshes.
    if (pipelines.ok && changed('pipelines', pipelines.body)) {
      state.pipelines = pipelines.body;
      renderPipelines(pipelines.body);
      fillPipelineChoices(pipelines.body);
    }
    if (sessions.ok && changed('sessions', [sessions.body, state.pipelines])) renderSessions(sessions.body);
    if (Date.now() - lastPluginsRefresh > PLUGINS_INTERVAL_MS) {
      const plugins = await getJson('/api/plugins');
      if (plugins.ok && changed('plugins', plugins.body)) renderPlugins(plugins.body);
      lastPluginsRefresh = Date.now();
    }
    await refreshHealth();
    state.refreshes++;
    document.body.dataset.refreshes = String(state.refreshes);
  } catch (e) {
    $('health').textContent = 'unreachable';
    $('health').className = 'badge down';
  }
}

/** Reports the outcome of a start, stop or close above the pipelines (role=alert: screen readers read it). */
function actionStatus(message, error) {
  $('action-status').textContent = message;
  $('action-status').classList.toggle('error', error);
}

async function pipelineAction(name, action) {
  actionStatus((action === 'stop' ? 'Stopping' : 'Starting') + ' pipeline ' + name + '…', false);
  try {
    const response = await mutate('/api/pipelines/' + encodeURIComponent(name) + '/' + action, { method: 'POST' });
    if (response.ok) actionStatus('Pipeline ' + name + (action === 'stop' ? ' stopped.' : ' started.'), false);
    else actionStatus('Could not ' + action + ' pipeline ' + name + ': ' + response.status + ' ' + await errorText(response), true);
  } catch (e) {
    actionStatus('Could not ' + action + ' pipeline ' + name + ': ' + e.message, true);
  }
  refreshStatus();
}

async function deletePipeline(name) {
  if (!confirm('Delete pipeline ' + name + '? Its stored spec is removed.')) return;
  actionStatus('Deleting pipeline ' + name + '…', false);
  try {
    const response = await mutate('/api/pipelines/' + encodeURIComponent(name), { method: 'DELETE' });
    if (response.ok) actionStatus('Pipeline ' + name + ' deleted.', false);
    else actionStatus('Could not delete pipeline ' + name + ': ' + response.status + ' ' + await errorText(response), true);
  } catch (e) {
    actionStatus('Could not delete pipeline ' + name + ': ' + e.message, true);
  }
  refreshStatus();
}

/** The "new pipeline" form: the spec as typed, with "start now" as its enabled key, sent with PUT. */
async function createPipeline(event) {
  event.preventDefault();
  const name = $('new-pipeline-name').value.trim();
  let spec;
  try {
    spec = JSON.parse($('new-pipeline-spec').value);
  } catch (e) {
    actionStatus('The spec is not valid JSON: ' + e.message, true);
    return;
  }
  if (spec && typeof spec === 'object' && !Array.isArray(spec)) spec.enabled = $('new-pipeline-start').checked;
  actionStatus('Creating pipeline ' + name + '…', false);
  try {
    const response = await mutate('/api/pipelines/' + encodeURIComponent(name), {
      method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(spec) });
    if (response.ok) {
      const created = await response.json();
      actionStatus('Pipeline ' + name + (response.status === 201 ? ' created' : ' replaced') + ': ' + created.state + '.', false);
      $('new-pipeline').open = false;
    } else {
      actionStatus('Could not create pipeline ' + name + ': ' + response.status + ' ' + await errorText(response), true);
    }
  } catch (e) {
    actionStatus('Could not create pipeline ' + name + ': ' + e.message, true);
  }
  refreshStatus();
}

async function closeSession(id) {
  try {
    const response = await mutate('/api/sessions/' + encodeURIComponent(id), { method: 'DELETE' });
    if (response.ok || response.status === 404) actionStatus('Session ' + id + ' closed.', false);
    else actionStatus('Could not close session ' + id + ': ' + response.status + ' ' + await errorText(response), true);
  } catch (e) {
    actionStatus('Could not close session ' + id + ': ' + e.message, true);
  }
  refreshStatus();
}

// ---- live transcript feed --------------------------------------------------------------------------------------

/** Where partials of a session are shown until their final replaces them: session id -> line, per list. */
class TranscriptList {
  constructor(container, showSource) {
    this.container = container;
    this.showSource = showSource;
    this.open = new Map();
  }

  clear() {
    this.container.replaceChildren();
    this.open.clear();
  }

  add(event) {
    let line = this.open.get(event.session);
    if (!line) {
      line = el('div', { class: 'line', 'data-session': event.session },
        this.showSource ? el('small', { text: event.pipeline + ' · ' + event.session }) : null,
        el('span', { class: 'text' }));
      this.container.prepend(line);
      this.open.set(event.session, line);
      while (this.container.children.length > FEED_MAX_LINES) {
        // The oldest line goes; a session that never got its final (aborted) goes with it.
        const oldest = this.container.lastChild;
        if (this.open.get(oldest.dataset.session) === oldest) this.open.delete(oldest.dataset.session);
        oldest.remove();
      }
    }
    line.classList.toggle('partial', event.type === 'partial');
    line.classList.toggle('final', event.type === 'final');
    line.dataset.type = event.type;
    line.dataset.eventId = event.id;
    line.querySelector('.text').textContent = event.text;
    if (event.type === 'final') this.open.delete(event.session);
  }
}

const feed = new TranscriptList($('feed'), true);
let events = null;

function connectFeed() {
  if (events) events.close();
  const pipeline = $('feed-pipeline').value;
  events = new EventSource(withToken('/api/events' + (pipeline ? '?pipeline=' + encodeURIComponent(pipeline) : '')));
  $('feed-state').textContent = 'connecting…';
  events.onopen = () => { $('feed-state').textContent = 'connected'; };
  events.onerror = () => { $('feed-state').textContent = 'reconnecting…'; };
  const onEvent = message => {
    const event = JSON.parse(message.data);
    feed.add(event);
    talk.onTranscript(event);
  };
  events.addEventListener('partial', onEvent);
  events.addEventListener('final', onEvent);
}

$('feed-pipeline').addEventListener('change', () => { feed.clear(); connectFeed(); });

// ---- Talk: the microphone over WHIP ----------------------------------------------------------------------------

const ICE_GATHERING_TIMEOUT_MS = 5000;

const talk = {
  peer: null,
  stream: null,
  resource: null,
  pipeline: null,
  session: null,
  startedAt: 0,
  busy: false,
  list: new TranscriptList($('talk-transcript'), false),

  status(message, error = false) {
    $('talk-status').textContent = message;
    $('talk-status').classList.toggle('error', error);
  },

  pressed(on) {
    $('talk').setAttribute('aria-pressed', on ? 'true' : 'false');
    $('talk').textContent = on ? 'Stop' : 'Talk';
  },

  async toggle() {
    if (this.busy) return;
    this.busy = true;
    try {
      if (this.peer) await this.stop('Stopped.');
      else await this.start();
    } finally {
      this.busy = false;
    }
  },

  async start() {
    const pipeline = $('talk-pipeline').value;
    if (!pipeline) { this.status('No pipeline to talk to.', true); return; }
    if (!navigator.mediaDevices || !window.RTCPeerConnection) {
      this.status('This browser cannot send the microphone here (it needs WebRTC, and https or localhost).', true);
      return;
    }
    this.pipeline = pipeline;
    this.session = null;
    this.list.clear();
    this.pressed(true);
    try {
      this.status('Asking for the microphone…');
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 }, video: false });
      this.peer = new RTCPeerConnection();
      this.peer.addTransceiver(this.stream.getAudioTracks()[0], { direction: 'sendonly', streams: [this.stream] });
      this.peer.onconnectionstatechange = () => this.onConnectionState();
      await this.peer.setLocalDescription(await this.peer.createOffer());
      this.status('Gathering network candidates…');
      await iceGatheringComplete(this.peer, ICE_GATHERING_TIMEOUT_MS);
      this.status('Connecting to pipeline ' + pipeline + '…');
      this.startedAt = Date.now();
      const response = await mutate('/whip/' + encodeURIComponent(pipeline),
        { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: this.peer.localDescription.sdp });
      if (response.status !== 201) {
        const retry = response.headers.get('Retry-After');
        throw new Error('the gateway answered ' + response.status + ': ' + await errorText(response)
          + (retry ? ' (try again in ' + retry + ' s)' : ''));
      }
      const location = response.headers.get('Location');
      if (!location) throw new Error('the gateway answered 201 without a Location header');
      this.resource = new URL(location, window.location.href).href;
      await this.peer.setRemoteDescription({ type: 'answer', sdp: await response.text() });
      this.session = response.headers.get('X-Earshot-Session');
      this.status('Talking to pipeline ' + pipeline + '. Press Stop when done.');
      $('talk').dataset.resource = this.resource;
      if (this.session) $('talk').dataset.session = this.session;
    } catch (e) {
      await this.stop('Could not talk: ' + (e && e.message ? e.message : e), true);
    }
  },

  onConnectionState() {
    if (!this.peer) return;
    const connection = this.peer.connectionState;
    if (connection === 'failed') this.stop('The connection failed: ' + connection + '.', true);
    else if (connection === 'connected') this.status('Talking to pipeline ' + this.pipeline + '. Press Stop when done.');
  },

  /** Ends the session on the gateway (DELETE on the WHIP resource) and releases the microphone. */
  async stop(message, error = false) {
    const resource = this.resource;
    this.resource = null;
    if (this.peer) { this.peer.onconnectionstatechange = null; this.peer.close(); this.peer = null; }
    if (this.stream) { this.stream.getTracks().forEach(t => t.stop()); this.stream = null; }
    this.pressed(false);
    delete $('talk').dataset.resource;
    delete $('talk').dataset.session;
    if (resource) {
      try {
        const response = await mutate(resource, { method: 'DELETE' });
        if (!response.ok && response.status !== 404) {
          message += ' Ending the session failed: ' + response.status + ' ' + await errorText(response);
          error = true;
        }
      } catch (e) {
        message += ' Ending the session failed: ' + e.message;
        error = true;
      }
    }
    this.status(message, error);
    refreshStatus();
  },

  /** On leaving the page: the DELETE must outlive it (keepalive), and there is no time to ask for a token. */
  leave() {
    if (this.resource) {
      fetch(this.resource, { method: 'DELETE', keepalive: true, headers: authHeaders() }).catch(() => {});
      this.resource = null;
    }
    if (this.peer) this.peer.close();
    if (this.stream) this.stream.getTracks().forEach(t => t.stop());
  },

  onTranscript(event) {
    if (!this.pipeline || !this.startedAt || event.pipeline !== this.pipeline) return;
    if (this.session ? event.session === this.session : (this.peer && Date.now() >= this.startedAt)) this.list.add(event);
  },
};

/** Resolves once ICE gathering is complete (WHIP without trickle), or after `timeout` ms with what was gathered. */
function iceGatheringComplete(peer, timeout) {
  if (peer.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise(resolve => {
    const timer = setTimeout(done, timeout);
    function done() {
      clearTimeout(timer);
      peer.removeEventListener('icegatheringstatechange', check);
      resolve();
    }
    function check() {
      if (peer.iceGatheringState === 'complete') done();
    }
    peer.addEventListener('icegatheringstatechange', check);
  });
}

$('new-pipeline-form').addEventListener('submit', createPipeline);
$('talk').addEventListener('click', () => talk.toggle());
window.addEventListener('pagehide', () => talk.leave());

// ---- WAV upload ------------------------------------------------------------------------------------------------

$('send').addEventListener('click', async () => {
  const file = $('file').files[0];
  const result = $('result');
  result.classList.remove('error');
  if (!file) { result.textContent = 'Choose a WAV file first.'; return; }
  result.textContent = 'Transcribing…';
  try {
    const response = await mutate('/api/transcribe', { method: 'POST', headers: { 'Content-Type': 'audio/wav' }, body: file });
    if (response.ok) {
      const reply = await response.json();
      result.textContent = '“' + reply.text + '” (' + reply.duration.toFixed(1) + ' s)';
    } else {
      result.textContent = 'Error ' + response.status + ': ' + await errorText(response);
      result.classList.add('error');
    }
  } catch (e) {
    result.textContent = 'Error: ' + e.message;
    result.classList.add('error');
  }
});

// ---- start -----------------------------------------------------------------------------------------------------

async function statusLoop() {
  await refreshStatus();
  setTimeout(statusLoop, STATUS_INTERVAL_MS);
}

connectFeed();
statusLoop();
