// glassnet playground: the page holds the network state and sends it whole with every
// request; every number shown comes back from the glassnet server. No framework, no build.
"use strict";

const $ = (id) => document.getElementById(id);
const LIMIT = 1e6;
let state = null;        // {x, target, layers: [{W, b, activation}], loss, lr, seed}
let result = null;       // the last /api/compute answer
let layoutKey = "";      // rebuild the matrices' DOM only when shapes change
let seq = 0;             // compute requests sent; stale answers are dropped
let oldValues = {};      // cell key → value before the last step ("was …")
let hovered = null;      // the cell whose explanation #hover-info shows (refreshed on every render)
let maxLR = 10;          // the server's bound on the learning rate (LIMITS.max_lr)

// ---- server --------------------------------------------------------------------------
async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
  const response = await fetch(path, opts);
  const type = response.headers.get("Content-Type") || "";
  if (!response.ok) {
    const info = type.includes("json") ? await response.json() : {error: await response.text()};
    const error = new Error(info.error || response.statusText);
    error.field = info.field;
    throw error;
  }
  return type.includes("json") ? response.json() : response.blob();
}

// ---- numbers ---------------------------------------------------------------------------
function fmt(v) {
  if (v === null || v === undefined) return "NaN";
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e5)) return v.toExponential(2);
  return String(Number(v.toFixed(4)));
}
const paren = (v) => (v < 0 ? `(${fmt(v)})` : fmt(v));
const transpose = (m) => m[0].map((_, j) => m.map((row) => row[j]));
const column = (v) => v.map((e) => [e]);

function parseCell(text) {
  const t = text.trim();
  const v = Number(t);
  if (t === "" || !Number.isFinite(v)) return {error: `not a number: “${t}”`};
  if (Math.abs(v) > LIMIT) return {error: `at most ${LIMIT} in size`};
  return {value: v};
}

// ---- layout: one block per layer, matrices laid out the by-hand way (column view) -------
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function matrix(key, label, rows, cols, opts = {}) {
  const box = el("div", "matrix-box" + (opts.grad ? " grad" : ""));
  box.append(el("div", "label", label));
  const table = el("table", "matrix");
  table.dataset.matrix = key;
  for (let r = 0; r < rows; r++) {
    const tr = el("tr");
    for (let c = 0; c < cols; c++) {
      const td = el("td", "cell");
      td.dataset.cell = `${key}-${r}-${c}`;
      if (opts.edit) {
        const input = el("input");
        input.dataset.cell = td.dataset.cell;
        input.size = 6;
        input.setAttribute("aria-label", `${label} row ${r} column ${c}`);
        td.classList.add("edit");
        td.append(input, el("span", "old"), el("span", "msg"));
      }
      tr.append(td);
    }
    table.append(tr);
  }
  box.append(table, el("div", "shape", `${rows}×${cols}`));
  return box;
}

const op = (text) => el("div", "op", text);

function activationSelect(k) {
  const select = el("select");
  select.dataset.layer = k;
  for (const name of ["relu", "sigmoid", "tanh", "none"]) {
    const option = el("option", "", name);
    option.value = name;
    select.append(option);
  }
  select.addEventListener("change", () => { state.layers[k].activation = select.value; recompute(); });
  return select;
}

