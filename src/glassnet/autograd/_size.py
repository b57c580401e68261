"""PyTorch's ``torch.Size``: what ``t.shape`` and ``t.size()`` return."""

__all__ = ["Size"]


class Size(tuple):
    """A tuple of sizes with ``numel()`` (the product), as ``torch.Size``; it prints,
    compares and hashes as the plain tuple."""

    __slots__ = ()

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n
