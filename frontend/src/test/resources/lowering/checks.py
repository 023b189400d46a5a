import torch
from torch import Tensor


def needs_2d(x: Tensor) -> Tensor:
    if x.dim() != 2:
        raise ValueError("expected a 2-D input")
    return torch.relu(x)


def guarded(x: Tensor) -> Tensor:
    if bool(torch.sum(x) > 100.0):
        raise ValueError("sum too large")
    return x * 2.0


def unsupported(x: Tensor) -> Tensor:
    y = torch.relu(x)
    return torch.frobnicate(y)


def bad_matmul(x: Tensor) -> Tensor:
    return torch.matmul(x, x)


def mixed_branches(x: Tensor) -> Tensor:
    if bool(torch.sum(x) > 0.0):
        y = x
    else:
        y = 1.0
    return y


def recurse(x: Tensor) -> Tensor:
    return recurse(x)
