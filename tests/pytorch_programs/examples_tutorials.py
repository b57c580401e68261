"""Programs in the shape of more official tutorials: the DQN tutorial, Gatys neural style
transfer, transfer learning by fine-tuning, the char-RNN name classifier, text
classification with EmbeddingBag, a VAE, and the forward-forward algorithm."""

# ruff: noqa: B007, B905, UP008  (tutorial code as PyTorch users write it: super(Net, self), unused loop names, zip)

import copy
import random
from collections import deque, namedtuple

import numpy as np

from pytorch_programs._weights import load_weights


def dqn(torch):
    """"Reinforcement Learning (DQN) Tutorial": a replay memory (deque + random.sample),
    Transition namedtuples, a non-final mask built as a bool tensor, gather on the taken
    actions, next-state values written through the mask, SmoothL1Loss, clip_grad_value_,
    AdamW(amsgrad=True), and the soft update of the target network via state dicts."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim
    Transition = namedtuple("Transition", ("state", "action", "next_state", "reward"))

    class ReplayMemory:
        def __init__(self, capacity):
            self.memory = deque([], maxlen=capacity)

        def push(self, *args):
            self.memory.append(Transition(*args))

        def sample(self, batch_size):
            return random.sample(self.memory, batch_size)

        def __len__(self):
            return len(self.memory)

    class DQN(nn.Module):
        def __init__(self, n_observations, n_actions):
            super(DQN, self).__init__()
            self.layer1 = nn.Linear(n_observations, 16)
            self.layer2 = nn.Linear(16, 16)
            self.layer3 = nn.Linear(16, n_actions)

        def forward(self, x):
            x = F.relu(self.layer1(x))
            x = F.relu(self.layer2(x))
            return self.layer3(x)

    BATCH_SIZE, GAMMA, TAU, LR = 6, 0.99, 0.005, 1e-3
    torch.set_default_dtype(torch.float64)
    policy_net = load_weights(torch, DQN(4, 2), seed=70)
    target_net = DQN(4, 2)
    target_net.load_state_dict(policy_net.state_dict())
    optimizer = optim.AdamW(policy_net.parameters(), lr=LR, amsgrad=True)
    memory = ReplayMemory(100)
    rng = np.random.default_rng(71)

    def select_action(state):
        with torch.no_grad():
            return policy_net(state).max(1).indices.view(1, 1)

    def optimize_model():
        if len(memory) < BATCH_SIZE:
            return None
        transitions = memory.sample(BATCH_SIZE)
        batch = Transition(*zip(*transitions))
        non_final_mask = torch.tensor(tuple(map(lambda s: s is not None, batch.next_state)), dtype=torch.bool)
        non_final_next_states = torch.cat([s for s in batch.next_state if s is not None])
        state_batch = torch.cat(batch.state)
        action_batch = torch.cat(batch.action)
        reward_batch = torch.cat(batch.reward)
        state_action_values = policy_net(state_batch).gather(1, action_batch)
        next_state_values = torch.zeros(BATCH_SIZE)
        with torch.no_grad():
            next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
        expected_state_action_values = (next_state_values * GAMMA) + reward_batch
        criterion = nn.SmoothL1Loss()
        loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
        optimizer.step()
        return loss.item()

    random.seed(0)
    losses, actions = [], []
    for i_episode in range(3):
        state = torch.tensor(rng.standard_normal(4), dtype=torch.float64).unsqueeze(0)
        for t in range(5):
            action = select_action(state)
            actions.append(action.item())
            observation = rng.standard_normal(4)
            reward = torch.tensor([float(rng.random())])
            terminated = t == 4 and i_episode == 1
            next_state = None if terminated else torch.tensor(observation).unsqueeze(0)
            memory.push(state, action, next_state, reward)
            state = next_state
            loss = optimize_model()
            if loss is not None:
                losses.append(loss)
            target_net_state_dict = target_net.state_dict()
            policy_net_state_dict = policy_net.state_dict()
            for key in policy_net_state_dict:
                target_net_state_dict[key] = (policy_net_state_dict[key] * TAU
                                              + target_net_state_dict[key] * (1 - TAU))
            target_net.load_state_dict(target_net_state_dict)
            if terminated:
                break
    return {"losses": losses, "actions": actions, "target": dict(target_net.state_dict()),
            "memory": len(memory)}


def neural_style_gatys(torch):
    """"Neural Transfer Using PyTorch": ContentLoss and StyleLoss modules that keep a
    detached target and store self.loss, a Normalization module, the model rebuilt layer by
    layer with add_module and isinstance checks (ReLU(inplace=False)), trimmed by slicing the
    Sequential, and the input image optimised by LBFGS([input_img]) with clamp_ under no_grad."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    def gram_matrix(input):
        a, b, c, d = input.size()
        features = input.view(a * b, c * d)
        G = torch.mm(features, features.t())
        return G.div(a * b * c * d)

    class ContentLoss(nn.Module):
        def __init__(self, target):
            super(ContentLoss, self).__init__()
            self.target = target.detach()

        def forward(self, input):
            self.loss = F.mse_loss(input, self.target)
            return input

    class StyleLoss(nn.Module):
        def __init__(self, target_feature):
            super(StyleLoss, self).__init__()
            self.target = gram_matrix(target_feature).detach()

        def forward(self, input):
            G = gram_matrix(input)
            self.loss = F.mse_loss(G, self.target)
            return input

    class Normalization(nn.Module):
        def __init__(self, mean, std):
            super(Normalization, self).__init__()
            self.mean = torch.tensor(mean).view(-1, 1, 1)
            self.std = torch.tensor(std).view(-1, 1, 1)

        def forward(self, img):
            return (img - self.mean) / self.std

    torch.set_default_dtype(torch.float64)
    cnn = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(4, 4, 3, padding=1),
                        nn.ReLU(inplace=True), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(True),
                        nn.Conv2d(6, 6, 3, padding=1)).eval()
    load_weights(torch, cnn, seed=72)
    content_layers, style_layers = ["conv_2"], ["conv_1", "conv_2", "conv_3", "conv_4"]
    rng = np.random.default_rng(73)
    style_img = torch.tensor(rng.random((1, 3, 6, 6)))
    content_img = torch.tensor(rng.random((1, 3, 6, 6)))

    def get_style_model_and_losses(cnn, mean, std, style_img, content_img):
        normalization = Normalization(mean, std)
        content_losses, style_losses = [], []
        model = nn.Sequential(normalization)
        i = 0
        for layer in cnn.children():
            if isinstance(layer, nn.Conv2d):
                i += 1
                name = f"conv_{i}"
            elif isinstance(layer, nn.ReLU):
                name = f"relu_{i}"
                layer = nn.ReLU(inplace=False)
            elif isinstance(layer, nn.MaxPool2d):
                name = f"pool_{i}"
            else:
                raise RuntimeError(f"Unrecognized layer: {layer.__class__.__name__}")
            model.add_module(name, layer)
            if name in content_layers:
                target = model(content_img).detach()
                content_loss = ContentLoss(target)
                model.add_module(f"content_loss_{i}", content_loss)
                content_losses.append(content_loss)
            if name in style_layers:
                target_feature = model(style_img).detach()
                style_loss = StyleLoss(target_feature)
                model.add_module(f"style_loss_{i}", style_loss)
                style_losses.append(style_loss)
        for i in range(len(model) - 1, -1, -1):
            if isinstance(model[i], ContentLoss) or isinstance(model[i], StyleLoss):
                break
        model = model[:(i + 1)]
        return model, style_losses, content_losses

    input_img = content_img.clone()
    model, style_losses, content_losses = get_style_model_and_losses(
        cnn, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], style_img, content_img)
    input_img.requires_grad_(True)
    model.eval()
    model.requires_grad_(False)
    optimizer = optim.LBFGS([input_img], max_iter=3)
    log = []
    run = [0]
    while run[0] <= 6:
        def closure():
            with torch.no_grad():
                input_img.clamp_(0, 1)
            optimizer.zero_grad()
            model(input_img)
            style_score = sum(sl.loss for sl in style_losses) * 1000.0
            content_score = sum(cl.loss for cl in content_losses)
            loss = style_score + content_score
            loss.backward()
            run[0] += 1
            log.append([style_score.item(), content_score.item()])
            return style_score + content_score
        optimizer.step(closure)
    with torch.no_grad():
        input_img.clamp_(0, 1)
    return {"log": log, "image": input_img, "names": [name for name, _ in model.named_children()],
            "frozen": all(not p.requires_grad for p in model.parameters())}


