// glassnet playground, the training panel: full-batch SGD on a 2-D toy dataset in chunks of
// steps (/api/train), the loss curve and the decision-boundary map. Uses the helpers and the
// network state of playground.js.
"use strict";

let training = false;
let trainRun = 0;        // bumped to stop a training loop at once (Reset); its late answers are dropped
let history_ = [];       // training losses, one per step
let points = null;       // the chosen dataset's points {X, y}

async function loadDataset() {
  points = await api(`/api/dataset?name=${encodeURIComponent($("dataset").value)}`);
  drawBoundary(null);
}

async function ensureTrainShape() {
  const sizes = [state.x[0].length, ...state.layers.map((l) => l.W.length)];
  if (sizes[0] === 2 && sizes[sizes.length - 1] === 2) return true;
  if (!(await newNetwork([2, ...sizes.slice(1, -1), 2]))) return false;
  state.x = [points.X[0].slice()];
  state.target = [points.y[0]];
  await recompute();
  status("the network now takes a point's 2 coordinates and gives 2 class scores");
  return true;
}

function pauseTraining() {  // the chunk under way is finished and shown, then the loop ends
  training = false;
  $("pause-button").disabled = true;
}

function stopTraining() {  // at once (Reset): a chunk under way is dropped when it comes back
  training = false;
  trainRun++;
  $("train-button").disabled = false;
  $("pause-button").disabled = true;
}

function clearTraining() {  // a new network has no training history: no loss, accuracy or map
  history_ = [];
  $("train-steps").textContent = "0";
  $("train-loss").textContent = "–";
  $("train-accuracy").textContent = "–";
  delete $("train-accuracy").dataset.value;
  delete $("loss-curve").dataset.firstLoss;
  delete $("loss-curve").dataset.lastLoss;
  drawLoss();
  drawBoundary(null);
}

async function train() {
  if (training) return;
  const lr = readLearningRate();
  if (lr === null) return;
  const run = ++trainRun;
  training = true;
  $("train-button").disabled = true;
  $("pause-button").disabled = false;
  try {
    if (!points) await loadDataset();
    state.lr = lr;
    if (!(await ensureTrainShape())) throw new Error("training needs a valid learning rate");
    while (training && run === trainRun) {
      const steps = Math.max(1, Math.min(2000, Number($("chunk").value) || 20));
      const answer = await api("/api/train", {state, dataset: $("dataset").value, steps, grid: 32});
      if (run !== trainRun) return;  // Reset (or a new run) while this chunk trained
      state = answer.state;
      history_.push(...answer.losses);
      $("train-steps").textContent = String(history_.length);
      $("train-loss").textContent = fmt(answer.loss);
      $("train-accuracy").textContent = `${(100 * answer.accuracy).toFixed(1)} %`;
      $("train-accuracy").dataset.value = String(answer.accuracy);
      drawLoss();
      drawBoundary(answer.grid);
      await recompute();
    }
  } catch (error) { if (run === trainRun) showError(error); }
  if (run === trainRun) stopTraining();
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function drawLoss() {
  const plot = $("loss-curve");
  const [W, H, L, B] = [360, 220, 44, 24];
  plot.replaceChildren(svg("line", {x1: L, y1: 8, x2: L, y2: H - B, class: "axis"}),
    svg("line", {x1: L, y1: H - B, x2: W - 8, y2: H - B, class: "axis"}));
  if (!history_.length) return;
  const top = Math.max(...history_.filter(Number.isFinite)) || 1;
  const n = history_.length;
  const xy = history_.map((v, i) => [L + (W - 8 - L) * (n === 1 ? 0 : i / (n - 1)),
    H - B - (H - B - 8) * Math.min(1, Math.max(0, v / top))]);
  plot.append(svg("polyline", {points: xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" "), class: "curve"}),
    svg("text", {x: L - 4, y: 14, class: "tick", "text-anchor": "end"}, fmt(top)),
    svg("text", {x: L - 4, y: H - B, class: "tick", "text-anchor": "end"}, "0"),
    svg("text", {x: W - 8, y: H - 6, class: "tick", "text-anchor": "end"}, `${n} steps`));
  plot.dataset.firstLoss = String(history_[0]);
  plot.dataset.lastLoss = String(history_[n - 1]);
}

function mix(p) {  // p(class 1): blue (class 0) → white → orange (class 1)
  const [a, b] = p < 0.5 ? [[59, 130, 246], [255, 255, 255]] : [[255, 255, 255], [245, 158, 11]];
  const t = p < 0.5 ? p * 2 : (p - 0.5) * 2;
  return `rgb(${a.map((v, i) => Math.round(v + (b[i] - v) * t)).join(",")})`;
}

function drawBoundary(grid) {
  const canvas = $("boundary");
  const ctx = canvas.getContext("2d");
  const S = canvas.width;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, S, S);
  const extent = grid ? grid.extent : 1.25;
  if (grid) {
    const G = grid.size, cell = S / G;
    grid.probs.forEach((p, idx) => {
      const r = Math.floor(idx / G), c = idx % G;
      ctx.fillStyle = mix(p[1]);
      ctx.fillRect(c * cell, (G - 1 - r) * cell, cell + 0.5, cell + 0.5);
    });
  }
  if (!points) return;
  const scale = (v) => ((v + extent) / (2 * extent)) * S;
  points.X.forEach(([x, y], i) => {
    ctx.beginPath();
    ctx.arc(scale(x), S - scale(y), 2.2, 0, 2 * Math.PI);
    ctx.fillStyle = points.y[i] === 1 ? "#c2410c" : "#1d4ed8";
    ctx.fill();
  });
}
