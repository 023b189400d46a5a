#!/usr/bin/env python3
"""Writes the weights and the input of mlp.kir as .npy files (standard library only; run once, outputs committed).

    python3 samples/ir/make_mlp.py

Values come from a fixed linear congruential generator, so every run writes the same bytes.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def npy(path, shape, values):
    """Writes float32 values in C order as .npy version 1.0."""
    assert len(values) == eval_numel(shape)
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % dims
    # Magic (6) + version (2) + header length (2) + header, padded with spaces and ending in a newline, to 64 bytes.
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * (pad % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%df" % len(values), *values))


def eval_numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


class Lcg:
    """Numerical Recipes' 32-bit LCG mapped to [-scale, scale)."""

    def __init__(self, seed):
        self.state = seed

    def next(self, scale):
        self.state = (1664525 * self.state + 1013904223) % 2**32
        return (self.state / 2**32 * 2 - 1) * scale


def main():
    rng = Lcg(2024)
    weights = os.path.join(HERE, "mlp.weights")
    os.makedirs(weights, exist_ok=True)
    # fc1: 4 -> 8, fc2: 8 -> 3, scaled like PyTorch's default init (1/sqrt(fan_in)).
    for name, shape, scale in [("fc1.weight", (8, 4), 0.5), ("fc1.bias", (8,), 0.5),
                               ("fc2.weight", (3, 8), 0.35), ("fc2.bias", (3,), 0.35)]:
        npy(os.path.join(weights, name + ".npy"), shape, [rng.next(scale) for _ in range(eval_numel(shape))])
    npy(os.path.join(HERE, "mlp.input.npy"), (2, 4), [rng.next(1.0) for _ in range(8)])


if __name__ == "__main__":
    main()
