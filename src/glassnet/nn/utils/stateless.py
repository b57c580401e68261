"""``functional_call``: run a module with some of its parameters and buffers replaced by
given tensors, leaving the module itself unchanged (``torch.func.functional_call``,
``torch.nn.utils.stateless.functional_call``).

The replacements are put in the owning submodules' attribute slots for the call only and
the originals put back afterwards, even if the call raises. A gradient taken through the
output reaches the given tensors — the inner step of MAML-style meta-learning:
``functional_call(model, {n: p − α·g for …}, (x,))``.
"""

from glassnet._errors import GlassnetValueError

__all__ = ["functional_call"]


def _merged(parameters_and_buffers):
    if isinstance(parameters_and_buffers, dict):
        return dict(parameters_and_buffers)
    merged = {}
    for mapping in parameters_and_buffers:
        repeated = set(merged) & set(mapping)
        if repeated:
            raise GlassnetValueError(f"functional_call: {sorted(repeated)} appear in more than one "
                                     f"of the dicts")
        merged.update(mapping)
    return merged


def _owner(module, key):
    *path, name = key.split(".")
    owner = module
    for part in path:
        child = owner.__dict__.get(part)
        if child is None or part not in owner._module_names:
            raise GlassnetValueError(f"functional_call: {key!r} names no submodule of "
                                     f"{type(module).__name__} "
                                     f"({part!r} is missing)")
        owner = child
    return owner, name


def _tied_slots(module, replaced):
    """Every other (owner, name) slot holding a parameter that a replaced key holds."""
    by_id = {}
    for key, (owner, name) in replaced.items():
        value = owner.__dict__.get(name)
        if value is not None:
            by_id[id(value)] = key
    tied = {}
    for prefix, owner in module.named_modules():
        for name in list(owner._param_names) + list(owner._buffer_names):
            key = f"{prefix}.{name}" if prefix else name
            value = owner.__dict__.get(name)
            if key not in replaced and value is not None and id(value) in by_id:
                tied[key] = ((owner, name), by_id[id(value)])
    return tied


def _state_keys(module):
    return {k for k, _ in module.named_parameters()} | {k for k, _ in module.named_buffers()}


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True,
                    strict=False):
    """``module(*args, **kwargs)`` with the named parameters and buffers replaced for this
    call only.

    Args:
        module: the module to run.
        parameters_and_buffers: ``{dotted name: tensor}`` (or a tuple of such dicts).
        args: the positional input(s): a tuple, or one value (default none).
        kwargs: keyword inputs (default none).
        tie_weights: a parameter shared under two names is replaced under both when one is
            given (default True).
        strict: the dict must name every parameter and buffer, and nothing else (default False).

    Example:
        >>> import glassnet as gn
        >>> from glassnet.func import functional_call
        >>> layer = gn.nn.Linear(2, 1)
        >>> new = {"weight": gn.tensor([[1.0, 2.0]]), "bias": gn.tensor([0.5])}
        >>> functional_call(layer, new, (gn.tensor([[3.0, 4.0]]),)).tolist()
        [[11.5]]
        >>> bool((layer.weight == new["weight"]).all())          # the module is unchanged
        False
    """
    values = _merged(parameters_and_buffers)
    if strict:
        expected = _state_keys(module)
        missing, unexpected = sorted(expected - set(values)), sorted(set(values) - expected)
        if missing or unexpected:
            raise GlassnetValueError(f"functional_call: error(s) in reparametrizing for "
                                     f"{type(module).__name__}: "
                                     f"missing key(s) {missing}, unexpected key(s) {unexpected}")
    slots = {key: _owner(module, key) for key in values}
    if tie_weights:
        for key, (slot, source) in _tied_slots(module, slots).items():
            slots[key] = slot
            values[key] = values[source]
    missing = object()
    saved = {key: owner.__dict__.get(name, missing) for key, (owner, name) in slots.items()}
    try:
        for key, (owner, name) in slots.items():
            owner.__dict__[name] = values[key]
        inputs = () if args is None else args if isinstance(args, tuple) else (args,)
        return module(*inputs, **(kwargs or {}))
    finally:
        for key, (owner, name) in slots.items():
            if saved[key] is missing:
                del owner.__dict__[name]
            else:
                owner.__dict__[name] = saved[key]
