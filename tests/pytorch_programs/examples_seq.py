"""Programs in the shape of the translation tutorial with nn.Transformer, the chatbot
tutorial (bidirectional GRU over packed sequences, Luong attention, masked NLL), a
nanoGPT-style model, the CIFAR-10 classifier tutorial (with its save / load of the state
dict), and a skip-gram word2vec with negative sampling."""

# ruff: noqa: B007, B905, UP008  (tutorial code as PyTorch users write it: super(Net, self), unused loop names, zip)

import inspect
import itertools
import math
import os
import tempfile
import warnings
from dataclasses import dataclass

import numpy as np

from pytorch_programs._weights import load_weights

PAD_IDX, BOS_IDX, EOS_IDX = 1, 2, 3


def transformer_translation(torch):
    """"Language Translation with nn.Transformer": TokenEmbedding (× √d), PositionalEncoding
    with a (maxlen, 1, E) buffer, Seq2SeqTransformer over nn.Transformer with encode/decode,
    pad_sequence batches, the square subsequent mask from triu(...) == 1 and masked_fill,
    padding masks (src == PAD_IDX).transpose(0, 1), CrossEntropyLoss(ignore_index=PAD_IDX),
    Adam(betas=(0.9, 0.98), eps=1e-9), xavier_uniform_ on every matrix, greedy decoding with
    torch.ones(1, 1).fill_(BOS).type(torch.long) and type_as."""
    nn = torch.nn
    from_rnn = torch.nn.utils.rnn

    class PositionalEncoding(nn.Module):
        def __init__(self, emb_size, dropout, maxlen=50):
            super(PositionalEncoding, self).__init__()
            den = torch.exp(- torch.arange(0, emb_size, 2) * math.log(10000) / emb_size)
            pos = torch.arange(0, maxlen).reshape(maxlen, 1)
            pos_embedding = torch.zeros((maxlen, emb_size))
            pos_embedding[:, 0::2] = torch.sin(pos * den)
            pos_embedding[:, 1::2] = torch.cos(pos * den)
            pos_embedding = pos_embedding.unsqueeze(-2)
            self.dropout = nn.Dropout(dropout)
            self.register_buffer("pos_embedding", pos_embedding)

        def forward(self, token_embedding):
            return self.dropout(token_embedding + self.pos_embedding[:token_embedding.size(0), :])

    class TokenEmbedding(nn.Module):
        def __init__(self, vocab_size, emb_size):
            super(TokenEmbedding, self).__init__()
            self.embedding = nn.Embedding(vocab_size, emb_size)
            self.emb_size = emb_size

        def forward(self, tokens):
            return self.embedding(tokens.long()) * math.sqrt(self.emb_size)

    class Seq2SeqTransformer(nn.Module):
        def __init__(self, num_encoder_layers, num_decoder_layers, emb_size, nhead, src_vocab_size,
                     tgt_vocab_size, dim_feedforward=512, dropout=0.1):
            super(Seq2SeqTransformer, self).__init__()
            self.transformer = nn.Transformer(d_model=emb_size, nhead=nhead,
                                              num_encoder_layers=num_encoder_layers,
                                              num_decoder_layers=num_decoder_layers,
                                              dim_feedforward=dim_feedforward, dropout=dropout)
            self.generator = nn.Linear(emb_size, tgt_vocab_size)
            self.src_tok_emb = TokenEmbedding(src_vocab_size, emb_size)
            self.tgt_tok_emb = TokenEmbedding(tgt_vocab_size, emb_size)
            self.positional_encoding = PositionalEncoding(emb_size, dropout=dropout)

        def forward(self, src, trg, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask,
                    memory_key_padding_mask):
            src_emb = self.positional_encoding(self.src_tok_emb(src))
            tgt_emb = self.positional_encoding(self.tgt_tok_emb(trg))
            outs = self.transformer(src_emb, tgt_emb, src_mask, tgt_mask, None, src_padding_mask,
                                    tgt_padding_mask, memory_key_padding_mask)
            return self.generator(outs)

        def encode(self, src, src_mask):
            return self.transformer.encoder(self.positional_encoding(self.src_tok_emb(src)), src_mask)

        def decode(self, tgt, memory, tgt_mask):
            return self.transformer.decoder(self.positional_encoding(self.tgt_tok_emb(tgt)), memory, tgt_mask)

    def generate_square_subsequent_mask(sz):
        mask = (torch.triu(torch.ones((sz, sz))) == 1).transpose(0, 1)
        mask = mask.float().masked_fill(mask == 0, float("-inf")).masked_fill(mask == 1, 0.0)
        return mask

    def create_mask(src, tgt):
        src_seq_len, tgt_seq_len = src.shape[0], tgt.shape[0]
        tgt_mask = generate_square_subsequent_mask(tgt_seq_len)
        src_mask = torch.zeros((src_seq_len, src_seq_len)).type(torch.bool)
        src_padding_mask = (src == PAD_IDX).transpose(0, 1)
        tgt_padding_mask = (tgt == PAD_IDX).transpose(0, 1)
        return src_mask, tgt_mask, src_padding_mask, tgt_padding_mask

    rng = np.random.default_rng(90)
    pairs = [([int(t) for t in rng.integers(4, 10, n)], [int(t) for t in rng.integers(4, 11, m)])
             for n, m in ((3, 4), (5, 3), (4, 4), (2, 5))]

    def collate_fn(batch):
        src_batch, tgt_batch = [], []
        for src_sample, tgt_sample in batch:
            src_batch.append(torch.tensor([BOS_IDX] + src_sample + [EOS_IDX]))
            tgt_batch.append(torch.tensor([BOS_IDX] + tgt_sample + [EOS_IDX]))
        return (from_rnn.pad_sequence(src_batch, padding_value=PAD_IDX),
                from_rnn.pad_sequence(tgt_batch, padding_value=PAD_IDX))

    torch.set_default_dtype(torch.float64)
    with warnings.catch_warnings():  # PyTorch's note that batch_first=False skips its nested-tensor path
        warnings.filterwarnings("ignore", "enable_nested_tensor is True")
        transformer = Seq2SeqTransformer(1, 1, 8, 2, 10, 11, dim_feedforward=16, dropout=0.0)
    for p in transformer.parameters():
        if p.dim() > 1:
            nn.init.xavier_uniform_(p)
    load_weights(torch, transformer, seed=91)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD_IDX)
    optimizer = torch.optim.Adam(transformer.parameters(), lr=0.001, betas=(0.9, 0.98), eps=1e-9)
    losses = []
    transformer.train()
    with warnings.catch_warnings():  # PyTorch warns on the tutorial's mix of float and bool masks
        warnings.filterwarnings("ignore", "Support for mismatched key_padding_mask")
        for src, tgt in torch.utils.data.DataLoader(pairs, batch_size=2, collate_fn=collate_fn):
            tgt_input = tgt[:-1, :]
            src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(src, tgt_input)
            logits = transformer(src, tgt_input, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask,
                                 src_padding_mask)
            optimizer.zero_grad()
            tgt_out = tgt[1:, :]
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())

    def greedy_decode(model, src, src_mask, max_len, start_symbol):
        memory = model.encode(src, src_mask)
        ys = torch.ones(1, 1).fill_(start_symbol).type(torch.long)
        for i in range(max_len - 1):
            tgt_mask = (generate_square_subsequent_mask(ys.size(0)).type(torch.bool))
            out = model.decode(ys, memory, tgt_mask)
            out = out.transpose(0, 1)
            prob = model.generator(out[:, -1])
            _, next_word = torch.max(prob, dim=1)
            next_word = next_word.item()
            ys = torch.cat([ys, torch.ones(1, 1).type_as(src.data).fill_(next_word)], dim=0)
            if next_word == EOS_IDX:
                break
        return ys

    transformer.eval()
    src = torch.tensor([BOS_IDX, 5, 6, 7, EOS_IDX]).view(-1, 1)
    num_tokens = src.shape[0]
    src_mask = (torch.zeros(num_tokens, num_tokens)).type(torch.bool)
    tokens = greedy_decode(transformer, src, src_mask, max_len=num_tokens + 3, start_symbol=BOS_IDX).flatten()
    return {"losses": losses, "tokens": tokens, "mask": generate_square_subsequent_mask(3)}


