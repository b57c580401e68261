"""nn.DataParallel: shards of a batch on threads give the unsharded numbers (float64),
with PyTorch's DataParallel semantics for BatchNorm and clear errors."""

import math
import threading
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import _threads
from glassnet.nn._parallel import ShardedForward

nn = gn.nn


def _cnn():
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 3, 3), nn.Flatten(), nn.Linear(3, 5))


def _grads(model, x, weights):
    model.zero_grad()
    x.grad = None
    out = model(x)
    (out * gn.tensor(weights)).sum().backward()
    return out.numpy(), x.grad.numpy(), {k: p.grad.numpy().copy() for k, p in model.named_parameters()}


@pytest.mark.parametrize("threads,batch", [(2, 8), (3, 7), (4, 5), (5, 3)])
def test_outputs_and_gradients_match_unsharded(threads, batch):
    gn.manual_seed(0)
    model = _cnn().double()
    x = gn.tensor(np.random.default_rng(1).standard_normal((batch, 2, 6, 6)), requires_grad=True)
    w = np.random.default_rng(2).standard_normal((batch, 5))
    out, dx, dp = _grads(model, x, w)
    sharded = nn.DataParallel(model, threads=threads)
    out_s, dx_s, dp_s = _grads(sharded, x, w)
    assert isinstance(sharded(x)._ctx, ShardedForward)
    assert sharded(x)._ctx.sizes == [batch // min(threads, batch) + (s < batch % min(threads, batch))
                                     for s in range(min(threads, batch))]
    np.testing.assert_allclose(out_s, out, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(dx_s, dx, rtol=1e-12, atol=1e-13)
    for name in dp:
        np.testing.assert_allclose(dp_s["module." + name], dp[name], rtol=1e-10, atol=1e-12)


def test_gradients_accumulate_and_optimizer_steps_match():
    gn.manual_seed(0)
    plain = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    gn.manual_seed(0)
    twin = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    sharded = nn.DataParallel(twin, threads=2)
    opt_a, opt_b = gn.optim.Adam(plain.parameters(), lr=0.05), gn.optim.Adam(sharded.parameters(), lr=0.05)
    rng = np.random.default_rng(0)
    x, y = gn.tensor(rng.standard_normal((32, 4))), gn.tensor(rng.integers(0, 3, 32))
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(20):
        for model, opt in ((plain, opt_a), (sharded, opt_b)):
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            loss_fn(model(x[:10]), y[:10]).backward()  # a second backward accumulates
            opt.step()
    for (_, a), (_, b) in zip(plain.named_parameters(), twin.named_parameters(), strict=True):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-9, atol=1e-11)


def test_shared_weights_and_captured_leaves_get_summed_gradients():
    scale = gn.tensor(np.array([2.0, -1.0]), requires_grad=True)  # a leaf the module captures

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2).double()

        def forward(self, x):
            return self.fc(self.fc(x) * scale)  # the same weight twice

    gn.manual_seed(0)
    model = Tied()
    x = gn.tensor(np.random.default_rng(0).standard_normal((6, 2)))
    w = np.random.default_rng(1).standard_normal((6, 2))
    _, _, ref = _grads(model, x.requires_grad_(), w)
    ref_scale = scale.grad.numpy().copy()
    scale.grad = None
    _, _, got = _grads(nn.DataParallel(model, threads=3), x, w)
    np.testing.assert_allclose(scale.grad.numpy(), ref_scale, rtol=1e-12)
    for name in ref:
        np.testing.assert_allclose(got["module." + name], ref[name], rtol=1e-12)


def test_batchnorm_normalises_per_shard_and_shard_zero_moves_running_stats():
    gn.manual_seed(0)
    bn = nn.BatchNorm1d(3).double()
    x = np.random.default_rng(0).standard_normal((8, 3)) * 3 + 1
    out = nn.DataParallel(bn, threads=2)(gn.tensor(x)).numpy()
    # each shard normalised with its own mean and biased variance
    expected = np.concatenate([(h - h.mean(0)) / np.sqrt(h.var(0) + 1e-5) for h in (x[:4], x[4:])])
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * x[:4].mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * x[:4].var(0, ddof=1), rtol=1e-12)
    assert int(bn.num_batches_tracked.numpy()) == 1


def test_eval_mode_and_no_grad_give_plain_outputs():
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)).double()
    model(gn.tensor(np.random.default_rng(0).standard_normal((16, 3))))  # some running stats
    model.eval()
    x = gn.tensor(np.random.default_rng(1).standard_normal((9, 3)))
    sharded = nn.DataParallel(model, threads=2)
    with gn.no_grad():
        out = sharded(x)
    assert not out.requires_grad and out._ctx is None
    np.testing.assert_allclose(out.numpy(), model(x).numpy(), rtol=1e-13)