function buildLayout() {
  const net = $("network");
  net.replaceChildren();
  const n = state.x.length;
  state.layers.forEach((layer, k) => {
    const [out, inp] = [layer.W.length, layer.W[0].length];
    const block = el("div", "layer");
    const title = el("h2", "", `Layer ${k + 1}: ${inp} → ${out}   activation `);
    const formula = el("span", "formula", "");
    formula.dataset.formula = k;
    title.append(activationSelect(k), formula);
    const fwd = el("div", "row");
    fwd.append(matrix(`L${k}-W`, "W", out, inp, {edit: true}), op("·"),
      matrix(`L${k}-x`, k === 0 ? "x" : `a${k}`, inp, n, {edit: k === 0}), op("+"),
      matrix(`L${k}-b`, "b", out, 1, {edit: true}), op("="),
      matrix(`L${k}-Z`, "z", out, n), op("→ f →"), matrix(`L${k}-A`, `a${k + 1}`, out, n));
    const back = el("div", "row");
    back.append(el("div", "label side", "gradients"), matrix(`L${k}-dZ`, "dz = da ⊙ f′(z)", out, n, {grad: true}),
      matrix(`L${k}-dW`, "dW = dz·xᵀ", out, inp, {grad: true}),
      matrix(`L${k}-db`, "db = Σ dz", out, 1, {grad: true}));
    block.append(title, fwd, back);
    net.append(block);
  });
  const output = $("output");
  output.replaceChildren();
  const C = state.layers[state.layers.length - 1].W.length;
  const row = el("div", "row");
  row.append(matrix("P", "softmax(z)", C, n), matrix("T", "target class", 1, n, {edit: true}),
    matrix("Y", "predicted", 1, n));
  const loss = el("div", "loss");
  loss.append(el("span", "", "loss = "), el("b", "", ""));
  loss.lastChild.id = "loss-value";
  output.append(row, loss);
}

// ---- filling in the numbers ------------------------------------------------------------
function setCell(key, value, raw) {
  const td = document.querySelector(`td[data-cell="${key}"]`);
  if (!td) return;
  td.dataset.value = raw === undefined ? String(value) : raw;
  const input = td.querySelector("input");
  if (!input) { td.textContent = typeof value === "number" || value === null ? fmt(value) : value; return; }
  if (document.activeElement !== input) input.value = typeof value === "number" ? fmt(value) : value;
  const old = oldValues[key];
  td.querySelector(".old").textContent = old === undefined ? "" : `was ${fmt(old)}`;
}

function fill(key, rows) {
  rows.forEach((row, r) => row.forEach((v, c) => setCell(`${key}-${r}-${c}`, v)));
}

function render() {
  const n = state.x.length;
  const key = JSON.stringify([state.x[0].length, state.layers.map((l) => l.W.length), n]);
  if (key !== layoutKey) { buildLayout(); layoutKey = key; }
  state.layers.forEach((layer, k) => {
    const rec = result.layers[k];
    fill(`L${k}-W`, layer.W);
    fill(`L${k}-b`, column(layer.b));
    fill(`L${k}-x`, transpose(k === 0 ? state.x : rec.x));
    fill(`L${k}-Z`, transpose(rec.Z));
    fill(`L${k}-A`, transpose(rec.A));
    fill(`L${k}-dZ`, transpose(rec.dZ));
    fill(`L${k}-dW`, rec.dW);
    fill(`L${k}-db`, column(rec.db));
    document.querySelector(`select[data-layer="${k}"]`).value = layer.activation;
    // the activation's formula and derivative, as its primitive in glassnet.ops writes them
    document.querySelector(`span[data-formula="${k}"]`).textContent = `   ${rec.formula},   f′ = ${rec.derivative}`;
  });
  fill("P", transpose(result.probs));
  fill("T", [state.target]);
  fill("Y", [result.predicted]);
  const lossEl = $("loss-value");
  lossEl.textContent = `${fmt(result.loss)}  (${result.loss_kind === "mse" ? "MSE against one-hot targets" : "cross-entropy"})`;
  lossEl.dataset.value = String(result.loss);
  syncControls();
  refreshHover();
}

function syncControls() {
  const sizes = [state.x[0].length, ...state.layers.map((l) => l.W.length)].join("-");
  for (const [id, value] of [["sizes", sizes], ["seed", state.seed], ["lr", state.lr], ["loss", state.loss]]) {
    const keepTyped = id === "lr" && $("lr").classList.contains("invalid");  // the message names it
    if (document.activeElement !== $(id) && !keepTyped) $(id).value = value;
  }
}

function saveURL() {
  const doc = {state, dataset: $("dataset").value || "xor", attention: attentionDoc()};
  history.replaceState(null, "", "#" + encodeURIComponent(JSON.stringify(doc)));
}

