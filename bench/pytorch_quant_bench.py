#!/usr/bin/python3
"""PyTorch's own float and int8 models, timed as bench/quant-side-by-side.sh times Kiln's: one thread, calls alternating
float, int8, float, int8 ... after a warm-up, medians in milliseconds.

    /usr/bin/python3 bench/pytorch_quant_bench.py --models mlp,lstm,cnn,resnet18 --batches 1 --seconds 3 --out t.tsv

Reads fixtures-large/quant/bench/<model>/ (tests/fixtures/gen_quant_bench.py): torch_int8.pt (qnnpack, TorchScript)
and the float folder named in float.txt (model.pt, input_b<N>.npy). Writes (to --out, or stdout) tab-separated lines:
"# torch <version> qnnpack threads 1", then one line per model and batch with the columns model, batch, float_ms,
int8_ms, float_min_ms, int8_min_ms, pairs, max_abs_vs_saved; the last is int8's output against the
torch_int8_b<N>.npy the generator saved (0 expected: same engine, same model).
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures-large", "quant", "bench")


def race(f, q, x, seconds):
    with torch.no_grad():
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds / 4:  # warm-up: a quarter of the budget
            f(x)
            q(x)
        tf, tq = [], []
        t0 = time.perf_counter()
        while (time.perf_counter() - t0 < seconds or len(tf) < 10) and len(tf) < 20000:
            s = time.perf_counter()
            f(x)
            m = time.perf_counter()
            q(x)
            e = time.perf_counter()
            tf.append(m - s)
            tq.append(e - m)
    return tf, tq


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="mlp,lstm,cnn,resnet18")
    ap.add_argument("--batches", default="1")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--out", default="-")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.backends.quantized.engine = "qnnpack"
    rows = []
    for model in args.models.split(","):
        d = os.path.join(ROOT, model)
        if not os.path.isfile(os.path.join(d, "torch_int8.pt")):
            sys.exit(f"{d}/torch_int8.pt is missing: run /usr/bin/python3 tests/fixtures/gen_quant_bench.py")
        with open(os.path.join(d, "float.txt")) as fh:
            fdir = os.path.normpath(os.path.join(d, fh.read().strip()))
        f = torch.jit.load(os.path.join(fdir, "model.pt")).eval()
        q = torch.jit.load(os.path.join(d, "torch_int8.pt")).eval()
        for b in map(int, args.batches.split(",")):
            x = torch.from_numpy(np.load(os.path.join(fdir, f"input_b{b}.npy")))
            with torch.no_grad():
                diff = float((q(x) - torch.from_numpy(np.load(os.path.join(d, f"torch_int8_b{b}.npy")))).abs().max())
            tf, tq = race(f, q, x, args.seconds)
            row = {"model": model, "batch": b, "float_ms": statistics.median(tf) * 1e3, "int8_ms": statistics.median(tq) * 1e3,
                   "float_min_ms": min(tf) * 1e3, "int8_min_ms": min(tq) * 1e3, "pairs": len(tf), "max_abs_vs_saved": diff}
            print(f"pytorch {model:9s} b{b}: float {row['float_ms']:.3f} ms, int8 {row['int8_ms']:.3f} ms "
                  f"({len(tf)} pairs; int8 vs saved output {diff:.1e})", file=sys.stderr, flush=True)
            rows.append(row)
    cols = ("model", "batch", "float_ms", "int8_ms", "float_min_ms", "int8_min_ms", "pairs", "max_abs_vs_saved")
    lines = [f"# torch {torch.__version__} qnnpack threads 1", "#" + "\t".join(cols)]
    lines += ["\t".join(str(r[c]) for c in cols) for r in rows]
    text = "\n".join(lines)
    if args.out == "-":
        print(text)
    else:
        with open(args.out, "w") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
