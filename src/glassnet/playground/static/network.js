// glassnet playground: the network picture (neuron thumbnails, weighted links, formulas).
"use strict";

const NET = {key: "", neurons: [], links: [], labels: []};
const SVGNS = "http://www.w3.org/2000/svg";

function n4(v) { return (v < 0 ? "(" + v.toFixed(4) + ")" : v.toFixed(4)); }

function tooltip(text, e) {
  const t = $("tooltip");
  if (!text) { t.hidden = true; return; }
  t.textContent = text; t.hidden = false;
  t.style.left = Math.min(e.clientX + 14, window.innerWidth - 420) + "px";
  t.style.top = (e.clientY + 14) + "px";
}

function columnNames(f) {
  const L = f.network.layers.length - 1;
  return f.network.layers.map((_, c) => (c === 0 ? "inputs" : c === L ? "output" : `layer ${c}`));
}

function neuronFormula(f, c, j) {
  const layers = f.network.layers, layer = layers[c], probe = f.network.probe.map((v) => v.toFixed(3)).join(", ");
  if (c === 0) return `input ${FEATURE_NAMES[f.features[j]]} at the probe point (${probe}) = ${layer.a[j].toFixed(4)}`;
  const aIn = layers[c - 1].a, terms = layer.W.map((row, i) => `${n4(row[j])}·${n4(aIn[i])}`);
  const lines = [`neuron ${j + 1} of ${columnNames(f)[c]} at the probe point (${probe}):`,
    `z = Σ w·a + b`, `  = ${terms.join("\n    + ")}`, `    + ${n4(layer.b[j])}`, `  = ${layer.z[j].toFixed(4)}`];
  if (layer.W.length < layers[c - 1].units) lines.push(`  (the first ${layer.W.length} of ${layers[c - 1].units} terms shown)`);
  const after = layer.after.filter((n) => n !== "Dropout");
  if (after.length) lines.push(`a = ${after.map((n) => n.toLowerCase()).reverse().join("(")}(z${")".repeat(after.length - 1)}) = ${layer.a[j].toFixed(4)}`);
  const t = PG.trace;
  if (t && t.arrays["delta" + c]) lines.push(`backprop: δ = ∂C/∂z = ${t.arrays["delta" + c][0][j].toFixed(6)}`);
  return lines.join("\n");
}

function linkText(f, c, i, j) {
  const w = f.network.layers[c].W[i][j], names = columnNames(f);
  const from = c === 1 ? FEATURE_NAMES[f.features[i]] : `${names[c - 1]} neuron ${i + 1}`;
  const lines = [`weight from ${from} to ${names[c]} neuron ${j + 1}: w = ${w.toFixed(5)}`];
  const t = PG.trace;
  if (t && t.arrays["dW" + c]) {
    lines.push(`backprop: ∂C/∂w = a·δ = ${t.arrays["dW" + c][i][j].toFixed(6)}`);
    lines.push(`new w = w − lr·∂C/∂w = ${t.arrays["W" + c + "_new"][i][j].toFixed(6)}`);
  }
  return lines.join("\n");
}