// ---- compute, errors --------------------------------------------------------------------
function status(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

// The learning rate as typed, or null with a message by the field naming what was typed and
// what fits: an invalid entry is never replaced by a default, and nothing trains with it.
function readLearningRate() {
  const input = $("lr"), typed = input.value.trim(), v = Number(typed);
  const ok = typed !== "" && Number.isFinite(v) && v > 0 && v <= maxLR;
  input.classList.toggle("invalid", !ok);
  input.setAttribute("aria-invalid", String(!ok));
  $("lr-msg").textContent = ok ? "" :
    `learning rate: “${typed}” does not fit — enter a number with 0 < lr ≤ ${maxLR}, e.g. 0.1`;
  if (!ok) status($("lr-msg").textContent, true);
  return ok ? v : null;
}

function showError(error) {  // a refusal of the server: by its field when the page has one
  if (error.field === "lr") {
    $("lr").classList.add("invalid");
    $("lr-msg").textContent = error.message;
  }
  status(error.message, true);
}

function markInvalid(key, message) {
  const td = document.querySelector(`td[data-cell="${key}"]`);
  if (td) { td.classList.add("invalid"); td.querySelector(".msg").textContent = message; }
  status(message, true);
}

function clearInvalid() {
  document.querySelectorAll("td.invalid").forEach((td) => {
    td.classList.remove("invalid");
    td.querySelector(".msg").textContent = "";
  });
}

// "layers[0].W[1][2]" → "L0-W-1-2"; "x[j][i]" → "L0-x-i-j"; "target[j]" → "T-0-j"
function cellOfField(field) {
  let m = /^layers\[(\d+)\]\.W\[(\d+)\]\[(\d+)\]$/.exec(field || "");
  if (m) return `L${m[1]}-W-${m[2]}-${m[3]}`;
  if ((m = /^layers\[(\d+)\]\.b\[(\d+)\]$/.exec(field || ""))) return `L${m[1]}-b-${m[2]}-0`;
  if ((m = /^x\[(\d+)\]\[(\d+)\]$/.exec(field || ""))) return `L0-x-${m[2]}-${m[1]}`;
  if ((m = /^target\[(\d+)\]$/.exec(field || ""))) return `T-0-${m[1]}`;
  return null;
}

async function recompute() {
  const mine = ++seq;
  const start = performance.now();
  try {
    const answer = await api("/api/compute", state);
    if (mine !== seq) return;
    result = answer;
    clearInvalid();
    render();
    saveURL();
    const ms = performance.now() - start;
    $("status").dataset.roundTripMs = ms.toFixed(1);
    status(`computed in ${ms.toFixed(0)} ms`);
    if ($("trace-panel").open) showTrace();
  } catch (error) {
    if (mine !== seq) return;
    const key = cellOfField(error.field);
    if (key) markInvalid(key, error.message); else showError(error);
  }
}

function onCellInput(event) {
  const input = event.target;
  if (input.tagName !== "INPUT" || !input.dataset.cell) return;
  const key = input.dataset.cell;
  const [, name, r, c] = key.match(/^(.*)-(\d+)-(\d+)$/);
  const parsed = parseCell(input.value);
  const td = input.parentElement;
  td.classList.remove("invalid");
  td.querySelector(".msg").textContent = "";
  if (parsed.error) { markInvalid(key, parsed.error); return; }
  const [row, col] = [Number(r), Number(c)];
  const k = Number((/^L(\d+)/.exec(name) || [0, 0])[1]);
  if (name.endsWith("-W")) state.layers[k].W[row][col] = parsed.value;
  else if (name.endsWith("-b")) state.layers[k].b[row] = parsed.value;
  else if (name === "L0-x") state.x[col][row] = parsed.value;
  else if (name === "T") state.target[col] = parsed.value;
  delete oldValues[key];
  recompute();
}

async function showTrace() {
  try {
    const answer = await api("/api/trace", state);
    $("trace-list").replaceChildren(...answer.trace.steps.map((s) => {
      const formula = Array.isArray(s.formula) ? s.formula.join("; ") : s.formula;
      const where = s.module_type ? ` in ${s.module || ""} (${s.module_type})` : "";
      return el("li", s.phase, `${s.phase} ${s.op}${where}: ${formula}`);
    }));
  } catch (error) { $("trace-list").replaceChildren(el("li", "error", error.message)); }
}

// ---- hover: the dot product behind a cell -------------------------------------------------
const HOVER_HINT = "Hover a cell of z (or of the output) to see the row·column dot product that made it.";
function highlight(keys) {
  document.querySelectorAll("td.hl").forEach((td) => td.classList.remove("hl"));
  for (const key of keys) document.querySelectorAll(`td[data-cell^="${key}"]`).forEach((td) => td.classList.add("hl"));
}

function explainZ(k, i, j) {
  const rec = result.layers[k];
  const xs = rec.x[j], w = rec.W[i], terms = rec.terms[i][j];
  const xname = k === 0 ? "x" : `a${k}`;
  const prods = w.map((wk, c) => `${paren(wk)}·${paren(xs[c])}`).join(" + ");
  const sums = terms.map(paren).join(" + ");
  highlight([...w.map((_, c) => `L${k}-W-${i}-${c}`), ...xs.map((_, c) => `L${k}-x-${c}-${j}`),
    `L${k}-b-${i}-0`, `L${k}-Z-${i}-${j}`]);
  return `z[${i},${j}] = row ${i} of W · column ${j} of ${xname} + b[${i}] = ${prods} + ${paren(rec.b[i])}` +
    ` = ${sums} + ${paren(rec.b[i])} = ${fmt(rec.Z[j][i])}`;
}

function explainDW(k, i, c) {
  const rec = result.layers[k];
  const parts = rec.dZ.map((dz, j) => `${paren(dz[i])}·${paren(rec.x[j][c])}`).join(" + ");
  highlight([...rec.dZ.map((_, j) => `L${k}-dZ-${i}-${j}`), ...rec.x.map((_, j) => `L${k}-x-${c}-${j}`),
    `L${k}-dW-${i}-${c}`]);
  return `dW[${i},${c}] = row ${i} of dz · row ${c} of x (column view dW = dz·xᵀ) = ${parts} = ${fmt(rec.dW[i][c])}`;
}

function explainP(i, j) {
  const last = result.layers[result.layers.length - 1];
  const zs = last.A[j];
  highlight([...zs.map((_, c) => `L${result.layers.length - 1}-A-${c}-${j}`), `P-${i}-${j}`]);
  return `softmax: p[${i},${j}] = e^${paren(zs[i])} / (${zs.map((z) => `e^${paren(z)}`).join(" + ")}) = ${fmt(result.probs[j][i])}`;
}

function explainCell(key) {  // the explanation of a cell from the current result, or null
  let m;
  if (!document.querySelector(`td[data-cell="${key}"]`)) return null;
  if ((m = /^L(\d+)-Z-(\d+)-(\d+)$/.exec(key))) return explainZ(+m[1], +m[2], +m[3]);
  if ((m = /^L(\d+)-dW-(\d+)-(\d+)$/.exec(key))) return explainDW(+m[1], +m[2], +m[3]);
  if ((m = /^P-(\d+)-(\d+)$/.exec(key))) return explainP(+m[1], +m[2]);
  return null;
}

function onHover(event) {
  const td = event.target.closest("td[data-cell]");
  if (!td || !result) return;
  const text = explainCell(td.dataset.cell);
  if (text) { hovered = td.dataset.cell; $("hover-info").textContent = text; }
}

// After new numbers (an edit, a Step, Reset, training) the explanation is redone from them,
// or cleared when its cell is gone: it never shows the numbers of an earlier result.
function refreshHover() {
  const text = hovered && explainCell(hovered);
  if (text) { $("hover-info").textContent = text; return; }
  hovered = null;
  highlight([]);
  $("hover-info").textContent = HOVER_HINT;
}

// ---- buttons ---------------------------------------------------------------------------
function parseSizes() {
  const sizes = $("sizes").value.split(/[-,\s×x]+/).filter(Boolean).map(Number);
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1 || s > 8) || sizes.length > 8) {
    throw new Error("layers: widths 1..8 separated by dashes, 2 to 8 of them, e.g. 3-4-2");
  }
  return sizes;
}

