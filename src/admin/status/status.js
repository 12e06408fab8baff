// The status page: polls /api/status and /api/graph once a second; rates come from differences
// between polls, kept for the last five minutes and plotted on a canvas (no chart library needed).
const POLL_MS = 1000;
const KEEP = 300;
const series = [];
let previous;

const $ = (id) => document.getElementById(id);
const fmt = (n) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en') : (Math.round(n * 10) / 10).toLocaleString('en'));
const bytes = (n) => (n >= 1 << 20 ? `${fmt(n / (1 << 20))} MiB` : n >= 1024 ? `${fmt(n / 1024)} KiB` : `${n} B`);

function table(el, rows) {
  const entries = Object.entries(rows).sort((a, b) => b[1] - a[1]);
  el.innerHTML = '';
  if (entries.length === 0) {
    el.innerHTML = '<tr><td class="muted">none</td><td></td></tr>';
    return;
  }
  for (const [k, v] of entries) {
    const tr = document.createElement('tr');
    const a = document.createElement('td');
    const b = document.createElement('td');
    a.textContent = k;
    b.textContent = fmt(v);
    tr.append(a, b);
    el.append(tr);
  }
}

function plot() {
  const c = $('chart');
  const g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  if (series.length < 2) return;
  const max = Math.max(1, ...series.map((p) => Math.max(p.in, p.out)));
  const t0 = series[0].at;
  const span = Math.max(1, series[series.length - 1].at - t0);
  g.fillStyle = '#888';
  g.font = '11px sans-serif';
  g.fillText(fmt(max), 2, 10);
  for (const [key, color] of [
    ['in', '#2a7'],
    ['out', '#27c'],
  ]) {
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    series.forEach((p, i) => {
      const x = ((p.at - t0) / span) * (c.width - 4) + 2;
      const y = c.height - 2 - (p[key] / max) * (c.height - 16);
      if (i === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    });
    g.stroke();
  }
}

function drawGraph(graph) {
  const svg = $('graph');
  const ns = 'http://www.w3.org/2000/svg';
  svg.innerHTML = '';
  const nodes = graph.nodes;
  const pos = new Map();
  const cx = 450;
  const cy = 210;
  const r = 170;
  nodes.forEach((n, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, nodes.length) - Math.PI / 2;
    pos.set(n.name, [cx + r * Math.cos(a) * 1.9, cy + r * Math.sin(a)]);
  });
  const el = (name, attrs, text) => {
    const e = document.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  const marker = el('defs', {});
  marker.innerHTML =
    '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#999"/></marker>';
  for (const e of graph.edges) {
    const [x1, y1] = pos.get(e.source);
    const [x2, y2] = pos.get(e.target);
    const color = e.errorRate > 0.05 ? '#d33' : e.errorRate > 0 ? '#e90' : '#999';
    if (e.source === e.target) {
      el('circle', { cx: x1, cy: y1 - 22, r: 14, fill: 'none', stroke: color, class: 'edge' });
    } else {
      el('line', {
        x1,
        y1,
        x2,
        y2,
        stroke: color,
        'stroke-width': 1 + Math.min(6, Math.log10(1 + e.callRate) * 2),
        'marker-end': 'url(#arrow)',
        class: 'edge',
      });
    }
    el(
      'text',
      { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, 'font-size': 10, fill: '#555', 'text-anchor': 'middle' },
      `${fmt(e.callRate)}/s ${fmt(e.errorRate * 100)}%`,
    );
  }
  for (const n of nodes) {
    const [x, y] = pos.get(n.name);
    el('circle', { cx: x, cy: y, r: 6, fill: '#27c', class: 'node' });
    el('text', { x, y: y + 18, 'font-size': 12, 'text-anchor': 'middle' }, n.name);
  }
  if (nodes.length === 0)
    el(
      'text',
      { x: cx, y: cy, 'text-anchor': 'middle', fill: '#888' },
      graph.disabled ? 'dependency links are off (dependencies.enabled: false)' : 'no dependency links yet',
    );
}

async function poll() {
  try {
    const [status, graph] = await Promise.all([fetch('/api/status').then((r) => r.json()), fetch('/api/graph').then((r) => r.json())]);
    if (previous) {
      const dt = Math.max(0.001, (status.at - previous.at) / 1000);
      series.push({ at: status.at, in: (status.spansIn - previous.spansIn) / dt, out: (status.spansOut - previous.spansOut) / dt });
      if (series.length > KEEP) series.shift();
      const last = series[series.length - 1];
      $('rate-in').textContent = fmt(last.in);
      $('rate-out').textContent = fmt(last.out);
    }
    previous = status;
    $('spans-in').textContent = fmt(status.spansIn);
    $('spans-out').textContent = fmt(status.spansOut);
    $('messages').textContent = fmt(status.consumedMessages);
    $('buffered-traces').textContent = fmt(status.bufferedTraces);
    $('buffered-bytes').textContent = bytes(status.bufferedBytes);
    $('dependency-docs').textContent = fmt(status.dependencyDocs);
    table($('lag'), status.lag);
    table($('quarantined'), status.quarantined);
    table($('filtered'), status.filtered);
    table($('flushed'), status.tracesFlushed);
    table($('sampled'), Object.keys(status.sampled).length ? status.sampled : { 'keep_all (no sampling policy reports yet)': 0 });
    $('updated').textContent = `updated ${new Date(status.at).toLocaleTimeString()}`;
    plot();
    drawGraph(graph);
  } catch (err) {
    $('updated').textContent = `update failed: ${err}`;
  }
  setTimeout(poll, POLL_MS);
}
poll();
