"""glassnet.profiler as PyTorch programs use it: profile a training step, read key_averages,
nest record_function ranges, follow a schedule, export a Chrome trace — the call counts,
the schedule's recorded steps and the table's columns compared with torch.profiler's."""

import gzip
import json
import os
import re
import warnings

import pytest

import glassnet as gn
from glassnet._errors import GlassnetError, GlassnetValueError, GlassnetWarning
from glassnet.autograd._function import Function
from glassnet.autograd._patches import with_subclasses
from glassnet.autograd._profiler_session import active
from glassnet.capture import CompiledFunction

torch = pytest.importorskip("torch")


def _train(t, steps, profiler_step=None):
    """``steps`` SGD steps of a Linear-ReLU-Linear classifier under library ``t``."""
    t.manual_seed(0)
    model = t.nn.Sequential(t.nn.Linear(4, 8), t.nn.ReLU(), t.nn.Linear(8, 3))
    opt = t.optim.SGD(model.parameters(), lr=0.1)
    x, y = t.randn(16, 4), t.tensor([i % 3 for i in range(16)])
    for _ in range(steps):
        opt.zero_grad()
        loss = t.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if profiler_step is not None:
            profiler_step()


def _counts(prof):
    return {e.key: e.count for e in prof.key_averages()}


def _quiet_torch_profile(**kwargs):
    warnings.filterwarnings("ignore", message=".*Profiler clears events.*")
    return torch.profiler.profile(**kwargs)


# -- what a training step records --------------------------------------------------------------
def test_training_step_lists_its_ops_with_torchs_call_counts():
    with gn.profiler.profile(activities=[gn.profiler.ProfilerActivity.CPU]) as prof:
        _train(gn, 3)
    with _quiet_torch_profile(activities=[torch.profiler.ProfilerActivity.CPU]) as tprof:
        _train(torch, 3)
    ours, theirs = _counts(prof), _counts(tprof)
    pairs = {"linearop": "aten::linear", "relu": "aten::relu",
             "softmaxcrossentropyindex": "aten::cross_entropy_loss",
             "Optimizer.step#SGD.step": "Optimizer.step#SGD.step",
             "Optimizer.zero_grad#SGD.zero_grad": "Optimizer.zero_grad#SGD.zero_grad"}
    for name, torch_name in pairs.items():
        assert ours[name] == theirs[torch_name], name
    assert (ours["linearop"], ours["relu"], ours["Optimizer.step#SGD.step"]) == (6, 3, 3)
    assert ours["LinearopBackward"] == 6 and ours["ReluBackward"] == 3
    assert ours["SoftmaxcrossentropyindexBackward"] == 3


def test_self_times_exclude_children_and_sum_to_at_most_the_total():
    with gn.profiler.profile() as prof:
        with gn.profiler.record_function("step"):
            _train(gn, 2)
    events = prof.events()
    for e in events:
        children = sum(c.cpu_time_total for c in e.cpu_children)
        assert e.self_cpu_time_total == pytest.approx(e.cpu_time_total - children, abs=1e-6)
        assert e.self_cpu_time_total >= -1e-6
    (step,) = [e for e in events if e.name == "step"]
    total_self = sum(e.self_cpu_time_total for e in prof.key_averages())
    assert total_self == pytest.approx(step.cpu_time_total, rel=1e-9)  # every event lies inside "step"
    assert sum(e.self_cpu_time_total for e in events if e.name != "step") <= step.cpu_time_total


def test_record_function_ranges_nest_as_context_and_decorator():
    @gn.profiler.record_function("inner")
    def inner(x):
        return x.relu()

    x = gn.randn(5, requires_grad=True)
    with gn.profiler.profile() as prof:
        with gn.profiler.record_function("outer"):
            inner(x).sum()
    by_name = {e.name: e for e in prof.events()}
    outer, inner_event, relu = by_name["outer"], by_name["inner"], by_name["relu"]
    assert inner_event.cpu_parent is outer and relu.cpu_parent is inner_event
    assert by_name["sum"].cpu_parent is outer
    assert outer.time_range.start <= inner_event.time_range.start <= relu.time_range.start
    assert relu.time_range.end <= inner_event.time_range.end <= outer.time_range.end
    assert outer.self_cpu_time_total == pytest.approx(
        outer.cpu_time_total - inner_event.cpu_time_total - by_name["sum"].cpu_time_total, abs=1e-6)
    assert inner.__name__ == "inner"


