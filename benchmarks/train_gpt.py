"""Transformer training and generation speed: glassnet's GPT against PyTorch (CPU, same threads).

1. One training step (zero grads, forward, cross-entropy over every position, backward) of
   a 2-layer, 4-head, d=128, context 128 causal GPT at batch 32, vocabulary 65 (a
   character set), float32: glassnet, the same step under the reference tier
   (``gn.kernels.use("reference")``), and PyTorch built from the same layers
   (``nn.Embedding``, ``nn.TransformerEncoderLayer(norm_first, gelu)``, tied head) with
   the same weights.
2. Generation throughput (tokens/s, batch 1, 64 new tokens after an 8-token prompt, greedy):
   glassnet with its key/value cache, glassnet recomputing the window at every step, and
   the PyTorch model recomputing (it has no cache).
3. Convergence and memory (first thread count only): the same character-level model
   (built-in corpus, CPython's pydoc topics, the first 90 % for training and the rest
   for validation), the same initial weights, the same batches in the same order and
   Adam (lr 3e-3) for ``CONVERGE_STEPS`` steps, trained once by glassnet and once by
   PyTorch, each in its own fresh process: the validation loss (mean cross-entropy over
   fixed validation windows, nats) and the process's peak resident memory (``ru_maxrss``),
   with the resident memory just before training for reference.

Each BLAS/OpenMP thread count runs in a fresh subprocess. Goals (issue #19): step time
≤ 1.3 × PyTorch at 1 thread (stretch ≤ 1.0); validation loss within 0.05 nats of
PyTorch's; peak memory ≤ 0.5 × PyTorch's process.

    python benchmarks/train_gpt.py --threads 1           # rewrites the "train_gpt" section
    python benchmarks/train_gpt.py --quick --threads 1   # smoke run, prints only
"""

import json
import sys
import time
from pathlib import Path

from _common import (
    bench_parser,
    compare,
    fmt,
    goal_lines,
    load_average,
    load_span,
    markdown_table,
    now_utc,
    parse_bench_args,
    peak_mb,
    publish,
    run_cases,
    run_worker,
    threads_label,
    try_import_torch,
    under_reference_tier,
    worker_facts,
)

VOCAB, CONTEXT, D, HEADS, LAYERS, BATCH = 65, 128, 128, 4, 2, 32
PROMPT, NEW = 8, 64
GOAL = 1.3
CONVERGE_STEPS, CONVERGE_LR, VAL_WINDOWS = 300, 3e-3, 64
LOSS_GOAL, MEMORY_GOAL = 0.05, 0.5


def _torch_gpt(torch, vocab=VOCAB):
    class TorchGPT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.tok_emb = torch.nn.Embedding(vocab, D)
            self.pos_emb = torch.nn.Embedding(CONTEXT, D)
            self.blocks = torch.nn.ModuleList([
                torch.nn.TransformerEncoderLayer(D, HEADS, 4 * D, 0.0, activation="gelu",
                                                 batch_first=True, norm_first=True)
                for _ in range(LAYERS)])
            self.norm = torch.nn.LayerNorm(D)

        def forward(self, idx):
            t = idx.shape[1]
            x = self.tok_emb(idx) + self.pos_emb(torch.arange(t))
            mask = torch.nn.Transformer.generate_square_subsequent_mask(t)
            for block in self.blocks:
                x = block(x, src_mask=mask, is_causal=True)
            return self.norm(x) @ self.tok_emb.weight.T

    return TorchGPT()


def _models(gn, torch):
    from glassnet.models import GPT

    gn.manual_seed(0)
    mine = GPT(VOCAB, CONTEXT, D, HEADS, LAYERS)
    ref = None
    if torch is not None:
        ref = _torch_gpt(torch)
        ref.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in mine.state_dict().items()})
    return mine, ref


def bench_step(np, gn, torch, timing):
    mine, ref = _models(gn, torch)
    rng = np.random.default_rng(1)
    xs = rng.integers(0, VOCAB, (BATCH, CONTEXT))
    ys = rng.integers(0, VOCAB, (BATCH, CONTEXT))
    F = gn.nn.functional

    def g_step():
        mine.zero_grad()
        F.cross_entropy(mine(xs).reshape(-1, VOCAB), ys.reshape(-1)).backward()

    ns = {"g_step": g_step, "r_step": under_reference_tier(gn, g_step)}
    cases = {"glassnet": ("g_step()", ns), "reference": ("r_step()", ns)}
    if torch is not None:
        xt, yt = torch.from_numpy(xs), torch.from_numpy(ys)

        def t_step():
            ref.zero_grad()
            torch.nn.functional.cross_entropy(ref(xt).reshape(-1, VOCAB), yt.reshape(-1)).backward()

        ns["t_step"] = t_step
        cases["torch"] = ("t_step()", ns)
    return compare(cases, **timing)


