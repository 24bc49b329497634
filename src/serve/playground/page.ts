// The search playground's page and script, served by GET / and GET /playground.js: plain HTML and
// JavaScript (no build step, nothing from a CDN) that call the public routes (/info, /card, /search)
// with the API key the person types, kept in this tab's sessionStorage.
export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>inbatch playground</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
  header { padding: 12px 20px; background: #1d2330; color: #fff; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
  header h1 { font-size: 17px; margin: 0 12px 0 0; }
  form { display: flex; gap: 8px; flex: 1; min-width: 320px; }
  input { font: inherit; padding: 6px 9px; border: 1px solid #c5cad3; border-radius: 5px; }
  #query { flex: 1; }
  button { font: inherit; padding: 6px 14px; border: 0; border-radius: 5px; background: #3d6ee8; color: #fff; cursor: pointer; }
  main { display: grid; grid-template-columns: repeat(3, 1fr); gap: 14px; padding: 16px 20px; }
  section.column { background: #fff; border: 1px solid #dde1e7; border-radius: 7px; padding: 10px 14px; min-height: 120px; }
  section.column h2 { font-size: 15px; margin: 0 0 6px; }
  ol { padding-left: 0; list-style: none; margin: 0; }
  li.hit { padding: 6px 0; border-top: 1px solid #eef0f3; display: grid; grid-template-columns: 2.2em 1fr 4.6em; gap: 6px; }
  .rank { color: #7a8294; } .score { text-align: right; font-variant-numeric: tabular-nums; color: #3d4a66; }
  .note { color: #7a8294; } .error { color: #b3261e; white-space: pre-wrap; }
  details { margin: 0 20px 16px; background: #fff; border: 1px solid #dde1e7; border-radius: 7px; padding: 8px 14px; }
  pre { white-space: pre-wrap; word-break: break-word; font-size: 12.5px; margin: 8px 0; }
</style>
</head>
<body>
<header>
  <h1>inbatch playground</h1>
  <form id="search">
    <input id="query" name="query" placeholder="type a query, press Enter" autocomplete="off" required>
    <input id="k" name="k" type="number" min="1" max="100" value="10" title="results per retriever" style="width: 4.5em">
    <button type="submit">Search</button>
  </form>
  <input id="api-key" type="password" placeholder="API key (if the server asks)" autocomplete="off" style="width: 14em">
</header>
<p id="status" class="note" style="margin: 10px 20px 0"></p>
<main>
  <section class="column" data-retriever="dense"><h2>Dense</h2><ol></ol></section>
  <section class="column" data-retriever="bm25"><h2>BM25</h2><ol></ol></section>
  <section class="column" data-retriever="hybrid"><h2>Hybrid</h2><ol></ol></section>
</main>
<details id="info-panel" open><summary>Server: <code>/info</code></summary><pre id="info"></pre></details>
<details id="card-panel"><summary>Model card</summary><pre id="card"></pre></details>
<script src="/playground.js"></script>
</body>
</html>
`;

export const PLAYGROUND_JS = `'use strict';
const keyInput = document.getElementById('api-key');
keyInput.value = sessionStorage.getItem('inbatch-api-key') || '';
keyInput.addEventListener('change', () => { sessionStorage.setItem('inbatch-api-key', keyInput.value); refresh(); });
const status = document.getElementById('status');

function headers() {
  const h = { 'content-type': 'application/json' };
  if (keyInput.value) h.authorization = 'Bearer ' + keyInput.value;
  return h;
}

async function call(path, body) {
  const r = await fetch(path, body === undefined ? { headers: headers() } : { method: 'POST', headers: headers(), body: JSON.stringify(body) });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  if (!r.ok) throw new Error(r.status + ': ' + (json && (json.message || json.error) || text));
  return json === undefined ? text : json;
}

function show(column, hits, rankedBy) {
  const list = column.querySelector('ol');
  list.replaceChildren();
  column.querySelector('h2').dataset.rankedBy = rankedBy || '';
  hits.forEach((hit, i) => {
    const li = document.createElement('li');
    li.className = 'hit';
    li.dataset.id = String(hit.id);
    const rank = document.createElement('span'); rank.className = 'rank'; rank.textContent = String(i + 1);
    const text = document.createElement('span'); text.className = 'text'; text.textContent = hit.text;
    const score = document.createElement('span'); score.className = 'score'; score.textContent = hit.score.toFixed(4);
    li.append(rank, text, score);
    list.append(li);
  });
  if (!hits.length) list.innerHTML = '<li class="note">no results</li>';
}

function fail(column, message) {
  const list = column.querySelector('ol');
  list.replaceChildren();
  const li = document.createElement('li'); li.className = 'error'; li.textContent = message;
  list.append(li);
}

async function search(query, k) {
  status.textContent = 'searching…';
  const started = performance.now();
  await Promise.all([...document.querySelectorAll('section.column')].map(async (column) => {
    try {
      const r = await call('/search', { query, k, retriever: column.dataset.retriever });
      show(column, r.results, r.ranked_by);
    } catch (e) { fail(column, e.message); }
  }));
  status.textContent = 'searched in ' + Math.round(performance.now() - started) + ' ms';
  document.body.dataset.searched = query;
}

document.getElementById('search').addEventListener('submit', (event) => {
  event.preventDefault();
  const k = Math.max(1, Math.min(100, Number(document.getElementById('k').value) || 10));
  void search(document.getElementById('query').value, k);
});

async function refresh() {
  try {
    const info = await call('/info');
    document.getElementById('info').textContent = JSON.stringify(info, null, 2);
    if (!info.index) status.textContent = 'this server has no --index: search is not available';
  } catch (e) { document.getElementById('info').textContent = e.message; }
  try { document.getElementById('card').textContent = await call('/card'); }
  catch (e) { document.getElementById('card').textContent = e.message; }
}
void refresh();
`;
