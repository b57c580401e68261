// glassnet playground, the attention panel: one tiny head. The page holds X, W_Q, W_K, W_V
// and the causal flag; /api/attention answers with every number (glassnet's engine, float64).
// Uses the helpers of playground.js ($, api, el, fmt, paren, matrix, setCell, fill, transpose).
"use strict";

let attState = null;   // {X (L×E), W_Q, W_K, W_V (E×d), causal}
let attResult = null;  // the last /api/attention answer
let attLayout = "";    // rebuild the panel's matrices only when shapes change
let attSeq = 0;        // requests sent; stale answers are dropped
let attHovered = null; // the cell whose explanation #att-info shows
const ATT_HINT = "Hover a score, a weight or an output cell to see how it was computed.";
const ATT_INPUTS = [["X", "X"], ["WQ", "W_Q"], ["WK", "W_K"], ["WV", "W_V"]];  // cell key → field

function attentionDoc() { return attState; }

function attBuild() {
  const [L, E] = [attState.X.length, attState.X[0].length];
  const [d, dv] = [attState.W_Q[0].length, attState.W_V[0].length];
  const inputs = el("div", "row");
  inputs.append(matrix("A-X", "X (one token a row)", L, E, {edit: true}),
    matrix("A-WQ", "W_Q", E, d, {edit: true}), matrix("A-WK", "W_K", E, d, {edit: true}),
    matrix("A-WV", "W_V", E, dv, {edit: true}));
  const projections = el("div", "row");
  projections.append(matrix("A-Q", "Q = X·W_Q", L, d), matrix("A-K", "K = X·W_K", L, d),
    matrix("A-V", "V = X·W_V", L, dv));
  const head = el("div", "row");
  head.append(matrix("A-S", "Z = Q·Kᵀ/√d", L, L), op("→ softmax by rows →"),
    matrix("A-P", "weights P", L, L), op("·"), matrix("A-V2", "V", L, dv), op("="),
    matrix("A-O", "output O = P·V", L, dv));
  $("att-matrices").replaceChildren(inputs, projections, head);
}

function heat(td, p) {  // white (0) → blue (1): the attention weight as a colour
  const t = Math.max(0, Math.min(1, p));
  const rgb = [255 + (37 - 255) * t, 255 + (99 - 255) * t, 255 + (235 - 255) * t].map(Math.round);
  td.style.backgroundColor = `rgb(${rgb.join(",")})`;
  td.style.color = t > 0.55 ? "#fff" : "";
}

function attRender() {
  const a = attResult, L = a.X.length;
  const key = JSON.stringify([L, a.X[0].length, a.W_Q[0].length, a.W_V[0].length]);
  if (key !== attLayout) { attBuild(); attLayout = key; }
  ATT_INPUTS.forEach(([name, field]) => fill(`A-${name}`, attState[field]));
  for (const name of ["Q", "K", "V", "O"]) fill(`A-${name}`, a[name === "O" ? "output" : name]);
  fill("A-V2", a.V);
  a.scaled.forEach((row, i) => row.forEach((v, j) => {
    setCell(`A-S-${i}-${j}`, a.masked[i][j] ? "−∞" : v, String(a.masked[i][j] ? -Infinity : v));
    document.querySelector(`td[data-cell="A-S-${i}-${j}"]`).classList.toggle("masked", a.masked[i][j]);
  }));
  a.weights.forEach((row, i) => row.forEach((p, j) => {
    setCell(`A-P-${i}-${j}`, p);
    heat(document.querySelector(`td[data-cell="A-P-${i}-${j}"]`), p);
  }));
  $("att-causal").checked = attState.causal;
  $("att-matrices").dataset.maxError = String(a.max_error);
  attRefreshHover();
}

async function attCompute() {
  const mine = ++attSeq;
  try {
    const answer = await api("/api/attention", attState);
    if (mine !== attSeq) return;
    attResult = answer;
    document.querySelectorAll("#attention td.invalid").forEach((td) => {
      td.classList.remove("invalid");
      td.querySelector(".msg").textContent = "";
    });
    attRender();
    $("att-status").textContent = `checked against F.scaled_dot_product_attention: largest difference ${answer.max_error.toExponential(1)}`;
    $("att-status").classList.remove("error");
    saveURL();
  } catch (error) {
    if (mine !== attSeq) return;
    const m = /^(X|W_Q|W_K|W_V)\[(\d+)\]\[(\d+)\]$/.exec(error.field || "");
    const name = m && ATT_INPUTS.find(([, field]) => field === m[1])[0];
    if (m) markInvalid(`A-${name}-${m[2]}-${m[3]}`, error.message);
    $("att-status").textContent = error.message;
    $("att-status").classList.add("error");
  }
}

function attOnInput(event) {
  const input = event.target;
  if (input.tagName !== "INPUT" || !input.dataset.cell) return;
  const [, name, r, c] = input.dataset.cell.match(/^A-(\w+)-(\d+)-(\d+)$/);
  const parsed = parseCell(input.value);
  const td = input.parentElement;
  td.classList.remove("invalid");
  td.querySelector(".msg").textContent = "";
  if (parsed.error) { markInvalid(input.dataset.cell, parsed.error); return; }
  attState[ATT_INPUTS.find(([key]) => key === name)[1]][+r][+c] = parsed.value;
  attCompute();
}

