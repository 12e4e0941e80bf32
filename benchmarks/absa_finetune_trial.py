"""Experiment: tune MiniLM's top layers for aspect polarity; scores it, ships nothing.

    python -m benchmarks.absa_finetune_trial [--data ../shared/data] [--layers 2] [--epochs 4]
                               [--scratch DIR] [--limit N]

The encoder reads the pair "sentence [SEP] term". The lower layers stay MiniLM's own
(frozen): their states are computed once per item (kept in ``--scratch`` between runs),
then only the top ``--layers`` layers and a linear head over [CLS, the term's tokens,
all tokens] learn, on SemEval-14 split ``train``; each epoch is scored on split
``validation``. Split ``test`` is never read. ``conflict`` is dropped, as in the bench.

Measured 2026-11-30 (2 shared cores at load 17-21; 3,043 train terms, n=1,213
validation): frozen states 549 s, 4 epochs 1,359 s; validation accuracy by epoch
0.668, 0.663, 0.685, 0.684. Logistic regression on the same pair's frozen pooled
states (layers 4 and 6, plus VADER on a +-3-word window and the sentence) reached
0.705. The shipped head (tools.absa: term token vectors read in the sentence alone,
clause and window embeddings, VADER) scores 0.754 on that validation split, so it stays.
What was not tried for lack of CPU: all six layers tuned, more epochs or a higher
learning rate, the pair input for multilingual-e5-small.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from tools.absa import ASPECT_LABELS, MAX_TOKENS
from tools.sentiment_realdata import load_semeval
from tools.train_general_heads import DEFAULT_DATA

SEED = 0
LAYERS, EPOCHS, LR, HEAD_LR, BATCH = 2, 4, 1e-4, 1e-3, 32


def pair_batch(tokenizer, items: list[tuple[str, int, int, str]]):
    """Tokenised "sentence [SEP] term" pairs and, per pair, which tokens of the
    sentence are the term's (all tokens when truncation cut the term off)."""
    import torch

    enc = tokenizer(
        [t for t, _, _, _ in items],
        [term for _, _, _, term in items],
        return_offsets_mapping=True,
        padding=True,
        truncation="only_first",
        max_length=MAX_TOKENS,
        return_tensors="pt",
    )
    offsets = enc.pop("offset_mapping")
    mask = enc["attention_mask"].bool()
    term_mask = torch.zeros_like(mask)
    for j, (_, start, end, _) in enumerate(items):
        first = torch.tensor([s == 0 for s in enc.sequence_ids(j)], dtype=torch.bool)
        span = first & (offsets[j, :, 0] < end) & (offsets[j, :, 1] > start)
        span &= offsets[j, :, 1] > offsets[j, :, 0]
        term_mask[j] = span if bool(span.any()) else mask[j]
    return enc, term_mask


def pool_states(hidden, mask, term_mask):
    """[CLS state, mean of the term's tokens, mean of all tokens]: the head's input."""
    import torch

    m = mask.unsqueeze(-1).to(hidden.dtype)
    t = term_mask.unsqueeze(-1).to(hidden.dtype)
    term = (hidden * t).sum(1) / t.sum(1).clamp(min=1.0)
    whole = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
    return torch.cat([hidden[:, 0], term, whole], dim=1)


def _items(terms):
    return [(t.text, t.start, t.end, t.term) for t in terms]


def lower_states(transformer, tokenizer, items, n_top: int, batch: int = BATCH, cache=None):
    """Frozen part: per batch, the hidden states entering the top ``n_top`` layers.
    ``cache`` (a scratch file) keeps them between runs with other settings."""
    import torch

    if cache is not None and Path(cache).exists():
        return torch.load(cache, weights_only=True)

    order = sorted(range(len(items)), key=lambda i: len(items[i][0]) + len(items[i][3]))
    batches = []
    with torch.inference_mode():
        for lo in range(0, len(order), batch):
            idx = order[lo : lo + batch]
            enc, term_mask = pair_batch(tokenizer, [items[i] for i in idx])
            out = transformer(**enc, output_hidden_states=True)
            cut = len(out.hidden_states) - 1 - n_top
            batches.append((idx, out.hidden_states[cut].clone(), enc["attention_mask"], term_mask))
    if cache is not None:
        torch.save(batches, cache)
    return batches


