#!/usr/bin/python3
"""Regenerates the TorchScript code fixtures under archives/.

Saves scripted, traced and frozen forms of a few models with torch.jit.save (PyTorch 1.13, no
weights downloaded) into a temporary folder and copies only the code/**/*.py text files of each
archive to archives/<model>_<form>/<path below code/>. Weights, pickles and debug_pkl files are
not kept. Run from anywhere: /usr/bin/python3 extract_code.py
"""
import os
import shutil
import sys
import tempfile
import zipfile

import torch
import torch.nn as nn
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "archives")


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 8)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.conv2(x))
        return self.fc(torch.flatten(self.pool(x), 1))


class LSTMModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True)
        self.fc = nn.Linear(20, 4)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1, :])


class ControlFlow(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        y = self.fc(x)
        if bool(y.sum() > 0):
            y = y * 2.0
        else:
            y = y - 1.0
        for i in range(7):
            y = y + float(i + 1)
        return y


def eval_mode(m):
    m.eval()
    return m


def models():
    """(name, module, example input, forms) for each fixture model."""
    img = torch.randn(1, 3, 64, 64)
    tv = torchvision.models
    mlp_q = torch.quantization.quantize_dynamic(eval_mode(MLP()), {nn.Linear}, dtype=torch.qint8)
    lstm_q = torch.quantization.quantize_dynamic(eval_mode(LSTMModel()), {nn.LSTM, nn.Linear},
                                                 dtype=torch.qint8)
    all_forms = ("scripted", "traced", "frozen")
    return [
        ("resnet18", eval_mode(tv.resnet18(weights=None)), img, all_forms),
        ("mobilenet_v2", eval_mode(tv.mobilenet_v2(weights=None)), img, all_forms),
        ("squeezenet1_1", eval_mode(tv.squeezenet1_1(weights=None)), img, all_forms),
        ("mlp", eval_mode(MLP()), torch.randn(2, 16), all_forms),
        ("cnn", eval_mode(SmallCNN()), torch.randn(1, 3, 16, 16), all_forms),
        ("lstm", eval_mode(LSTMModel()), torch.randn(2, 5, 10), all_forms),
        ("transformer", eval_mode(nn.TransformerEncoderLayer(128, 4, batch_first=True)),
         torch.randn(2, 6, 128), ("scripted", "traced", "traced_fastpath")),
        ("controlflow", eval_mode(ControlFlow()), torch.ones(1, 8), all_forms),
        ("mlp_qdynamic", mlp_q, torch.randn(2, 16), ("scripted", "traced")),
        ("lstm_qdynamic", lstm_q, torch.randn(2, 5, 10), ("scripted", "traced")),
    ]


def make(module, example, form):
    if form == "scripted":
        return torch.jit.script(module)
    if form == "traced":
        return torch.jit.trace(module, example, check_trace=False)
    if form == "traced_fastpath":
        with torch.no_grad():
            return torch.jit.trace(module, example, check_trace=False)
    if form == "frozen":
        return torch.jit.freeze(torch.jit.script(module))
    raise ValueError(form)


def extract(archive, dest):
    """Copies code/**/*.py of one archive into dest; returns the number of files."""
    count = 0
    with zipfile.ZipFile(archive) as z:
        for name in z.namelist():
            parts = name.split("/")
            # entries are <stem>/code/<path>.py
            if len(parts) < 3 or parts[1] != "code" or not name.endswith(".py"):
                continue
            target = os.path.join(dest, *parts[2:])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(z.read(name))
            count += 1
    return count


def main():
    torch.manual_seed(0)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, module, example, forms in models():
            for form in forms:
                key = f"{name}_{form}"
                try:
                    saved = make(module, example, form)
                except Exception as e:  # a form this torch cannot produce is reported, not fatal
                    print(f"skip {key}: {type(e).__name__}: {e}".splitlines()[0], file=sys.stderr)
                    continue
                path = os.path.join(tmp, f"model_{form}.pt")
                torch.jit.save(saved, path)
                n = extract(path, os.path.join(OUT, key))
                total += n
                print(f"{key}: {n} files")
    print(f"total {total} files")


if __name__ == "__main__":
    main()
