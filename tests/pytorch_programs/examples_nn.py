"""Programs in the shape of "What is torch.nn really?" and pytorch/examples'
time_sequence_prediction and word_language_model (its RNN and Transformer models)."""

# ruff: noqa: B007, B905, UP008  (tutorial code as PyTorch users write it: super(Net, self), unused loop names, zip)

import math
import warnings

import numpy as np

from pytorch_programs._weights import load_weights


def nn_really(torch):
    """"What is torch.nn really?": logistic regression from scratch (manual log_softmax, nll
    by fancy indexing, in-place updates under no_grad), then F.cross_entropy, nn.Module with
    nn.Parameter, TensorDataset + DataLoader, a CNN of nn.Sequential with a Lambda module,
    AdaptiveAvgPool2d, and the fit loop with validation under no_grad."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim
    TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
    rng = np.random.default_rng(20)
    x_train, x_valid = rng.random((40, 64)), rng.random((16, 64))
    y_train, y_valid = rng.integers(0, 10, 40), rng.integers(0, 10, 16)
    x_train, y_train, x_valid, y_valid = map(torch.tensor, (x_train, y_train, x_valid, y_valid))
    n, c = x_train.shape

    weights = torch.tensor(rng.standard_normal((64, 10)) / math.sqrt(64))
    weights.requires_grad_()
    bias = torch.zeros(10, requires_grad=True, dtype=torch.float64)

    def log_softmax(x):
        return x - x.exp().sum(-1).log().unsqueeze(-1)

    def model(xb):
        return log_softmax(xb @ weights + bias)

    def nll(input, target):
        return -input[range(target.shape[0]), target].mean()

    def accuracy(out, yb):
        preds = torch.argmax(out, dim=1)
        return (preds == yb).float().mean()

    bs, lr = 8, 0.5
    loss_func = nll
    scratch = []
    for epoch in range(2):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb, yb = x_train[start_i:end_i], y_train[start_i:end_i]
            loss = loss_func(model(xb), yb)
            loss.backward()
            with torch.no_grad():
                weights -= weights.grad * lr
                bias -= bias.grad * lr
                weights.grad.zero_()
                bias.grad.zero_()
            scratch.append(loss.item())
    scratch_acc = accuracy(model(x_valid), y_valid)
    same_as_f = F.cross_entropy(xb @ weights + bias, yb).item() - loss_func(model(xb), yb).item()

    class Mnist_Logistic(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = nn.Parameter(torch.zeros(64, 10, dtype=torch.float64))
            self.bias = nn.Parameter(torch.zeros(10, dtype=torch.float64))

        def forward(self, xb):
            return xb @ self.weights + self.bias

    class Lambda(nn.Module):
        def __init__(self, func):
            super().__init__()
            self.func = func

        def forward(self, x):
            return self.func(x)

    def preprocess(x):
        return x.view(-1, 1, 8, 8)

    def loss_batch(model, loss_func, xb, yb, opt=None):
        loss = loss_func(model(xb), yb)
        if opt is not None:
            loss.backward()
            opt.step()
            opt.zero_grad()
        return loss.item(), len(xb)

    def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
        history = []
        for epoch in range(epochs):
            model.train()
            for xb, yb in train_dl:
                loss_batch(model, loss_func, xb, yb, opt)
            model.eval()
            with torch.no_grad():
                losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
            val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
            history.append(float(val_loss))
        return history

    def get_data(train_ds, valid_ds, bs):
        return (DataLoader(train_ds, batch_size=bs, shuffle=False),
                DataLoader(valid_ds, batch_size=bs * 2))

    class WrappedDataLoader:
        def __init__(self, dl, func):
            self.dl, self.func = dl, func

        def __len__(self):
            return len(self.dl)

        def __iter__(self):
            for b in self.dl:
                yield (self.func(*b))

    train_ds, valid_ds = TensorDataset(x_train, y_train), TensorDataset(x_valid, y_valid)
    train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
    logistic = load_weights(torch, Mnist_Logistic(), seed=21)
    opt = optim.SGD(logistic.parameters(), lr=lr)
    logistic_hist = fit(2, logistic, F.cross_entropy, opt, train_dl, valid_dl)

    cnn = nn.Sequential(
        Lambda(preprocess),
        nn.Conv2d(1, 4, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(4, 4, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(4, 10, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        Lambda(lambda x: x.view(x.size(0), -1)),
    ).double()
    load_weights(torch, cnn, seed=22)
    opt = optim.SGD(cnn.parameters(), lr=0.1, momentum=0.9)
    train_w = WrappedDataLoader(train_dl, lambda x, y: (x.view(-1, 1, 8, 8), y))
    valid_w = WrappedDataLoader(valid_dl, lambda x, y: (x.view(-1, 1, 8, 8), y))
    cnn_hist = fit(2, cnn, F.cross_entropy, opt, train_w, valid_w)
    return {"scratch": scratch, "scratch_acc": scratch_acc, "same_as_f": abs(same_as_f) < 1e-12,
            "logistic": logistic_hist, "cnn": cnn_hist, "cnn_state": dict(cnn.state_dict()),
            "n_batches": [len(train_dl), len(valid_w)]}


def time_sequence_prediction(torch):
    """pytorch/examples time_sequence_prediction: two stacked LSTMCells in double precision
    trained with LBFGS and a closure, then a future-prediction loop (split, cat)."""
    nn, optim = torch.nn, torch.optim
    T, L, N = 20, 24, 6
    x = np.empty((N, L), "int64")
    x[:] = np.array(range(L)) + np.arange(N).reshape(N, 1) * 3
    data = np.sin(x / 1.0 / T).astype("float64")

    class Sequence(nn.Module):
        def __init__(self):
            super(Sequence, self).__init__()
            self.lstm1 = nn.LSTMCell(1, 8)
            self.lstm2 = nn.LSTMCell(8, 8)
            self.linear = nn.Linear(8, 1)

        def forward(self, input, future=0):
            outputs = []
            h_t = torch.zeros(input.size(0), 8, dtype=torch.double)
            c_t = torch.zeros(input.size(0), 8, dtype=torch.double)
            h_t2 = torch.zeros(input.size(0), 8, dtype=torch.double)
            c_t2 = torch.zeros(input.size(0), 8, dtype=torch.double)
            for input_t in input.split(1, dim=1):
                h_t, c_t = self.lstm1(input_t, (h_t, c_t))
                h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                output = self.linear(h_t2)
                outputs += [output]
            for i in range(future):
                h_t, c_t = self.lstm1(output, (h_t, c_t))
                h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                output = self.linear(h_t2)
                outputs += [output]
            outputs = torch.cat(outputs, dim=1)
            return outputs

    input = torch.from_numpy(data[2:, :-1])
    target = torch.from_numpy(data[2:, 1:])
    test_input = torch.from_numpy(data[:2, :-1])
    test_target = torch.from_numpy(data[:2, 1:])
    seq = Sequence()
    seq.double()
    load_weights(torch, seq, seed=23)
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8, max_iter=4)
    losses, test_losses = [], []
    for i in range(2):
        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            losses.append(loss.item())
            loss.backward()
            return loss
        optimizer.step(closure)
        with torch.no_grad():
            future = 5
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            test_losses.append(loss.item())
            y = pred.detach().numpy()
    return {"losses": losses, "test": test_losses, "prediction": torch.from_numpy(y),
            "shape": list(y.shape), "dtype": str(y.dtype)}


def _corpus(torch, n=61, vocab=9, seed=24):
    """A token stream: (n,) int64 ids below ``vocab``."""
    return torch.tensor(np.random.default_rng(seed).integers(0, vocab, n))


def _batchify(torch, data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    data = data.view(bsz, -1).t().contiguous()
    return data


def _get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def word_language_model(torch):
    """pytorch/examples word_language_model, RNN variant: Embedding → LSTM/GRU/RNN with
    dropout, tied decoder weights, batchify (narrow, view, t, contiguous), hidden state
    repackaged with detach, clip_grad_norm_, the manual update p.data.add_(p.grad, alpha=-lr)."""
    nn, F = torch.nn, torch.nn.functional

    class RNNModel(nn.Module):
        def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
            super(RNNModel, self).__init__()
            self.ntoken = ntoken
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Embedding(ntoken, ninp)
            if rnn_type in ["LSTM", "GRU"]:
                self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
            else:
                nonlinearity = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
                self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
            self.decoder = nn.Linear(nhid, ntoken)
            if tie_weights:
                if nhid != ninp:
                    raise ValueError("When using the tied flag, nhid must be equal to emsize")
                self.decoder.weight = self.encoder.weight
            self.init_weights()
            self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

        def init_weights(self):
            initrange = 0.1
            nn.init.uniform_(self.encoder.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            output = self.drop(output)
            decoded = self.decoder(output)
            decoded = decoded.view(-1, self.ntoken)
            return F.log_softmax(decoded, dim=1), hidden

        def init_hidden(self, bsz):
            weight = next(self.parameters())
            if self.rnn_type == "LSTM":
                return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                        weight.new_zeros(self.nlayers, bsz, self.nhid))
            return weight.new_zeros(self.nlayers, bsz, self.nhid)

    def repackage_hidden(h):
        if isinstance(h, torch.Tensor):
            return h.detach()
        return tuple(repackage_hidden(v) for v in h)

    torch.set_default_dtype(torch.float64)
    ntokens, bsz, eval_bsz, bptt = 9, 4, 2, 5
    train_data = _batchify(torch, _corpus(torch), bsz)
    val_data = _batchify(torch, _corpus(torch, 23, seed=25), eval_bsz)
    criterion = nn.NLLLoss()

    def train(model, lr):
        model.train()
        total = []
        hidden = model.init_hidden(bsz)
        for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
            data, targets = _get_batch(train_data, i, bptt)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            total.append(loss.item())
        return total

    def evaluate(model, data_source):
        model.eval()
        total_loss = 0.0
        hidden = model.init_hidden(eval_bsz)
        with torch.no_grad():
            for i in range(0, data_source.size(0) - 1, bptt):
                data, targets = _get_batch(data_source, i, bptt)
                output, hidden = model(data, hidden)
                hidden = repackage_hidden(hidden)
                total_loss += len(data) * criterion(output, targets).item()
        return total_loss / (len(data_source) - 1)

    results = {"train_shape": list(train_data.shape)}
    for rnn_type, tied in (("LSTM", True), ("GRU", False), ("RNN_TANH", False)):
        model = RNNModel(rnn_type, ntokens, 6, 6, 2, dropout=0.0, tie_weights=tied)
        load_weights(torch, model, seed=26)
        losses = train(model, lr=2.0)
        losses += train(model, lr=0.5)
        results[rnn_type] = {"losses": losses, "val": evaluate(model, val_data),
                             "tied": model.decoder.weight is model.encoder.weight,
                             "n_params": len(list(model.parameters())),
                             "encoder": model.encoder.weight}
    eval_model = load_weights(torch, RNNModel("GRU", ntokens, 6, 6, 2, dropout=0.5), seed=27)
    results["eval_with_dropout"] = evaluate(eval_model, val_data)
    return results


def transformer_language_model(torch):
    """word_language_model's Transformer: a subclass of nn.Transformer that uses only its
    encoder, PositionalEncoding with a register_buffer, the square subsequent mask from
    torch.log(torch.tril(...)) and from nn.Transformer.generate_square_subsequent_mask."""
    nn, F = torch.nn, torch.nn.functional

    class PositionalEncoding(nn.Module):
        def __init__(self, d_model, dropout=0.1, max_len=5000):
            super(PositionalEncoding, self).__init__()
            self.dropout = nn.Dropout(p=dropout)
            pe = torch.zeros(max_len, d_model)
            position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
            div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
            pe[:, 0::2] = torch.sin(position * div_term)
            pe[:, 1::2] = torch.cos(position * div_term)
            pe = pe.unsqueeze(0).transpose(0, 1)
            self.register_buffer("pe", pe)

        def forward(self, x):
            x = x + self.pe[:x.size(0), :]
            return self.dropout(x)

    class TransformerModel(nn.Transformer):
        def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
            super(TransformerModel, self).__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                                                   num_encoder_layers=nlayers, dropout=dropout)
            self.model_type = "Transformer"
            self.src_mask = None
            self.pos_encoder = PositionalEncoding(ninp, dropout, max_len=64)
            self.input_emb = nn.Embedding(ntoken, ninp)
            self.ninp = ninp
            self.decoder = nn.Linear(ninp, ntoken)
            self.init_weights()

        def _generate_square_subsequent_mask(self, sz):
            return torch.log(torch.tril(torch.ones(sz, sz)))

        def init_weights(self):
            initrange = 0.1
            nn.init.uniform_(self.input_emb.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)

        def forward(self, src, has_mask=True):
            if has_mask:
                if self.src_mask is None or self.src_mask.size(0) != len(src):
                    self.src_mask = self._generate_square_subsequent_mask(len(src))
            else:
                self.src_mask = None
            src = self.input_emb(src) * math.sqrt(self.ninp)
            src = self.pos_encoder(src)
            output = self.encoder(src, mask=self.src_mask)
            output = self.decoder(output)
            return F.log_softmax(output, dim=-1)

    torch.set_default_dtype(torch.float64)
    ntokens, bsz, bptt = 9, 3, 6
    train_data = _batchify(torch, _corpus(torch, 40, seed=28), bsz)
    with warnings.catch_warnings():  # PyTorch's note that batch_first=False skips its nested-tensor path
        warnings.filterwarnings("ignore", "enable_nested_tensor is True")
        model = TransformerModel(ntokens, 8, 2, 16, 2, dropout=0.0)
    load_weights(torch, model, seed=29)
    criterion = nn.NLLLoss()
    losses = []
    model.train()
    for i in range(0, train_data.size(0) - 1, bptt):
        data, targets = _get_batch(train_data, i, bptt)
        model.zero_grad()
        output = model(data)
        output = output.view(-1, ntokens)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-1.0)
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        unmasked = model(train_data[:4], has_mask=False)
        masked = model(train_data[:4])
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    return {"losses": losses, "unmasked": unmasked, "masked": masked, "mask": mask,
            "buffers": sorted(name for name, _ in model.named_buffers()),
            "n_params": len(list(model.parameters())), "has_decoder": hasattr(model, "decoder")}


PROGRAMS = {f.__name__: f for f in (nn_really, time_sequence_prediction, word_language_model,
                                    transformer_language_model)}
