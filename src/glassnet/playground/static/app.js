// glassnet playground: the page's state, the server connection, the data views.
"use strict";

const PG = {
  token: new URLSearchParams(location.search).get("token") || "",
  session: null, frame: null, events: null, settings: null,
  palette: ["#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf"],
  trace: null, busy: false,
  display: {showTestData: true, discretize: false},  // the page's own keys (TensorFlow Playground's)
};
const FEATURE_NAMES = {x: "x", y: "y", xSquared: "x²", ySquared: "y²", xTimesY: "xy",
                       sinX: "sin x", sinY: "sin y"};
const $ = (id) => document.getElementById(id);

function showError(message) {
  const b = $("banner");
  b.textContent = message;
  b.hidden = !message;
}

async function api(path, body, raw) {
  const opts = {method: body === undefined ? "GET" : "POST",
                headers: {"X-Glassnet-Token": PG.token}};
  if (body !== undefined) {
    opts.body = raw ? body : JSON.stringify(body);
    opts.headers["Content-Type"] = raw ? "text/csv" : "application/json";
  }
  const response = await fetch(path, opts);
  const text = await response.text();
  let data = {};
  try { data = text ? JSON.parse(text) : {}; } catch (e) { data = {error: text}; }
  if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
  return data;
}

function sessionApi(action, body, raw) {
  return api(`/api/sessions/${PG.session}/${action}`, body, raw);
}

// -- settings: the URL's hash (TensorFlow Playground keeps them there) or query ---
function urlSettings() {
  const out = {};
  const add = (params) => { for (const [k, v] of params) if (k !== "token") out[k] = v; };
  add(new URLSearchParams(location.search));
  add(new URLSearchParams(location.hash.slice(1)));
  return out;
}

function writeUrl(settings) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(settings)) {
    if (k === "features") {
      for (const f of Object.keys(FEATURE_NAMES)) params.set(f, v.includes(f) ? "true" : "false");
    } else {
      params.set(k, Array.isArray(v) ? v.join(",") : String(v));
    }
  }
  for (const [k, v] of Object.entries(PG.display)) params.set(k, String(v));
  history.replaceState(null, "", `${location.pathname}?token=${encodeURIComponent(PG.token)}#${params}`);
}

async function changeSettings(values, regenerate, fromDefaults) {
  try {
    showError("");
    PG.trace = null;
    renderTrace();
    await sessionApi("settings", {settings: values, regenerate: !!regenerate, fromDefaults: !!fromDefaults});
  } catch (e) {
    showError(e.message);
    if (PG.settings) fillControls(PG.settings);  // back to what the server holds
  }
}

function fillControls(s) {
  for (const el of document.querySelectorAll("[data-key]")) {
    const v = s[el.dataset.key];
    if (el.type === "checkbox") el.checked = !!v; else if (document.activeElement !== el) el.value = v;
  }
  $("noise-out").textContent = s.noise;
  $("percTrainData-out").textContent = s.percTrainData + "%";
  const reg = s.problem === "regression";
  for (const el of document.querySelectorAll(".cls")) el.hidden = reg;
  for (const el of document.querySelectorAll(".reg")) el.hidden = !reg;
  $("accuracy-box").hidden = reg;
  const feats = $("features");
  feats.replaceChildren(...Object.keys(FEATURE_NAMES).map((f) => {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox"; box.checked = s.features.includes(f); box.id = "feature-" + f;
    box.addEventListener("change", () => changeSettings({[f]: box.checked}));
    label.append(box, " " + FEATURE_NAMES[f]);
    return label;
  }));
  renderLayers(s);
}

function layerActivations(s) {
  return s.activations.length ? s.activations.slice() : s.networkShape.map(() => s.activation);
}