def test_ranges_that_overlap_without_nesting_are_not_parent_and_child():
    a, b = gn.profiler.record_function("a"), gn.profiler.record_function("b")
    with gn.profiler.profile() as prof:
        a.__enter__()
        b.__enter__()
        a.__exit__(None, None, None)  # a ends while b is still open
        gn.ones(2).sum()
        b.__exit__(None, None, None)
    by_name = {e.name: e for e in prof.events()}
    assert by_name["b"].cpu_parent is None and by_name["sum"].cpu_parent is by_name["b"]
    assert by_name["a"].cpu_children == [] and by_name["b"].time_range.end > by_name["a"].time_range.end
    assert all(e.self_cpu_time_total >= 0 for e in by_name.values())


# -- schedule --------------------------------------------------------------------------------------
SCHEDULES = [dict(wait=1, warmup=1, active=2), dict(wait=1, warmup=1, active=2, repeat=2),
             dict(wait=0, warmup=2, active=1, repeat=3, skip_first=2),
             dict(wait=2, warmup=1, active=3, repeat=1, skip_first=1),
             dict(wait=1, warmup=0, active=1, repeat=0, skip_first=3)]


def _scheduled_run(t, settings, steps):
    """(step_num at each on_trace_ready, the loop iterations each cycle recorded)."""
    fired = []

    def ready(prof):
        names = {e.name for e in prof.events()}
        fired.append((prof.step_num, sorted(int(n[4:]) for n in names if n.startswith("iter"))))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = t.profiler.schedule(**settings)
        make = _quiet_torch_profile if t is torch else gn.profiler.profile
        with make(schedule=sched, on_trace_ready=ready) as prof:
            for i in range(steps):
                with t.profiler.record_function(f"iter{i}"):
                    t.ones(3).sum()
                prof.step()
    return fired


@pytest.mark.parametrize("settings", SCHEDULES, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()))
def test_schedule_records_the_steps_torch_records(settings):
    ours = _scheduled_run(gn, settings, 13)
    assert ours == _scheduled_run(torch, settings, 13)
    assert ours  # every setting above has at least one finished cycle in 13 steps


def test_schedule_function_equals_torchs():
    for settings in SCHEDULES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours, theirs = gn.profiler.schedule(**settings), torch.profiler.schedule(**settings)
        assert [ours(s).name for s in range(40)] == [theirs(s).name for s in range(40)]
    with pytest.raises(GlassnetValueError, match="active=0"):
        gn.profiler.schedule(wait=1, warmup=1, active=0)


def test_step_ranges_and_on_trace_ready_without_a_schedule():
    fired = []
    with gn.profiler.profile(on_trace_ready=fired.append) as prof:
        _train(gn, 2, profiler_step=lambda: prof.step())
    assert fired == [prof]  # one cycle, saved when the profile stops
    assert not any(e.name.startswith("ProfilerStep") for e in prof.events())  # no schedule, no step ranges


def test_tensorboard_trace_handler_writes_one_trace_per_active_cycle(tmp_path):
    sched = gn.profiler.schedule(wait=1, warmup=1, active=2, repeat=2)
    handler = gn.profiler.tensorboard_trace_handler(str(tmp_path / "log"), worker_name="w0")
    with gn.profiler.profile(schedule=sched, on_trace_ready=handler) as prof:
        _train(gn, 10, profiler_step=lambda: prof.step())
    files = sorted(os.listdir(tmp_path / "log"))
    assert len(files) == 2 and all(re.fullmatch(r"w0\.\d+\.pt\.trace\.json", f) for f in files)
    steps = []
    for f in files:
        trace = json.loads((tmp_path / "log" / f).read_text())
        steps.append(sorted(e["name"] for e in trace["traceEvents"] if e["name"].startswith("ProfilerStep")))
    assert steps == [["ProfilerStep#2", "ProfilerStep#3"], ["ProfilerStep#6", "ProfilerStep#7"]]


def test_tensorboard_trace_handler_can_gzip(tmp_path):
    handler = gn.profiler.tensorboard_trace_handler(str(tmp_path), worker_name="w1", use_gzip=True)
    with gn.profiler.profile(on_trace_ready=handler):
        gn.ones(3).sum()
    (name,) = os.listdir(tmp_path)
    assert name.endswith(".pt.trace.json.gz")
    trace = json.loads(gzip.decompress((tmp_path / name).read_bytes()))
    assert [e["name"] for e in trace["traceEvents"]] == ["sum"]


