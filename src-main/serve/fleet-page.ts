/**
 * The fleet page of serve mode (`/fleet/`): pick a site, its runs, a trend of any series over a run, and
 * the run's export. Plain HTML and one script under the console's CSP (`script-src 'self'`, no inline
 * script or style); it reaches only `/fleet/api/` (`fleet-routes.ts`).
 */
export const FLEET_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Local Flex Controller — fleet history</title>
<link rel="stylesheet" href="/fleet/fleet.css">
<script src="/fleet/fleet.js" defer></script>
</head>
<body>
<header><h1>Fleet history</h1><span class="note">central database, read-only</span><a href="/">back to the console</a></header>
<main>
  <section><h2>Sites</h2><table id="sites"><thead><tr><th>site</th><th>name</th><th>status</th><th>last heard</th><th>runs</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Runs <span id="site-label"></span></h2><table id="runs"><thead><tr><th>run</th><th>use case</th><th>start (UTC)</th><th>end (UTC)</th><th>end reason</th><th>held % of requested</th><th>within band %</th><th>export</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Trend <span id="run-label"></span></h2>
    <label>series <select id="series"></select></label>
    <svg id="chart" width="900" height="300" viewBox="0 0 900 300" role="img" aria-label="trend"></svg>
    <p id="chart-info" class="note"></p>
  </section>
  <p id="error" class="error"></p>