def transfer_learning(torch):
    """"Transfer Learning for Computer Vision": freeze a pretrained backbone
    (requires_grad = False), replace its head, train only model.fc's parameters with a StepLR,
    the phase loop with set_grad_enabled(phase == 'train'), torch.max(outputs, 1), running
    corrects as .double(), and the best weights kept with copy.deepcopy(state_dict())."""
    nn, optim = torch.nn, torch.optim
    lr_scheduler = torch.optim.lr_scheduler

    class TinyResNet(nn.Module):
        def __init__(self):
            super(TinyResNet, self).__init__()
            self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(4)
            self.relu = nn.ReLU(inplace=True)
            self.layer1 = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4))
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(4, 10)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.relu(x + self.layer1(x))
            x = torch.flatten(self.avgpool(x), 1)
            return self.fc(x)

    torch.set_default_dtype(torch.float64)
    model_conv = load_weights(torch, TinyResNet(), seed=74)
    for m in model_conv.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
    for param in model_conv.parameters():
        param.requires_grad = False
    num_ftrs = model_conv.fc.in_features
    model_conv.fc = nn.Linear(num_ftrs, 2)
    load_weights(torch, model_conv.fc, seed=75)
    criterion = nn.CrossEntropyLoss()
    optimizer_conv = optim.SGD(model_conv.fc.parameters(), lr=0.01, momentum=0.9)
    exp_lr_scheduler = lr_scheduler.StepLR(optimizer_conv, step_size=1, gamma=0.1)
    rng = np.random.default_rng(76)
    dataloaders = {phase: [(torch.tensor(rng.standard_normal((4, 3, 6, 6))),
                            torch.tensor(rng.integers(0, 2, 4))) for _ in range(2)]
                   for phase in ("train", "val")}
    dataset_sizes = {phase: 8 for phase in dataloaders}
    best_model_wts = copy.deepcopy(model_conv.state_dict())
    best_acc, history = 0.0, []
    for epoch in range(2):
        for phase in ["train", "val"]:
            if phase == "train":
                model_conv.train()
            else:
                model_conv.eval()
            running_loss, running_corrects = 0.0, 0
            for inputs, labels in dataloaders[phase]:
                optimizer_conv.zero_grad()
                with torch.set_grad_enabled(phase == "train"):
                    outputs = model_conv(inputs)
                    _, preds = torch.max(outputs, 1)
                    loss = criterion(outputs, labels)
                    if phase == "train":
                        loss.backward()
                        optimizer_conv.step()
                running_loss += loss.item() * inputs.size(0)
                running_corrects += torch.sum(preds == labels.data)
            if phase == "train":
                exp_lr_scheduler.step()
            epoch_loss = running_loss / dataset_sizes[phase]
            epoch_acc = running_corrects.double() / dataset_sizes[phase]
            history.append([epoch_loss, epoch_acc.item()])
            if phase == "val" and epoch_acc > best_acc:
                best_acc = epoch_acc
                best_model_wts = copy.deepcopy(model_conv.state_dict())
    model_conv.load_state_dict(best_model_wts)
    frozen = [name for name, p in model_conv.named_parameters() if not p.requires_grad]
    return {"history": history, "best": float(best_acc), "fc": model_conv.fc.weight, "frozen": frozen,
            "running_mean": model_conv.bn1.running_mean, "lr": exp_lr_scheduler.get_last_lr(),
            "conv_grad_is_none": model_conv.conv1.weight.grad is None}


