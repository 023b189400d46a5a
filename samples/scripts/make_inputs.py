#!/usr/bin/python3
"""Writes q/k/v inputs and PyTorch's output for attention_head.py (run with Debian's PyTorch 1.13)."""
import importlib.util
import pathlib

import numpy as np
import torch

here = pathlib.Path(__file__).resolve().parent
torch.manual_seed(0)
spec = importlib.util.spec_from_file_location("attention_head", here / "attention_head.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
fn = torch.jit.script(module.forward)  # PyTorch compiles the same source Kiln reads
q, k, v = (torch.randn(2, 5, 8) for _ in range(3))
y = fn(q, k, v)
for name, t in (("q", q), ("k", k), ("v", v), ("expected", y)):
    np.save(here / f"{name}.npy", t.numpy())
other = fn(q + 1, k, v)
assert (other - y).abs().max() > 1e-3, "output must depend on the input"
print("wrote", [p.name for p in sorted(here.glob("*.npy"))])