function buildNetwork(f, box) {
  box.querySelectorAll(".neuron, .col-title, .neuron-num").forEach((el) => el.remove());
  const svg = $("links"); svg.replaceChildren();
  const W = box.clientWidth || 600, H = box.clientHeight || 380, layers = f.network.layers;
  const cols = layers.length, names = columnNames(f);
  NET.neurons = []; NET.links = []; NET.pos = [];
  layers.forEach((layer, c) => {
    const n = layer.thumbs.length, size = Math.max(10, Math.min(36, (H - 30) / n - 4));
    const x = 10 + c * (W - 60) / Math.max(1, cols - 1);
    const title = document.createElement("div");
    title.className = "col-title"; title.style.left = (x - 22) + "px";
    title.textContent = c === 0 ? names[c] : `${names[c]} (${layer.units})`;
    box.append(title);
    NET.pos.push([]); NET.neurons.push([]);
    for (let j = 0; j < n; j++) {
      const y = 20 + (H - 30) * (j + 0.5) / n - size / 2;
      const cv = document.createElement("canvas");
      cv.className = "neuron"; cv.width = cv.height = f.network.thumb;
      cv.id = `neuron-${c}-${j}`;
      Object.assign(cv.style, {left: x + "px", top: y + "px", width: size + "px", height: size + "px"});
      cv.addEventListener("mousemove", (e) => tooltip(neuronFormula(PG.frame, c, j), e));
      cv.addEventListener("mouseleave", () => tooltip(""));
      box.append(cv);
      NET.neurons[c].push(cv); NET.pos[c].push([x, y + size / 2, size]);
    }
  });
  for (let c = 1; c < cols; c++) {
    const Wc = layers[c].W; NET.links[c] = [];
    Wc.forEach((row, i) => row.forEach((_, j) => {
      const [x0, y0, s0] = NET.pos[c - 1][i], [x1, y1] = NET.pos[c][j];
      const line = document.createElementNS(SVGNS, "line");
      line.setAttribute("x1", x0 + s0); line.setAttribute("y1", y0); line.setAttribute("x2", x1); line.setAttribute("y2", y1);
      line.addEventListener("mousemove", (e) => tooltip(linkText(PG.frame, c, i, j), e));
      line.addEventListener("mouseleave", () => tooltip(""));
      svg.append(line);
      NET.links[c].push([line, i, j]);
    }));
  }
}

function drawThumb(cv, thumb, n) {
  const data = new Int8Array(b64bytes(thumb.data).buffer), img = new ImageData(n, n);
  for (let i = 0; i < n * n; i++) { const c = diverging(data[i] / 127); img.data.set([c[0], c[1], c[2], 255], 4 * i); }
  cv.getContext("2d").putImageData(img, 0, 0);
}

function drawTraceNumbers(f, box) {
  box.querySelectorAll(".neuron-num").forEach((el) => el.remove());
  const t = PG.trace; if (!t) return;
  for (let c = 1; t.arrays["z" + c] && c < NET.pos.length; c++) {
    NET.pos[c].forEach(([x, y, s], j) => {
      const label = document.createElement("div");
      label.className = "neuron-num"; label.id = `trace-num-${c}-${j}`;
      const roomy = (NET.pos[c].length < 2 ? 99 : NET.pos[c][1][1] - NET.pos[c][0][1]) >= 38;
      const delta = `δ ${t.arrays["delta" + c][0][j].toFixed(3)}`;  // z and a: in the tooltip
      label.textContent = roomy ? `z ${t.arrays["z" + c][0][j].toFixed(3)}\na ${t.arrays["a" + c][0][j].toFixed(3)}\n${delta}` : delta;
      Object.assign(label.style, {left: (x + s + 2) + "px", top: (y - (roomy ? 14 : 5)) + "px"});
      box.append(label);
    });
  }
}

window.drawNetwork = function (f) {
  const box = $("network");
  if (!f.network) return;
  const key = f.network.layers.map((l) => l.thumbs.length).join(",") + "|" + f.features.join(",");
  if (key !== NET.key) { buildNetwork(f, box); NET.key = key; }
  f.network.layers.forEach((layer, c) => layer.thumbs.forEach((th, j) => drawThumb(NET.neurons[c][j], th, f.network.thumb)));
  for (let c = 1; c < f.network.layers.length; c++) {
    const Wc = f.network.layers[c].W;
    let m = 1e-9; for (const row of Wc) for (const w of row) m = Math.max(m, Math.abs(w));
    for (const [line, i, j] of NET.links[c]) {
      const w = Wc[i][j];
      line.setAttribute("stroke", w < 0 ? "#f59322" : "#0877bd");
      line.setAttribute("stroke-width", (0.5 + 5 * Math.abs(w) / Math.max(m, 1)).toFixed(2));
      line.setAttribute("stroke-opacity", "0.75");
    }
  }
  drawTraceNumbers(f, box);
};