// ---- hover: each number spelled out from the answer's own terms ---------------------------
function attHighlight(keys) {
  document.querySelectorAll("#attention td.hl").forEach((td) => td.classList.remove("hl"));
  for (const key of keys) document.querySelectorAll(`#attention td[data-cell^="${key}"]`).forEach((td) => td.classList.add("hl"));
}

function attExplainScore(i, j) {
  const a = attResult, d = a.d;
  const cols = a.Q[i].map((_, k) => k);
  attHighlight([...cols.map((k) => `A-Q-${i}-${k}`), ...cols.map((k) => `A-K-${j}-${k}`), `A-S-${i}-${j}`]);
  const prods = cols.map((k) => `${paren(a.Q[i][k])}·${paren(a.K[j][k])}`).join(" + ");
  const sums = a.score_terms[i][j].map(paren).join(" + ");
  const text = `S[${i},${j}] = row ${i} of Q · row ${j} of K = ${prods} = ${sums} = ${fmt(a.scores[i][j])};` +
    ` Z[${i},${j}] = S[${i},${j}]/√${d} = ${fmt(a.scores[i][j])} / ${fmt(1 / a.scale)} = ${fmt(a.scaled[i][j])}`;
  if (!a.masked[i][j]) return text;
  return `${text}, but key ${j} comes after query ${i}: the causal mask adds −∞, so Z[${i},${j}] = −∞ and its weight is exactly 0`;
}

function attExplainWeight(i, j) {
  const a = attResult;
  attHighlight([`A-S-${i}-`, `A-P-${i}-${j}`]);
  const exps = a.exps[i].map(fmt).join(" + ");
  const top = Math.max(...a.scaled[i].filter((_, k) => !a.masked[i][k]));
  return `P[${i},${j}] = exp(Z[${i},${j}] − max) / Σ exp(Z[${i},:] − max), with max = ${fmt(top)}: ` +
    `${fmt(a.exps[i][j])} / (${exps}) = ${fmt(a.exps[i][j])} / ${fmt(a.sums[i])} = ${fmt(a.weights[i][j])}` +
    ` — row ${i} of P adds up to 1`;
}

function attExplainOutput(i, c) {
  const a = attResult, keys = a.weights[i].map((_, j) => j);
  attHighlight([...keys.map((j) => `A-P-${i}-${j}`), ...keys.map((j) => `A-V2-${j}-${c}`), `A-O-${i}-${c}`]);
  const prods = keys.map((j) => `${paren(a.weights[i][j])}·${paren(a.V[j][c])}`).join(" + ");
  const terms = a.output_terms[i][c].map(paren).join(" + ");
  return `O[${i},${c}] = row ${i} of P · column ${c} of V = ${prods} = ${terms} = ${fmt(a.output[i][c])}`;
}

function attExplain(key) {
  let m;
  if (!attResult || !document.querySelector(`td[data-cell="${key}"]`)) return null;
  if ((m = /^A-S-(\d+)-(\d+)$/.exec(key))) return attExplainScore(+m[1], +m[2]);
  if ((m = /^A-P-(\d+)-(\d+)$/.exec(key))) return attExplainWeight(+m[1], +m[2]);
  if ((m = /^A-O-(\d+)-(\d+)$/.exec(key))) return attExplainOutput(+m[1], +m[2]);
  return null;
}

function attOnHover(event) {
  const td = event.target.closest("td[data-cell]");
  const text = td && attExplain(td.dataset.cell);
  if (text) { attHovered = td.dataset.cell; $("att-info").textContent = text; }
}

function attRefreshHover() {  // redone from the new answer, or cleared: never stale
  const text = attHovered && attExplain(attHovered);
  if (text) { $("att-info").textContent = text; return; }
  attHovered = null;
  attHighlight([]);
  $("att-info").textContent = ATT_HINT;
}

function attChangeTokens(delta) {
  const X = attState.X;
  if (delta > 0 && X.length < attLimits.max_tokens) X.push(X[X.length - 1].map((v, k) => (k === 0 ? v + 1 : v)));
  if (delta < 0 && X.length > 1) X.pop();
  attCompute();
}

let attLimits = {max_tokens: 6};

async function startAttention(saved, limits) {
  attLimits = limits;
  attState = saved && Array.isArray(saved.X) ? saved : await api("/api/attention/default");
  await attCompute();
  if (!attResult) { attState = await api("/api/attention/default"); await attCompute(); }
  $("att-matrices").addEventListener("input", attOnInput);
  $("att-matrices").addEventListener("mouseover", attOnHover);
  $("att-causal").addEventListener("change", () => { attState.causal = $("att-causal").checked; attCompute(); });
  $("att-add-token").addEventListener("click", () => attChangeTokens(1));
  $("att-remove-token").addEventListener("click", () => attChangeTokens(-1));
  $("att-reset").addEventListener("click", async () => { attState = await api("/api/attention/default"); attCompute(); });
}