# -- chrome trace -----------------------------------------------------------------------------------
def test_chrome_trace_is_json_with_nested_events(tmp_path):
    path = tmp_path / "trace.json"
    path.write_text("old")
    with gn.profiler.profile(record_shapes=True) as prof:
        with gn.profiler.record_function("forward"):
            (gn.randn(8, 4) @ gn.randn(4, 2)).relu()
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    assert os.listdir(tmp_path) == ["trace.json"]  # written through a temporary file, moved into place
    events = {e["name"]: e for e in trace["traceEvents"]}
    outer, matmul = events["forward"], events["matmul"]
    assert {outer["ph"], matmul["ph"]} == {"X"} and outer["tid"] == matmul["tid"]
    assert outer["ts"] <= matmul["ts"] and matmul["ts"] + matmul["dur"] <= outer["ts"] + outer["dur"] + 1e-3
    assert matmul["args"]["Input Dims"] == [[8, 4], [4, 2]]
    assert (outer["cat"], matmul["cat"]) == ("user_annotation", "cpu_op")


# -- nothing stays hooked --------------------------------------------------------------------------
def _hook_points():
    points = {(cls, name): cls.__dict__.get(name) for cls in with_subclasses(Function)
              for name in ("apply", "run_backward") if name in cls.__dict__}
    for cls in with_subclasses(gn.optim.Optimizer):
        points.update({(cls, n): cls.__dict__[n] for n in ("step", "zero_grad") if n in cls.__dict__})
    points[(gn.nn.Module, "__call__")] = gn.nn.Module.__dict__["__call__"]
    points[(CompiledFunction, "__call__")] = CompiledFunction.__dict__["__call__"]
    return points


def test_nothing_is_hooked_after_the_profile_exits():
    before = _hook_points()
    with gn.profiler.profile(with_modules=True, profile_memory=True) as prof:
        assert Function.__dict__["apply"] is not before[(Function, "apply")]  # hooked while recording
        assert gn.nn.Module.__dict__["__call__"] is not before[(gn.nn.Module, "__call__")]
        _train(gn, 1)
    after = _hook_points()
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] for k in before)
    assert active() is None and prof.profiler.session.hooked == 0
    recorded = len(prof.events())
    _train(gn, 1)
    assert len(prof.events()) == recorded


def test_a_compiled_function_is_one_range_per_call():
    w = gn.randn(3, 2, requires_grad=True)

    @gn.compile
    def step(x):
        loss = (x @ w).relu().sum()
        loss.backward()
        return loss

    for _ in range(3):  # captured outside the profile (and again once .grad exists)
        step(gn.randn(4, 3))
    before = _hook_points()
    with gn.profiler.profile() as prof:
        for _ in range(3):
            step(gn.randn(4, 3))
    assert _counts(prof) == {"gn.compile: step": 3}
    after = _hook_points()
    assert all(after[k] is before[k] for k in before)


def test_hooks_registered_while_recording_apply_at_once():
    from glassnet.autograd import _profiler_session

    class Loader:
        def load(self):
            return 1

    def install(session, patches):
        original = Loader.load

        def load(self):
            r = session.open("Loader.load", "user_annotation")
            try:
                return original(self)
            finally:
                session.close(r)
        patches.patch(Loader, "load", load)

    try:
        with gn.profiler.profile() as prof:
            _profiler_session.register_hooks(install)  # as a subpackage first imported here does
            Loader().load()
    finally:
        _profiler_session._PROVIDERS.remove(install)
    assert _counts(prof) == {"Loader.load": 1} and "load" in Loader.__dict__
    assert Loader.__dict__["load"].__qualname__.endswith("Loader.load")  # put back


def test_warmup_steps_are_not_hooked():
    before = Function.__dict__["apply"]
    sched = gn.profiler.schedule(wait=1, warmup=1, active=1, repeat=1)
    seen = []
    with gn.profiler.profile(schedule=sched) as prof:
        for _ in range(4):
            seen.append(Function.__dict__["apply"] is before)
            prof.step()
    assert seen == [True, True, False, True]  # wait, warmup, active, done


# -- table, memory, shapes ------------------------------------------------------------------------
def _header(table):
    return re.split(r"\s{2,}", table.splitlines()[1].strip())


def test_table_columns_match_torchs():
    x = gn.randn(16, 4)
    with gn.profiler.profile(record_shapes=True, profile_memory=True) as prof:
        gn.nn.functional.relu(x @ gn.randn(4, 8))
    tx = torch.randn(16, 4)
    with _quiet_torch_profile(record_shapes=True, profile_memory=True) as tprof:
        torch.nn.functional.relu(tx @ torch.randn(4, 8))
    for grouped in (False, True):
        ours = prof.key_averages(group_by_input_shape=grouped).table(sort_by="cpu_time_total")
        theirs = tprof.key_averages(group_by_input_shape=grouped).table(sort_by="cpu_time_total")
        assert _header(ours) == _header(theirs)
        assert ours.endswith("us\n") and theirs.splitlines()[-1].startswith("Self CPU time total: ")
    assert "Input Shapes" in _header(ours) and "CPU Mem" in _header(ours)
    table = prof.key_averages(group_by_input_shape=True).table(sort_by="self_cpu_time_total")
    (row,) = [line for line in table.splitlines() if line.strip().startswith("matmul ")]
    assert "512 B" in row and "[[16, 4], [4, 8]]" in row  # 16 x 8 float32 output
    assert table.splitlines()[-1].startswith("Self CPU time total: ")


