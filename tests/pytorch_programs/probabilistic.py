"""torch.distributions in the two programs that use it most: a REINFORCE policy gradient
(Categorical over a policy network's logits, log_prob × return, an entropy bonus) and a
VAE (Normal posterior, the reparameterisation trick, Bernoulli decoder, KL to the prior).

Draws differ between libraries (two generators), so the trajectories an agent learns
from are replayed from NumPy (as from a buffer) and the VAE's noise ε comes from NumPy;
what is drawn by ``sample``/``rsample`` is compared by shape, dtype, support and whether
it carries gradients.
"""

import numpy as np

from pytorch_programs._weights import load_weights


def reinforce_policy_gradient(torch):
    """Policy π(a|s) = Categorical(logits = net(s)); loss = −Σ log π(a|s)·G − β·H(π)."""
    torch.set_default_dtype(torch.float64)
    nn, Categorical = torch.nn, torch.distributions.Categorical
    policy = load_weights(torch, nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3)), seed=21)
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
    rng = np.random.default_rng(22)
    losses = []
    for _episode in range(6):
        states = torch.tensor(rng.standard_normal((10, 4)))
        actions = torch.tensor(rng.integers(0, 3, 10))
        rewards = rng.uniform(-1, 1, 10)
        returns, running = [], 0.0
        for r in reversed(rewards):
            running = r + 0.99 * running
            returns.insert(0, running)
        returns = torch.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + 1e-8)
        dist = Categorical(logits=policy(states))
        loss = -(dist.log_prob(actions) * returns).sum() - 0.01 * dist.entropy().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        dist = Categorical(logits=policy(torch.tensor(rng.standard_normal((5, 4)))))
        drawn = dist.sample()
        greedy = dist.probs.argmax(-1)
    return {"losses": losses, "state": dict(policy.state_dict()), "probs": dist.probs, "greedy": greedy,
            "drawn": [list(drawn.shape), str(drawn.dtype).replace("torch.", ""),
                      bool(((drawn >= 0) & (drawn < 3)).all())],
            "batch_shape": list(dist.batch_shape), "event_shape": list(dist.event_shape)}


def vae_elbo(torch):
    """Encoder → (μ, log σ²); z = μ + σ·ε; decoder logits → Bernoulli; loss = −ELBO =
    −log p(x|z) + KL(N(μ, σ²) ‖ N(0, 1)), trained with Adam."""
    torch.set_default_dtype(torch.float64)
    nn, D, F = torch.nn, torch.distributions, torch.nn.functional

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Linear(6, 8)
            self.mu, self.logvar = nn.Linear(8, 2), nn.Linear(8, 2)
            self.dec = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 6))

        def encode(self, x):
            h = F.relu(self.enc(x))
            return self.mu(h), self.logvar(h)

    model = load_weights(torch, VAE(), seed=23)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    rng = np.random.default_rng(24)
    x = torch.tensor((rng.uniform(size=(12, 6)) < 0.4).astype(np.float64))
    prior = D.Normal(torch.zeros(2), torch.ones(2))
    losses, kls = [], []
    for _step in range(8):
        mu, logvar = model.encode(x)
        std = torch.exp(0.5 * logvar)
        posterior = D.Normal(mu, std)
        z = mu + std * torch.tensor(rng.standard_normal((12, 2)))
        recon = D.Independent(D.Bernoulli(logits=model.dec(z)), 1).log_prob(x)
        kl = D.kl_divergence(posterior, prior).sum(-1)
        log_q = posterior.log_prob(z).sum(-1) - prior.log_prob(z).sum(-1)
        loss = (kl - recon).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        kls.append(log_q.mean().item())
    z = posterior.rsample((3,))
    return {"losses": losses, "log_q_minus_log_p": kls, "state": dict(model.state_dict()),
            "rsample": [list(z.shape), z.requires_grad, posterior.has_rsample],
            "entropy": posterior.entropy(), "stddev": posterior.stddev, "variance": posterior.variance}


PROGRAMS = {f.__name__: f for f in (reinforce_policy_gradient, vae_elbo)}
