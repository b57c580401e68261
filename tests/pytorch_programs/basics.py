"""Tensors, autograd, a custom autograd function, nn with a hand-written update loop —
the first chapters of the official tutorials, in programs of our own."""

# ruff: noqa: B007, UP008  (tutorial code as PyTorch users write it: super(Net, self), unused loop names)

import math

import numpy as np

from pytorch_programs._weights import load_weights


def tensors_tutorial(torch):
    """The "Tensors" chapter: making tensors, attributes, operations, the NumPy bridge."""
    data = [[1, 2], [3, 4]]
    x_data = torch.tensor(data)
    x_np = torch.from_numpy(np.array(data))
    x_ones = torch.ones_like(x_data)
    x_rand = torch.rand_like(x_data, dtype=torch.float)
    shape = (2, 3,)
    zeros = torch.zeros(shape)
    tensor = torch.ones(4, 4)
    tensor[:, 1] = 0
    t1 = torch.cat([tensor, tensor, tensor], dim=1)
    y1 = tensor @ tensor.T
    y2 = tensor.matmul(tensor.T)
    y3 = torch.rand_like(y1)
    torch.matmul(tensor, tensor.T, out=y3)
    z3 = torch.rand_like(tensor)
    torch.mul(tensor, tensor, out=z3)
    agg = tensor.sum()
    tensor.add_(5)
    t = torch.ones(5)
    n = t.numpy()
    t.add_(1)
    np.add(n, 1, out=n)
    return {
        "x_data": x_data, "x_np": x_np, "x_ones": x_ones, "zeros": zeros,
        "rand_in_range": bool(((x_rand >= 0) & (x_rand < 1)).all()),
        "kinds": [x_data.dtype == torch.int64, x_rand.dtype == torch.float32, zeros.dtype == torch.float,
                  x_data.dtype == torch.long, x_ones.shape == (2, 2), x_rand.device.type == "cpu"],
        "t1": t1, "y1": y1, "y2": y2, "y3": y3, "z3": z3, "agg": agg.item(), "tensor": tensor,
        "bridge": t, "shape": list(t1.shape), "size": list(t1.size()),
    }


