"""Loss modules for the margin losses over classes and the triplet loss with any distance
(functional forms: :mod:`glassnet.nn._functional_margin`)."""

from glassnet.nn import _functional_margin as FM
from glassnet.nn._loss import _Loss

__all__ = ["MultiMarginLoss", "MultiLabelMarginLoss", "TripletMarginWithDistanceLoss"]


class MultiMarginLoss(_Loss):
    """The multi-class hinge loss ``Σ_{i ≠ y} w_y·max(0, margin − x_y + x_i)^p / C`` per
    sample (input (N, C), target (N,) class indices)."""

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce)
        self.p, self.margin, self.weight = p, margin, weight

    def forward(self, input, target):  # noqa: A002
        return FM.multi_margin_loss(input, target, self.p, self.margin, self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """The multi-label hinge loss ``Σ_{j ∈ targets} Σ_{i ∉ targets} max(0, 1 − (x_j − x_i)) / C``
    (target (N, C) class indices, each row read up to its first −1)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce)

    def forward(self, input, target):  # noqa: A002
        return FM.multilabel_margin_loss(input, target, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """``max(d(a, p) − d(a, n) + margin, 0)`` with any distance function ``d`` (default the
    2-norm pairwise distance); ``swap`` uses the nearer of d(a, n) and d(p, n)."""

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(reduction)
        self.distance_function, self.margin, self.swap = distance_function, margin, swap

    def forward(self, anchor, positive, negative):
        return FM.triplet_margin_with_distance_loss(anchor, positive, negative,
                                                    distance_function=self.distance_function,
                                                    margin=self.margin, swap=self.swap,
                                                    reduction=self.reduction)