</main>
</body>
</html>
`;

export const FLEET_PAGE_CSS = `body { font-family: system-ui, sans-serif; margin: 0; color: #1d2733; background: #f7f8fa; }
header { display: flex; gap: 1em; align-items: baseline; padding: 0.6em 1em; background: #243447; color: #fff; }
header a { color: #cde; margin-left: auto; }
h1 { font-size: 1.2em; margin: 0; } h2 { font-size: 1em; }
main { padding: 0 1em 1em; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid #d5dae0; padding: 0.25em 0.6em; text-align: left; font-size: 0.9em; }
tr.pick { cursor: pointer; } tr.pick:hover { background: #eef3f8; } tr.on { background: #dbe8f5; }
.note { color: #667; font-size: 0.85em; } .error { color: #b00020; }
svg { background: #fff; border: 1px solid #d5dae0; display: block; margin-top: 0.5em; }
.band { fill: #9fc3e6; opacity: 0.5; } .mean { fill: none; stroke: #1f5f99; stroke-width: 1.5; } .axis { stroke: #889; stroke-width: 1; } .label { font-size: 11px; fill: #445; }
`;

export const FLEET_PAGE_JS = `'use strict';
const $ = (id) => document.getElementById(id);
let site = null;
let run = null;
const iso = (ms) => (ms === null || ms === undefined ? '—' : new Date(ms).toISOString().replace('.000Z', 'Z'));
const num = (v) => (typeof v === 'number' ? v.toFixed(1) : '—');
async function get(path) {
  const res = await fetch(path, { credentials: 'same-origin' });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}
function fail(err) { $('error').textContent = String(err.message || err); }
function cell(tr, text) { const td = document.createElement('td'); td.textContent = text; tr.appendChild(td); return td; }
async function loadSites() {
  const sites = await get('/fleet/api/sites');
  const tbody = $('sites').querySelector('tbody');
  tbody.replaceChildren();
  for (const s of sites) {
    const tr = document.createElement('tr');
    tr.className = 'pick';
    for (const t of [s.siteId, s.name || '', s.state || '', iso(s.lastSeenMs), String(s.runs)]) cell(tr, t);
    tr.addEventListener('click', () => { for (const x of tbody.children) x.classList.remove('on'); tr.classList.add('on'); pickSite(s.siteId).catch(fail); });
    tbody.appendChild(tr);
  }
}
async function pickSite(id) {
  site = id;
  $('site-label').textContent = 'of ' + id;
  const [runs, series] = await Promise.all([get('/fleet/api/runs?site=' + encodeURIComponent(id)), get('/fleet/api/series?site=' + encodeURIComponent(id))]);
  const sel = $('series');
  sel.replaceChildren();
  for (const s of series) { const o = document.createElement('option'); o.value = s; o.textContent = s; sel.appendChild(o); }
  if (series.includes('breaker.measuredKw')) sel.value = 'breaker.measuredKw';
  const tbody = $('runs').querySelector('tbody');
  tbody.replaceChildren();
  for (const r of runs) {
    const tr = document.createElement('tr');
    tr.className = 'pick';
    const a = (r.kpis && r.kpis.availability) || {};
    const acc = (r.kpis && r.kpis.accuracy) || {};
    for (const t of [r.runId, String(r.useCase), iso(r.startMs), iso(r.endMs), r.endReason || 'running', num(a.heldPctOfRequested), num(acc.withinBandPct)]) cell(tr, t);
    const td = cell(tr, '');
    for (const f of ['csv', 'xlsx', 'json']) {
      const link = document.createElement('a');
      link.href = '/fleet/api/export?site=' + encodeURIComponent(id) + '&run=' + encodeURIComponent(r.runId) + '&format=' + f;
      link.textContent = f.toUpperCase();
      link.addEventListener('click', (e) => e.stopPropagation());
      td.appendChild(link);
      td.appendChild(document.createTextNode(' '));
    }
    tr.addEventListener('click', () => { for (const x of tbody.children) x.classList.remove('on'); tr.classList.add('on'); run = r; drawTrend().catch(fail); });
    tbody.appendChild(tr);
  }
  run = runs[0] || null;
  await drawTrend();
}
async function drawTrend() {
  const svg = $('chart');
  svg.replaceChildren();
  const series = $('series').value;
  if (!site || !series) return;
  const now = Date.now();
  const from = run ? run.startMs - 600000 : now - 86400000;
  const to = run ? (run.endMs || now) + 600000 : now;
  $('run-label').textContent = run ? 'around ' + run.runId : 'of the last 24 h';
  const t = await get('/fleet/api/trend?site=' + encodeURIComponent(site) + '&series=' + encodeURIComponent(series) + '&from=' + Math.round(from) + '&to=' + Math.round(to) + '&buckets=450');
  const vals = t.min.concat(t.max).filter((v) => v !== null);
  $('chart-info').textContent = series + ': ' + t.timeMs.length + ' buckets of ' + Math.round(t.bucketMs / 1000) + ' s, ' + iso(from) + ' … ' + iso(to);
  if (vals.length === 0) return;
  let lo = Math.min(...vals), hi = Math.max(...vals);
  if (hi === lo) { hi += 1; lo -= 1; }
  const W = 900, H = 300, L = 50, B = 20;
  const x = (ms) => L + ((ms - from) / (to - from)) * (W - L - 5);
  const y = (v) => 5 + (1 - (v - lo) / (hi - lo)) * (H - B - 10);
  const ns = 'http://www.w3.org/2000/svg';
  const el = (name, attrs) => { const e = document.createElementNS(ns, name); for (const k in attrs) e.setAttribute(k, attrs[k]); svg.appendChild(e); return e; };
  el('line', { x1: L, y1: H - B, x2: W, y2: H - B, class: 'axis' });
  el('line', { x1: L, y1: 0, x2: L, y2: H - B, class: 'axis' });
  el('text', { x: 2, y: 12, class: 'label' }).textContent = hi.toFixed(1);
  el('text', { x: 2, y: H - B, class: 'label' }).textContent = lo.toFixed(1);
  let band = '', mean = '';
  const idx = t.timeMs.map((_, i) => i).filter((i) => t.mean[i] !== null);
  for (const i of idx) band += (band ? ' L' : 'M') + x(t.timeMs[i]).toFixed(1) + ',' + y(t.max[i]).toFixed(1);
  for (const i of idx.slice().reverse()) band += ' L' + x(t.timeMs[i]).toFixed(1) + ',' + y(t.min[i]).toFixed(1);
  for (const i of idx) mean += (mean ? ' L' : 'M') + x(t.timeMs[i]).toFixed(1) + ',' + y(t.mean[i]).toFixed(1);
  el('path', { d: band + ' Z', class: 'band' });
  el('path', { d: mean, class: 'mean' });
}
document.addEventListener('DOMContentLoaded', () => {
  $('series').addEventListener('change', () => drawTrend().catch(fail));
  loadSites().catch(fail);
});
`;