def tensor_surface(torch):
    """The wider ``torch.*`` / ``Tensor.*`` surface programs reach for, in float64."""
    a = torch.linspace(-2, 2, 9, dtype=torch.float64)
    pos = a.abs() + 0.5
    m = torch.arange(12, dtype=torch.double).reshape(3, 4) - 5.5
    out = {name: getattr(torch, name)(a) for name in (
        "sin", "cos", "tan", "tanh", "sinh", "cosh", "atan", "exp", "expm1", "sigmoid", "sign",
        "floor", "ceil", "round", "trunc", "erf", "square", "asinh", "abs", "neg")}
    out.update({name: getattr(pos, name)() for name in ("log", "log1p", "log2", "log10", "sqrt",
                                                       "rsqrt", "reciprocal")})
    out.update(acosh=(pos + 1).acosh(), asin=torch.asin(a / 3), acos=(a / 3).acos(), atanh=torch.atanh(a / 3))
    out.update(
        cumsum=m.cumsum(dim=1), cumprod=torch.cumprod(m, 0), prod=m.prod(), prod_dim=m.prod(1),
        norm=m.norm(), norm_dim=torch.norm(m, dim=1), norm_p1=m.norm(p=1), mt=m.t(), t_=torch.t(m),
        tril=torch.tril(m), triu=m.triu(1), tril_neg=m.tril(-1), roll=torch.roll(m, 1, 1),
        roll_flat=m.roll(2), flip=torch.flip(m, [0, 1]), flip1=m.flip(1), fliplr=torch.fliplr(m),
        einsum=torch.einsum("ij,kj->ik", m, m), einsum_trace=torch.einsum("ii", m[:, :3]),
        einsum_batch=torch.einsum("bij,bjk->bik", m.view(3, 2, 2), m.view(3, 2, 2)),
        view_as=a[:4].view_as(torch.zeros(2, 2)), masked=m.masked_fill(m > 0, -1.0),
        split=list(m.split(3, dim=1)), split_sizes=list(torch.split(m, [1, 2], dim=0)),
        chunk=list(m.chunk(2, dim=1)), contiguous=m.t().contiguous(), clone=m.clone(),
        mm=torch.mm(m, m.t()), bmm=torch.bmm(m.view(3, 2, 2), m.view(3, 2, 2)), mv=torch.mv(m, m[0]),
        outer=torch.outer(a[:3], a[:2]), repeat=m[:2, :2].repeat(2, 3), unbind=list(m.unbind(1)),
        narrow=m.narrow(1, 1, 2), index_select=torch.index_select(m, 1, torch.tensor([3, 0, 3])),
        diag=torch.diag(m[:, :3]), trace=torch.trace(m[:, :3]), diag_embed=torch.diag(a[:3]),
    )
    values, indices = m.topk(2, dim=1)
    low, low_idx = torch.topk(a, 3, largest=False)
    s_values, s_indices = torch.sort(m[:, 1:] * torch.tensor([1.0, -1.0, 1.0], dtype=m.dtype), dim=0,
                                     descending=True)
    ints = torch.tensor([[3, 1, 2], [0, 5, 4]])
    idx = torch.tensor([[0, 0, 2], [1, 0, 1]])
    distinct = torch.tensor([[0, 3, 2], [1, 0, 2]])
    out.update(
        topk=values, topk_idx=indices, low=low, low_idx=low_idx, sort=s_values, sort_idx=s_indices,
        argsort=ints.argsort(dim=1), argsort_desc=torch.argsort(ints, dim=0, descending=True),
        gather=torch.gather(m, 1, idx),
        scatter=torch.zeros(2, 4, dtype=torch.float64).scatter(1, distinct, m[:2, :3]),
        scatter_add=torch.zeros(2, 4, dtype=torch.float64).scatter_add(1, idx, m[:2, :3]),
        nonzero=torch.nonzero(ints > 2), nonzero_tuple=list((ints > 2).nonzero(as_tuple=True)),
        where1=list(torch.where(ints == 0)),
    )
    special = torch.tensor([1.0, float("nan"), float("inf"), -float("inf"), 0.0])
    out.update(
        isnan=torch.isnan(special), isinf=special.isinf(), isfinite=torch.isfinite(special),
        eq=ints.eq(2), ne=ints.ne(1), lt=ints.lt(3), le=ints.le(3),
        gt=ints.gt(torch.ones(3, dtype=torch.long)),
        ge=ints.ge(4), logical=torch.logical_and(ints > 0, ints < 4) | torch.logical_not(ints > 1),
        allclose=torch.allclose(a, a + 1e-9), isclose=torch.isclose(a, a + 1e-3, atol=1e-4),
        equal=[torch.equal(m, m.clone()), torch.equal(m, m + 1)], numel=m.numel(), dim=m.dim(),
        item=m[1, 2].item(), size=[m.size(), m.size(1), m.shape[0]],
    )
    out.update(_dtypes_and_constructors(torch, m))
    return out


def _dtypes_and_constructors(torch, m):
    """dtype aliases, ``type()``, ``new_*``, legacy constructors, ``out=``, generators."""
    ft = torch.FloatTensor([1, 2, 3])
    lt = torch.LongTensor([[1, 2], [3, 4]])
    written = torch.empty(2, 3, dtype=torch.float64)
    torch.add(m[:2, :3], 1.0, out=written)
    same_a = torch.rand(3, generator=torch.Generator().manual_seed(7))
    same_b = torch.rand(3, generator=torch.Generator().manual_seed(7))
    g = torch.manual_seed(3)
    first = torch.randn(2)
    g.manual_seed(3)
    again = torch.randn(2)
    return {
        "dtype_names": [torch.float is torch.float32, torch.double == torch.float64,
                        torch.long == torch.int64,
                        torch.int == torch.int32, torch.half == torch.float16, torch.bool != torch.uint8,
                        m.dtype == torch.double, m.long().dtype == torch.int64, m.int().dtype == torch.int32,
                        torch.tensor([True]).dtype == torch.bool, torch.tensor([1], dtype=torch.int8).dtype
                        == torch.int8, torch.tensor([1], dtype=torch.uint8).dtype == torch.uint8,
                        torch.tensor([1], dtype=torch.int16).dtype == torch.int16],
        "types": [m.type(), m.float().type(), lt.type(), m.type(torch.float32).dtype == torch.float32,
                  m.to(torch.int64).dtype == torch.long, isinstance(ft, torch.FloatTensor),
                  isinstance(lt, torch.LongTensor), isinstance(lt, torch.FloatTensor),
                  isinstance(lt, torch.Tensor), torch.is_tensor(lt), torch.is_floating_point(ft)],
        "ft": ft, "lt": lt, "double_t": torch.DoubleTensor([[0.5]]), "int_t": torch.IntTensor([7]),
        "bool_t": torch.BoolTensor([True, False]), "ft_shape": list(torch.FloatTensor(2, 3).shape),
        "new": [m.new_zeros(2), m.new_ones((1, 2)), m.new_full((2,), 3.5), m.new_tensor([1, 2]),
                lt.new_zeros(3), list(m.new_empty(2, 1).shape)],
        "written": written, "generator_repeats": bool(torch.equal(same_a, same_b)),
        "manual_seed_repeats": bool(torch.equal(first, again)),
        "creation": [torch.zeros(2, dtype=torch.long), torch.ones(2, 2, dtype=torch.float64),
                     torch.full((2,), 7), torch.full((2,), 7.0), torch.arange(5), torch.arange(0, 1, 0.25),
                     torch.eye(2, 3), torch.empty(2, 0).shape == (2, 0), torch.zeros(3).requires_grad,
                     torch.ones(2, requires_grad=True).requires_grad, torch.tensor(3.0).dim(),
                     torch.as_tensor([1.5, 2.5]), torch.as_tensor(np.array([1, 2]))],
    }