function renderLayers(s) {
  const acts = layerActivations(s);
  const rows = s.networkShape.map((units, i) => {
    const row = document.createElement("div");
    row.className = "layer-row";
    const n = document.createElement("input");
    n.type = "number"; n.min = 1; n.value = units; n.id = `units-${i}`;
    const a = document.createElement("select");
    a.id = `activation-${i}`;
    for (const name of ["relu", "tanh", "sigmoid", "linear", "leaky_relu"]) a.add(new Option(name, name));
    a.value = acts[i];
    const del = document.createElement("button");
    del.textContent = "−"; del.title = "remove this layer";
    const send = (shape, activations) => changeSettings(
      {networkShape: shape.join(","), activations: activations.join(",")});
    n.addEventListener("change", () => { const sh = s.networkShape.slice(); sh[i] = Number(n.value); send(sh, acts); });
    a.addEventListener("change", () => { const ac = acts.slice(); ac[i] = a.value; send(s.networkShape, ac); });
    del.addEventListener("click", () => send(s.networkShape.filter((_, j) => j !== i), acts.filter((_, j) => j !== i)));
    row.append(`layer ${i + 1}`, n, "units", a, del);
    return row;
  });
  $("layers").replaceChildren(...rows);
}

// -- colours ---------------------------------------------------------------
function hexRgb(hex) { return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)); }
function diverging(v) {  // -1 orange, 0 white, +1 blue (TensorFlow Playground's colours)
  const c = v < 0 ? [245, 147, 34] : [8, 119, 189];
  const t = Math.min(1, Math.abs(v));
  return c.map((x) => Math.round(255 + (x - 255) * t));
}
function b64bytes(text) { return Uint8Array.from(atob(text), (c) => c.charCodeAt(0)); }

// -- the data view -----------------------------------------------------------
function toCanvas(domain, x, y, size) {
  return [(x - domain[0]) / (domain[1] - domain[0]) * size,
          (domain[3] - y) / (domain[3] - domain[2]) * size];
}
function fromCanvas(domain, px, py, size) {
  return [domain[0] + px / size * (domain[1] - domain[0]), domain[3] - py / size * (domain[3] - domain[2])];
}

function boundaryImage(b, nClasses) {
  const n = b.n, img = new ImageData(n, n), data = b64bytes(b.data);
  if (b.kind === "regression") {
    const f = new Float32Array(data.buffer), m = Math.max(Math.abs(b.low), Math.abs(b.high), 1e-9);
    for (let i = 0; i < n * n; i++) {
      const v = f[i] / m, c = diverging(PG.display.discretize ? Math.sign(v) : v);
      img.data.set([c[0], c[1], c[2], 200], 4 * i);
    }
    return img;
  }
  const k = b.columns, classes = Math.max(2, nClasses);
  const rgb = PG.palette.map(hexRgb);
  for (let i = 0; i < n * n; i++) {
    let best = 0, p = 0;
    if (k === 1) { const q = data[i] / 255; best = q >= 0.5 ? 1 : 0; p = Math.max(q, 1 - q); } else {
      for (let j = 0; j < k; j++) if (data[i * k + j] > p) { p = data[i * k + j]; best = j; }
      p /= 255;
    }
    const t = PG.display.discretize ? 0.75 : Math.max(0, (p - 1 / classes) / (1 - 1 / classes)) * 0.75;
    const c = rgb[best % rgb.length].map((x) => Math.round(255 + (x - 255) * t));
    img.data.set([c[0], c[1], c[2], 255], 4 * i);
  }
  return img;
}

function drawBoundary(f) {
  const canvas = $("boundary"), ctx = canvas.getContext("2d"), size = canvas.width;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, size, size);
  if (f.boundary) {
    const img = boundaryImage(f.boundary, f.nClasses), off = document.createElement("canvas");
    off.width = off.height = f.boundary.n;
    off.getContext("2d").putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, size, size);
  }
  const pts = f.points, reg = f.nClasses === 0;
  const m = reg ? Math.max(1e-9, ...pts.y.map(Math.abs)) : 1;
  for (let i = 0; i < pts.xy.length; i++) {
    if (pts.test[i] && !PG.display.showTestData) continue;
    const [px, py] = toCanvas(f.domain, pts.xy[i][0], pts.xy[i][1], size);
    ctx.beginPath(); ctx.arc(px, py, 4, 0, 2 * Math.PI);
    if (reg) { const c = diverging(pts.y[i] / m); ctx.fillStyle = `rgb(${c})`; } else ctx.fillStyle = PG.palette[pts.y[i] % PG.palette.length];
    ctx.fill();
    ctx.lineWidth = pts.test[i] ? 2 : 1;  // test points ringed in black
    ctx.strokeStyle = pts.test[i] ? "#000" : (reg ? "#888" : "#fff");
    ctx.stroke();
  }
  if (f.network) {  // the probe point of the hover formulas
    const [px, py] = toCanvas(f.domain, f.network.probe[0], f.network.probe[1], size);
    ctx.strokeStyle = "#000"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(px - 7, py); ctx.lineTo(px + 7, py); ctx.moveTo(px, py - 7); ctx.lineTo(px, py + 7); ctx.stroke();
  }
}

