"""Apple's Metal (MPS) backend: glassnet has none, so it is never available."""

__all__ = ["is_available", "is_built"]


def is_available():
    """False: glassnet does not compute on Apple GPUs."""
    return False


def is_built():
    """False: glassnet has no MPS support built in."""
    return False
