"""cuDNN settings. glassnet's GPU path (CuPy) does not call cuDNN, so these flags are
accepted and change nothing; ``is_available()`` says so."""

__all__ = ["benchmark", "deterministic", "enabled", "is_available", "version"]

enabled = True
benchmark = False
deterministic = False
allow_tf32 = False


def is_available():
    """False: glassnet does not use cuDNN."""
    return False


def version():
    """None: no cuDNN is loaded by glassnet."""
    return None