def char_rnn_classification(torch):
    """"Classifying Names with a Character-Level RNN": one-hot letter tensors filled by
    indexing, a hand-written RNN cell (cat of input and hidden, i2h, h2o, LogSoftmax),
    NLLLoss, the manual update p.data.add_(p.grad.data, alpha=-lr), topk and .item()."""
    nn = torch.nn
    all_letters = "abcdefghijklmnopqrstuvwxyz '"
    n_letters = len(all_letters)
    categories = ["English", "Italian", "Japanese"]
    names = {"English": ["smith", "brown"], "Italian": ["rossi", "bianchi"], "Japanese": ["sato", "ito"]}

    def letterToIndex(letter):
        return all_letters.find(letter)

    def lineToTensor(line):
        tensor = torch.zeros(len(line), 1, n_letters)
        for li, letter in enumerate(line):
            tensor[li][0][letterToIndex(letter)] = 1
        return tensor

    class RNN(nn.Module):
        def __init__(self, input_size, hidden_size, output_size):
            super(RNN, self).__init__()
            self.hidden_size = hidden_size
            self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
            self.h2o = nn.Linear(hidden_size, output_size)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, input, hidden):
            combined = torch.cat((input, hidden), 1)
            hidden = torch.tanh(self.i2h(combined))
            output = self.softmax(self.h2o(hidden))
            return output, hidden

        def initHidden(self):
            return torch.zeros(1, self.hidden_size)

    torch.set_default_dtype(torch.float64)
    rnn = load_weights(torch, RNN(n_letters, 8, len(categories)), seed=77)
    criterion = nn.NLLLoss()
    learning_rate = 0.05

    def categoryFromOutput(output):
        top_n, top_i = output.topk(1)
        category_i = top_i[0].item()
        return categories[category_i], category_i

    def train(category_tensor, line_tensor):
        hidden = rnn.initHidden()
        rnn.zero_grad()
        for i in range(line_tensor.size()[0]):
            output, hidden = rnn(line_tensor[i], hidden)
        loss = criterion(output, category_tensor)
        loss.backward()
        for p in rnn.parameters():
            p.data.add_(p.grad.data, alpha=-learning_rate)
        return output, loss.item()

    losses, guesses = [], []
    for it in range(3):
        for category in categories:
            for line in names[category]:
                category_tensor = torch.tensor([categories.index(category)], dtype=torch.long)
                output, loss = train(category_tensor, lineToTensor(line))
                losses.append(loss)
                guesses.append(categoryFromOutput(output)[0])
    return {"losses": losses, "guesses": guesses, "one_hot": lineToTensor("ab'"), "i2h": rnn.i2h.weight}