def test_memory_and_shapes_of_events():
    with gn.profiler.profile(record_shapes=True, profile_memory=True) as prof:
        with gn.profiler.record_function("block"):
            gn.randn(10, 3, requires_grad=True).exp().sum().backward()
    by_name = {e.name: e for e in prof.events()}
    assert by_name["exp"].self_cpu_memory_usage == 10 * 3 * 4
    assert by_name["exp"].input_shapes == [[10, 3]]
    block = by_name["block"]
    assert block.self_cpu_memory_usage == 0
    assert block.cpu_memory_usage == sum(c.cpu_memory_usage for c in block.cpu_children) > 0


def test_flops_of_matrix_products_equal_torchs():
    def products(t):
        x = t.randn(30, 20)
        t.nn.functional.linear(x, t.randn(10, 20), t.randn(10))
        x @ t.randn(20, 7)

    with gn.profiler.profile(with_flops=True) as prof:
        products(gn)
    with _quiet_torch_profile(with_flops=True, record_shapes=True) as tprof:
        products(torch)
    ours, theirs = ({e.key: e.flops for e in p.key_averages()} for p in (prof, tprof))
    assert (ours["linearop"], ours["matmul"]) == (theirs["aten::addmm"], theirs["aten::mm"]) == (12000, 8400)
    assert "Total KFLOPs" in _header(prof.key_averages().table())


def test_stacks_group_rows_and_show_their_frames():
    def first(x):
        return x.relu()

    def second(x):
        return x.relu()

    with gn.profiler.profile(with_stack=True) as prof:
        first(gn.ones(3))
        second(gn.ones(3))
        second(gn.ones(3))
    rows = prof.key_averages(group_by_stack_n=1)
    relu = sorted((e.count, e.stack[0].rsplit(": ", 1)[1]) for e in rows if e.key == "relu")
    assert relu == [(1, "first"), (2, "second")]
    assert "Source Location" in _header(rows.table())


def test_sort_by_an_unknown_column_says_which_exist():
    with gn.profiler.profile() as prof:
        gn.ones(3).sum()
    with pytest.raises(GlassnetValueError, match="cpu_time_total"):
        prof.key_averages().table(sort_by="cuda_time_totl")


# -- devices, errors, the older path ---------------------------------------------------------------
def test_cuda_activity_is_accepted_with_a_warning():
    with pytest.warns(GlassnetWarning, match="CUDA"):
        prof = gn.profiler.profile(activities=[gn.profiler.ProfilerActivity.CPU,
                                               gn.profiler.ProfilerActivity.CUDA])
    with prof:
        gn.ones(2).sum()
    assert "sum" in {e.name for e in prof.events()}


def test_profilers_do_not_nest_and_results_wait_for_the_end():
    prof = gn.profiler.profile()
    with pytest.raises(GlassnetError, match="no results yet"):
        prof.key_averages()
    with prof, pytest.raises(GlassnetError, match="already recording"):
        with gn.profiler.profile():
            pass
    assert active() is None


def test_autograd_profiler_path():
    x = gn.randn(4, 3, requires_grad=True)
    with gn.autograd.profiler.profile(record_shapes=True) as prof:
        with gn.autograd.profiler.record_function("forward"):
            y = x.relu().sum()
        y.backward()
    assert [e.key for e in prof.key_averages()] == ["forward", "relu", "sum", "SumBackward", "ReluBackward"]
    assert prof.self_cpu_time_total == pytest.approx(sum(e.self_cpu_time_total for e in prof.function_events))


def test_with_modules_records_module_calls():
    model = gn.nn.Sequential(gn.nn.Linear(3, 2), gn.nn.ReLU())
    with gn.profiler.profile(with_modules=True) as prof:
        model(gn.randn(4, 3))
    by_name = {e.name: e for e in prof.events()}
    assert by_name["linearop"].cpu_parent is by_name["nn.Module: Linear"]
    assert by_name["nn.Module: Linear"].cpu_parent is by_name["nn.Module: Sequential"]