// A fresh network of these widths from the seed (keeping the activations); false if refused.
async function newNetwork(sizes) {
  const lr = readLearningRate();
  if (lr === null) return false;
  const old = state ? state.layers.map((l) => l.activation) : [];
  const hidden = old.slice(0, -1);
  const activations = sizes.slice(1).map((_, k) =>
    (k === sizes.length - 2 ? old[old.length - 1] || "none" : hidden[k] || "relu"));
  const seed = Number($("seed").value) || 0;
  state = await api("/api/init", {sizes, activations, seed, loss: $("loss").value, lr});
  oldValues = {};
  await recompute();
  return true;
}

async function reset(sizes) {
  try {
    sizes = sizes || parseSizes();
    stopTraining();
    clearTraining();
    await newNetwork(sizes);
  } catch (error) { showError(error); }
}

async function step() {
  const lr = readLearningRate();
  if (lr === null) return;
  state.lr = lr;
  try {
    const answer = await api("/api/step", state);
    oldValues = {};
    answer.before.layers.forEach((rec, k) => {
      rec.W.forEach((row, i) => row.forEach((v, c) => { oldValues[`L${k}-W-${i}-${c}`] = v; }));
      rec.b.forEach((v, i) => { oldValues[`L${k}-b-${i}-0`] = v; });
    });
    state = answer.state;
    result = answer.after;
    render();
    saveURL();
    status(`step: W ← W − ${state.lr}·dW, b ← b − ${state.lr}·db; loss ${fmt(answer.before.loss)} → ${fmt(answer.after.loss)}`);
  } catch (error) { showError(error); }
}

