"""Loss modules (the functional forms are in :mod:`glassnet.nn.functional`)."""

from glassnet.nn import functional as F
from glassnet.nn._module import Module
from glassnet.nn._reduction import legacy_reduction

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
           "BCEWithLogitsLoss", "SmoothL1Loss", "KLDivLoss", "MarginRankingLoss", "TripletMarginLoss",
           "CosineEmbeddingLoss", "HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss",
           "GaussianNLLLoss", "PoissonNLLLoss", "CTCLoss"]


class _Loss(Module):
    """A loss's ``reduction`` (or the one PyTorch's deprecated ``size_average`` / ``reduce``
    choose, with PyTorch's warning)."""

    def __init__(self, reduction="mean", size_average=None, reduce=None):
        super().__init__()
        self.reduction = legacy_reduction(size_average, reduce, reduction)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """``mean((ŷ - y)²)``.

    The gradient is ``2·(ŷ − y)/n`` for the mean over n elements.

    Args:
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'`` (the squared error of
            each element).

    Shape:
        input ``(*)`` and target of the same shape → a scalar, or ``(*)`` with
        ``reduction='none'``.

    Example:
        >>> import glassnet as gn
        >>> loss = gn.nn.MSELoss()
        >>> out = loss(gn.tensor([1.0, 2.0, 3.0]), gn.tensor([1.0, 0.0, 0.0]))
        >>> round(out.item(), 4)                       # (0² + 2² + 3²) / 3
        4.3333
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce)

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """``mean(|ŷ - y|)``."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce)

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Quadratic for small errors, linear beyond ``delta``."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, self.reduction, self.delta)


class CrossEntropyLoss(_Loss):
    """Softmax + cross-entropy on logits (N, C); targets are class indices (N,) or
    probabilities (N, C). Backward is the fused ``dZ = Ŷ − Y``.

    For one sample with logits z and class c: ``loss = −log softmax(z)_c =
    log Σ_j exp(z_j) − z_c``; the mean over the batch by default.

    Args:
        weight: a rescaling weight for each class (C,) (default None: all 1).
        ignore_index: a class-index target that contributes nothing (default −100).
        reduction: ``'mean'`` (default; weighted mean), ``'sum'`` or ``'none'``.
        label_smoothing: ε in [0, 1]; the targets become ``(1 − ε)·y + ε/C`` (default 0).

    Shape:
        input ``(N, C)`` or ``(N, C, d1, …)`` logits; target ``(N,)`` / ``(N, d1, …)``
        class indices or probabilities shaped like the input → a scalar, or ``(N,)`` /
        ``(N, d1, …)`` with ``reduction='none'``.

    Example:
        >>> import glassnet as gn
        >>> loss = gn.nn.CrossEntropyLoss()
        >>> logits = gn.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 3.0]])
        >>> out = loss(logits, gn.tensor([0, 2]))
        >>> round(out.item(), 4)        # mean of log(e² + 2) − 2 and log(e³ + 2) − 3
        0.1672
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(reduction, size_average, reduce)
        self.weight, self.ignore_index = weight, ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (pair with LogSoftmax)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities (after a sigmoid)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce)
        self.weight = weight

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy on raw scores, numerically stable."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(reduction, size_average, reduce)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class SmoothL1Loss(_Loss):
    """``½d²/β`` where ``|d| < β``, else ``|d| − ½β`` (d = ŷ − y): Huber's loss divided by β,
    the critic's loss in actor-critic examples."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(reduction, size_average, reduce)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class KLDivLoss(_Loss):
    """``y·(log y − ŷ)`` with ``input`` ŷ holding log-probabilities; ``reduction='batchmean'``
    is the KL divergence per sample (see :func:`glassnet.nn.functional.kl_div`)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(reduction, size_average, reduce)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class MarginRankingLoss(_Loss):
    """``max(−y·(x1 − x2) + margin, 0)`` for y = ±1 (which of two scores should be larger)."""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """``max(d(a, p) − d(a, n) + margin, 0)`` with d the p-norm pairwise distance (``swap``:
    the nearer of d(a, n), d(p, n))."""

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(reduction, size_average, reduce)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps, self.swap,
                                     reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """``1 − cos(x1, x2)`` for pairs labelled 1, ``max(cos(x1, x2) − margin, 0)`` for −1."""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """``x`` where y = 1, ``max(margin − x, 0)`` where y = −1."""

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """``log(1 + e^(−y·x))`` for y = ±1."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce)

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_Loss):
    """One-vs-all logistic loss over C labels per sample, averaged over the labels."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce)
        self.weight = weight

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """``½(log σ² + (x − y)²/σ²)``, σ² clamped to ``eps`` (value only), + ½ log 2π with ``full``."""

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class PoissonNLLLoss(_Loss):
    """``e^x − y·x`` (x = log λ) or ``x − y·log(x + eps)``; Stirling's term with ``full``."""

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                 reduction="mean"):
        super().__init__(reduction, size_average, reduce)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, self.log_input, self.full, eps=self.eps,
                                  reduction=self.reduction)


class CTCLoss(_Loss):
    """Connectionist temporal classification: ``−log p(target | input)`` summed over every
    alignment of an unsegmented target (labels repeated, blanks between) to the input
    sequence, by the forward (alpha) recursion in log space (:func:`F.ctc_loss`).

    Args:
        blank: the blank's class (default 0).
        reduction: ``'mean'`` (default: each loss over its target length, then the batch
            mean), ``'sum'`` or ``'none'``.
        zero_infinity: impossible alignments cost 0 (and get no gradient) instead of inf.

    Shape:
        log_probs ``(T, N, C)`` (or ``(T, C)``), targets ``(N, S)`` padded or
        ``(sum(target_lengths),)`` concatenated, input_lengths and target_lengths ``(N,)``
        → a scalar, or ``(N,)`` with ``reduction='none'``.

    Example:
        >>> import glassnet as gn
        >>> lp = gn.full((2, 1, 2), 0.5).log()            # two steps, p = 1/2 per class
        >>> loss = gn.nn.CTCLoss()(lp, gn.tensor([[1]]), [2], [1])   # "1": 11, 01, 10
        >>> round(loss.item(), 4)                          # −log(3/4)
        0.2877
    """

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                          self.zero_infinity)
