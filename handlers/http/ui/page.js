// The detectfn web page's script (plain browser JavaScript, no framework, no external URL).
// It calls the same HTTP API anyone can: GET /v1/models, POST /v1/models/{m}/detect (or /classify
// for a classifier) and POST /v1/models/{m}/preprocess?view=png for the model's-eye view.
// Everything the API answers is put into the page with textContent/setAttribute, never as markup.
// Each drawn box keeps the API's numbers in data-* attributes, so a test can compare them exactly.
'use strict';

const KEY_STORE = 'detectfn.apiKey';
const SVG_NS = 'http://www.w3.org/2000/svg';
const STAGES = ['decode', 'preprocess', 'queue', 'infer', 'postprocess', 'total'];
const TOP_K = 5;
const $ = (id) => document.getElementById(id);
const show = (el, on) => el.toggleAttribute('hidden', !on);

/** The models by name, as GET /v1/models lists them. */
let models = new Map();
/** The image last chosen, so a change of model, conf or iou runs it again. */
let current = null;
/** Object URLs of the last run, revoked when the next one starts. */
let urls = [];
/** Runs started; a run whose number is no longer the latest draws nothing (a newer one will). */
let runs = 0;
const stale = (id) => id !== runs;

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** fetch() with the key (kept in sessionStorage: gone when the tab closes); errors as ApiError. */
async function api(path, init = {}) {
  const key = sessionStorage.getItem(KEY_STORE);
  const headers = new Headers(init.headers);
  if (key) headers.set('Authorization', `Bearer ${key}`);
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401) showAuth(true);
  if (res.ok) return res;
  const body = await res.json().catch(() => null);
  const err = body && body.error;
  throw new ApiError(res.status, (err && err.code) || `HTTP_${res.status}`, (err && err.message) || res.statusText);
}

function showAuth(needed) {
  $('auth').dataset.needed = String(needed);
  show($('auth'), needed);
}

function showError(box, err) {
  show(box, err !== null);
  if (err === null) return;
  box.dataset.code = err.code || 'ERROR';
  box.textContent = `${err.code || 'ERROR'}: ${err.message}`;
}

function setStatus(state, text) {
  $('status').dataset.state = state;
  $('status').textContent = text;
}

async function loadModels() {
  showError($('error'), null);
  try {
    const { models: list } = await (await api('/v1/models')).json();
    showAuth(false);
    models = new Map(list.map((m) => [m.name, m]));
    const select = $('model');
    const chosen = select.value;
    select.replaceChildren(...list.map((m) => {
      const opt = document.createElement('option');
      opt.value = m.name;
      opt.textContent = `${m.name}${m.task === 'classify' ? ' (classify)' : ''}${m.state && m.state !== 'ready' ? ` [${m.state}]` : ''}`;
      return opt;
    }));
    if (models.has(chosen)) select.value = chosen;
    applyDefaults();
    setStatus('idle', list.length ? 'Pick an image.' : 'This server has no models.');
  } catch (err) {
    showError($('error'), err);
    setStatus('error', 'Could not list the models.');
  }
}

/** The selected model's own conf/iou defaults (its manifest's thresholds). */
function applyDefaults() {
  const d = models.get($('model').value)?.defaults;
  if (d && typeof d.conf === 'number') $('conf').value = String(d.conf);
  if (d && typeof d.iou === 'number') $('iou').value = String(d.iou);
}

function svgEl(name, attrs) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** Boxes over the picture, in the source image's pixels (the SVG's viewBox is the image size). */
function drawDetections(result, pictureUrl) {
  const { width, height } = result.image;
  const svg = $('overlay');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  Object.entries({ href: pictureUrl, width, height }).forEach(([k, v]) => $('picture').setAttribute(k, String(v)));
  const font = Math.max(12, Math.round(width / 50));
  const boxes = result.detections.map((d) => {
    const [x1, y1, x2, y2] = d.box;
    const colour = `hsl(${(d.classId * 47) % 360} 90% 50%)`;
    const g = svgEl('g', {});
    const rect = svgEl('rect', { class: 'box', x: x1, y: y1, width: x2 - x1, height: y2 - y1, stroke: colour });
    Object.assign(rect.dataset, { box: JSON.stringify(d.box), score: String(d.score), classId: String(d.classId), label: d.label ?? '' });
    const text = svgEl('text', { x: x1 + 2, y: Math.max(font, y1 - 4), 'font-size': font });
    text.textContent = `${d.label ?? d.classId} ${d.score.toFixed(2)}`;
    g.append(rect, text);
    return g;
  });
  $('boxes').replaceChildren(...boxes);
  show(svg, true);
  $('summary').textContent = `${result.detections.length} detection${result.detections.length === 1 ? '' : 's'} on ${width}x${height} (${result.model} v${result.version})`;
}

