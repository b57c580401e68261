"""CTC by brute force, independent of the recursions: enumerate every path of C classes over
T_n steps, collapse it (merge repeats, drop blanks) and add the probabilities of the paths
that give the target. Exponential in T_n: for the few steps of the registry's cases.

Also the fixed targets and lengths of the registry's CTC case, derived from the logits'
shape (T, N, C): sample n's target cycles through [1, 1] (a repeated label), [2], [] and
[1, 2] (classes taken modulo C − 1, plus 1, so never the blank 0), its input length T − n % 2.
"""

import itertools

import numpy as np

__all__ = ["brute_force_nll", "ctc_case", "np_ctc_registry", "gn_ctc_registry", "torch_ctc_registry"]

_TARGETS = ([1, 1], [2], [], [1, 2])


def collapse(path, blank):
    """Merge runs of the same class, then drop the blanks."""
    merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
    return [c for c in merged if c != blank]


def brute_force_nll(log_probs, targets, input_lengths, blank=0):
    """−log Σ_{paths π of sample n collapsing to its target} Π_t p_t(π_t), per sample (N,);
    ``log_probs`` (T, N, C), ``targets`` a list of label lists."""
    classes = log_probs.shape[2]
    losses = []
    for n, (target, steps) in enumerate(zip(targets, input_lengths, strict=True)):
        total = 0.0 if steps else float(len(target) == 0)
        for path in itertools.product(range(classes), repeat=int(steps)) if steps else ():
            if collapse(list(path), blank) == list(target):
                total += np.exp(sum(log_probs[t, n, c] for t, c in enumerate(path)))
        losses.append(-np.log(total) if total > 0 else np.inf)
    return np.array(losses)


def ctc_case(shape):
    """(padded targets (N, 2), target lengths, input lengths) for logits of ``shape``."""
    steps, n_batch, classes = shape
    targets = [[1 + (c - 1) % (classes - 1) for c in _TARGETS[n % 4]] for n in range(n_batch)]
    padded = np.zeros((n_batch, 2), dtype=np.int64)
    for n, target in enumerate(targets):
        padded[n, :len(target)] = target
    return targets, padded, [len(t) for t in targets], [steps - n % 2 for n in range(n_batch)]


def _np_log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def np_ctc_registry(z):
    targets, _, _, input_lengths = ctc_case(z.shape)
    return brute_force_nll(_np_log_softmax(z), targets, input_lengths)


def gn_ctc_registry(z):
    import glassnet as gn

    _, padded, target_lengths, input_lengths = ctc_case(z.shape)
    return gn.nn.functional.ctc_loss(z.log_softmax(-1), gn.tensor(padded), input_lengths, target_lengths,
                                     reduction="none")


def torch_ctc_registry(z):
    import torch

    _, padded, target_lengths, input_lengths = ctc_case(tuple(z.shape))
    return torch.nn.functional.ctc_loss(z.log_softmax(-1), torch.tensor(padded), torch.tensor(input_lengths),
                                        torch.tensor(target_lengths), reduction="none")
