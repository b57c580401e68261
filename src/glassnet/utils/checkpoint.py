"""``torch.utils.checkpoint`` for PyTorch programs. Activation checkpointing trades compute for
memory: PyTorch drops a segment's activations in forward and recomputes them in backward.
glassnet keeps them — ``checkpoint(fn, *args)`` is ``fn(*args)``: the same values and
gradients, without the memory saving (say so if memory is why you use it)."""

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)``, computed normally (its activations kept).

    Example:
        >>> layer = gn.nn.Linear(3, 2)
        >>> y = checkpoint(layer, gn.ones(4, 3), use_reentrant=False)
        >>> tuple(y.shape)
        (4, 2)
    """
    return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):  # noqa: A002
    """Run ``functions`` (a list or an ``nn.Sequential``) one after another on ``input``."""
    for fn in functions:
        input = fn(input)  # noqa: A001
    return input