function drawCurves(h) {
  const canvas = $("curves"), ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  const series = [["loss", "#555", []], ["val_loss", "#0877bd", [5, 3]]];
  const all = series.flatMap(([k]) => (h[k] || []).filter((v) => v !== null));
  if (!all.length) return;
  const top = Math.max(...all) * 1.05 || 1, ep = h.epoch || [], last = ep[ep.length - 1] || 1;
  for (const [key, colour, dash] of series) {
    const v = h[key] || [];
    ctx.beginPath(); ctx.setLineDash(dash); ctx.strokeStyle = colour; ctx.lineWidth = 1.5;
    v.forEach((y, i) => { if (y === null) return; const px = 5 + (ep[i] || 0) / last * (W - 10), py = H - 15 - y / top * (H - 25);
      if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py); });
    ctx.stroke();
  }
  ctx.setLineDash([]); ctx.fillStyle = "#333"; ctx.font = "11px sans-serif";
  ctx.fillText(`loss (solid: training, dashed: test), max ${top.toFixed(3)}`, 5, 11);
}

function drawWarp(f) {
  const canvas = $("warp"), ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  const sel = $("warp-layer"), hidden = f.settings.networkShape.length;
  if (sel.options.length !== hidden) {
    sel.replaceChildren(...f.settings.networkShape.map((u, i) => new Option(`${i + 1} (${u} units)`, i)));
  }
  const w = f.warp;
  $("warp-how").textContent = w ? w.how : "(no hidden layer)";
  if (!w) return;
  sel.value = w.layer;
  const xs = [], ys = [];
  for (const p of w.points) { xs.push(p[0]); ys.push(p[1]); }
  for (const line of w.lines) for (const p of line) { xs.push(p[0]); ys.push(p[1]); }
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  const sx = (x) => 10 + (x - x0) / (x1 - x0 || 1) * (W - 20), sy = (y) => H - 10 - (y - y0) / (y1 - y0 || 1) * (H - 20);
  ctx.strokeStyle = "#bbb"; ctx.lineWidth = 1;
  for (const line of w.lines) { ctx.beginPath(); line.forEach((p, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, sx(p[0]), sy(p[1]))); ctx.stroke(); }
  const reg = f.nClasses === 0;
  w.points.forEach((p, i) => {
    ctx.fillStyle = reg ? `rgb(${diverging(w.labels[i])})` : PG.palette[w.labels[i] % PG.palette.length];
    ctx.beginPath(); ctx.arc(sx(p[0]), sy(p[1]), 2.5, 0, 2 * Math.PI); ctx.fill();
  });
}

function drawHealth(f) {
  const box = $("health"), messages = [...f.warnings, ...f.health];
  if (f.error) messages.unshift(f.error);
  box.hidden = !messages.length;
  box.replaceChildren(...messages.map((m) => { const p = document.createElement("p"); p.textContent = "⚠ " + m; return p; }));
}

function fmt(v) {
  if (v === null || v === undefined) return "-";
  return Math.abs(v) > 0 && Math.abs(v) < 1e-3 ? Number(v).toExponential(2) : Number(v).toFixed(4);
}

function floats(text) { return new Float32Array(b64bytes(text).buffer); }

