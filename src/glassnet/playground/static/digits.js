// glassnet playground: the digits tab (draw, the 28x28 seen, probabilities, hidden units).
"use strict";

const DIG = {drawing: false, last: null, poll: null};

function clearDrawing() {
  const ctx = $("draw").getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, 280, 280);
}

function drawStroke(e) {
  const cv = $("draw"), r = cv.getBoundingClientRect(), ctx = cv.getContext("2d");
  const p = [(e.clientX - r.left) * cv.width / r.width, (e.clientY - r.top) * cv.height / r.height];
  ctx.strokeStyle = "#000"; ctx.lineWidth = 18; ctx.lineCap = "round"; ctx.lineJoin = "round";
  ctx.beginPath(); ctx.moveTo(...(DIG.last || p)); ctx.lineTo(...p); ctx.stroke();
  DIG.last = p;
}

async function predictDigit() {
  try {
    const out = await api("/api/digits/predict", {image: $("draw").toDataURL("image/png")});
    showDigit(out);
  } catch (e) { $("digits-status").textContent = e.message; }
}

function showDigit(out) {
  const img = new ImageData(28, 28);
  out.pixels.forEach((v, i) => img.data.set([255 - v, 255 - v, 255 - v, 255], 4 * i));
  const off = document.createElement("canvas"); off.width = off.height = 28;
  off.getContext("2d").putImageData(img, 0, 0);
  const ctx = $("preview").getContext("2d"); ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, 0, 0, 140, 140);
  $("digit-prediction").textContent = String(out.digit);
  $("digit-probs").replaceChildren(...out.proba.map((p, d) => {
    const row = document.createElement("div"); row.className = "prob" + (d === out.digit ? " best" : "");
    const bar = document.createElement("div"); bar.className = "bar"; bar.style.width = (p * 200).toFixed(1) + "px";
    row.append(`${d} ${p.toFixed(3)}`, bar);
    return row;
  }));
  const h = out.hidden[0] || [], cv = $("digit-hidden"), hc = cv.getContext("2d"), m = Math.max(1e-9, ...h.map(Math.abs));
  const cell = 16, per = Math.floor(cv.width / cell);
  hc.clearRect(0, 0, cv.width, cv.height);
  h.forEach((v, i) => { hc.fillStyle = `rgb(${diverging(v / m)})`; hc.fillRect((i % per) * cell, Math.floor(i / per) * cell, cell - 1, cell - 1); });
}

async function digitsStatus() {
  try {
    const s = await api("/api/digits/status");
    $("digits-status").textContent = s.message;
    if (s.state !== "training" && DIG.poll) { clearInterval(DIG.poll); DIG.poll = null; }
  } catch (e) { $("digits-status").textContent = e.message; }
}

function initDigits() {
  clearDrawing();
  const cv = $("draw");
  cv.addEventListener("pointerdown", (e) => { DIG.drawing = true; DIG.last = null; drawStroke(e); });
  cv.addEventListener("pointermove", (e) => { if (DIG.drawing) drawStroke(e); });
  const end = () => { if (DIG.drawing) { DIG.drawing = false; predictDigit(); } };
  cv.addEventListener("pointerup", end); cv.addEventListener("pointerleave", end);
  $("clear-drawing").addEventListener("click", clearDrawing);
  $("digits-train").addEventListener("click", async () => {
    try { await api("/api/digits/train", {epochs: 3}); DIG.poll = DIG.poll || setInterval(digitsStatus, 500); digitsStatus(); } catch (e) { $("digits-status").textContent = e.message; }
  });
  $("digits-load").addEventListener("change", async () => {
    const file = $("digits-load").files[0]; if (!file) return;
    try {
      const r = await fetch("/api/digits/load", {method: "POST", headers: {"X-Glassnet-Token": PG.token, "Content-Type": "application/octet-stream"}, body: await file.arrayBuffer()});
      const d = await r.json(); $("digits-status").textContent = r.ok ? d.message : d.error;
    } catch (e) { $("digits-status").textContent = e.message; }
    $("digits-load").value = "";
  });
  digitsStatus();
}

window.addEventListener("load", initDigits);
