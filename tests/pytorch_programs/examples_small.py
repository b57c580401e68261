"""Small programs by others' habits: a tiny autograd engine's test file that checks itself
against PyTorch (legacy torch.Tensor([...]).double(), requires_grad set as an attribute,
.data.item()), pytorch/examples' polynomial regression (weights printed with format
specs, a batch from torch.randn replaced by NumPy draws, itertools.count), and Kipf's
pygcn (a sparse normalised adjacency and torch.spmm)."""

# ruff: noqa: B007, B905, UP008, UP031, UP032  (code as its authors write it: str.format included)

from itertools import count

import numpy as np

from pytorch_programs._weights import load_weights


def tiny_autograd_tests(torch):
    """micrograd's test_engine.py, torch side: its two expressions and their gradients."""

    def test_sanity_check():
        x = torch.Tensor([-4.0]).double()
        x.requires_grad = True
        z = 2 * x + 2 + x
        q = z.relu() + z * x
        h = (z * z).relu()
        y = h + q + q * x
        y.backward()
        return [y.data.item(), x.grad.item()]

    def test_more_ops():
        a = torch.Tensor([-4.0]).double()
        b = torch.Tensor([2.0]).double()
        a.requires_grad = True
        b.requires_grad = True
        c = a + b
        d = a * b + b**3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + (b + a).relu()
        d = d + 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        g = g + 10.0 / f
        g.backward()
        return [g.data.item(), a.grad.item(), b.grad.item()]

    def test_tanh_exp_pow():
        x = torch.tensor([0.5, -1.5], dtype=torch.float64, requires_grad=True)
        y = (x.tanh() * x.exp() + abs(x) ** 2.5).sum()
        y.backward()
        return [y.item(), x.grad.tolist()]

    return {"sanity": test_sanity_check(), "more_ops": test_more_ops(), "tanh": test_tanh_exp_pow()}


def polynomial_regression(torch):
    """pytorch/examples regression/main.py: features x^1..x^4 by torch.cat of powers, a
    target function from a fixed W, b, F.smooth_l1_loss, the manual update
    param.data.add_(-0.1 * param.grad), stopping when the loss is small, and poly_desc
    formatting each weight with '{:+.2f}'."""
    F = torch.nn.functional
    POLY_DEGREE = 4
    W_target = torch.tensor([[0.5], [-1.2], [2.0], [0.3]], dtype=torch.float64)
    b_target = torch.tensor([0.7], dtype=torch.float64)
    rng = np.random.default_rng(110)

    def make_features(x):
        x = x.unsqueeze(1)
        return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)

    def f(x):
        return x.mm(W_target) + b_target.item()

    def poly_desc(W, b):
        result = "y = "
        for i, w in enumerate(W):
            result += "{:+.2f} x^{} ".format(w, i + 1)
        result += "{:+.2f}".format(b[0])
        return result

    def get_batch(batch_size=8):
        random = torch.from_numpy(rng.standard_normal(batch_size))
        x = make_features(random)
        y = f(x)
        return x, y

    fc = torch.nn.Linear(W_target.size(0), 1).double()
    fc.load_state_dict({"weight": torch.zeros(1, 4, dtype=torch.float64),
                        "bias": torch.zeros(1, dtype=torch.float64)})
    losses = []
    for batch_idx in count(1):
        batch_x, batch_y = get_batch()
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        output.backward()
        for param in fc.parameters():
            param.data.add_(-0.02 * param.grad)
        losses.append(loss)
        if loss < 1e-2 or batch_idx >= 40:
            break
    return {"losses": losses, "batches": batch_idx, "learned": poly_desc(fc.weight.view(-1), fc.bias),
            "actual": poly_desc(W_target.view(-1), b_target), "loss_line": "Loss: {:.6f}".format(loss)}