async function download(path, filename) {
  try {
    const blob = await api(path, state);
    const a = el("a");
    a.href = URL.createObjectURL(blob);
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  } catch (error) { status(error.message, true); }
}

function changeSamples(delta) {
  if (delta > 0 && state.x.length < 8) { state.x.push([...state.x[state.x.length - 1]]); state.target.push(0); }
  if (delta < 0 && state.x.length > 1) { state.x.pop(); state.target.pop(); }
  recompute();
}

// ---- start ------------------------------------------------------------------------------
function fromURL() {
  if (location.hash.length < 2) return null;
  try { return JSON.parse(decodeURIComponent(location.hash.slice(1))); } catch (error) { return null; }
}

async function start() {
  const info = await api("/api/datasets");
  maxLR = info.limits.max_lr;
  for (const name of info.datasets) {
    const option = el("option", "", name);
    option.value = name;
    $("dataset").append(option);
  }
  const saved = fromURL();
  $("dataset").value = saved && info.datasets.includes(saved.dataset) ? saved.dataset : "xor";
  state = saved && saved.state ? saved.state : await api("/api/default");
  await recompute();
  if (!result) { state = await api("/api/default"); await recompute(); readLearningRate(); }
  await loadDataset();
  drawLoss();
  $("network").addEventListener("input", onCellInput);
  $("output").addEventListener("input", onCellInput);
  for (const id of ["network", "output"]) $(id).addEventListener("mouseover", onHover);
  $("reset").addEventListener("click", () => reset());
  $("sizes").addEventListener("change", () => reset());
  $("step").addEventListener("click", step);
  $("loss").addEventListener("change", () => { state.loss = $("loss").value; recompute(); });
  $("lr").addEventListener("change", () => {
    const lr = readLearningRate();
    if (lr === null) return;
    state.lr = lr;
    status("");
    saveURL();
  });
  $("seed").addEventListener("change", () => { state.seed = Math.max(0, Math.floor(Number($("seed").value) || 0)); saveURL(); });
  $("add-sample").addEventListener("click", () => changeSamples(1));
  $("remove-sample").addEventListener("click", () => changeSamples(-1));
  $("export-model").addEventListener("click", () => download("/api/export/model", "network.safetensors"));
  $("export-script").addEventListener("click", () => download("/api/export/script", "network.py"));
  $("dataset").addEventListener("change", async () => { await loadDataset(); saveURL(); });
  $("trace-panel").addEventListener("toggle", () => { if ($("trace-panel").open) showTrace(); });
  $("train-button").addEventListener("click", train);
  $("pause-button").addEventListener("click", pauseTraining);
  await startAttention(saved && saved.attention, info.attention_limits);
  document.body.dataset.ready = "true";
}

// training.js and attention.js (loaded after this script) must be there before start() runs
document.addEventListener("DOMContentLoaded", () => start().catch((error) => status(error.message, true)));
