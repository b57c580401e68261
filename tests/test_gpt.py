"""The small GPT: the key/value cache changes nothing but the work (same logits, same
tokens, float64), the model equals the same network built from PyTorch layers, it
learns, and it rebuilds from its config."""

import numpy as np
import pytest

import glassnet as gn
from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.models import GPT, build_model, load_model
from glassnet.models._config import config_numbers

VOCAB, CONTEXT = 11, 8


def _model(seed=0, **kwargs):
    gn.manual_seed(seed)
    options = {"context_length": CONTEXT, "d_model": 8, "num_heads": 2, "num_layers": 2, **kwargs}
    return GPT(VOCAB, **options).double().eval()


def _tokens(shape, seed=1):
    return np.random.default_rng(seed).integers(0, VOCAB, shape)


def test_cached_steps_give_the_logits_of_a_full_recomputation():
    """Prefill a 3-token prompt, feed a 2-token chunk, then one token at a time: every
    row of logits equals the one the uncached model computes over the whole prefix."""
    model = _model()
    tokens = _tokens((2, CONTEXT))
    cache = model.new_cache(2)
    with gn.no_grad():
        pieces = [model(tokens[:, :3], cache), model(tokens[:, 3:5], cache)]
        pieces += [model(tokens[:, t:t + 1], cache) for t in range(5, CONTEXT)]
        full = model(tokens).numpy()
    assert cache.length == CONTEXT
    stepped = np.concatenate([p.numpy() for p in pieces], axis=1)
    np.testing.assert_allclose(stepped, full, rtol=1e-12, atol=1e-13)


def test_a_prefix_sees_nothing_after_it():
    model = _model()
    tokens = _tokens((2, CONTEXT))
    changed = tokens.copy()
    changed[:, 5:] = (changed[:, 5:] + 1) % VOCAB
    with gn.no_grad():
        a, b = model(tokens).numpy(), model(changed).numpy()
    np.testing.assert_array_equal(a[:, :5], b[:, :5])
    assert np.abs(a[:, 5:] - b[:, 5:]).max() > 1e-6


@pytest.mark.parametrize("options", [{"temperature": 0.0}, {"temperature": 1.0},
                                     {"temperature": 0.7, "top_k": 3}],
                         ids=["greedy", "sampled", "top_k"])
def test_generation_with_the_cache_equals_generation_without(options):
    """12 new tokens after 3: past the context of 8, so the window slides too."""
    model = _model()
    prompt = _tokens((3, 3))
    with_cache = model.generate(prompt, 12, use_cache=True, generator=np.random.default_rng(5),
                                **options).numpy()
    without = model.generate(prompt, 12, use_cache=False, generator=np.random.default_rng(5),
                             **options).numpy()
    np.testing.assert_array_equal(with_cache, without)
    assert with_cache.shape == (3, 15)
    np.testing.assert_array_equal(with_cache[:, :3], prompt)


def test_generation_logits_with_and_without_cache(monkeypatch):
    """The logits each step samples from, recorded on both paths, agree to float64."""
    from glassnet.models import _gpt

    seen = {True: [], False: []}
    original = _gpt._sample

    def recording(use_cache):
        def sample(logits, temperature, top_k, rng):
            seen[use_cache].append(np.array(logits))
            return original(logits, temperature, top_k, rng)

        return sample

    model = _model(seed=3)
    prompt = _tokens((2, 2))
    for use_cache in (True, False):
        monkeypatch.setattr(_gpt, "_sample", recording(use_cache))
        model.generate(prompt, 10, temperature=0.0, use_cache=use_cache)
    np.testing.assert_allclose(np.array(seen[True]), np.array(seen[False]), rtol=1e-12, atol=1e-13)


def test_top_k_one_is_greedy_and_generate_restores_training_mode():
    model = _model()
    model.train()
    prompt = _tokens((2, 2))
    greedy = model.generate(prompt, 5, temperature=0.0).numpy()
    np.testing.assert_array_equal(model.generate(prompt, 5, top_k=1).numpy(), greedy)
    assert model.training


def test_gpt_equals_the_same_network_of_pytorch_layers():
    torch = pytest.importorskip("torch")
    model = _model(num_layers=2).train()

    class TorchGPT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.tok_emb = torch.nn.Embedding(VOCAB, 8)
            self.pos_emb = torch.nn.Embedding(CONTEXT, 8)
            self.blocks = torch.nn.ModuleList([
                torch.nn.TransformerEncoderLayer(8, 2, 32, 0.0, activation="gelu", batch_first=True,
                                                 norm_first=True) for _ in range(2)])
            self.norm = torch.nn.LayerNorm(8)

        def forward(self, idx):
            t = idx.shape[1]
            x = self.tok_emb(idx) + self.pos_emb(torch.arange(t))
            mask = torch.nn.Transformer.generate_square_subsequent_mask(t, dtype=x.dtype)
            for block in self.blocks:
                x = block(x, src_mask=mask, is_causal=True)
            return self.norm(x) @ self.tok_emb.weight.T

    reference = TorchGPT().double()  # its head is tok_emb.weight: so is ours (no head parameter)
    assert list(reference.state_dict()) == list(model.state_dict())
    reference.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    tokens = _tokens((3, CONTEXT))
    out, out_t = model(tokens), reference(torch.tensor(tokens))
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(2).standard_normal(out.shape)
    (out * gn.tensor(w)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    grads_t = dict(reference.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads_t[name].grad.numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=name)


def test_a_tiny_gpt_learns_a_repeating_text():
    text = np.array([1, 2, 3, 4, 5] * 8)
    x = np.stack([text[i:i + CONTEXT] for i in range(20)])
    y = np.stack([text[i + 1:i + CONTEXT + 1] for i in range(20)])
    gn.manual_seed(0)
    model = GPT(VOCAB, CONTEXT, 16, 2, 1)
    opt = gn.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(60):
        loss = gn.nn.functional.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] > 2.0 and losses[-1] < 0.1
    np.testing.assert_array_equal(model.generate([[1, 2]], 6, temperature=0.0).numpy(),
                                  [[1, 2, 3, 4, 5, 1, 2, 3]])


def test_build_model_config_and_load_model(tmp_path):
    model = build_model("gpt", CONTEXT, VOCAB, hidden=(12, 12))
    assert (model.num_heads, model.num_layers, model.d_model) == (4, 2, 12)
    assert config_numbers(model.config) == sum(v.numpy().size for v in model.state_dict().values())
    gn.save(model, tmp_path / "gpt.safetensors")
    back = load_model(tmp_path / "gpt.safetensors")
    tokens = _tokens((2, 5))
    np.testing.assert_array_equal(back(tokens).numpy(), model.eval()(tokens).numpy())
    with pytest.raises(GlassnetValueError, match="share one width"):
        build_model("gpt", CONTEXT, VOCAB, hidden=(12, 8))


def test_errors_name_the_limit():
    model = _model()
    with pytest.raises(ShapeError, match="context_length is 8"):
        model(_tokens((1, 9)))
    with pytest.raises(ShapeError, match="integer token ids"):
        model(np.zeros((1, 3)))
    with pytest.raises(GlassnetValueError, match="temperature must be"):
        model.generate(_tokens((1, 2)), 1, temperature=-1)
