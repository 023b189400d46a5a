# A TorchScript source file with no archive: `kiln run samples/scripts/attention_head.py --entry forward
#   --input samples/scripts/q.npy --input samples/scripts/k.npy --input samples/scripts/v.npy`
import torch
from torch import Tensor


def scores(q: Tensor, k: Tensor, scale: float) -> Tensor:
    return torch.matmul(q, k.transpose(-2, -1)) * scale


def forward(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    d = q.size(-1)
    s = scores(q, k, 1.0 / (d ** 0.5))
    p = torch.softmax(s, -1)
    out = torch.matmul(p, v)
    if d > 4:
        out = torch.relu(out)
    return out
