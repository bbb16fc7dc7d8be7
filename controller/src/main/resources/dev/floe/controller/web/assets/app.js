// Floe's web view: renders the fleet state the controller sends (GET /state, then server-sent events on
// /events). Plain DOM and SVG, no framework, nothing fetched from elsewhere.
"use strict";

const STATES = ["STARTING", "INITIALIZING", "IDLE", "BUSY", "FROZEN"];
const COLORS = { STARTING: "#bf8700", INITIALIZING: "#d4a72c", IDLE: "#2da44e", BUSY: "#cf222e", FROZEN: "#0969da" };
const SVG = "http://www.w3.org/2000/svg";
const history = new Map(); // function -> invocations per second, last 60 samples

function el(tag, attrs, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function duration(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}

function millis(ms) {
  return ms >= 100 ? ms.toFixed(0) + " ms" : ms.toFixed(1) + " ms";
}

/** A horizontal bar of segments [{value, color, label}] over a total. */
function bar(segments, total, width, height) {
  const svg = el("svg:svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
  svg.append(el("svg:rect", { x: 0, y: 0, width, height, rx: 3, fill: "#e6edf3" }));
  let x = 0;
  for (const s of segments) {
    const w = total > 0 ? (s.value / total) * width : 0;
    if (w <= 0) continue;
    const r = el("svg:rect", { x, y: 0, width: w, height, fill: s.color });
    r.append(el("svg:title", {}, s.label));
    svg.append(r);
    x += w;
  }
  return svg;
}

function sparkline(values, width, height) {
  const svg = el("svg:svg", { width, height, viewBox: `0 0 ${width} ${height}` });
  const max = Math.max(1, ...values);
  const step = width / Math.max(1, 59);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`);
  svg.append(el("svg:polyline", { points: points.join(" "), fill: "none", stroke: "#0969da", "stroke-width": 1.5 }));
  return svg;
}

function renderWorkers(state) {
  const box = document.getElementById("workers");
  box.replaceChildren();
  if (state.workers.length === 0) box.append(el("p", { class: "empty" }, "No worker is connected."));
  for (const w of state.workers) {
    const card = el("div", { class: "card", "data-worker": w.id });
    card.append(el("h3", {}, w.id), el("div", { class: "meta" }, w.address));
    card.append(el("div", { class: "meta" }, `memory: ${w.usedMb} MB used, ${w.freeMb} MB free of ${w.memoryMb} MB`));
    card.append(bar([{ value: w.usedMb, color: "#8250df", label: `${w.usedMb} MB used` }], w.memoryMb, 280, 12));
    const counts = STATES.map((s) => ({ value: w.states[s] || 0, color: COLORS[s], label: `${w.states[s] || 0} ${s}` }));
    const total = counts.reduce((a, c) => a + c.value, 0);
    card.append(el("div", { class: "meta" }, `environments: ${total}`), bar(counts, Math.max(total, 1), 280, 12));
    const legend = el("div", { class: "legend" });
    for (const s of STATES) legend.append(el("span", {}, el("i", { class: s }), `${s.toLowerCase()} ${w.states[s] || 0}`));
    card.append(legend);
    box.append(card);
  }
}

function renderFunctions(state) {
  const body = document.querySelector("#functions tbody");
  body.replaceChildren();
  if (state.functions.length === 0) body.append(el("tr", {}, el("td", { colspan: 8, class: "empty" }, "No invocation yet.")));
  for (const f of state.functions) {
    const h = history.get(f.name) || [];
    h.push(f.perSecond);
    while (h.length > 60) h.shift();
    history.set(f.name, h);
    body.append(el("tr", { "data-function": f.name },
      el("td", {}, f.name),
      el("td", { class: "num" }, f.perSecond.toFixed(1)),
      el("td", {}, sparkline(h, 120, 20)),
      el("td", { class: "num" }, (f.coldRatio * 100).toFixed(0) + " %"),
      el("td", { class: "num" }, f.errors),
      el("td", { class: "num" }, f.invocations),
      el("td", { class: "num" }, millis(f.p50Ms)),
      el("td", { class: "num" }, millis(f.p99Ms))));
  }
}

function renderEnvironments(state) {
  const body = document.querySelector("#environments tbody");
  body.replaceChildren();
  if (state.environments.length === 0) body.append(el("tr", {}, el("td", { colspan: 8, class: "empty" }, "No environment.")));
  for (const e of state.environments) {
    body.append(el("tr", { "data-function": e.function, "data-state": e.state, "data-worker": e.worker },
      el("td", { title: e.id }, e.id.slice(0, 12)),
      el("td", {}, e.function),
      el("td", { class: "num" }, e.revision),
      el("td", {}, el("span", { class: "state " + e.state }, e.state)),
      el("td", {}, e.worker),
      el("td", { class: "num" }, duration(e.ageMs)),
      el("td", { class: "num" }, e.invocations),
      el("td", { class: "num" }, e.memoryMb + " MB")));
  }
}

function renderPlacements(state) {
  const body = document.querySelector("#placements tbody");
  body.replaceChildren();
  if (state.placements.length === 0) body.append(el("tr", {}, el("td", { colspan: 4, class: "empty" }, "No placement yet.")));
  for (const p of state.placements) {
    body.append(el("tr", {},
      el("td", {}, new Date(p.time).toLocaleTimeString()),
      el("td", {}, p.function),
      el("td", {}, p.worker),
      el("td", { class: "decision" }, p.decision.replace("_", " "))));
  }
}

function render(state) {
  const perSecond = state.functions.reduce((a, f) => a + f.perSecond, 0);
  document.getElementById("summary").textContent =
    `${state.workers.length} worker(s) · ${state.environments.length} environment(s) · ${perSecond.toFixed(1)} invocations/s`;
  renderWorkers(state);
  renderFunctions(state);
  renderEnvironments(state);
  renderPlacements(state);
}

function live(on) {
  const link = document.getElementById("link");
  link.textContent = on ? "live" : "reconnecting…";
  link.classList.toggle("live", on);
}

fetch("/state", { credentials: "same-origin" }).then((r) => r.json()).then(render).catch(() => live(false));
const events = new EventSource("/events");
events.addEventListener("state", (m) => { live(true); render(JSON.parse(m.data)); });
events.onerror = () => live(false);