function decodeFrame(f) {  // curves and the warp view arrive as float32 bytes
  for (const key of Object.keys(f.history)) f.history[key] = Array.from(floats(f.history[key]), (v) => (Number.isNaN(v) ? null : v));
  if (f.warp) {
    const p = floats(f.warp.points), l = floats(f.warp.lines), w = f.warp;
    w.points = Array.from({length: p.length / 2}, (_, i) => [p[2 * i], p[2 * i + 1]]);
    w.labels = Array.from(floats(w.labels));
    w.lines = Array.from({length: w.nLines}, (_, k) => Array.from({length: w.perLine}, (_, i) => {
      const j = 2 * (k * w.perLine + i); return [l[j], l[j + 1]]; }));
  }
  return f;
}

function onFrame(f) {
  PG.frame = decodeFrame(f);
  const changed = JSON.stringify(f.settings) !== JSON.stringify(PG.settings);
  if (changed) { PG.settings = f.settings; fillControls(f.settings); writeUrl(f.settings); }
  $("epoch").textContent = f.epoch;
  const h = f.history, last = (k) => (h[k] && h[k].length ? h[k][h[k].length - 1] : null);
  $("test-loss").textContent = fmt(last("val_loss"));
  $("train-loss").textContent = fmt(last("loss"));
  $("test-accuracy").textContent = fmt(last("val_accuracy"));
  $("play").textContent = f.running ? "❚❚ pause" : "▶ play";
  $("play").title = f.running ? "pause" : "play";
  const cls = $("click-class"), k = f.nClasses;
  if (cls.options.length !== k) cls.replaceChildren(...Array.from({length: k}, (_, i) => new Option(`class ${i}`, i)));
  drawBoundary(f); drawCurves(h); drawHealth(f); drawWarp(f);
  if (window.drawNetwork) window.drawNetwork(f);
}

function connect() {
  if (PG.events) PG.events.close();
  PG.events = new EventSource(`/api/sessions/${PG.session}/events?token=${encodeURIComponent(PG.token)}`);
  PG.events.onmessage = (e) => onFrame(JSON.parse(e.data));
  PG.events.onerror = () => { if (PG.events.readyState === EventSource.CLOSED) showError("the connection to the server is closed; restart glassnet playground and reload"); };
}

function readDisplay(values) {  // showTestData, discretize: drawn here, not trained
  for (const key of Object.keys(PG.display)) {
    if (key in values) PG.display[key] = String(values[key]) === "true";
    $(key).checked = PG.display[key];
  }
}

async function startSession() {
  readDisplay(urlSettings());
  let created;
  try {
    created = await api("/api/sessions", {settings: urlSettings()});
  } catch (e) {
    showError(`the URL's settings were refused: ${e.message}; starting from the defaults`);
    created = await api("/api/sessions", {settings: {}});
  }
  PG.session = created.session;
  for (const fmtName of ["safetensors", "onnx", "py", "csv"]) {
    $(`export-${fmtName}`).href = `/api/sessions/${PG.session}/export?format=${fmtName}&token=${encodeURIComponent(PG.token)}`;
  }
  connect();
  await sessionApi("view", {speed: Number($("speed").value)});
}

// -- clicks on the data view ---------------------------------------------------
async function onBoundaryClick(e) {
  const f = PG.frame; if (!f) return;
  const canvas = $("boundary"), r = canvas.getBoundingClientRect();
  const [x, y] = fromCanvas(f.domain, (e.clientX - r.left) * canvas.width / r.width,
                            (e.clientY - r.top) * canvas.height / r.height, canvas.width);
  try {
    showError("");
    if ($("backprop").checked) {
      const pts = f.points.xy; let best = -1, d = Infinity;
      pts.forEach((p, i) => { const dd = Math.hypot(p[0] - x, p[1] - y); if (dd < d) { d = dd; best = i; } });
      if (best < 0) return;
      const [px, py] = pts[best];
      await sessionApi("view", {probe: [px, py]});
      PG.trace = await sessionApi("trace", {x: px, y: py, label: f.points.y[best]});
      renderTrace();
      return;
    }
    if (e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) {
      const radius = (f.domain[1] - f.domain[0]) / 40;
      await sessionApi("points", {action: "remove", x, y, radius});
    } else {
      const label = f.nClasses ? Number($("click-class").value) : Number($("click-value").value);
      await sessionApi("points", {action: "add", x, y, label});
    }
  } catch (err) { showError(err.message); }
}