def chatbot(torch):
    """"Chatbot Tutorial" (small): zeroPadding with itertools.zip_longest, binary masks as
    BoolTensor, an EncoderRNN of a bidirectional GRU over pack_padded_sequence whose two
    directions are summed, Luong "dot" / "general" / "concat" attention, maskNLLLoss with
    gather and masked_select, teacher forcing, clip_grad_norm_ per module."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim
    SOS_token, EOS_token, PAD_token = 1, 2, 0

    def zeroPadding(l, fillvalue=PAD_token):
        return list(itertools.zip_longest(*l, fillvalue=fillvalue))

    def binaryMatrix(l, value=PAD_token):
        return [[0 if token == PAD_token else 1 for token in seq] for seq in l]

    class EncoderRNN(nn.Module):
        def __init__(self, hidden_size, embedding, n_layers=1, dropout=0):
            super(EncoderRNN, self).__init__()
            self.n_layers, self.hidden_size, self.embedding = n_layers, hidden_size, embedding
            self.gru = nn.GRU(hidden_size, hidden_size, n_layers,
                              dropout=(0 if n_layers == 1 else dropout), bidirectional=True)

        def forward(self, input_seq, input_lengths, hidden=None):
            embedded = self.embedding(input_seq)
            packed = nn.utils.rnn.pack_padded_sequence(embedded, input_lengths)
            outputs, hidden = self.gru(packed, hidden)
            outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs)
            outputs = outputs[:, :, :self.hidden_size] + outputs[:, :, self.hidden_size:]
            return outputs, hidden

    class Attn(nn.Module):
        def __init__(self, method, hidden_size):
            super(Attn, self).__init__()
            self.method, self.hidden_size = method, hidden_size
            if self.method == "general":
                self.attn = nn.Linear(self.hidden_size, hidden_size)
            elif self.method == "concat":
                self.attn = nn.Linear(self.hidden_size * 2, hidden_size)
                self.v = nn.Parameter(torch.FloatTensor(hidden_size))

        def dot_score(self, hidden, encoder_output):
            return torch.sum(hidden * encoder_output, dim=2)

        def general_score(self, hidden, encoder_output):
            energy = self.attn(encoder_output)
            return torch.sum(hidden * energy, dim=2)

        def concat_score(self, hidden, encoder_output):
            expanded = hidden.expand(encoder_output.size(0), -1, -1)
            energy = self.attn(torch.cat((expanded, encoder_output), 2)).tanh()
            return torch.sum(self.v * energy, dim=2)

        def forward(self, hidden, encoder_outputs):
            if self.method == "general":
                attn_energies = self.general_score(hidden, encoder_outputs)
            elif self.method == "concat":
                attn_energies = self.concat_score(hidden, encoder_outputs)
            else:
                attn_energies = self.dot_score(hidden, encoder_outputs)
            attn_energies = attn_energies.t()
            return F.softmax(attn_energies, dim=1).unsqueeze(1)

    class LuongAttnDecoderRNN(nn.Module):
        def __init__(self, attn_model, embedding, hidden_size, output_size, n_layers=1, dropout=0.1):
            super(LuongAttnDecoderRNN, self).__init__()
            self.n_layers = n_layers
            self.embedding = embedding
            self.embedding_dropout = nn.Dropout(dropout)
            self.gru = nn.GRU(hidden_size, hidden_size, n_layers, dropout=(0 if n_layers == 1 else dropout))
            self.concat = nn.Linear(hidden_size * 2, hidden_size)
            self.out = nn.Linear(hidden_size, output_size)
            self.attn = Attn(attn_model, hidden_size)

        def forward(self, input_step, last_hidden, encoder_outputs):
            embedded = self.embedding(input_step)
            embedded = self.embedding_dropout(embedded)
            rnn_output, hidden = self.gru(embedded, last_hidden)
            attn_weights = self.attn(rnn_output, encoder_outputs)
            context = attn_weights.bmm(encoder_outputs.transpose(0, 1))
            rnn_output = rnn_output.squeeze(0)
            context = context.squeeze(1)
            concat_input = torch.cat((rnn_output, context), 1)
            concat_output = torch.tanh(self.concat(concat_input))
            output = self.out(concat_output)
            return F.softmax(output, dim=1), hidden

    def maskNLLLoss(inp, target, mask):
        nTotal = mask.sum()
        crossEntropy = -torch.log(torch.gather(inp, 1, target.view(-1, 1)).squeeze(1))
        loss = crossEntropy.masked_select(mask).mean()
        return loss, nTotal.item()

    torch.set_default_dtype(torch.float64)
    sentences = [[5, 6, 7, EOS_token], [8, 5, EOS_token], [9, EOS_token]]
    replies = [[6, 5, EOS_token], [7, 8, 9, 5, EOS_token], [5, EOS_token]]
    lengths = torch.tensor([len(s) for s in sentences])
    input_variable = torch.LongTensor(zeroPadding(sentences))
    padList = zeroPadding(replies)
    mask = torch.BoolTensor(binaryMatrix(padList))
    target_variable = torch.LongTensor(padList)
    max_target_len = max(len(r) for r in replies)
    results = {}
    for attn_model in ("dot", "general", "concat"):
        embedding = nn.Embedding(10, 6)
        encoder = EncoderRNN(6, embedding, n_layers=2, dropout=0.0)
        decoder = LuongAttnDecoderRNN(attn_model, embedding, 6, 10, n_layers=2, dropout=0.0)
        load_weights(torch, encoder, seed=92)
        load_weights(torch, decoder, seed=93)
        # Attn.v is a torch.FloatTensor (float32) in a float64 model: Adam's float32 arithmetic rounds
        # in another order in glassnet (m + (1-β)(g-m) vs PyTorch's lerp), 1e-9 off after two steps
        decoder.to(torch.float64)
        encoder_optimizer = optim.Adam(encoder.parameters(), lr=0.01)
        decoder_optimizer = optim.Adam(decoder.parameters(), lr=0.05)
        losses = []
        for iteration in range(2):
            encoder_optimizer.zero_grad()
            decoder_optimizer.zero_grad()
            loss, print_losses, n_totals = 0, [], 0
            encoder_outputs, encoder_hidden = encoder(input_variable, lengths)
            decoder_input = torch.LongTensor([[SOS_token for _ in range(3)]])
            decoder_hidden = encoder_hidden[:decoder.n_layers]
            use_teacher_forcing = iteration == 0
            for t in range(max_target_len):
                decoder_output, decoder_hidden = decoder(decoder_input, decoder_hidden, encoder_outputs)
                if use_teacher_forcing:
                    decoder_input = target_variable[t].view(1, -1)
                else:
                    _, topi = decoder_output.topk(1)
                    decoder_input = torch.LongTensor([[topi[i][0] for i in range(3)]])
                mask_loss, nTotal = maskNLLLoss(decoder_output, target_variable[t], mask[t])
                loss += mask_loss
                print_losses.append(mask_loss.item() * nTotal)
                n_totals += nTotal
            loss.backward()
            _ = nn.utils.clip_grad_norm_(encoder.parameters(), 50.0)
            _ = nn.utils.clip_grad_norm_(decoder.parameters(), 50.0)
            encoder_optimizer.step()
            decoder_optimizer.step()
            losses.append(sum(print_losses) / n_totals)
        results[attn_model] = {"losses": losses, "embedding": embedding.weight}
    results["mask"] = mask
    return results


def nano_gpt(torch):
    """nanoGPT's model.py (small): a GPTConfig dataclass, CausalSelfAttention with a tril
    buffer (1, 1, T, T) and masked_fill(-inf) — and with scaled_dot_product_attention when
    F has it — MLP with GELU, weight tying, apply(_init_weights), c_proj scaled init,
    configure_optimizers splitting decay / no-decay groups by p.dim() and checking AdamW's
    signature for fused, get_batch by stacking slices, estimate_loss under @torch.no_grad(),
    and generate with top-k filtering (logits[logits < v[:, [-1]]] = -inf)."""
    nn, F = torch.nn, torch.nn.functional

    @dataclass
    class GPTConfig:
        block_size: int = 8
        vocab_size: int = 11
        n_layer: int = 2
        n_head: int = 2
        n_embd: int = 8
        dropout: float = 0.0
        bias: bool = True
        flash: bool = True

    class LayerNorm(nn.Module):
        def __init__(self, ndim, bias):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(ndim))
            self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

        def forward(self, input):
            return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)

    class CausalSelfAttention(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
            self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
            self.attn_dropout = nn.Dropout(config.dropout)
            self.resid_dropout = nn.Dropout(config.dropout)
            self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout
            self.flash = hasattr(torch.nn.functional, "scaled_dot_product_attention") and config.flash
            if not self.flash:
                self.register_buffer("bias", torch.tril(torch.ones(config.block_size, config.block_size))
                                     .view(1, 1, config.block_size, config.block_size))

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            if self.flash:
                y = torch.nn.functional.scaled_dot_product_attention(
                    q, k, v, attn_mask=None, dropout_p=self.dropout if self.training else 0, is_causal=True)
            else:
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
                att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
                att = F.softmax(att, dim=-1)
                att = self.attn_dropout(att)
                y = att @ v
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.resid_dropout(self.c_proj(y))

    class MLP(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
            self.gelu = nn.GELU()
            self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
            self.dropout = nn.Dropout(config.dropout)

        def forward(self, x):
            return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))

    class Block(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
            self.attn = CausalSelfAttention(config)
            self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
            self.mlp = MLP(config)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.config = config
            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=LayerNorm(config.n_embd, bias=config.bias),
            ))
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.transformer.wte.weight = self.lm_head.weight
            self.apply(self._init_weights)
            for pn, p in self.named_parameters():
                if pn.endswith("c_proj.weight"):
                    torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

        def get_num_params(self, non_embedding=True):
            n_params = sum(p.numel() for p in self.parameters())
            if non_embedding:
                n_params -= self.transformer.wpe.weight.numel()
            return n_params

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    torch.nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

        def forward(self, idx, targets=None):
            b, t = idx.size()
            assert t <= self.config.block_size, f"Cannot forward sequence of length {t}"
            pos = torch.arange(0, t, dtype=torch.long)
            tok_emb = self.transformer.wte(idx)
            pos_emb = self.transformer.wpe(pos)
            x = self.transformer.drop(tok_emb + pos_emb)
            for block in self.transformer.h:
                x = block(x)
            x = self.transformer.ln_f(x)
            if targets is not None:
                logits = self.lm_head(x)
                loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
            else:
                logits = self.lm_head(x[:, [-1], :])
                loss = None
            return logits, loss

        def configure_optimizers(self, weight_decay, learning_rate, betas, device_type):
            param_dict = {pn: p for pn, p in self.named_parameters()}
            param_dict = {pn: p for pn, p in param_dict.items() if p.requires_grad}
            decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
            nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
            optim_groups = [{"params": decay_params, "weight_decay": weight_decay},
                            {"params": nodecay_params, "weight_decay": 0.0}]
            fused_available = "fused" in inspect.signature(torch.optim.AdamW).parameters
            use_fused = fused_available and device_type == "cuda"
            extra_args = dict(fused=True) if use_fused else dict()
            return torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas, **extra_args)

        @torch.no_grad()
        def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
            for _ in range(max_new_tokens):
                idx_cond = idx if idx.size(1) <= self.config.block_size else idx[:, -self.config.block_size:]
                logits, _ = self(idx_cond)
                logits = logits[:, -1, :] / temperature
                if top_k is not None:
                    v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                    logits[logits < v[:, [-1]]] = -float("Inf")
                probs = F.softmax(logits, dim=-1)
                idx_next = torch.argmax(probs, dim=-1, keepdim=True)
                idx = torch.cat((idx, idx_next), dim=1)
            return idx

    torch.set_default_dtype(torch.float64)
    data = np.random.default_rng(94).integers(0, 11, 200).astype(np.uint16)
    block_size, batch_size = 8, 4

    def get_batch(ix):
        x = torch.stack([torch.from_numpy((data[i:i + block_size]).astype(np.int64)) for i in ix])
        y = torch.stack([torch.from_numpy((data[i + 1:i + 1 + block_size]).astype(np.int64)) for i in ix])
        return x, y

    results = {}
    for flash in (True, False):
        model = GPT(GPTConfig(flash=flash))
        load_weights(torch, model, seed=95, scale=0.3)
        optimizer = model.configure_optimizers(0.1, 6e-3, (0.9, 0.95), "cpu")
        rng = np.random.default_rng(96)

        @torch.no_grad()
        def estimate_loss(model=model, rng=rng):
            out = {}
            model.eval()
            for split in ["train", "val"]:
                losses = torch.zeros(3)
                for k in range(3):
                    X, Y = get_batch(rng.integers(0, len(data) - block_size, batch_size))
                    logits, loss = model(X, Y)
                    losses[k] = loss.item()
                out[split] = losses.mean()
            model.train()
            return out

        log = []
        for iter_num in range(4):
            for param_group in optimizer.param_groups:
                param_group["lr"] = 6e-3 * (iter_num + 1) / 4
            X, Y = get_batch(rng.integers(0, len(data) - block_size, batch_size))
            logits, loss = model(X, Y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            log.append(loss.item())
        results[f"flash_{flash}"] = {
            "log": log, "estimate": estimate_loss(), "n_params": model.get_num_params(),
            "generated": model.generate(torch.tensor([[1, 2]]), 8, temperature=0.8, top_k=3),
            "tied": model.transformer.wte.weight is model.lm_head.weight}
    return results


def cifar_tutorial(torch):
    """"Training a Classifier" (CIFAR-10 shapes, random data): Net with conv/pool/fc and
    torch.flatten(x, 1), iter(loader) / next, running loss printed every few batches,
    torch.save(net.state_dict(), PATH) and net.load_state_dict(torch.load(PATH,
    weights_only=True)), torch.max(outputs.data, 1), per-class accuracy with zip."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim
    classes = ("plane", "car", "bird")

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 4, 3)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(4, 6, 3)
            self.fc1 = nn.Linear(6 * 1 * 1, 12)
            self.fc2 = nn.Linear(12, 10)
            self.fc3 = nn.Linear(10, 3)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(97)
    images, labels = torch.tensor(rng.standard_normal((12, 3, 10, 10))), torch.tensor(rng.integers(0, 3, 12))
    trainset = torch.utils.data.TensorDataset(images, labels)
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=4, shuffle=False, num_workers=0)
    dataiter = iter(trainloader)
    first_images, first_labels = next(dataiter)
    net = load_weights(torch, Net(), seed=98)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    printed = []
    for epoch in range(2):
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            inputs, labels_ = data
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels_)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            if i % 2 == 1:
                printed.append(f"[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 2:.3f}")
                running_loss = 0.0
    with tempfile.TemporaryDirectory() as folder:
        PATH = os.path.join(folder, "cifar_net.pth")
        torch.save(net.state_dict(), PATH)
        net = Net()
        net.load_state_dict(torch.load(PATH, weights_only=True))
    correct, total = 0, 0
    correct_pred = {classname: 0 for classname in classes}
    total_pred = {classname: 0 for classname in classes}
    with torch.no_grad():
        for data in trainloader:
            images_, labels_ = data
            outputs = net(images_)
            _, predicted = torch.max(outputs.data, 1)
            total += labels_.size(0)
            correct += (predicted == labels_).sum().item()
            for label, prediction in zip(labels_, predicted):
                if label == prediction:
                    correct_pred[classes[label]] += 1
                total_pred[classes[label]] += 1
    return {"printed": printed, "accuracy": 100 * correct // total, "per_class": correct_pred,
            "totals": total_pred, "first": first_labels, "fc3": net.fc3.weight}


