"""Sequence models: the LSTM part-of-speech tagger and the n-gram language model of the
NLP tutorials, and a character-level GRU language model that samples with multinomial."""

# ruff: noqa: B007, UP008  (tutorial code as PyTorch users write it: super(Net, self), unused loop names)

import numpy as np

from pytorch_programs._weights import load_weights


def lstm_tagger(torch):
    """"Sequence Models and LSTM Networks": tag each word with an LSTM over embeddings."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    def prepare_sequence(seq, to_ix):
        idxs = [to_ix[w] for w in seq]
        return torch.tensor(idxs, dtype=torch.long)

    training_data = [
        ("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
        ("Everybody read that book".split(), ["NN", "V", "DET", "NN"]),
    ]
    word_to_ix = {}
    for sent, tags in training_data:
        for word in sent:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)
    tag_to_ix = {"DET": 0, "NN": 1, "V": 2}

    class LSTMTagger(nn.Module):
        def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
            super(LSTMTagger, self).__init__()
            self.hidden_dim = hidden_dim
            self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
            self.lstm = nn.LSTM(embedding_dim, hidden_dim)
            self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

        def forward(self, sentence):
            embeds = self.word_embeddings(sentence)
            lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
            tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
            tag_scores = F.log_softmax(tag_space, dim=1)
            return tag_scores

    torch.set_default_dtype(torch.float64)
    model = load_weights(torch, LSTMTagger(6, 6, len(word_to_ix), len(tag_to_ix)), seed=11)
    loss_function = nn.NLLLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    with torch.no_grad():
        before = model(prepare_sequence(training_data[0][0], word_to_ix))
    losses = []
    for epoch in range(30):
        for sentence, tags in training_data:
            model.zero_grad()
            sentence_in = prepare_sequence(sentence, word_to_ix)
            targets = prepare_sequence(tags, tag_to_ix)
            tag_scores = model(sentence_in)
            loss = loss_function(tag_scores, targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with torch.no_grad():
        after = model(prepare_sequence(training_data[0][0], word_to_ix))
    return {"before": before, "after": after, "losses": losses[::6], "tags": after.argmax(dim=1).tolist()}


def ngram_language_model(torch):
    """"Word Embeddings": an n-gram language model (context of two words), NLLLoss and SGD."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim
    CONTEXT_SIZE, EMBEDDING_DIM = 2, 5
    test_sentence = """When forty winters shall besiege thy brow,
    And dig deep trenches in thy beauty's field,
    Thy youth's proud livery so gazed on now,
    Will be a totter'd weed of small worth held""".split()
    ngrams = [([test_sentence[i - j - 1] for j in range(CONTEXT_SIZE)], test_sentence[i])
              for i in range(CONTEXT_SIZE, len(test_sentence))]
    vocab = sorted(set(test_sentence))
    word_to_ix = {word: i for i, word in enumerate(vocab)}

    class NGramLanguageModeler(nn.Module):
        def __init__(self, vocab_size, embedding_dim, context_size):
            super(NGramLanguageModeler, self).__init__()
            self.embeddings = nn.Embedding(vocab_size, embedding_dim)
            self.linear1 = nn.Linear(context_size * embedding_dim, 16)
            self.linear2 = nn.Linear(16, vocab_size)

        def forward(self, inputs):
            embeds = self.embeddings(inputs).view((1, -1))
            out = F.relu(self.linear1(embeds))
            out = self.linear2(out)
            log_probs = F.log_softmax(out, dim=1)
            return log_probs

    torch.set_default_dtype(torch.float64)
    losses = []
    loss_function = nn.NLLLoss()
    model = load_weights(torch, NGramLanguageModeler(len(vocab), EMBEDDING_DIM, CONTEXT_SIZE), seed=12)
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    for epoch in range(4):
        total_loss = 0
        for context, target in ngrams:
            context_idxs = torch.tensor([word_to_ix[w] for w in context], dtype=torch.long)
            model.zero_grad()
            log_probs = model(context_idxs)
            loss = loss_function(log_probs, torch.tensor([word_to_ix[target]], dtype=torch.long))
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
        losses.append(total_loss)
    return {"losses": losses, "beauty": model.embeddings.weight[word_to_ix["beauty's"]]}


def char_language_model(torch):
    """A character-level GRU language model: embeddings, a two-layer GRU, cross-entropy,
    Adam, gradient clipping; then greedy decoding and sampling with ``torch.multinomial``."""
    nn, F = torch.nn, torch.nn.functional
    text = "hello glass, hello world. the glass shows every sum. " * 3
    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)

    class CharRNN(nn.Module):
        def __init__(self, vocab_size, embed_dim, hidden_size):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, embed_dim)
            self.rnn = nn.GRU(embed_dim, hidden_size, num_layers=2, batch_first=True)
            self.head = nn.Linear(hidden_size, vocab_size)

        def forward(self, idx, hidden=None):
            out, hidden = self.rnn(self.embed(idx), hidden)
            return self.head(out), hidden

    torch.set_default_dtype(torch.float64)
    model = load_weights(torch, CharRNN(len(chars), 8, 12), seed=13, scale=0.3)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    rng = np.random.default_rng(14)
    seq_len, losses = 10, []
    for step in range(25):
        starts = rng.integers(0, len(data) - seq_len - 1, size=4).tolist()
        x = torch.stack([data[i:i + seq_len] for i in starts])
        y = torch.stack([data[i + 1:i + seq_len + 1] for i in starts])
        logits, _ = model(x)
        loss = F.cross_entropy(logits.view(-1, len(chars)), y.view(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        losses.append(loss.item())
    model.eval()

    def generate(start, steps, sample, generator=None, temperature=0.8):
        idx, hidden, out, probs_seen = torch.tensor([[stoi[start]]]), None, [], []
        with torch.no_grad():
            for _ in range(steps):
                logits, hidden = model(idx, hidden)
                probs = F.softmax(logits[:, -1, :] / temperature, dim=-1)
                probs_seen.append(probs)
                nxt = torch.multinomial(probs, num_samples=1, generator=generator) if sample \
                    else probs.argmax(dim=-1, keepdim=True)
                out.append(int(nxt.item()))
                idx = nxt
        return out, probs_seen

    greedy, greedy_probs = generate("h", 15, sample=False)
    first, _ = generate("t", 20, sample=True, generator=torch.Generator().manual_seed(5))
    again, _ = generate("t", 20, sample=True, generator=torch.Generator().manual_seed(5))
    counts = torch.bincount(torch.multinomial(torch.tensor([0.0, 0.2, 0.8]), 2000, replacement=True),
                            minlength=3)
    no_repeat = torch.multinomial(torch.tensor([[0.1, 0.2, 0.3, 0.4]]), 4, replacement=False)
    return {"losses": losses[::4], "greedy": "".join(chars[i] for i in greedy),
            "greedy_probs": torch.cat(greedy_probs), "sampled_valid": all(0 <= i < len(chars) for i in first),
            "sample_repeats": first == again, "never_zero": int(counts[0]),
            "frequency_close": abs(counts[2].item() / 2000 - 0.8) < 0.05,
            "without_replacement": sorted(no_repeat[0].tolist()), "sample_shape": list(no_repeat.shape)}


PROGRAMS = {f.__name__: f for f in (lstm_tagger, ngram_language_model, char_language_model)}
