"""Programs in the shape of the seq2seq translation tutorial (GRU encoder, attention
decoder), a siamese / metric-learning network and pytorch/examples' actor-critic."""

# ruff: noqa: B007, B905, UP008  (tutorial code as PyTorch users write it: super(Net, self), unused loop names, zip)

from collections import namedtuple

import numpy as np

from pytorch_programs._weights import load_weights

SOS_token, EOS_token, MAX_LENGTH = 0, 1, 5


def seq2seq_attention(torch):
    """"NLP From Scratch: Translation with a Sequence to Sequence Network and Attention":
    EncoderRNN (batch_first GRU), Bahdanau attention (bmm, softmax), an attention decoder
    fed by teacher forcing or by its own topk guess (.squeeze(-1).detach()), NLLLoss; then the
    older one-step decoder with attn_combine and greedy decoding until EOS (.item())."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    class EncoderRNN(nn.Module):
        def __init__(self, input_size, hidden_size, dropout_p=0.1):
            super(EncoderRNN, self).__init__()
            self.hidden_size = hidden_size
            self.embedding = nn.Embedding(input_size, hidden_size)
            self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, input):
            embedded = self.dropout(self.embedding(input))
            output, hidden = self.gru(embedded)
            return output, hidden

    class BahdanauAttention(nn.Module):
        def __init__(self, hidden_size):
            super(BahdanauAttention, self).__init__()
            self.Wa = nn.Linear(hidden_size, hidden_size)
            self.Ua = nn.Linear(hidden_size, hidden_size)
            self.Va = nn.Linear(hidden_size, 1)

        def forward(self, query, keys):
            scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
            scores = scores.squeeze(2).unsqueeze(1)
            weights = F.softmax(scores, dim=-1)
            context = torch.bmm(weights, keys)
            return context, weights

    class AttnDecoderRNN(nn.Module):
        def __init__(self, hidden_size, output_size, dropout_p=0.1):
            super(AttnDecoderRNN, self).__init__()
            self.embedding = nn.Embedding(output_size, hidden_size)
            self.attention = BahdanauAttention(hidden_size)
            self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
            self.out = nn.Linear(hidden_size, output_size)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
            batch_size = encoder_outputs.size(0)
            decoder_input = torch.empty(batch_size, 1, dtype=torch.long).fill_(SOS_token)
            decoder_hidden = encoder_hidden
            decoder_outputs, attentions = [], []
            for i in range(MAX_LENGTH):
                decoder_output, decoder_hidden, attn_weights = self.forward_step(
                    decoder_input, decoder_hidden, encoder_outputs)
                decoder_outputs.append(decoder_output)
                attentions.append(attn_weights)
                if target_tensor is not None:
                    decoder_input = target_tensor[:, i].unsqueeze(1)
                else:
                    _, topi = decoder_output.topk(1)
                    decoder_input = topi.squeeze(-1).detach()
            decoder_outputs = torch.cat(decoder_outputs, dim=1)
            decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
            attentions = torch.cat(attentions, dim=1)
            return decoder_outputs, decoder_hidden, attentions

        def forward_step(self, input, hidden, encoder_outputs):
            embedded = self.dropout(self.embedding(input))
            query = hidden.permute(1, 0, 2)
            context, attn_weights = self.attention(query, encoder_outputs)
            input_gru = torch.cat((embedded, context), dim=2)
            output, hidden = self.gru(input_gru, hidden)
            output = self.out(output)
            return output, hidden, attn_weights

    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(50)
    input_tensor = torch.tensor(rng.integers(2, 7, (3, MAX_LENGTH)))
    target_tensor = torch.tensor(rng.integers(2, 8, (3, MAX_LENGTH)))
    target_tensor[:, -1] = EOS_token
    encoder = load_weights(torch, EncoderRNN(7, 6, dropout_p=0.0), seed=51)
    decoder = load_weights(torch, AttnDecoderRNN(6, 8, dropout_p=0.0), seed=52)
    encoder_optimizer = optim.SGD(encoder.parameters(), lr=0.1)
    decoder_optimizer = optim.SGD(decoder.parameters(), lr=0.1)
    criterion = nn.NLLLoss()
    losses = []
    for epoch in range(3):
        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()
        encoder_outputs, encoder_hidden = encoder(input_tensor)
        teacher = target_tensor if epoch != 1 else None
        decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, teacher)
        loss = criterion(decoder_outputs.view(-1, decoder_outputs.size(-1)), target_tensor.view(-1))
        loss.backward()
        encoder_optimizer.step()
        decoder_optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        encoder_outputs, encoder_hidden = encoder(input_tensor[:1])
        decoder_outputs, decoder_hidden, attentions = decoder(encoder_outputs, encoder_hidden)
        _, topi = decoder_outputs.topk(1)
        decoded_ids = topi.squeeze()
    decoded_words = []
    for idx in decoded_ids:
        if idx.item() == EOS_token:
            decoded_words.append("<EOS>")
            break
        decoded_words.append(f"w{idx.item()}")

    class OldAttnDecoderRNN(nn.Module):
        def __init__(self, hidden_size, output_size, dropout_p=0.1, max_length=MAX_LENGTH):
            super(OldAttnDecoderRNN, self).__init__()
            self.hidden_size, self.max_length = hidden_size, max_length
            self.embedding = nn.Embedding(output_size, hidden_size)
            self.attn = nn.Linear(hidden_size * 2, max_length)
            self.attn_combine = nn.Linear(hidden_size * 2, hidden_size)
            self.dropout = nn.Dropout(dropout_p)
            self.gru = nn.GRU(hidden_size, hidden_size)
            self.out = nn.Linear(hidden_size, output_size)

        def forward(self, input, hidden, encoder_outputs):
            embedded = self.embedding(input).view(1, 1, -1)
            embedded = self.dropout(embedded)
            attn_weights = F.softmax(self.attn(torch.cat((embedded[0], hidden[0]), 1)), dim=1)
            attn_applied = torch.bmm(attn_weights.unsqueeze(0), encoder_outputs.unsqueeze(0))
            output = torch.cat((embedded[0], attn_applied[0]), 1)
            output = self.attn_combine(output).unsqueeze(0)
            output = F.relu(output)
            output, hidden = self.gru(output, hidden)
            output = F.log_softmax(self.out(output[0]), dim=1)
            return output, hidden, attn_weights

    old = load_weights(torch, OldAttnDecoderRNN(6, 8, dropout_p=0.0), seed=53)
    encoder_outputs = torch.zeros(MAX_LENGTH, 6)
    encoder_outputs[:3] = encoder(input_tensor[:1])[0][0, :3].detach()
    decoder_input = torch.tensor([[SOS_token]])
    decoder_hidden = torch.zeros(1, 1, 6)
    greedy, loss = [], 0
    for di in range(MAX_LENGTH):
        decoder_output, decoder_hidden, decoder_attention = old(decoder_input, decoder_hidden,
                                                                encoder_outputs)
        topv, topi = decoder_output.topk(1)
        decoder_input = topi.squeeze().detach()
        loss += criterion(decoder_output, target_tensor[0, di].view(1))
        greedy.append(decoder_input.item())
        if decoder_input.item() == EOS_token:
            break
    loss.backward()
    return {"losses": losses, "decoded": decoded_words, "attentions": attentions, "greedy": greedy,
            "old_loss": loss, "old_attn_grad": old.attn.weight.grad, "hidden": decoder_hidden}


def siamese_contrastive(torch):
    """A siamese network (shared tower, forward_once) trained with a contrastive loss on
    F.pairwise_distance, then TripletMarginLoss, MarginRankingLoss, CosineEmbeddingLoss and
    F.cosine_similarity on the embeddings; the pytorch/examples variant with BCELoss."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    class SiameseNetwork(nn.Module):
        def __init__(self):
            super(SiameseNetwork, self).__init__()
            self.cnn1 = nn.Sequential(nn.Conv2d(1, 3, kernel_size=3), nn.ReLU(inplace=True),
                                      nn.BatchNorm2d(3), nn.MaxPool2d(2))
            self.fc1 = nn.Sequential(nn.Linear(3 * 3 * 3, 10), nn.ReLU(inplace=True), nn.Linear(10, 4))

        def forward_once(self, x):
            output = self.cnn1(x)
            output = output.view(output.size()[0], -1)
            return self.fc1(output)

        def forward(self, input1, input2):
            return self.forward_once(input1), self.forward_once(input2)

    class ContrastiveLoss(torch.nn.Module):
        def __init__(self, margin=2.0):
            super(ContrastiveLoss, self).__init__()
            self.margin = margin

        def forward(self, output1, output2, label):
            euclidean_distance = F.pairwise_distance(output1, output2, keepdim=True)
            return torch.mean((1 - label) * torch.pow(euclidean_distance, 2)
                              + label * torch.pow(torch.clamp(self.margin - euclidean_distance, min=0.0), 2))

    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(54)
    net = load_weights(torch, SiameseNetwork(), seed=55)
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
    criterion = ContrastiveLoss()
    # SGD, not Adam: Adam divides by √v, and for BatchNorm's β here, whose gradient is a near-cancelling
    # sum, that turns last-bit differences in the sum's order into 1e-9 differences in the step.
    optimizer = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    first = torch.tensor(rng.standard_normal((3, 4, 1, 8, 8)))
    second = torch.tensor(rng.standard_normal((3, 4, 1, 8, 8)))
    labels = torch.tensor(rng.integers(0, 2, (3, 4, 1)).astype(np.float64))
    contrastive = []
    for img0, img1, label in zip(first, second, labels):
        optimizer.zero_grad()
        output1, output2 = net(img0, img1)
        loss_contrastive = criterion(output1, output2, label)
        loss_contrastive.backward()
        optimizer.step()
        contrastive.append(loss_contrastive.item())

    net.eval()
    anchor, positive = net(first[0], second[0])
    negative = net.forward_once(second[1])
    triplet = nn.TripletMarginLoss(margin=1.0, p=2)(anchor, positive, negative)
    triplet_l1 = nn.TripletMarginLoss(margin=0.5, p=1, swap=True, reduction="sum")(anchor, positive, negative)
    triplet_f = F.triplet_margin_loss(anchor, positive, negative, margin=2.0)
    d_pos, d_neg = F.pairwise_distance(anchor, positive), F.pairwise_distance(anchor, negative, p=1.0)
    target = torch.tensor([1.0, -1.0, 1.0, -1.0])
    ranking = nn.MarginRankingLoss(margin=0.2)(d_neg, d_pos, target)
    cos = F.cosine_similarity(anchor, positive)
    cos_module = nn.CosineSimilarity(dim=1, eps=1e-6)(anchor, negative)
    cos_embed = nn.CosineEmbeddingLoss(margin=0.1)(anchor, positive, target)
    pdist = nn.PairwiseDistance(p=2.0, eps=1e-6, keepdim=False)(anchor, negative)
    total = triplet + triplet_l1 + triplet_f + ranking + cos_embed + cos.sum() + pdist.sum()
    optimizer.zero_grad()
    total.backward()

    head = nn.Sequential(nn.Linear(8, 4), nn.ReLU(inplace=True), nn.Linear(4, 1))
    load_weights(torch, head, seed=56)
    sigmoid = nn.Sigmoid()
    combined = torch.cat((anchor, positive), 1).detach()
    bce = nn.BCELoss()(sigmoid(head(combined)).view(-1), (target > 0).float().to(torch.float64))
    bce.backward()
    return {"contrastive": contrastive, "triplet": [triplet, triplet_l1, triplet_f], "ranking": ranking,
            "cos": cos, "cos_module": cos_module, "cos_embed": cos_embed, "pdist": pdist,
            "grad": net.fc1[2].weight.grad, "bce": bce, "head_grad": head[0].weight.grad}