def autograd_tutorial(torch):
    """The "Automatic differentiation" chapter, plus gradients through the wider surface."""
    rng = np.random.default_rng(0)
    x = torch.ones(5, dtype=torch.float64)
    y = torch.zeros(3, dtype=torch.float64)
    w = torch.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    b = torch.tensor(rng.standard_normal(3), requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    facts = [z.grad_fn is not None, loss.grad_fn is not None, z.requires_grad, w.is_leaf, z.is_leaf]
    loss.backward()
    with torch.no_grad():
        z2 = torch.matmul(x, w) + b
    facts += [z2.requires_grad, z.detach().requires_grad]
    inp = torch.eye(4, 5, dtype=torch.float64, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    first = inp.grad.clone()
    out.backward(torch.ones_like(out))
    second = inp.grad.clone()
    inp.grad.zero_()
    out2 = (inp + 1).pow(2).t()
    out2.backward(torch.ones_like(out2))
    return {"loss": loss, "w_grad": w.grad, "b_grad": b.grad, "facts": facts, "first": first,
            "second": second, "third": inp.grad, **_surface_gradients(torch)}


def _surface_gradients(torch):
    rng = np.random.default_rng(1)
    m = torch.tensor(rng.uniform(0.5, 2.0, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4)), requires_grad=True)
    v = torch.tensor(rng.standard_normal(4), requires_grad=True)
    idx = torch.tensor([[0, 3, 1], [2, 2, 0], [1, 0, 3]])
    parts = [
        m.sin() * m.cos() + m.tan().atan() + torch.sinh(m / 4) - torch.cosh(m / 4),
        torch.log1p(m.abs()) + torch.expm1(m / 3) + m.abs().rsqrt() + m.reciprocal() + m.square(),
        torch.erf(m) + m.abs().log2() + torch.log10(m.abs()) + torch.asin(m / 3) + torch.acos(m / 3),
        m.cumsum(1) + m.cumprod(dim=1) + torch.roll(m, 1, 0) + m.flip(0) + m.tril() - m.triu(1),
        torch.einsum("ij,j->ij", m, v) + m.masked_fill(m < 0, 0.25) + m.clamp(-1, 1) + torch.sign(m),
        m.floor() + m.round() + m.ceil() + m.trunc() + torch.nn.functional.softplus(m),
        (m * torch.tensor([[2.0], [1.0], [0.5]], dtype=torch.float64)).prod(dim=1, keepdim=True) + v,
        torch.gather(m, 1, idx).sum(1, keepdim=True) + m.norm(dim=0) + m.norm(p=1),
    ]
    total = sum((p * (k + 1)).sum() for k, p in enumerate(parts))
    top, _ = m.topk(2, dim=1)
    srt, _ = torch.sort(m, dim=0, descending=True)
    a, b = m.split([1, 3], dim=1)
    c, d = m.chunk(2, dim=0)
    total = total + top.sum() * 2 + (srt * torch.arange(12, dtype=torch.float64).view(3, 4)).sum()
    total = total + (a * 3).sum() - b.sum() + c.sum() * d.mean() + m.t().contiguous().view(-1)[5]
    distinct = torch.tensor([[0, 3, 1], [2, 1, 0], [4, 0, 3]])
    scattered = torch.zeros(3, 5, dtype=torch.float64).scatter(1, distinct, m[:, :3])
    total = total + m.prod() + scattered.pow(2).sum()
    total.backward()
    return {"surface_total": total, "surface_m_grad": m.grad, "surface_v_grad": v.grad}


class _Cubes:
    """Builds the two custom functions of the "Defining new autograd functions" chapter."""

    @staticmethod
    def make(torch):
        class LegendrePolynomial3(torch.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return 0.5 * (5 * input ** 3 - 3 * input)

            @staticmethod
            def backward(ctx, grad_output):
                input, = ctx.saved_tensors
                return grad_output * 1.5 * (5 * input ** 2 - 1)

        class MyReLU(torch.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return input.clamp(min=0)

            @staticmethod
            def backward(ctx, grad_output):
                input, = ctx.saved_tensors
                grad_input = grad_output.clone()
                grad_input[input < 0] = 0
                return grad_input

        return LegendrePolynomial3, MyReLU


def custom_function(torch):
    """Fit sin(x) with a + b·P3(c + d·x), P3 a custom autograd Function; then a custom ReLU."""
    LegendrePolynomial3, MyReLU = _Cubes.make(torch)
    dtype = torch.double
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 200, device=device, dtype=dtype)
    y = torch.sin(x)
    a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
    learning_rate = 5e-5
    losses = []
    for t in range(150):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 50 == 49:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    h = torch.linspace(-1, 1, 7, dtype=dtype, requires_grad=True)
    r = MyReLU.apply(h * 3)
    (r * torch.arange(7, dtype=dtype)).sum().backward()
    return {"losses": losses, "abcd": [a.item(), b.item(), c.item(), d.item()], "relu": r,
            "relu_grad": h.grad}


def two_layer_net_by_hand(torch):
    """"Learning PyTorch with examples", tensors only: forward and backward written out,
    ``h.clamp(min=0)``, ``grad_h[h < 0] = 0``, and ``w -= lr * grad``."""
    rng = np.random.default_rng(2)
    dtype = torch.float64
    N, D_in, H, D_out = 16, 8, 10, 3
    x = torch.tensor(rng.standard_normal((N, D_in)), dtype=dtype)
    y = torch.tensor(rng.standard_normal((N, D_out)), dtype=dtype)
    w1 = torch.tensor(rng.standard_normal((D_in, H)), dtype=dtype)
    w2 = torch.tensor(rng.standard_normal((H, D_out)), dtype=dtype)
    learning_rate = 1e-4
    losses = []
    for t in range(60):
        h = x.mm(w1)
        h_relu = h.clamp(min=0)
        y_pred = h_relu.mm(w2)
        loss = (y_pred - y).pow(2).sum().item()
        losses.append(loss)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.t().mm(grad_y_pred)
        grad_h_relu = grad_y_pred.mm(w2.t())
        grad_h = grad_h_relu.clone()
        grad_h[h < 0] = 0
        grad_w1 = x.t().mm(grad_h)
        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
    return {"losses": losses[::10], "w1": w1, "w2": w2}


def nn_manual_update(torch):
    """"PyTorch: nn": a polynomial model in nn.Sequential, MSELoss(reduction='sum'), and the
    update written by hand under no_grad (``param -= learning_rate * param.grad``)."""
    x = torch.linspace(-math.pi, math.pi, 200, dtype=torch.float64)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)).double()
    load_weights(torch, model, seed=3)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    learning_rate = 1e-5
    losses = []
    for t in range(200):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 40 == 39:
            losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    linear_layer = model[0]
    return {"losses": losses, "weight": linear_layer.weight, "bias": linear_layer.bias,
            "frozen": losses[0] != losses[-1]}


PROGRAMS = {f.__name__: f for f in (tensors_tutorial, tensor_surface, autograd_tutorial, custom_function,
                                     two_layer_net_by_hand, nn_manual_update)}