function drawTimings(timings) {
  const rows = STAGES.filter((s) => typeof timings[s] === 'number').map((s) => {
    const tr = document.createElement('tr');
    tr.dataset.stage = s;
    tr.dataset.ms = String(timings[s]);
    const th = document.createElement('th');
    const td = document.createElement('td');
    th.textContent = s;
    td.className = 'num';
    td.textContent = timings[s].toFixed(1);
    tr.append(th, td);
    return tr;
  });
  $('timings').tBodies[0].replaceChildren(...rows);
  show($('timings'), rows.length > 0);
}

function drawClasses(result) {
  const items = result.classes.map((c) => {
    const li = document.createElement('li');
    Object.assign(li.dataset, { classId: String(c.classId), score: String(c.score), label: c.label ?? '' });
    li.textContent = `${c.label ?? c.classId}: ${c.score.toFixed(3)}`;
    return li;
  });
  $('classes').replaceChildren(...items);
  show($('classes'), true);
  $('summary').textContent = `top ${items.length} classes (${result.model ?? $('model').value})`;
}

function keepUrl(blob) {
  const url = URL.createObjectURL(blob);
  urls.push(url);
  return url;
}

/** The model's-eye view: the PNG the inspector makes of the tensor the engine receives. */
async function runEyeView(id, model, file) {
  const form = new FormData();
  form.append('image', file);
  try {
    const png = await (await api(`/v1/models/${encodeURIComponent(model)}/preprocess?view=png`, { method: 'POST', body: form })).blob();
    if (stale(id)) return;
    const eye = $('eye');
    const loaded = new Promise((resolve, reject) => { eye.onload = resolve; eye.onerror = () => reject(new ApiError(0, 'BAD_PNG', 'the view did not load as an image')); });
    eye.src = keepUrl(png);
    await loaded;
    eye.dataset.width = String(eye.naturalWidth);
    eye.dataset.height = String(eye.naturalHeight);
    show(eye, true);
  } catch (err) {
    if (!stale(id)) showError($('eye-error'), err);
  }
}

async function runModel(id, model, file, pictureUrl) {
  const info = models.get(model) ?? {};
  const form = new FormData();
  form.append('image', file);
  if (info.task === 'classify') {
    const result = await (await api(`/v1/models/${encodeURIComponent(model)}/classify?top_k=${TOP_K}`, { method: 'POST', body: form })).json();
    if (stale(id)) return;
    drawClasses(result);
    if (result.timings) drawTimings(result.timings);
    return;
  }
  const query = new URLSearchParams({ conf: $('conf').value, iou: $('iou').value });
  const result = await (await api(`/v1/models/${encodeURIComponent(model)}/detect?${query}`, { method: 'POST', body: form })).json();
  if (stale(id)) return;
  drawDetections(result, pictureUrl);
  drawTimings(result.timings);
}

async function run() {
  const model = $('model').value;
  if (!current || !model) return;
  const id = ++runs;
  $('status').dataset.run = String(id);
  urls.forEach((u) => URL.revokeObjectURL(u));
  urls = [];
  for (const el of [$('overlay'), $('timings'), $('classes'), $('eye')]) show(el, false);
  $('boxes').replaceChildren();
  $('summary').textContent = '';
  showError($('error'), null);
  showError($('eye-error'), null);
  setStatus('running', `Running ${model} on ${current.name}...`);
  const file = current;
  // Both requests at once; the page is done when both have answered, whatever they answered.
  const [main] = await Promise.allSettled([runModel(id, model, file, keepUrl(file)), runEyeView(id, model, file)]);
  if (stale(id)) return; // a newer run (image, model, conf or iou changed meanwhile) reports instead
  if (main.status === 'rejected') {
    showError($('error'), main.reason);
    setStatus('error', `${model} answered an error.`);
  } else {
    setStatus('done', `${model} on ${file.name}`);
  }
}

function choose(file) {
  if (!file) return;
  current = file;
  void run();
}

$('file').addEventListener('change', (e) => choose(e.target.files[0]));
$('model').addEventListener('change', () => { applyDefaults(); void run(); });
$('conf').addEventListener('change', () => void run());
$('iou').addEventListener('change', () => void run());
$('save-key').addEventListener('click', () => {
  const key = $('api-key').value.trim();
  if (key) sessionStorage.setItem(KEY_STORE, key);
  else sessionStorage.removeItem(KEY_STORE);
  void loadModels().then(run);
});
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  choose(e.dataTransfer.files[0]);
});
$('api-key').value = sessionStorage.getItem(KEY_STORE) ?? '';
void loadModels();
