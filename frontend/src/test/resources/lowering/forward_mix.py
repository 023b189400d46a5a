# A standalone TorchScript function with helpers, operators, a folded loop, a data-dependent if and a while loop
# whose bound is the (possibly symbolic) batch size.
import torch
from torch import Tensor


def scale_shift(x: Tensor, k: float) -> Tensor:
    return x * k + 1.0


def forward(x: Tensor, w: Tensor) -> Tensor:
    y = scale_shift(torch.matmul(x, w), 2.0)
    for i in range(4):
        if i == 2:
            continue
        y = y + float(i) * 0.5
    if bool(torch.sum(y) > 0.0):
        z = torch.relu(y)
    else:
        z = -y
    n = x.size(0)
    steps = 0
    while steps * 2 < n:
        z = z * 0.5
        steps += 1
    return z - 0.25