def run_top(layers, transformer, hidden, mask):
    import torch

    # Additive mask over keys, as BERT's attention expects: padding gets -inf-ish.
    ext = (1.0 - mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
    for layer in layers:
        hidden = layer(hidden, attention_mask=ext)
        if isinstance(hidden, tuple):
            hidden = hidden[0]
    return hidden


def fit(transformer, train_b, labels, n_top, epochs, eval_b=None, eval_labels=None, log=print):
    import copy

    import torch

    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    n_layers = len(transformer.encoder.layer)
    top = torch.nn.ModuleList(
        [copy.deepcopy(transformer.encoder.layer[i]) for i in range(n_layers - n_top, n_layers)]
    )
    dim = int(transformer.config.hidden_size)
    head = torch.nn.Linear(3 * dim, len(ASPECT_LABELS))
    opt = torch.optim.AdamW(
        [
            {"params": top.parameters(), "lr": LR},
            {"params": head.parameters(), "lr": HEAD_LR},
        ],
        weight_decay=0.01,
    )
    # Re-batch the cached states in shuffled order of (length-sorted) batches.
    steps = epochs * len(train_b)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.0, 1 - s / steps)
    )
    y = torch.tensor(labels)
    history = []
    for ep in range(epochs):
        top.train()
        t0 = time.perf_counter()
        total = 0.0
        for b in rng.permutation(len(train_b)):
            idx, hidden, mask, term_mask = train_b[b]
            h = run_top(top, transformer, hidden, mask)
            logits = head(pool_states(h, mask, term_mask))
            loss = torch.nn.functional.cross_entropy(logits, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        record = {"epoch": ep + 1, "loss": round(total / len(labels), 4)}
        if eval_b is not None:
            pred = predict(top, head, transformer, eval_b, len(eval_labels))
            record["validation_accuracy"] = round(float(np.mean(pred == np.array(eval_labels))), 4)
        record["seconds"] = round(time.perf_counter() - t0, 1)
        history.append(record)
        log(record)
    return top, head, history


def predict(top, head, transformer, batches, n):
    import torch

    top.eval()
    out = np.zeros(n, int)
    with torch.inference_mode():
        for idx, hidden, mask, term_mask in batches:
            h = run_top(top, transformer, hidden, mask)
            out[idx] = head(pool_states(h, mask, term_mask)).argmax(1).numpy()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--layers", type=int, default=LAYERS)
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    ap.add_argument("--limit", type=int, default=0, help="first N terms per part (smoke runs)")
    ap.add_argument("--scratch", type=Path, default=None, help="folder to keep frozen states in")
    args = ap.parse_args(argv)
    folder = args.data / "semeval14-absa-train"
    if not folder.is_dir():
        print(f"{folder}: not found; pass --data pointing at the shared data")
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    from vectorstore.embeddings import load_embedder

    embedder = load_embedder("")
    st = embedder.model
    tokenizer, transformer = st.tokenizer, st[0].auto_model
    transformer.eval()
    for p in transformer.parameters():
        p.requires_grad_(False)
    n_layers = len(transformer.encoder.layer)
    if not 1 <= args.layers <= n_layers:
        print(f"--layers must be between 1 and {n_layers}")
        return 2

    terms = load_semeval(folder)
    fit_terms = [t for t in terms if t.split == "train"]
    val_terms = [t for t in terms if t.split == "validation"]
    if args.limit:
        fit_terms, val_terms = fit_terms[: args.limit], val_terms[: args.limit]
    label_of = {c: i for i, c in enumerate(ASPECT_LABELS)}

    def scratch(part):
        if args.scratch is None:
            return None
        return args.scratch / f"states-{part}-{args.layers}-{args.limit}.pt"

    t0 = time.perf_counter()
    fit_b = lower_states(
        transformer, tokenizer, _items(fit_terms), args.layers, cache=scratch("fit")
    )
    val_b = lower_states(
        transformer, tokenizer, _items(val_terms), args.layers, cache=scratch("val")
    )
    t_states = time.perf_counter() - t0
    print(f"lower states of {len(fit_terms)} terms in {t_states:.1f}s")
    t1 = time.perf_counter()
    _, _, history = fit(
        transformer,
        fit_b,
        [label_of[t.label] for t in fit_terms],
        args.layers,
        args.epochs,
        val_b,
        [label_of[t.label] for t in val_terms],
    )
    print(f"training {time.perf_counter() - t1:.1f}s; by epoch: {history}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
