"""Transfer learning: freeze parts of a model by name, train only what is trainable,
and ``fine_tune`` — a new head trained on a frozen body, then everything at a lower lr."""

import fnmatch

from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.train._history import History

__all__ = ["set_trainable", "trainable_parameters", "fine_tune"]


def _selected(model, patterns):
    if isinstance(patterns, str):
        patterns = [patterns]
    chosen = [(name, p) for name, p in model.named_parameters()
              if any(fnmatch.fnmatchcase(name, pat) or name.startswith(pat + ".") for pat in patterns)]
    if not chosen:
        raise GlassnetValueError(
            f"set_trainable: no parameter of {type(model).__name__} matches {list(patterns)}; "
            f"names are {[n for n, _ in model.named_parameters()]}"
        )
    return chosen


def set_trainable(model, patterns, requires_grad=True):
    """Set ``requires_grad`` of the parameters whose dotted names match ``patterns``
    (shell-style ``"0.*"``, ``"*.bias"``, or a submodule name such as ``"encoder"``).

    ``set_trainable(model, "3", False)`` freezes layer 3; returns the matched names.
    A frozen parameter gets no gradient; give the optimizer
    :func:`~glassnet.train.trainable_parameters` (or freeze before creating it).

    Args:
        model: the Module whose parameters to set.
        patterns: a pattern or a list of them, matched against ``model.named_parameters()``
            names; a pattern matching no parameter is an error that lists the names.
        requires_grad: True to train the matched parameters, False to freeze them.

    Returns:
        list: the dotted names of the parameters that were set.

    Example:
        >>> import glassnet as gn
        >>> model = gn.nn.Sequential(gn.nn.Linear(2, 3), gn.nn.ReLU(), gn.nn.Linear(3, 1))
        >>> gn.train.set_trainable(model, "0", False)          # freeze the first layer
        ['0.weight', '0.bias']
        >>> trainable = [name for name, p in model.named_parameters() if p.requires_grad]
        >>> trainable
        ['2.weight', '2.bias']
        >>> len(gn.train.trainable_parameters(model))
        2
        >>> gn.train.set_trainable(model, "*.bias")            # every bias trainable again
        ['0.bias', '2.bias']
    """
    chosen = _selected(model, patterns)
    for _, p in chosen:
        p.requires_grad = bool(requires_grad)
    return [name for name, _ in chosen]


def trainable_parameters(model):
    """The parameters with ``requires_grad`` — what an optimizer should be given."""
    return [p for p in model.parameters() if p.requires_grad]


def _head_ids(model, head):
    if isinstance(head, (str, list, tuple)):
        return {id(p) for _, p in _selected(model, head)}
    ids = {id(p) for p in head.parameters()} & {id(p) for p in model.parameters()}
    if not ids:
        raise GlassnetValueError("fine_tune: head has no parameters inside the model")
    return ids


def fine_tune(model, train_data, loss_fn, head, epochs, freeze_epochs=None, lr=1e-3,
              fine_tune_lr=None, optimizer=None, **fit_kwargs):
    """Train a new ``head`` on a frozen body, then unfreeze and train everything.

    ``head``: the submodule to train first (e.g. ``model[-1]``) or name patterns.
    The first ``freeze_epochs`` (default: half of ``epochs``) train only the head at
    ``lr``; the rest train all parameters at ``fine_tune_lr`` (default ``lr / 10``) so
    the pre-trained body moves gently. ``optimizer`` is a class called as
    ``optimizer(params, lr=...)`` (default Adam); other keywords go to :func:`fit`.
    Returns one :class:`History` over both phases.

    Args:
        model: the Module to train (a pre-trained body with a new head).
        train_data: a DataLoader, a Dataset or an ``(X, y)`` pair, as for :func:`fit`.
        loss_fn: the loss, called as ``loss_fn(model(x), y)``.
        head: the submodule trained alone first, or name patterns as for
            :func:`set_trainable`.
        epochs: the number of epochs of both phases together.
        freeze_epochs: epochs with only the head trained (default ``epochs // 2``).
        lr: the head phase's learning rate (default 1e-3).
        fine_tune_lr: the learning rate when all is trained (default ``lr / 10``).
        optimizer: the optimizer class, e.g. ``gn.optim.SGD`` (default ``gn.optim.Adam``); a
            fresh one is made for each phase.
        **fit_kwargs: passed on to :func:`fit` (``batch_size``, ``validation_data``,
            ``progress``, …).

    Returns:
        History: the epochs of both phases numbered 1 to ``epochs``, each record with
        ``phase`` ``"head"`` or ``"all"``. At the end every parameter is trainable.

    Example:
        >>> import glassnet as gn
        >>> _ = gn.manual_seed(0)
        >>> X, y = gn.tensor([[0.0], [1.0], [2.0], [3.0]]), gn.tensor([0, 0, 1, 1])
        >>> model = gn.nn.Sequential(gn.nn.Linear(1, 4), gn.nn.ReLU(), gn.nn.Linear(4, 2))
        >>> history = gn.train.fine_tune(model, (X, y), gn.nn.CrossEntropyLoss(), head=model[2],
        ...                              epochs=4, lr=0.1, progress=False)
        >>> history.epochs, history["phase"]
        ([1, 2, 3, 4], ['head', 'head', 'all', 'all'])
        >>> all(p.requires_grad for p in model.parameters())
        True
    """
    from glassnet.optim import Adam
    from glassnet.train._loop import fit

    if optimizer is not None and not callable(optimizer):
        raise GlassnetTypeError("fine_tune: optimizer must be an optimizer class, e.g. gn.optim.SGD")
    make = optimizer or Adam
    freeze_epochs = epochs // 2 if freeze_epochs is None else int(freeze_epochs)
    if not 0 <= freeze_epochs <= epochs:
        raise GlassnetValueError(f"fine_tune: freeze_epochs must be in [0, {epochs}], got {freeze_epochs}")
    head_ids = _head_ids(model, head)
    history = History()
    if freeze_epochs:
        for p in model.parameters():
            p.requires_grad = id(p) in head_ids
        first = fit(model, train_data, loss_fn, make(trainable_parameters(model), lr=lr),
                    epochs=freeze_epochs, **fit_kwargs)
        history.records += [dict(r, phase="head") for r in first.records]
    model.unfreeze()
    if epochs > freeze_epochs:
        rest = fit(model, train_data, loss_fn, make(list(model.parameters()),
                                                     lr=fine_tune_lr or lr / 10),
                   epochs=epochs - freeze_epochs, **fit_kwargs)
        history.records += [dict(r, epoch=r["epoch"] + freeze_epochs, phase="all")
                            for r in rest.records]
    return history