def _tokens_per_s(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return NEW / best


def bench_generate(np, gn, torch, repeats):
    mine, ref = _models(gn, torch)
    prompt = np.random.default_rng(2).integers(0, VOCAB, (1, PROMPT))
    out = {"glassnet cache": _tokens_per_s(lambda: mine.generate(prompt, NEW, temperature=0.0), repeats),
           "glassnet no cache": _tokens_per_s(
               lambda: mine.generate(prompt, NEW, temperature=0.0, use_cache=False), repeats)}
    if torch is not None:
        ref.eval()

        def t_generate():
            idx = torch.from_numpy(prompt)
            with torch.no_grad():
                for _ in range(NEW):
                    nxt = ref(idx[:, -CONTEXT:])[:, -1].argmax(-1, keepdim=True)
                    idx = torch.cat([idx, nxt], dim=1)

        out["torch no cache"] = _tokens_per_s(t_generate, repeats)
    return out


def _corpus(np, gn):
    """(train ids, validation windows X, Y, vocabulary size) of the built-in corpus."""
    import glassnet.data as gd

    text = gd.pydoc_topics()
    vocab = gd.CharVocab.from_text(text)
    ids = np.asarray(vocab.encode(text))
    cut = int(0.9 * ids.size)
    starts = np.linspace(cut, ids.size - CONTEXT - 2, VAL_WINDOWS).astype(np.int64)
    windows = np.stack([ids[s:s + CONTEXT + 1] for s in starts])
    return ids[:cut], windows[:, :-1], windows[:, 1:], len(vocab)


def _batches(np, train_ids, steps):
    """The starts of every training batch's windows, the same in both workers."""
    rng = np.random.default_rng(3)
    return rng.integers(0, train_ids.size - CONTEXT - 1, (steps, BATCH))


def _initial_state(np, gn, vocab):
    from glassnet.models import GPT

    gn.manual_seed(0)
    model = GPT(vocab, CONTEXT, D, HEADS, LAYERS)
    return model, {k: v.numpy().copy() for k, v in model.state_dict().items()}


def converge(np, gn, torch, framework, steps):
    """Train ``framework``'s model ``steps`` Adam steps; validation loss and memory."""
    train_ids, vx, vy, vocab = _corpus(np, gn)
    starts = _batches(np, train_ids, steps)
    offsets = np.arange(CONTEXT + 1)
    model, state = _initial_state(np, gn, vocab)
    if framework == "torch":
        model = _torch_gpt(torch, vocab)
        model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
        opt, lib, F = torch.optim.Adam(model.parameters(), lr=CONVERGE_LR), torch, torch.nn.functional
    else:
        opt, lib, F = gn.optim.Adam(model.parameters(), lr=CONVERGE_LR), gn, gn.nn.functional
    memory_before = peak_mb()
    start = time.perf_counter()
    for batch in starts:
        windows = lib.as_tensor(train_ids[batch[:, None] + offsets])
        opt.zero_grad()
        F.cross_entropy(model(windows[:, :-1]).reshape(-1, vocab), windows[:, 1:].reshape(-1)).backward()
        opt.step()
    seconds = time.perf_counter() - start
    with lib.no_grad():
        val = F.cross_entropy(model(lib.as_tensor(vx)).reshape(-1, vocab), lib.as_tensor(vy).reshape(-1))
    return {"val_loss": float(val.item()), "seconds": seconds, "steps": int(steps),
            "peak_mb": peak_mb(), "before_training_mb": memory_before}


def worker(quick, threads, json_out, case=None):
    import numpy as np

    import glassnet as gn

    if case in ("converge-glassnet", "converge-torch"):
        framework = case.split("-")[1]
        torch = try_import_torch(threads) if framework == "torch" else None
        steps = 5 if quick else CONVERGE_STEPS
        Path(json_out).write_text(json.dumps(converge(np, gn, torch, framework, steps)))
        return None
    torch = try_import_torch(threads)
    timing = ({"budget_s": 0.5, "target_batch_s": 0.05, "min_repeats": 3, "warmup_s": 0.05}
              if quick else {"budget_s": 20.0, "target_batch_s": 0.5, "min_repeats": 9})
    result = {"threads": threads, "facts": worker_facts(torch),
              "step": bench_step(np, gn, torch, timing),
              "generate": bench_generate(np, gn, torch, 1 if quick else 5)}
    print(f"[train_gpt, {threads_label(threads)}] done", file=sys.stderr, flush=True)
    result["load_end"] = load_average()
    Path(json_out).write_text(json.dumps(result))


def _ms(stats):
    return "—" if stats is None else fmt(stats["median"] * 1e3)


def render(runs, quick):
    rows, gen_rows, worst = [], [], {}
    for threads, (r,) in runs.items():
        g, ref, t = r["step"]["glassnet"], r["step"]["reference"], r["step"].get("torch")
        ratio = None if t is None else g["median"] / t["median"]
        worst[threads] = ratio
        rows.append([threads, _ms(g), _ms(ref), _ms(t), fmt(ratio)])
        gen = r["generate"]
        gen_rows.append([threads, fmt(gen["glassnet cache"]), fmt(gen["glassnet no cache"]),
                         fmt(gen.get("torch no cache"))])
    loads = ", ".join(f"{threads_label(t)} {load_span(results[0])}" for t, results in runs.items())
    step_table = markdown_table(["threads", "glassnet ms", "reference tier ms", "PyTorch ms",
                                 "glassnet / PyTorch"], rows)
    gen_table = markdown_table(["threads", "glassnet with KV cache tok/s", "glassnet recomputing tok/s",
                                "PyTorch recomputing tok/s"], gen_rows)
    return (f"## train_gpt\n\n_Measured {now_utc()}; 1-minute load average start→end: {loads}"
            + (" — QUICK SMOKE RUN_" if quick else "_") +
            f"\n\nGoal: step time ≤ {GOAL} × PyTorch:\n\n" + goal_lines(worst, GOAL) +
            f"\n\n### One training step: GPT {LAYERS} layers, {HEADS} heads, d={D}, context "
            f"{CONTEXT}, batch {BATCH}, vocabulary {VOCAB}, float32 (median ms)\n\n" + step_table +
            f"\n\n### Greedy generation, batch 1, {NEW} tokens after {PROMPT} (best of runs)\n\n"
            + gen_table + "\n")


def render_convergence(results, threads):
    g, t = results["glassnet"], results["torch"]
    gap = g["val_loss"] - t["val_loss"]
    memory = g["peak_mb"] / t["peak_mb"]
    rows = [[name, fmt(r["val_loss"]), fmt(r["seconds"]), fmt(r["before_training_mb"]), fmt(r["peak_mb"])]
            for name, r in (("glassnet", g), ("PyTorch", t))]
    table = markdown_table(["framework", "validation loss (nats)", "training s",
                            "resident MiB before training", "peak resident MiB"], rows)
    loss_met = "met" if abs(gap) <= LOSS_GOAL else "**not met**"
    memory_met = "met" if memory <= MEMORY_GOAL else "**not met**"
    return (f"\n### Convergence and memory: {g['steps']} Adam steps (lr {CONVERGE_LR}), batch {BATCH}, "
            f"context {CONTEXT}, built-in corpus, {threads_label(threads)}\n\n" + table +
            f"\n\n- validation loss within {LOSS_GOAL} nats of PyTorch's — {loss_met} "
            f"(glassnet − PyTorch = {gap:+.4f})\n"
            f"- peak memory ≤ {MEMORY_GOAL} × PyTorch's process — {memory_met} ({memory:.2f}×)\n")


def main(argv=None):
    args = parse_bench_args(bench_parser(__doc__), argv)
    if args.worker:
        return worker(args.quick, args.threads, args.json_out, args.case)
    runs = run_cases(__file__, args, ("gpt",))
    extra = ["--quick"] if args.quick else []
    first = args.threads[0]
    convergence = {f: run_worker(Path(__file__), first, ["--case", f"converge-{f}", *extra])
                   for f in ("glassnet", "torch")}
    publish("train_gpt", render(runs, args.quick) + render_convergence(convergence, first), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
