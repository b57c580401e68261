"""Training with an optimiser, a DataLoader with samplers, devices, a LeNet — the
"Optimization", "Datasets & DataLoaders", "Quickstart" and "Neural networks" chapters."""

# ruff: noqa: B007, UP008  (tutorial code as PyTorch users write it: super(Net, self), unused loop names)

import numpy as np

from pytorch_programs._weights import load_weights


def _blobs(torch, n=48, seed=4):
    """Three Gaussian blobs in 4-D: (n, 4) float64 features, (n,) int64 labels."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    centers = rng.standard_normal((3, 4)) * 2
    features = centers[labels] + rng.standard_normal((n, 4)) * 0.7
    return torch.tensor(features), torch.tensor(labels)


def optimiser_loop(torch):
    """Quickstart-style: train/test loops, CrossEntropyLoss, SGD with momentum and a StepLR,
    then Adam with weight decay; accuracy as ``(pred.argmax(1) == y).type(torch.float)``."""
    nn = torch.nn
    X, y = _blobs(torch)

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(),
                                                   nn.Linear(16, 3))

        def forward(self, x):
            return self.linear_relu_stack(self.flatten(x))

    def train_steps(model, loss_fn, optimizer, scheduler, epochs):
        losses = []
        model.train()
        for _ in range(epochs):
            for start in range(0, len(X), 16):
                pred = model(X[start:start + 16])
                loss = loss_fn(pred, y[start:start + 16])
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                losses.append(loss.item())
            if scheduler is not None:
                scheduler.step()
        return losses

    def test(model, loss_fn):
        model.eval()
        with torch.no_grad():
            pred = model(X)
            test_loss = loss_fn(pred, y).item()
            correct = (pred.argmax(1) == y).type(torch.float).sum().item()
        return test_loss, correct / len(X)

    model = load_weights(torch, NeuralNetwork().double(), seed=5)
    loss_fn = nn.CrossEntropyLoss()
    sgd = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(sgd, step_size=2, gamma=0.5)
    sgd_losses = train_steps(model, loss_fn, sgd, scheduler, epochs=5)
    adam = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
    adam_losses = train_steps(model, loss_fn, adam, None, epochs=3)
    rms = torch.optim.RMSprop(model.parameters(), lr=1e-3, momentum=0.5)
    rms_losses = train_steps(model, loss_fn, rms, None, epochs=1)
    return {"sgd": sgd_losses, "adam": adam_losses, "rms": rms_losses, "test": list(test(model, loss_fn)),
            "lr": scheduler.get_last_lr(), "state": dict(model.state_dict())}


def dataloader_with_samplers(torch):
    """A map-style Dataset, a custom Sampler, BatchSampler over SequentialSampler, a
    collate_fn, and the random samplers' contracts (what is drawn, not the draw)."""
    data = torch.utils.data
    X, y = _blobs(torch, n=20, seed=6)

    class Blobs(data.Dataset):
        def __init__(self, features, labels):
            self.features, self.labels = features, labels

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, idx):
            return self.features[idx], self.labels[idx]

    class EveryOther(data.Sampler):
        def __init__(self, data_source, offset):
            self.n, self.offset = len(data_source), offset

        def __iter__(self):
            return iter(list(range(self.offset, self.n, 2)) + list(range(1 - self.offset, self.n, 2)))

        def __len__(self):
            return self.n

    def collate(batch):
        features = torch.stack([f for f, _ in batch])
        labels = torch.tensor([int(label) for _, label in batch])
        return features * 2, labels

    dataset = Blobs(X, y)
    loaders = [
        data.DataLoader(dataset, batch_size=6, sampler=EveryOther(dataset, 1), drop_last=True),
        data.DataLoader(dataset, batch_sampler=data.BatchSampler(data.SequentialSampler(dataset), 7, False),
                        collate_fn=collate),
        data.DataLoader(data.TensorDataset(X, y), batch_size=8, shuffle=False, num_workers=0,
                        pin_memory=False),
    ]
    model = load_weights(torch, torch.nn.Linear(4, 3).double(), seed=7)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses, batches = [], []
    for loader in loaders:
        for features, labels in loader:
            batches.append([list(features.shape), labels.tolist()])
            loss = torch.nn.functional.cross_entropy(model(features), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    shuffled = [int(i) for i in data.RandomSampler(dataset, generator=torch.Generator().manual_seed(0))]
    drawn = list(data.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 40, replacement=True))
    sub = sorted(int(i) for i in data.SubsetRandomSampler([3, 5, 7]))
    seen = sorted(int(i) for _, labels in data.DataLoader(dataset, batch_size=5, shuffle=True)
                  for i in labels)
    return {"losses": losses, "batches": batches, "weight": model.weight,
            "random_is_permutation": sorted(shuffled) == list(range(20)),
            "weighted_support": sorted(set(drawn)), "subset": sub, "shuffled_labels": seen,
            "lengths": [len(loader) for loader in loaders]}


def devices(torch):
    """The device idioms at the top of every tutorial, on a machine without a GPU."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    accel = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
    model = load_weights(torch, torch.nn.Linear(3, 2), seed=8).to(device)
    x = torch.ones(4, 3, device=device) * 0.5
    out = model(x.to(device))
    moved = torch.zeros(2, dtype=torch.float64).to(device, torch.float32)
    like = torch.ones(2).to(torch.zeros(1, dtype=torch.float64))
    return {
        "device": str(device), "accel": accel, "type": out.device.type, "index": out.device.index,
        "cuda": [torch.cuda.is_available(), torch.cuda.device_count(), torch.backends.mps.is_available()],
        "same": [out.device == device, x.device == torch.device("cpu"), str(x.device)],
        "out": out, "moved": [moved.dtype == torch.float32, like.dtype == torch.float64],
        "cpu": model.weight.cpu(), "detached": out.detach().cpu().numpy().tolist(),
    }


def lenet(torch):
    """The "Neural networks" chapter's LeNet (smaller input), one SGD step on a given target."""
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 4, 3)
            self.conv2 = nn.Conv2d(4, 6, 3)
            self.fc1 = nn.Linear(6 * 2 * 2, 12)
            self.fc2 = nn.Linear(12, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.view(-1, self.num_flat_features(x))
            x = F.relu(self.fc1(x))
            return self.fc2(x)

        def num_flat_features(self, x):
            size = x.size()[1:]
            num_features = 1
            for s in size:
                num_features *= s
            return num_features

    torch.set_default_dtype(torch.float64)
    net = load_weights(torch, Net(), seed=9)
    rng = np.random.default_rng(10)
    input = torch.tensor(rng.standard_normal((2, 1, 14, 14)))
    target = torch.tensor(rng.standard_normal((2, 10))).view(2, -1)
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    optimizer.zero_grad()
    output = net(input)
    loss = criterion(output, target)
    loss.backward()
    grads = [p.grad.clone() for p in net.parameters()]
    optimizer.step()
    params = list(net.parameters())
    return {"output": output, "loss": loss, "grads": grads, "conv1_after": params[0],
            "n_params": len(params), "conv1_shape": list(params[0].size())}


PROGRAMS = {f.__name__: f for f in (optimiser_loop, dataloader_with_samplers, devices, lenet)}
