# A standalone script of functions, as a user writes it for torch.jit.script.
import torch
import torch.nn.functional as F
from typing import List, Optional, Tuple, Dict
from typing import (Final,
                    Any)


@torch.jit.script
def scale(x: torch.Tensor, factor: float = 2.0) -> torch.Tensor:
    """Multiplies by a factor."""
    return x * factor


def split_pair(xs: List[int],
               start: int = 0,
               ) -> Tuple[int, int]:
    a, b = xs[start], xs[start + 1]
    return a, b


def control(x: torch.Tensor, n: int, flag: Optional[bool] = None) -> torch.Tensor:
    total : int = 0
    acc = torch.zeros_like(x)
    for i in range(n):
        if i % 2 == 0:
            continue
        elif i > 10:
            break
        else:
            total += i
    while total > 0:
        total -= 3
        acc[0] = acc[0] + 1.
    for v in [1, 2, 3]:
        pass
    if flag is None:
        raise ValueError("flag must be set")
    assert n >= 0, "n must be non-negative"
    y = x
    y.data = acc
    counts: Dict[str, int] = {"a": 1, 'b': 2}
    del counts["a"]
    print(total); total = total // 2
    return y if bool(flag) else acc


def exprs(x: torch.Tensor, i: int, s: str) -> List[float]:
    a = -x ** 2 @ x.t() - (x // 3) % 4
    b = not i < 3 <= 5 and i != 4 or i in [1, 2] and i not in [7]
    c = x is not None
    d = x[0], x[1:], x[:, 0], x[::2], x[..., -1], x[1:3:1]
    e = (1, ) + (2, 3,)
    f = {'k': [0x1F, 0o7, 0b101, 1_000], "j": []}
    g = 1.0000000000000001e-05 + 0. + 1e-5 + .5 - 3.
    h = "tab\tquote\"back\\slash\x41\u00e9" 'single\'s' r"raw\n"
    k = [j * 2 for j in range(i) if j > 1]
    m = annotate(List[int], [])
    n = F.relu(x, inplace=False,)
    o = (x).sum(dim=1, keepdim=True, )
    p = ~i | 1 & 2 ^ 3 << 1 >> 2
    q = True if False else None
    return [float(i), 1.5]