def skipgram(torch):
    """word2vec skip-gram with negative sampling: two nn.Embedding(sparse=True) tables,
    bmm of context and centre vectors, clamp, logsigmoid, optim.SparseAdam."""
    nn, F = torch.nn, torch.nn.functional

    class SkipGramModel(nn.Module):
        def __init__(self, emb_size, emb_dimension):
            super(SkipGramModel, self).__init__()
            self.u_embeddings = nn.Embedding(emb_size, emb_dimension, sparse=True)
            self.v_embeddings = nn.Embedding(emb_size, emb_dimension, sparse=True)
            initrange = 1.0 / emb_dimension
            nn.init.uniform_(self.u_embeddings.weight.data, -initrange, initrange)
            nn.init.constant_(self.v_embeddings.weight.data, 0)

        def forward(self, pos_u, pos_v, neg_v):
            emb_u = self.u_embeddings(pos_u)
            emb_v = self.v_embeddings(pos_v)
            emb_neg_v = self.v_embeddings(neg_v)
            score = torch.sum(torch.mul(emb_u, emb_v), dim=1)
            score = torch.clamp(score, max=10, min=-10)
            score = -F.logsigmoid(score)
            neg_score = torch.bmm(emb_neg_v, emb_u.unsqueeze(2)).squeeze()
            neg_score = torch.clamp(neg_score, max=10, min=-10)
            neg_score = -torch.sum(F.logsigmoid(-neg_score), dim=1)
            return torch.mean(score + neg_score)

    torch.set_default_dtype(torch.float64)
    with warnings.catch_warnings():  # glassnet notes once that its sparse=True gradients are dense
        warnings.simplefilter("ignore")
        model = SkipGramModel(12, 5)
    load_weights(torch, model, seed=99)
    optimizer = torch.optim.SparseAdam(list(model.parameters()), lr=0.05)
    rng = np.random.default_rng(100)
    losses = []
    for step in range(4):
        pos_u, pos_v = torch.tensor(rng.integers(0, 12, 6)), torch.tensor(rng.integers(0, 12, 6))
        neg_v = torch.tensor(rng.integers(0, 12, (6, 3)))
        optimizer.zero_grad()
        loss = model.forward(pos_u, pos_v, neg_v)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, "u": model.u_embeddings.weight}


PROGRAMS = {f.__name__: f for f in (transformer_translation, chatbot, nano_gpt, cifar_tutorial, skipgram)}