def text_classification(torch):
    """"Text classification with the torchtext library" without torchtext: a collate_batch
    that builds offsets with cumsum, nn.EmbeddingBag(sparse=False) + Linear, init_weights
    with uniform_ and zero_, SGD with clip_grad_norm_(…, 0.1), StepLR(1.0, gamma=0.1), and
    accuracy as (predicted_label.argmax(1) == label).sum().item()."""
    nn = torch.nn
    DataLoader = torch.utils.data.DataLoader

    class TextClassificationModel(nn.Module):
        def __init__(self, vocab_size, embed_dim, num_class):
            super(TextClassificationModel, self).__init__()
            self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
            self.fc = nn.Linear(embed_dim, num_class)
            self.init_weights()

        def init_weights(self):
            initrange = 0.5
            self.embedding.weight.data.uniform_(-initrange, initrange)
            self.fc.weight.data.uniform_(-initrange, initrange)
            self.fc.bias.data.zero_()

        def forward(self, text, offsets):
            embedded = self.embedding(text, offsets)
            return self.fc(embedded)

    rng = np.random.default_rng(78)
    dataset = [(int(rng.integers(1, 4)), [int(t) for t in rng.integers(0, 12, int(rng.integers(2, 6)))])
               for _ in range(12)]

    def collate_batch(batch):
        label_list, text_list, offsets = [], [], [0]
        for _label, _text in batch:
            label_list.append(_label - 1)
            processed_text = torch.tensor(_text, dtype=torch.int64)
            text_list.append(processed_text)
            offsets.append(processed_text.size(0))
        label_list = torch.tensor(label_list, dtype=torch.int64)
        offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
        text_list = torch.cat(text_list)
        return label_list, text_list, offsets

    model = load_weights(torch, TextClassificationModel(12, 6, 3), seed=79)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
    dataloader = DataLoader(dataset, batch_size=4, shuffle=False, collate_fn=collate_batch)
    log = []
    for epoch in range(2):
        model.train()
        total_acc, total_count = 0, 0
        for idx, (label, text, offsets) in enumerate(dataloader):
            optimizer.zero_grad()
            predicted_label = model(text, offsets)
            loss = criterion(predicted_label, label)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
            total_acc += (predicted_label.argmax(1) == label).sum().item()
            total_count += label.size(0)
            log.append(loss.item())
        scheduler.step()
    # a float32 program: its losses go back as a float32 tensor, compared to 1e-5
    return {"log": torch.tensor(log), "acc": total_acc / total_count, "embedding": model.embedding.weight,
            "lr": scheduler.get_last_lr()}


