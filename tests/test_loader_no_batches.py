"""A DataLoader that has nothing to give — an empty dataset, or ``drop_last=True`` with
fewer samples than one batch — yields no batches and has ``len`` 0, as PyTorch's; with
``shuffle=True`` an empty dataset is refused by the RandomSampler, as PyTorch's. fit,
evaluate and predict refuse such a loader with the reason (an epoch of no steps would
report a loss of 0)."""

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")

CASES = [  # (samples, DataLoader keywords)
    (0, {"batch_size": 4}), (0, {"batch_size": 4, "drop_last": True}),
    (3, {"batch_size": 4, "drop_last": True}), (3, {"batch_size": 4, "drop_last": True, "shuffle": True}),
    (0, {"batch_size": None}), (0, {"batch_size": 1}), (5, {"batch_size": 2, "drop_last": True}),
    (0, {"batch_size": 2, "num_workers": 0, "collate_fn": list}),
]


def _epoch(lib, n, kwargs):
    features, labels = lib.tensor(np.arange(2.0 * n).reshape(n, 2)), lib.tensor(np.arange(n))
    data = lib.utils.data.TensorDataset(features, labels)
    loader = lib.utils.data.DataLoader(data, **kwargs)
    return len(loader), [len(batch[0]) for batch in loader], len(list(iter(loader)))


@pytest.mark.parametrize("n, kwargs", CASES)
def test_number_of_batches_is_pytorchs(n, kwargs):
    assert _epoch(gn, n, kwargs) == _epoch(torch, n, kwargs)


def test_samplers_over_nothing_are_pytorchs():
    for lib in (gn, torch):
        data = lib.utils.data
        assert list(data.SequentialSampler(range(0))) == []
        assert list(data.BatchSampler(data.SequentialSampler(range(3)), 4, drop_last=True)) == []
        assert len(data.BatchSampler(data.SequentialSampler(range(0)), 4, drop_last=False)) == 0


def test_shuffling_an_empty_dataset_is_refused_as_pytorch():
    message = "num_samples should be a positive integer value, but got num_samples=0"
    for lib in (torch, gn):
        with pytest.raises(ValueError, match=message):
            _epoch(lib, 0, {"batch_size": 2, "shuffle": True})


def test_fit_evaluate_and_predict_refuse_a_loader_without_batches():
    data = gn.data.TensorDataset(gn.zeros(3, 2), gn.zeros(3, 1))
    model = gn.nn.Linear(2, 1)
    short = gn.data.DataLoader(data, batch_size=4, drop_last=True)
    with pytest.raises(ValueError, match=r"fit: the DataLoader gives no batches \(len 0: its dataset has 3 "
                                         r"samples, drop_last=True with batch_size 4\)"):
        gn.train.fit(model, short, gn.nn.MSELoss(), gn.optim.SGD(model.parameters(), lr=0.1), progress=False)
    good = gn.data.DataLoader(data, batch_size=2)
    with pytest.raises(ValueError, match=r"fit.*: the DataLoader gives no batches"):
        gn.train.fit(model, good, gn.nn.MSELoss(), gn.optim.SGD(model.parameters(), lr=0.1), progress=False,
                     val_data=short)
    empty = gn.data.DataLoader(gn.data.TensorDataset(gn.zeros(0, 2), gn.zeros(0, 1)), batch_size=2)
    with pytest.raises(ValueError, match=r"evaluate: the DataLoader gives no batches \(len 0: its dataset"):
        gn.train.evaluate(model, empty, gn.nn.MSELoss(), metrics=())
    with pytest.raises(ValueError, match="predict: the DataLoader gives no batches"):
        gn.train.predict(model, empty)
