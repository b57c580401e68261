"""The one helper every program shares: weights drawn by NumPy, loaded PyTorch's way."""

import numpy as np

__all__ = ["load_weights"]


def load_weights(torch, model, seed, scale=0.5):
    """Overwrite every entry of ``model.state_dict()`` with NumPy draws in
    ``[-scale, scale)`` (float64), through ``load_state_dict`` as a PyTorch user would."""
    rng = np.random.default_rng(seed)
    state = {name: torch.tensor(rng.uniform(-scale, scale, tuple(value.shape)), dtype=value.dtype)
             for name, value in model.state_dict().items()}
    model.load_state_dict(state)
    return model
