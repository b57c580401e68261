"""torch.distributions in the programs that use it most: a REINFORCE policy gradient
(Categorical over a policy network's logits, log_prob × return, an entropy bonus), a
VAE (Normal posterior, the reparameterisation trick, Bernoulli decoder, KL to the prior),
a Pyro-style variational fit of unconstrained parameters through ``biject_to``, and SAC's
tanh-squashed Gaussian policy (``TanhTransform(cache_size=1)``).

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


def variational_fit_through_biject_to(torch):
    """q(θ) = Gamma(α, β) × Dirichlet(c) with α, β, c = biject_to(support)(u) for free u;
    maximise a Monte-Carlo ELBO of a Poisson–Categorical model with Adam (noise from NumPy)."""
    torch.set_default_dtype(torch.float64)
    D = torch.distributions
    biject_to = torch.distributions.biject_to
    rng = np.random.default_rng(25)
    counts = torch.tensor(rng.poisson(3.0, 20).astype(np.float64))
    labels = torch.tensor(rng.integers(0, 3, 20))
    u_rate = torch.zeros(2, requires_grad=True)
    u_conc = torch.zeros(2, requires_grad=True)
    optimizer = torch.optim.Adam([u_rate, u_conc], lr=0.05)
    to_positive = biject_to(D.Gamma.arg_constraints["concentration"])
    to_simplex = biject_to(D.Dirichlet(torch.ones(3)).support)
    losses = []
    for _step in range(15):
        alpha_beta = to_positive(u_rate)
        conc = to_positive(to_simplex(u_conc) * 3)
        q_rate, q_probs = D.Gamma(alpha_beta[0], alpha_beta[1]), D.Dirichlet(conc)
        rate = q_rate.mean + q_rate.stddev * float(rng.standard_normal())
        probs = q_probs.mean
        log_lik = D.Poisson(rate.clamp(min=1e-3)).log_prob(counts).sum() + \
            D.Categorical(probs=probs).log_prob(labels).sum()
        kl = D.kl_divergence(q_rate, D.Gamma(torch.tensor(2.0), torch.tensor(1.0))) + \
            D.kl_divergence(q_probs, D.Dirichlet(torch.ones(3)))
        loss = kl - log_lik
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    stick = to_simplex(u_conc)
    return {"losses": losses, "u_rate": u_rate, "u_conc": u_conc, "stick": stick,
            "ladj": to_simplex.log_abs_det_jacobian(u_conc, stick), "inverse": to_simplex.inv(stick),
            "transforms": [type(to_positive).__name__, type(to_simplex).__name__]}


def sac_squashed_gaussian(torch):
    """SAC's actor: a = tanh(μ + σ·ε) via TransformedDistribution(Normal, [TanhTransform(cache_size=1)]),
    log π(a|s) from the cached pre-tanh value, loss = E[α·log π − Q(s, a)] with a fixed Q."""
    torch.set_default_dtype(torch.float64)
    nn, D = torch.nn, torch.distributions
    actor = load_weights(torch, nn.Linear(3, 4), seed=26)
    critic = load_weights(torch, nn.Linear(5, 1), seed=27)
    optimizer = torch.optim.Adam(actor.parameters(), lr=1e-2)
    rng = np.random.default_rng(28)
    losses, log_probs = [], []
    for _step in range(6):
        states = torch.tensor(rng.standard_normal((8, 3)))
        mu, log_std = actor(states).chunk(2, dim=-1)
        std = log_std.clamp(-5, 2).exp()
        policy = D.TransformedDistribution(D.Normal(mu, std), [D.transforms.TanhTransform(cache_size=1)])
        pre_tanh = mu + std * torch.tensor(rng.standard_normal((8, 2)))
        action = policy.transforms[0](pre_tanh)
        log_pi = policy.log_prob(action).sum(-1)
        loss = (0.2 * log_pi - critic(torch.cat([states, action], -1)).squeeze(-1)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        log_probs.append(log_pi.detach())
    return {"losses": losses, "log_probs": log_probs, "state": dict(actor.state_dict())}


PROGRAMS = {f.__name__: f for f in (reinforce_policy_gradient, vae_elbo, variational_fit_through_biject_to,
                                    sac_squashed_gaussian)}