def test_dropout_is_reproducible_under_manual_seed():
    model = nn.DataParallel(nn.Sequential(nn.Linear(5, 64), nn.Dropout(0.5)), threads=2)
    x = gn.ones(6, 5)
    gn.manual_seed(3)
    a = model(x).numpy()
    gn.manual_seed(3)
    b = model(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert 0.3 < (a == 0).mean() < 0.7


def test_shards_run_on_separate_threads_and_default_follows_blas_threads():
    seen = set()

    class Record(nn.Module):
        def forward(self, x):
            seen.add((_threads.shard_index(), threading.get_ident()))
            return x * 2

    x = gn.ones(4, 2)
    nn.DataParallel(Record(), threads=2)(x)
    assert {s for s, _ in seen} == {0, 1} and len({t for _, t in seen}) == 2
    threadpoolctl = pytest.importorskip("threadpoolctl")
    seen.clear()
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        out = nn.DataParallel(Record())(x)  # one BLAS thread: one shard, run directly
    assert seen == {(None, threading.get_ident())} and out._ctx is None


def test_blas_is_held_to_one_thread_inside_shards():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    inside = []

    class Probe(nn.Module):
        def forward(self, x):
            inside.append(_threads.blas_threads())
            return x

    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        before = _threads.blas_threads()
        nn.DataParallel(Probe(), threads=2)(gn.ones(2, 1))
        after = _threads.blas_threads()
    assert inside == [1, 1] and before == after


def test_observed_runs_unsharded():
    model = nn.DataParallel(nn.Linear(2, 2), threads=2)
    with gn.autograd.observe(lambda event: None):
        out = model(gn.ones(4, 2))
    assert not isinstance(out._ctx, ShardedForward)


def test_nested_data_parallel():
    gn.manual_seed(0)
    inner = nn.Sequential(nn.Linear(3, 3), nn.Tanh()).double()
    x = gn.tensor(np.random.default_rng(0).standard_normal((8, 3)))
    w = np.random.default_rng(1).standard_normal((8, 3))
    out, _, ref = _grads(inner, x.requires_grad_(), w)
    model = nn.DataParallel(nn.DataParallel(inner, threads=2), threads=2)
    out_n, _, got = _grads(model, x, w)
    np.testing.assert_allclose(out_n, out, rtol=1e-13)
    for name in ref:
        np.testing.assert_allclose(got["module.module." + name], ref[name], rtol=1e-12)


def test_errors_name_the_problem():
    with pytest.raises(gn.GlassnetTypeError, match="expected an nn.Module"):
        nn.DataParallel(lambda x: x)
    with pytest.raises(gn.GlassnetValueError, match="threads must be a positive int"):
        nn.DataParallel(nn.Identity(), threads=0)
    with pytest.raises(gn.ShapeError, match="argument 0 has 4, argument 1 has 3"):
        nn.DataParallel(_Two(), threads=2)(gn.ones(4, 2), gn.ones(3, 2))
    with pytest.raises(gn.GlassnetTypeError, match="returned tuple"):
        nn.DataParallel(_Pair(), threads=2)(gn.ones(4, 2))
    with pytest.raises(gn.GlassnetTypeError, match="needs at least one tensor"):
        nn.DataParallel(nn.Identity(), threads=2)(3)


def test_an_error_inside_a_shard_reaches_the_caller():
    with pytest.raises(gn.ShapeError, match="Linear"):
        nn.DataParallel(nn.Linear(3, 2), threads=2)(gn.ones(4, 5))


class _Two(nn.Module):
    def forward(self, a, b):
        return a + b


class _Pair(nn.Module):
    def forward(self, x):
        return x, x


def test_no_grad_inside_one_shard_does_not_stop_recording_in_another():
    """Grad mode is per thread (as PyTorch): a module that computes a target under
    ``no_grad`` (a teacher, an EMA copy) must not switch recording off in the other shard."""
    gate = threading.Barrier(2)

    class Teacher(nn.Module):
        def __init__(self):
            super().__init__()
            self.student, self.teacher = nn.Linear(3, 3).double(), nn.Linear(3, 3).double()

        def forward(self, x):
            if _threads.shard_index() == 0:
                with gn.no_grad():
                    gate.wait(timeout=5)  # shard 1 runs its forward while shard 0 is in no_grad
                    target = self.teacher(x)
                    gate.wait(timeout=5)
            else:
                gate.wait(timeout=5)
                out = self.student(x)
                gate.wait(timeout=5)
                return out
            return self.student(x) - target

    gn.manual_seed(0)
    model = Teacher()
    out = nn.DataParallel(model, threads=2)(gn.ones(4, 3, dtype=gn.float64))
    out.sum().backward()
    assert gn.is_grad_enabled()
    np.testing.assert_allclose(model.student.weight.grad.numpy(), np.full((3, 3), 4.0))
    assert model.teacher.weight.grad is None


def test_a_new_thread_records_and_a_shard_takes_the_callers_grad_mode():
    seen = []
    worker = threading.Thread(target=lambda: seen.append(gn.is_grad_enabled()))
    with gn.no_grad():
        worker.start()
        worker.join()
        out = nn.DataParallel(nn.Linear(2, 2), threads=2)(gn.ones(4, 2))
    assert seen == [True] and not out.requires_grad


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_runs_shards_on_a_fresh_pool():
    import os

    model = nn.DataParallel(nn.Linear(2, 2), threads=2)
    model(gn.ones(4, 2))  # the parent's pool exists now
    with warnings.catch_warnings():  # Python ≥ 3.12 warns about forking with threads alive
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # child: would hang on the parent's (absent) pool threads
        import signal

        signal.alarm(20)  # a hang ends the child with SIGALRM instead of the test run
        code = 0 if model(gn.ones(4, 2)).shape == (4, 2) else 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("dim,shape", [(-2, (6, 3)), (1, (2, 6, 3)), (-1, (3, 6))])
def test_batch_axis_may_be_any_axis_and_negative(dim, shape):
    x = gn.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    w = np.random.default_rng(1).standard_normal(shape)
    model = nn.Tanh()
    out, dx, _ = _grads(model, x, w)
    out_s, dx_s, _ = _grads(nn.DataParallel(model, threads=3, dim=dim), x, w)
    assert out_s.shape == shape
    np.testing.assert_allclose(out_s, out, rtol=1e-13)
    np.testing.assert_allclose(dx_s, dx, rtol=1e-13)


def test_tensor_keyword_arguments_are_split_too():
    class Masked(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2).double()

        def forward(self, x, mask=None, scale=1.0):
            return self.fc(x) * mask * scale

    gn.manual_seed(0)
    model = Masked()
    rng = np.random.default_rng(0)
    x, mask = gn.tensor(rng.standard_normal((5, 3))), gn.tensor(rng.integers(0, 2, (5, 2)).astype(float))
    expected = model(x, mask=mask, scale=3.0).numpy()
    got = nn.DataParallel(model, threads=2)(x, mask=mask, scale=3.0).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-13)
    with pytest.raises(gn.ShapeError, match="argument 0 has 5, argument 'mask' has 4"):
        nn.DataParallel(model, threads=2)(x, mask=mask[:4])


