/**
 * The read-only dashboard: one page that polls `status.json` every second and draws members per
 * tier, the share of answers per member over time, BGP sessions and recent state changes; and
 * from `series.json` and `traffic.json` the charts over time (uPlot) and the traffic map (an SVG
 * world outline from world-atlas). Its scripts come from the same server under `assets/`
 * (src/status/assets.ts): no CDN, so it works on an isolated management network.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>anypick</title>
<link rel="stylesheet" href="assets/uplot.css">
<script src="assets/uplot.js"></script>
<script src="assets/topojson-client.js"></script>
<style>
  :root { --bg:#0f1419; --panel:#182028; --fg:#e6e6e6; --dim:#8a96a3; --ok:#3fb950; --bad:#f85149; --warn:#d29922; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--fg); }
  header { padding:12px 20px; display:flex; gap:24px; align-items:baseline; border-bottom:1px solid #263140; }
  header h1 { font-size:18px; margin:0; }
  header span { color:var(--dim); }
  main { display:grid; grid-template-columns: 1fr 1fr; gap:16px; padding:16px 20px; }
  section { background:var(--panel); border-radius:8px; padding:12px 16px; min-width:0; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size:14px; margin:0 0 8px; color:var(--dim); text-transform:uppercase; letter-spacing:.05em; }
  table { width:100%; border-collapse:collapse; }
  th, td { text-align:left; padding:4px 6px; border-bottom:1px solid #263140; white-space:nowrap; }
  th { color:var(--dim); font-weight:500; }
  .dot { display:inline-block; width:9px; height:9px; border-radius:50%; margin-right:6px; }
  .up { background:var(--ok); } .down { background:var(--bad); } .idle { background:var(--warn); }
  .bar { background:#263140; height:8px; width:90px; border-radius:4px; display:inline-block; vertical-align:middle; }
  .bar > i { display:block; height:8px; border-radius:4px; background:#58a6ff; }
  .legend span { margin-right:14px; }
  .empty { color:var(--dim); font-style:italic; }
  ol { margin:0; padding-left:18px; max-height:260px; overflow:auto; }
  li { margin:2px 0; } li time { color:var(--dim); margin-right:8px; }
  #stale { color:var(--bad); display:none; }
  .charts { display:grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap:12px; }
  .charts h3 { font-size:13px; margin:0 0 4px; color:var(--dim); font-weight:500; }
  .u-legend { color:var(--fg); font-size:12px; } .u-legend th { color:var(--fg); }
  #map { width:100%; height:auto; background:#111a22; border-radius:6px; }
  #map .land { fill:#263140; stroke:#3a4656; stroke-width:.4; }
  #map circle { fill-opacity:.55; stroke-width:1.5; }
</style>
</head>
<body>
<header>
  <h1>anypick</h1>
  <span id="node" data-testid="node"></span>
  <span id="version"></span>
  <span id="state" data-testid="state-version"></span>
  <span id="queries" data-testid="queries"></span>
  <span id="stale">no update for a while</span>
</header>
<main>
  <section class="wide"><h2>Members</h2><div id="members" data-testid="members"></div></section>
  <section class="wide"><h2>Share of answers per member</h2>
    <svg id="chart" data-testid="chart" width="100%" height="180" viewBox="0 0 800 180" preserveAspectRatio="none"></svg>
    <div class="legend" id="legend" data-testid="legend"></div></section>
  <section class="wide"><h2>Over time</h2><div class="charts">
    <div><h3>Queries per second by response code</h3><div id="chart-qps" data-testid="chart-qps" data-points="0"></div></div>
    <div><h3>Processing time, µs (UDP)</h3><div id="chart-latency" data-testid="chart-latency" data-points="0"></div></div>
    <div><h3>Answers per second per datacenter</h3><div id="chart-answers" data-testid="chart-answers" data-points="0"></div></div>
    <div><h3>Member factor (ready: solid)</h3><div id="chart-factor" data-testid="chart-factor" data-points="0"></div></div>
  </div></section>
  <section class="wide"><h2>Traffic map: client regions each datacenter answers</h2>
    <svg id="map" data-testid="map" viewBox="0 0 960 480"><g id="land"></g><g id="bubbles"></g></svg>
    <div id="traffic" data-testid="traffic"></div></section>
  <section><h2>BGP sessions</h2><div id="bgp" data-testid="bgp"></div></section>
  <section><h2>DNS protection</h2><div id="protection" data-testid="protection"></div></section>
  <section><h2>Recent changes</h2><div id="events" data-testid="events"></div></section>
</main>
<script>
"use strict";
const COLORS = ["#58a6ff","#3fb950","#d29922","#f778ba","#a371f7","#79c0ff","#ffa657","#56d364"];
const colorOf = (() => { const m = new Map(); return (k) => { if (!m.has(k)) m.set(k, COLORS[m.size % COLORS.length]); return m.get(k); }; })();
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;","\\"":"&quot;"}[c]));
const pct = (x) => (x === undefined || x === null) ? "—" : Math.round(x * 100) + "%";
const bar = (x) => '<span class="bar"><i style="width:' + Math.round(Math.max(0, Math.min(1, x || 0)) * 100) + '%"></i></span>';

function members(list) {
  if (!list.length) return '<p class="empty">no members configured</p>';
  const tiers = [...new Set(list.map((m) => m.tier))];
  return tiers.map((tier) => '<table data-tier="' + esc(tier) + '"><tr><th>' + esc(tier) + '</th><th>service</th><th>presence</th><th>ready</th><th>utilization</th><th>weight</th><th>address</th><th>source</th></tr>' +
    list.filter((m) => m.tier === tier).map((m) =>
      '<tr data-member="' + esc(m.member) + '"><td>' + esc(m.member) + '</td><td>' + esc(m.service) + '</td>' +
      '<td><span class="dot ' + (m.present ? "up" : "down") + '"></span>' + (m.present ? "present" : "absent") + '</td>' +
      '<td><span class="dot ' + (m.ready ? "up" : "down") + '"></span>' + (m.ready ? "ready" : "not ready") + '</td>' +
      '<td>' + bar(m.utilization) + ' ' + pct(m.utilization) + '</td>' +
      '<td>' + esc(m.staticWeight) + ' × ' + (Math.round(m.factor * 100) / 100) + ' = <b class="eff">' + (Math.round(m.effectiveWeight * 100) / 100) + '</b></td>' +
      '<td>' + esc(m.address || "") + '</td><td>' + esc(m.source) + '</td></tr>').join("") + '</table>').join("");
}

function chart(series) {
  const svg = document.getElementById("chart");
  const buckets = series.buckets;
  const keys = [...new Set(buckets.flatMap((b) => Object.keys(b.counts)))].sort();
  if (!buckets.length) { svg.innerHTML = '<text x="10" y="90" fill="#8a96a3">no answers yet</text>'; document.getElementById("legend").innerHTML = ""; return; }
  const w = 800 / Math.max(buckets.length, 30);
  let out = "";
  buckets.forEach((b, i) => {
    const total = keys.reduce((s, k) => s + (b.counts[k] || 0), 0) || 1;
    let y = 180;
    for (const k of keys) {
      const h = 180 * (b.counts[k] || 0) / total;
      y -= h;
      out += '<rect x="' + (i * w).toFixed(1) + '" y="' + y.toFixed(1) + '" width="' + Math.max(w - 1, 1).toFixed(1) + '" height="' + h.toFixed(1) + '" fill="' + colorOf(k) + '"><title>' + esc(k) + ": " + (b.counts[k] || 0) + '</title></rect>';
    }
  });
  svg.innerHTML = out;
  const last = buckets[buckets.length - 1].counts;
  const lastTotal = keys.reduce((s, k) => s + (last[k] || 0), 0) || 1;
  document.getElementById("legend").innerHTML = keys.map((k) => '<span data-key="' + esc(k) + '"><span class="dot" style="background:' + colorOf(k) + '"></span>' + esc(k) + " " + pct((last[k] || 0) / lastTotal) + "</span>").join("");
}

function bgp(list) {
  if (!list.length) return '<p class="empty">no BGP sessions on this node</p>';
  return '<table><tr><th>neighbor</th><th>state</th><th>announced</th><th>last change</th><th>last error</th></tr>' + list.map((s) =>
    '<tr><td>' + esc(s.neighbor) + '</td><td><span class="dot ' + (s.state === "Established" ? "up" : "down") + '"></span>' + esc(s.state) + '</td><td>' + esc(s.announced.join(", ") || "—") + '</td><td>' + esc(s.lastTransition || "") + '</td><td>' + esc(s.lastError || "") + '</td></tr>').join("") + '</table>';
}

function protection(p) {
  if (!p) return '<p class="empty">no DNS counters</p>';
  const row = (k, v) => '<tr><td>' + esc(k) + '</td><td>' + esc(String(v)) + '</td></tr>';
  const map = (prefix, o) => Object.keys(o).map((k) => row(prefix + " " + k.replace(/_/g, " "), o[k])).join("");
  return '<table>' + row("dropped malformed", p.dropped.malformed) + row("RRL dropped", p.dropped.rrl) + row("RRL slipped", p.rrlSlipped) +
    row("RRL exempt (cookie)", p.rrlCookieExempt) + map("cookies", p.cookies) + map("TCP refused", p.tcpRefused) + map("TCP closed", p.tcpClosed) + '</table>';
}

function events(list) {
  if (!list.length) return '<p class="empty">no changes yet</p>';
  return '<ol>' + list.slice(0, 100).map((e) => '<li><time>' + esc(e.t.slice(11, 19)) + '</time><b>' + esc(e.kind) + '</b> ' + esc(e.text) + '</li>').join("") + '</ol>';
}

// Charts over time: one uPlot per group, rebuilt when its set of series changes.
const charts = {};
function timeChart(id, group, lines) {
  const el = document.getElementById(id);
  const names = lines.map((l) => l.label).join("|");
  const points = lines.reduce((s, l) => s + l.values.filter((v) => v !== null).length, 0);
  el.dataset.points = String(points);
  el.dataset.series = lines.map((l) => l.label).join(" ");
  if (typeof uPlot === "undefined") return;
  const data = [group.t.map((t) => t / 1000), ...lines.map((l) => l.values)];
  const c = charts[id];
  if (c && c.names === names) { c.plot.setData(data); return; }
  if (c) c.plot.destroy();
  const axis = { stroke: "#8a96a3", grid: { stroke: "#263140" }, ticks: { stroke: "#263140" } };
  const opts = {
    width: Math.max(300, el.clientWidth || 560), height: 180,
    scales: { x: { time: true } },
    axes: [axis, axis],
    series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.color || colorOf(l.label), width: 1.5, dash: l.dash, spanGaps: false }))],
  };
  charts[id] = { names, plot: new uPlot(opts, data, el) };
}

function seriesLines(groups, group, pick) {
  const g = groups[group] || {};
  return Object.keys(g).sort().filter(pick || (() => true)).map((k) => ({ label: k, values: g[k] }));
}

function overTime(s) {
  const axis = { t: s.t };
  const qps = seriesLines(s.groups, "qps");
  timeChart("chart-qps", axis, qps.map((l) => l.label === "total" ? { ...l, color: "#e6e6e6" } : l));
  timeChart("chart-latency", axis, seriesLines(s.groups, "latency").map((l) => ({ ...l, color: l.label === "p50" ? "#3fb950" : "#f85149" })));
  // Coloured by member, as on the map and the share chart.
  timeChart("chart-answers", axis, seriesLines(s.groups, "answers").map((l) => ({ ...l, color: colorOf(l.label.split("/").pop()) })));
  timeChart("chart-factor", axis, seriesLines(s.groups, "factor").map((l) => {
    const ready = (s.groups.ready || {})[l.label] || [];
    return { ...l, values: l.values.map((v, i) => ready[i] === 0 ? null : v) };
  }));
}

// The traffic map: equirectangular projection of the country outlines, one bubble per datacenter and client region.
const W = 960, H = 480;
const px = (lon, lat) => [((lon + 180) / 360) * W, ((90 - lat) / 180) * H];
let landDrawn = false;
async function drawLand() {
  if (landDrawn || typeof topojson === "undefined") return;
  landDrawn = true;
  const world = await (await fetch("assets/countries-110m.json")).json();
  const fc = topojson.feature(world, world.objects.countries);
  let d = "";
  const ring = (r) => {
    let prev = null;
    for (const [lon, lat] of r) {
      const [x, y] = px(lon, lat);
      // A ring cut at the antimeridian: start a new sub-path instead of a line across the map.
      d += (prev === null || Math.abs(x - prev) > W / 2 ? "M" : "L") + x.toFixed(1) + "," + y.toFixed(1);
      prev = x;
    }
    d += "Z";
  };
  for (const f of fc.features) {
    const g = f.geometry;
    if (!g) continue;
    const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    for (const p of polys) for (const r of p) ring(r);
  }
  document.getElementById("land").innerHTML = '<path class="land" data-testid="land" d="' + d + '"></path>';
}

function trafficMap(t) {
  const cells = t.cells;
  const max = Math.max(1, ...cells.map((c) => c.n));
  const placed = cells.filter((c) => c.location);
  // Several datacenters answering one region: their bubbles are offset a little so each shows.
  const seen = new Map();
  document.getElementById("bubbles").innerHTML = placed.map((c) => {
    const [x, y] = px(c.location.lon, c.location.lat);
    const k = c.region;
    const i = seen.get(k) || 0;
    seen.set(k, i + 1);
    const r = 4 + 26 * Math.sqrt(c.n / max);
    return '<circle data-member="' + esc(c.member) + '" data-region="' + esc(c.region) + '" cx="' + (x + i * 6).toFixed(1) + '" cy="' + y.toFixed(1) + '" r="' + r.toFixed(1) + '" fill="' + colorOf(c.member) + '" stroke="' + colorOf(c.member) + '"><title>' + esc(c.member) + " ← " + esc(c.region) + ": " + c.n + '</title></circle>';
  }).join("");
  const byMember = new Map();
  for (const c of cells) byMember.set(c.member, [...(byMember.get(c.member) || []), c]);
  document.getElementById("traffic").innerHTML = cells.length ? '<table><tr><th>datacenter</th><th>client regions (answers since start)</th></tr>' + [...byMember].sort().map(([m, list]) =>
    '<tr data-traffic-member="' + esc(m) + '"><td><span class="dot" style="background:' + colorOf(m) + '"></span>' + esc(m) + '</td><td>' + list.sort((a, b) => b.n - a.n).map((c) => esc(c.region) + " " + c.n).join(", ") + '</td></tr>').join("") + '</table>' : '<p class="empty">no datacenter answers yet</p>';
}

async function refreshOverTime() {
  try {
    drawLand();
    const [s, t] = await Promise.all([fetch("series.json", { cache: "no-store" }).then((r) => r.json()), fetch("traffic.json", { cache: "no-store" }).then((r) => r.json())]);
    overTime(s);
    trafficMap(t);
  } catch (e) { /* older server or a failed poll: keep the last view */ }
}

let lastOk = 0;
async function refresh() {
  try {
    const r = await fetch("status.json", { cache: "no-store" });
    const s = await r.json();
    document.getElementById("node").textContent = s.node.name;
    document.getElementById("version").textContent = "v" + s.node.version;
    document.getElementById("state").textContent = s.node.stateVersion ? "state digest " + s.node.stateVersion.slice(0, 12) : "";
    document.getElementById("queries").textContent = s.dns ? s.dns.queries + " queries" : "";
    document.getElementById("members").innerHTML = members(s.members);
    chart(s.answers);
    document.getElementById("bgp").innerHTML = bgp(s.bgp);
    document.getElementById("protection").innerHTML = protection(s.dns && s.dns.protection);
    document.getElementById("events").innerHTML = events(s.events);
    document.body.dataset.updated = s.node.now;
    lastOk = Date.now();
  } catch (e) { /* keep the last view; the stale marker shows */ }
  document.getElementById("stale").style.display = Date.now() - lastOk > 5000 ? "inline" : "none";
}
refresh();
setInterval(refresh, 1000);
refreshOverTime();
setInterval(refreshOverTime, 2000);
</script>
</body>
</html>
`;