def actor_critic(torch):
    """pytorch/examples reinforcement_learning/actor_critic on a tiny deterministic
    environment: a two-headed policy, Categorical(probs).log_prob of the taken actions,
    returns normalised with std + eps, smooth_l1_loss for the critic, torch.stack(...).sum();
    then REINFORCE's torch.cat(policy_loss).sum() and the entropy bonus."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim
    Categorical = torch.distributions.Categorical
    SavedAction = namedtuple("SavedAction", ["log_prob", "value"])

    class Policy(nn.Module):
        def __init__(self):
            super(Policy, self).__init__()
            self.affine1 = nn.Linear(4, 16)
            self.action_head = nn.Linear(16, 2)
            self.value_head = nn.Linear(16, 1)
            self.saved_actions = []
            self.rewards = []

        def forward(self, x):
            x = F.relu(self.affine1(x))
            action_prob = F.softmax(self.action_head(x), dim=-1)
            state_values = self.value_head(x)
            return action_prob, state_values

    class Walk:
        """A deterministic 4-d state; the action pushes it; reward 1 while it stays small."""

        def reset(self):
            self.state = np.array([0.1, -0.2, 0.05, 0.0])
            return self.state.astype(np.float32)

        def step(self, action):
            push = 0.3 if action == 1 else -0.3
            self.state = 0.9 * self.state + push * np.array([1.0, 0.5, -0.5, 0.25])
            done = bool(np.abs(self.state).max() > 0.8)
            return self.state.astype(np.float32), 1.0, done

    model = load_weights(torch, Policy(), seed=57)
    optimizer = optim.Adam(model.parameters(), lr=3e-2)
    eps = np.finfo(np.float32).eps.item()
    gamma = 0.99
    scripted = [1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]

    def select_action(state, t):
        state = torch.from_numpy(state).float()
        probs, state_value = model(state)
        m = Categorical(probs)
        action = torch.tensor(scripted[t % len(scripted)])
        model.saved_actions.append(SavedAction(m.log_prob(action), state_value))
        return action.item(), m.entropy()

    def finish_episode():
        R = 0
        saved_actions = model.saved_actions
        policy_losses, value_losses = [], []
        returns = []
        for r in model.rewards[::-1]:
            R = r + gamma * R
            returns.insert(0, R)
        returns = torch.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        for (log_prob, value), R in zip(saved_actions, returns):
            advantage = R - value.item()
            policy_losses.append(-log_prob * advantage)
            value_losses.append(F.smooth_l1_loss(value, torch.tensor([R])))
        optimizer.zero_grad()
        loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
        loss.backward()
        optimizer.step()
        del model.rewards[:]
        del model.saved_actions[:]
        return loss.item()

    env = Walk()
    running_reward, episodes = 10, []
    for i_episode in range(3):
        state, ep_reward = env.reset(), 0
        for t in range(1, 12):
            action, _ = select_action(state, t + i_episode)
            state, reward, done = env.step(action)
            model.rewards.append(reward)
            ep_reward += reward
            if done:
                break
        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        episodes.append([finish_episode(), ep_reward, running_reward])

    policy_loss, entropies = [], []
    state = env.reset()
    for t in range(4):
        probs, _ = model(torch.from_numpy(state).float())
        m = Categorical(probs)
        action = torch.tensor(scripted[t])
        policy_loss.append((-m.log_prob(action) * (1.0 - 0.1 * t)).unsqueeze(0))
        entropies.append(m.entropy())
        state, _, _ = env.step(action.item())
    reinforce = torch.cat(policy_loss).sum() - 0.01 * torch.stack(entropies).mean()
    optimizer.zero_grad()
    reinforce.backward()
    huber = torch.stack([F.smooth_l1_loss(torch.tensor([0.3, -2.0]), torch.tensor([0.0, 0.0]), beta=b)
                         for b in (1.0, 0.5, 0.0)])
    loss_module = nn.SmoothL1Loss(reduction="sum", beta=0.7)(torch.tensor([0.3, -2.0]),
                                                             torch.tensor([0.5, 0.0]))
    # float32 numbers (the policy runs on .float() states) go back as float32 tensors, compared to 1e-5
    return {"episodes": torch.tensor(episodes), "reinforce": reinforce, "grad": model.affine1.weight.grad,
            "weights": dict(model.state_dict()), "huber": huber, "loss_module": loss_module}


def custom_parameters_and_losses(torch):
    """A model with its own nn.ParameterList / ParameterDict (a mixture-density-style head),
    nn.Unflatten and Softmax2d, a forward pre-hook that rescales the input, trained with
    GaussianNLLLoss; then HingeEmbeddingLoss, SoftMarginLoss, MultiLabelSoftMarginLoss,
    PoissonNLLLoss and KLDivLoss(batchmean) on its outputs."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    class MixtureHead(nn.Module):
        def __init__(self, n_in, n_out, n_layers=2):
            super(MixtureHead, self).__init__()
            self.weights = nn.ParameterList([nn.Parameter(torch.zeros(n_in, n_in)) for _ in range(n_layers)])
            self.heads = nn.ParameterDict({"mean": nn.Parameter(torch.zeros(n_in, n_out)),
                                           "log_var": nn.Parameter(torch.zeros(n_in, n_out))})
            self.to_map = nn.Sequential(nn.Linear(n_in, 2 * 2 * 3), nn.Unflatten(1, (3, 2, 2)),
                                        nn.Softmax2d())

        def forward(self, x):
            for w in self.weights:
                x = torch.tanh(x @ w)
            return x @ self.heads["mean"], (x @ self.heads["log_var"]).exp(), self.to_map(x)

    torch.set_default_dtype(torch.float64)
    model = load_weights(torch, MixtureHead(4, 2), seed=60)
    scales = []
    handle = model.register_forward_pre_hook(lambda module, args: (args[0] * 0.5,))
    model.register_forward_pre_hook(lambda module, args: scales.append(float(args[0].abs().max())))
    rng = np.random.default_rng(61)
    x, y = torch.tensor(rng.standard_normal((6, 4))), torch.tensor(rng.standard_normal((6, 2)))
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    criterion = nn.GaussianNLLLoss()
    losses = []
    for step in range(4):
        optimizer.zero_grad()
        mean, var, _ = model(x)
        loss = criterion(mean, y, var)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    handle.remove()
    mean, var, maps = model(x)
    signs = torch.tensor([1.0, -1.0, 1.0, -1.0, -1.0, 1.0])
    labels = (torch.tensor(rng.random((6, 2))) > 0.5).double()
    extra = {
        "gaussian_full": F.gaussian_nll_loss(mean, y, var[:, 0], full=True, reduction="sum"),
        "hinge": nn.HingeEmbeddingLoss(margin=0.5)(mean[:, 0].abs(), signs),
        "soft_margin": nn.SoftMarginLoss()(mean[:, 1], signs),
        "multilabel": nn.MultiLabelSoftMarginLoss(weight=torch.tensor([1.0, 2.0]))(mean, labels),
        "poisson": nn.PoissonNLLLoss()(mean, labels * 3),
        "poisson_full": F.poisson_nll_loss(var, labels * 3, log_input=False, full=True),
        "kl": nn.KLDivLoss(reduction="batchmean")(F.log_softmax(mean, dim=1), F.softmax(y, dim=1)),
    }
    total = sum(extra.values())
    total.backward()
    return {"losses": losses, "scales": scales, "maps": maps, "map_sums": maps.sum(1),
            "n_params": len(list(model.parameters())), "keys": sorted(model.state_dict()),
            "extra": extra, "grad": model.weights[0].grad, "heads": list(model.heads.keys())}


PROGRAMS = {f.__name__: f for f in (seq2seq_attention, siamese_contrastive, actor_critic,
                                    custom_parameters_and_losses)}