def pygcn(torch):
    """Kipf's pygcn (small): GraphConvolution layers holding Parameter(torch.FloatTensor(in,
    out)) filled by reset_parameters' uniform_, the normalised adjacency as a COO sparse
    tensor (torch.sparse_coo_tensor of the row/col indices), torch.spmm(adj, X·W), dropout
    with training=self.training, nll_loss on the training nodes, accuracy with
    output.max(1)[1].type_as(labels).eq(labels).double()."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim
    import math
    import warnings

    class GraphConvolution(nn.Module):
        def __init__(self, in_features, out_features, bias=True):
            super(GraphConvolution, self).__init__()
            self.in_features, self.out_features = in_features, out_features
            self.weight = nn.Parameter(torch.FloatTensor(in_features, out_features))
            if bias:
                self.bias = nn.Parameter(torch.FloatTensor(out_features))
            else:
                self.register_parameter("bias", None)
            self.reset_parameters()

        def reset_parameters(self):
            stdv = 1.0 / math.sqrt(self.weight.size(1))
            self.weight.data.uniform_(-stdv, stdv)
            if self.bias is not None:
                self.bias.data.uniform_(-stdv, stdv)

        def forward(self, input, adj):
            support = torch.mm(input, self.weight)
            output = torch.spmm(adj, support)
            return output + self.bias if self.bias is not None else output

    class GCN(nn.Module):
        def __init__(self, nfeat, nhid, nclass, dropout):
            super(GCN, self).__init__()
            self.gc1 = GraphConvolution(nfeat, nhid)
            self.gc2 = GraphConvolution(nhid, nclass)
            self.dropout = dropout

        def forward(self, x, adj):
            x = F.relu(self.gc1(x, adj))
            x = F.dropout(x, self.dropout, training=self.training)
            x = self.gc2(x, adj)
            return F.log_softmax(x, dim=1)

    def accuracy(output, labels):
        preds = output.max(1)[1].type_as(labels)
        correct = preds.eq(labels).double()
        correct = correct.sum()
        return correct / len(labels)

    rng = np.random.default_rng(111)
    n = 8
    a = np.triu((rng.random((n, n)) < 0.35).astype(np.float32), 1)
    a = a + a.T + np.eye(n, dtype=np.float32)
    a = a / a.sum(1, keepdims=True)  # row-normalised, as pygcn's normalize()
    row, col = np.nonzero(a)
    with warnings.catch_warnings():  # PyTorch's note on sparse invariant checks; glassnet's on dense storage
        warnings.simplefilter("ignore")
        indices = torch.from_numpy(np.vstack((row, col)).astype(np.int64))
        values = torch.from_numpy(a[row, col])
        adj = torch.sparse_coo_tensor(indices, values, torch.Size(a.shape))
    features = torch.FloatTensor(rng.random((n, 5)).astype(np.float32))
    labels = torch.LongTensor(rng.integers(0, 3, n))
    idx_train, idx_val = torch.LongTensor(range(5)), torch.LongTensor(range(5, 8))
    model = load_weights(torch, GCN(nfeat=5, nhid=4, nclass=3, dropout=0.5), seed=112)
    optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    log = []
    for epoch in range(3):
        model.train()
        model.dropout = 0.0
        optimizer.zero_grad()
        output = model(features, adj)
        loss_train = F.nll_loss(output[idx_train], labels[idx_train])
        acc_train = accuracy(output[idx_train], labels[idx_train])
        loss_train.backward()
        optimizer.step()
        model.eval()
        output = model(features, adj)
        loss_val = F.nll_loss(output[idx_val], labels[idx_val])
        log.append([loss_train.item(), acc_train.item(), loss_val.item()])
    # a float32 program: its numbers go back as a float32 tensor, compared to 1e-5
    return {"log": torch.tensor(log), "dense": adj.to_dense(), "output": output}


PROGRAMS = {f.__name__: f for f in (tiny_autograd_tests, polynomial_regression, pygcn)}