def vae(torch):
    """pytorch/examples vae (small): fc1 → (fc21, fc22) → reparameterize → fc3 → fc4 with
    sigmoid, BCE(reduction='sum') + KLD, Adam; the noise of reparameterize comes from NumPy
    (torch.randn_like's numbers differ between the libraries), everything else as written."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim
    noise = np.random.default_rng(80).standard_normal((3, 4, 2))
    draws = iter(noise)

    class VAE(nn.Module):
        def __init__(self):
            super(VAE, self).__init__()
            self.fc1 = nn.Linear(16, 8)
            self.fc21 = nn.Linear(8, 2)
            self.fc22 = nn.Linear(8, 2)
            self.fc3 = nn.Linear(2, 8)
            self.fc4 = nn.Linear(8, 16)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu, logvar):
            std = torch.exp(0.5 * logvar)
            eps = torch.tensor(next(draws), dtype=std.dtype)
            return mu + eps * std

        def decode(self, z):
            h3 = F.relu(self.fc3(z))
            return torch.sigmoid(self.fc4(h3))

        def forward(self, x):
            mu, logvar = self.encode(x.view(-1, 16))
            z = self.reparameterize(mu, logvar)
            return self.decode(z), mu, logvar

    def loss_function(recon_x, x, mu, logvar):
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, 16), reduction="sum")
        KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE + KLD

    torch.set_default_dtype(torch.float64)
    model = load_weights(torch, VAE(), seed=81)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    data = torch.tensor(np.random.default_rng(82).random((3, 4, 1, 4, 4)))
    train_loss, losses = 0, []
    model.train()
    for batch_idx, x in enumerate(data):
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(x)
        loss = loss_function(recon_batch, x, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        losses.append(loss.item() / len(x))
    model.eval()
    with torch.no_grad():
        sample = model.decode(torch.tensor(np.linspace(-1, 1, 6).reshape(3, 2))).view(3, 1, 4, 4)
    return {"losses": losses, "train_loss": train_loss / 12, "sample": sample}


def forward_forward(torch):
    """pytorch/examples mnist_forward_forward (small): layers trained one at a time on
    positive and negative data, x / (x.norm(2, 1, keepdim=True) + 1e-4), the goodness
    h.pow(2).mean(1), the loss torch.log(1 + torch.exp(torch.cat([-g_pos + θ, g_neg − θ]))),
    and the label overlay x_[range(x.shape[0]), y] = x.max()."""
    nn = torch.nn

    class Layer(nn.Linear):
        def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
            super().__init__(in_features, out_features, bias, device, dtype)
            self.relu = torch.nn.ReLU()
            self.opt = torch.optim.Adam(self.parameters(), lr=0.03)
            self.threshold = 2.0
            self.num_epochs = 5

        def forward(self, x):
            x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
            return self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

        def train(self, x_pos, x_neg):
            losses = []
            for i in range(self.num_epochs):
                g_pos = self.forward(x_pos).pow(2).mean(1)
                g_neg = self.forward(x_neg).pow(2).mean(1)
                loss = torch.log(1 + torch.exp(torch.cat([
                    -g_pos + self.threshold,
                    g_neg - self.threshold]))).mean()
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
                losses.append(loss.item())
            return self.forward(x_pos).detach(), self.forward(x_neg).detach(), losses

    class Net(torch.nn.Module):
        def __init__(self, dims):
            super().__init__()
            self.layers = [Layer(dims[d], dims[d + 1]).double() for d in range(len(dims) - 1)]

        def predict(self, x):
            goodness_per_label = []
            for label in range(3):
                h = overlay_y_on_x(x, label)
                goodness = []
                for layer in self.layers:
                    h = layer(h)
                    goodness += [h.pow(2).mean(1)]
                goodness_per_label += [sum(goodness).unsqueeze(1)]
            goodness_per_label = torch.cat(goodness_per_label, 1)
            return goodness_per_label.argmax(1)

        def train(self, x_pos, x_neg):
            h_pos, h_neg, log = x_pos, x_neg, []
            for i, layer in enumerate(self.layers):
                h_pos, h_neg, losses = layer.train(h_pos, h_neg)
                log.append(losses)
            return log

    def overlay_y_on_x(x, y):
        x_ = x.clone()
        x_[:, :3] *= 0.0
        x_[range(x.shape[0]), y] = x.max()
        return x_

    net = Net([8, 6, 6])
    for seed, layer in enumerate(net.layers):
        load_weights(torch, layer, seed=83 + seed)
        layer.opt = torch.optim.Adam(layer.parameters(), lr=0.03)
    rng = np.random.default_rng(86)
    x = torch.tensor(rng.random((5, 8)))
    y = torch.tensor(rng.integers(0, 3, 5))
    x_pos = overlay_y_on_x(x, y)
    rnd = torch.tensor(rng.permutation(5))
    x_neg = overlay_y_on_x(x, y[rnd])
    log = net.train(x_pos, x_neg)
    error = 1.0 - net.predict(x).eq(y).float().mean().item()
    return {"log": log, "predicted": net.predict(x), "error": error, "x_neg": x_neg}


def char_rnn_generation(torch):
    """"Generating Names with a Character-Level RNN": a category one-hot concatenated with
    the letter and the hidden state, i2h / i2o / o2o with dropout and LogSoftmax, target
    letters made 2-D with unsqueeze_(-1), the loss summed step by step from loss = 0, the
    manual update p.data.add_(p.grad.data, alpha=-lr), and sampling by topk until EOS."""
    nn = torch.nn
    all_letters = "abcdefghijklmnopqrstuvwxyz"
    n_letters = len(all_letters) + 1  # + EOS
    categories = ["Italian", "Japanese"]
    names = {"Italian": ["rossi", "conti"], "Japanese": ["sato", "abe"]}

    class RNN(nn.Module):
        def __init__(self, input_size, hidden_size, output_size):
            super(RNN, self).__init__()
            self.hidden_size = hidden_size
            self.i2h = nn.Linear(len(categories) + input_size + hidden_size, hidden_size)
            self.i2o = nn.Linear(len(categories) + input_size + hidden_size, output_size)
            self.o2o = nn.Linear(hidden_size + output_size, output_size)
            self.dropout = nn.Dropout(0.1)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, category, input, hidden):
            input_combined = torch.cat((category, input, hidden), 1)
            hidden = self.i2h(input_combined)
            output = self.i2o(input_combined)
            output_combined = torch.cat((hidden, output), 1)
            output = self.o2o(output_combined)
            output = self.dropout(output)
            output = self.softmax(output)
            return output, hidden

        def initHidden(self):
            return torch.zeros(1, self.hidden_size)

    def categoryTensor(category):
        tensor = torch.zeros(1, len(categories))
        tensor[0][categories.index(category)] = 1
        return tensor

    def inputTensor(line):
        tensor = torch.zeros(len(line), 1, n_letters)
        for li in range(len(line)):
            tensor[li][0][all_letters.find(line[li])] = 1
        return tensor

    def targetTensor(line):
        letter_indexes = [all_letters.find(line[li]) for li in range(1, len(line))]
        letter_indexes.append(n_letters - 1)
        return torch.LongTensor(letter_indexes)

    torch.set_default_dtype(torch.float64)
    rnn = load_weights(torch, RNN(n_letters, 6, n_letters), seed=87)
    rnn.train()
    rnn.dropout.p = 0.0
    criterion = nn.NLLLoss()
    learning_rate = 0.05

    def train(category_tensor, input_line_tensor, target_line_tensor):
        target_line_tensor.unsqueeze_(-1)
        hidden = rnn.initHidden()
        rnn.zero_grad()
        loss = 0
        for i in range(input_line_tensor.size(0)):
            output, hidden = rnn(category_tensor, input_line_tensor[i], hidden)
            l = criterion(output, target_line_tensor[i])
            loss += l
        loss.backward()
        for p in rnn.parameters():
            p.data.add_(p.grad.data, alpha=-learning_rate)
        return output, loss.item() / input_line_tensor.size(0)

    losses = []
    for it in range(2):
        for category in categories:
            for line in names[category]:
                losses.append(train(categoryTensor(category), inputTensor(line), targetTensor(line))[1])

    def sample(category, start_letter="a", max_length=6):
        with torch.no_grad():
            category_tensor = categoryTensor(category)
            input = inputTensor(start_letter)
            hidden = rnn.initHidden()
            output_name = start_letter
            for i in range(max_length):
                output, hidden = rnn(category_tensor, input[0], hidden)
                topv, topi = output.topk(1)
                topi = topi[0][0]
                if topi == n_letters - 1:
                    break
                letter = all_letters[topi]
                output_name += letter
                input = inputTensor(letter)
            return output_name

    rnn.eval()
    return {"losses": losses, "samples": [sample(c, s) for c in categories for s in "rsa"],
            "target": targetTensor("abe").unsqueeze_(-1)}


PROGRAMS = {f.__name__: f for f in (dqn, neural_style_gatys, transfer_learning, char_rnn_classification,
                                    char_rnn_generation, text_classification, vae, forward_forward)}
