"""Reference for bench/train: the same dual-encoder training step written directly in PyTorch.

Bench only (Debian python3-torch); the product never runs Python. Reads a JSON spec on stdin:
{"config": {...BERT config...}, "emb": 256, "batches": [[query_ids, title_ids], ...], "steps": N, "warmup": W}
where *_ids are [B, L] token id lists (0 = padding). Prints {"seconds_per_step": s}.
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

spec = json.load(sys.stdin)
torch.set_num_threads(int(spec.get("threads", os.cpu_count())))
torch.manual_seed(0)
c = spec["config"]
H, heads, layers, inter = c["hidden_size"], c["num_attention_heads"], c["num_hidden_layers"], c["intermediate_size"]


def p(*shape, std=0.02):
    return torch.nn.Parameter(torch.randn(*shape) * std)


P = {"word": p(c["vocab_size"], H), "pos": p(c["max_position_embeddings"], H), "type": p(2, H),
     "ln_w": torch.nn.Parameter(torch.ones(H)), "ln_b": torch.nn.Parameter(torch.zeros(H)),
     "proj_w": p(spec["emb"], H), "proj_b": torch.nn.Parameter(torch.zeros(spec["emb"]))}
for i in range(layers):
    for n, shape in [("q", (H, H)), ("k", (H, H)), ("v", (H, H)), ("o", (H, H)), ("i", (inter, H)), ("out", (H, inter))]:
        P[f"{i}.{n}.w"] = p(*shape)
        P[f"{i}.{n}.b"] = torch.nn.Parameter(torch.zeros(shape[0]))
    for n in ("ln1", "ln2"):
        P[f"{i}.{n}.w"] = torch.nn.Parameter(torch.ones(H))
        P[f"{i}.{n}.b"] = torch.nn.Parameter(torch.zeros(H))


def encode(ids):
    mask = (ids != 0).long()
    B, L = ids.shape
    h = F.embedding(ids, P["word"]) + F.embedding(torch.arange(L), P["pos"]) + F.embedding(torch.zeros_like(ids), P["type"])
    h = F.dropout(F.layer_norm(h, (H,), P["ln_w"], P["ln_b"], 1e-12), 0.1, True)
    bias = (mask[:, None, None, :].float() - 1) * 10000
    d = H // heads
    for i in range(layers):
        split = lambda t: t.reshape(B, L, heads, d).permute(0, 2, 1, 3)
        q = split(F.linear(h, P[f"{i}.q.w"], P[f"{i}.q.b"]))
        k = split(F.linear(h, P[f"{i}.k.w"], P[f"{i}.k.b"]))
        v = split(F.linear(h, P[f"{i}.v.w"], P[f"{i}.v.b"]))
        probs = F.dropout(torch.softmax(q @ k.transpose(-1, -2) * (1 / math.sqrt(d)) + bias, -1), 0.1, True)
        ctx = (probs @ v).permute(0, 2, 1, 3).reshape(B, L, H)
        a = F.layer_norm(F.dropout(F.linear(ctx, P[f"{i}.o.w"], P[f"{i}.o.b"]), 0.1, True) + h, (H,), P[f"{i}.ln1.w"], P[f"{i}.ln1.b"], 1e-12)
        x = F.gelu(F.linear(a, P[f"{i}.i.w"], P[f"{i}.i.b"]))
        h = F.layer_norm(F.dropout(F.linear(x, P[f"{i}.out.w"], P[f"{i}.out.b"]), 0.1, True) + a, (H,), P[f"{i}.ln2.w"], P[f"{i}.ln2.b"], 1e-12)
    v = F.dropout(F.linear(h[:, 0], P["proj_w"], P["proj_b"]), 0.1, True)
    return F.normalize(v, dim=-1)


opt = torch.optim.AdamW(P.values(), lr=5e-5, weight_decay=0.0)
batches = [(torch.tensor(q), torch.tensor(t)) for q, t in spec["batches"]]


def step(q_ids, t_ids):
    q, t = encode(q_ids), encode(t_ids)
    B = q.shape[0]
    logits = (q @ t.T - 0.2 * torch.eye(B)) * 30
    loss = F.cross_entropy(logits, torch.arange(B))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(P.values(), 5.0)
    opt.step()
    opt.zero_grad(set_to_none=True)


for i in range(spec["warmup"]):
    step(*batches[i % len(batches)])
start = time.perf_counter()
for i in range(spec["steps"]):
    step(*batches[i % len(batches)])
print(json.dumps({"seconds_per_step": (time.perf_counter() - start) / spec["steps"], "torch": torch.__version__, "threads": torch.get_num_threads()}))