def test_a_tensor_computed_outside_is_back_propagated_once():
    calls = []

    class Doubled(gn.autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, g):
            calls.append(threading.get_ident())
            return g * 2

    scale = gn.tensor(np.array([1.0, -2.0]), requires_grad=True)
    doubled = Doubled.apply(scale)  # made before the shards run; every shard uses it

    class Scaled(nn.Module):
        def forward(self, x):
            return x * doubled

    out = nn.DataParallel(Scaled(), threads=3)(gn.ones(6, 2, dtype=gn.float64))
    out.sum().backward()
    assert len(calls) == 1
    np.testing.assert_allclose(scale.grad.numpy(), [12.0, 12.0])


def test_nested_data_parallel_moves_batchnorm_statistics_once():
    bn = nn.BatchNorm1d(2).double()
    x = np.random.default_rng(0).standard_normal((8, 2))
    nn.DataParallel(nn.DataParallel(bn, threads=2), threads=2)(gn.tensor(x))
    assert int(bn.num_batches_tracked.numpy()) == 1
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * x[:2].mean(0), rtol=1e-12)


def test_overlapping_blas_limits_restore_the_original_thread_count():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        before = _threads.blas_threads()
        _threads._hold_one_blas_thread()  # caller A
        _threads._hold_one_blas_thread()  # caller B, while A holds the limit
        _threads._release_blas()  # A leaves first
        assert _threads.blas_threads() == 1
        _threads._release_blas()  # B leaves: the original count, not A's 1
        assert _threads.blas_threads() == before


def test_backward_draws_no_random_numbers():
    model = nn.DataParallel(nn.Linear(2, 2), threads=2)
    x = gn.ones(4, 2)
    gn.manual_seed(0)
    model(x).sum().backward()
    after_backward = gn.rand(3).numpy()
    gn.manual_seed(0)
    model(x)
    np.testing.assert_array_equal(gn.rand(3).numpy(), after_backward)


def test_a_cnn_with_batchnorm_trains_on_digits_through_data_parallel():
    """The digits CNN of test_conv, trained through gn.train.fit wrapped in DataParallel:
    per-shard BatchNorm statistics in training, shard 0's running statistics in eval."""
    from glassnet.models import CNN2d

    gn.manual_seed(0)
    train_set = gn.data.load("digits", "train", flatten=False)
    test_set = gn.data.load("digits", "test", flatten=False)
    model = nn.DataParallel(CNN2d(8, 8, channels=(8, 8, 16)), threads=2)
    optimizer = gn.optim.Adam(model.parameters(), lr=0.02)
    gn.train.fit(model, train_set, nn.CrossEntropyLoss(), optimizer, epochs=2, batch_size=64,
                 seed=0, progress=False)
    assert gn.train.evaluate(model, test_set)["accuracy"] >= 0.93
    assert int(model.module[1].num_batches_tracked.numpy()) == 2 * math.ceil(len(train_set) / 64)