function renderTrace() {
  const box = $("trace"), t = PG.trace;
  box.hidden = !t;
  if (window.drawNetwork && PG.frame) window.drawNetwork(PG.frame);
  if (!t) return;
  const a = t.arrays, lines = [`one step on the point (${t.point.map((v) => v.toFixed(3)).join(", ")}), target ${JSON.stringify(t.target)}, lr ${t.lr}`,
    `loss before <b id="trace-loss-before">${t.loss_before.toPrecision(6)}</b> → after <b id="trace-loss-after">${t.loss_after.toPrecision(6)}</b> (${t.loss_formula})`,
    `largest gradient check error ${t.max_gradcheck_error.toExponential(2)}`];
  for (let l = 1; a["W" + l]; l++) {
    lines.push(`layer ${l}: z = ${JSON.stringify(a["z" + l][0].map((v) => +v.toFixed(4)))}`);
    lines.push(`         a = ${JSON.stringify(a["a" + l][0].map((v) => +v.toFixed(4)))}`);
    lines.push(`         δ = ${JSON.stringify(a["delta" + l][0].map((v) => +v.toFixed(4)))}`);
  }
  box.innerHTML = lines.join("<br>");
}

function init() {
  $("boundary").addEventListener("click", onBoundaryClick);
  for (const el of document.querySelectorAll("[data-key]")) {
    el.addEventListener("change", () => {
      const values = {[el.dataset.key]: el.type === "checkbox" ? el.checked : el.value};
      // a regression trains with a squared error; a classification with cross-entropy
      if (el.dataset.key === "problem") values.loss = el.value === "regression" ? "mse" : "softmax_cross_entropy";
      changeSettings(values);
    });
  }
  $("regenerate").addEventListener("click", () => changeSettings({}, true));
  $("add-layer").addEventListener("click", () => {
    const s = PG.settings, acts = layerActivations(s);
    changeSettings({networkShape: [...s.networkShape, 4].join(","), activations: [...acts, acts[acts.length - 1] || s.activation].join(",")});
  });
  $("play").addEventListener("click", () => sessionApi("control", {action: PG.frame && PG.frame.running ? "pause" : "play"}).catch((e) => showError(e.message)));
  $("step").addEventListener("click", () => sessionApi("control", {action: "step"}).catch((e) => showError(e.message)));
  $("reset").addEventListener("click", () => { PG.trace = null; renderTrace(); sessionApi("control", {action: "reset"}).catch((e) => showError(e.message)); });
  for (const key of Object.keys(PG.display)) {
    $(key).addEventListener("change", () => {
      PG.display[key] = $(key).checked;
      if (PG.frame) { drawBoundary(PG.frame); writeUrl(PG.settings); }
    });
  }
  $("speed").addEventListener("change", () => sessionApi("view", {speed: Number($("speed").value)}).catch((e) => showError(e.message)));
  $("warp-layer").addEventListener("change", () => sessionApi("view", {warpLayer: Number($("warp-layer").value)}).catch((e) => showError(e.message)));
  $("backprop").addEventListener("change", () => { if (!$("backprop").checked) { PG.trace = null; renderTrace(); } });
  $("csv-file").addEventListener("change", async () => {
    const file = $("csv-file").files[0]; if (!file) return;
    try { showError(""); await sessionApi("csv", await file.text(), true); } catch (e) { showError(`CSV file: ${e.message}`); }
    $("csv-file").value = "";
  });
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t === tab);
      for (const page of document.querySelectorAll(".tabpage")) page.hidden = page.id !== tab.dataset.tab;
      document.querySelector(".runbar").hidden = tab.dataset.tab !== "play-tab";
    });
  }
  // a link with other settings opened in this tab: apply them (replaceState fires no event)
  window.addEventListener("hashchange", () => {
    const values = Object.fromEntries(new URLSearchParams(location.hash.slice(1)));
    readDisplay(values);
    changeSettings(values, true, true);
  });
  startSession().catch((e) => showError(e.message));
}

window.addEventListener("load", init);
