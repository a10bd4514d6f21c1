#!/usr/bin/env python3
"""Reference figures for tests/scattering.rs, from kymatio 0.3.0 (the numpy frontend of
Scattering1D, float64) and, when torch is installed, kymatio's reconstruction example
(examples/1d/reconstruct_torch.py) and the torch frontend's forward + backward time.

Writes tests/data/scattering_reference.json. Run from the repository root, kymatio in a venv
outside the repository (scipy 1.17 dropped a function kymatio 0.3.0 imports):

    python3 -m venv /tmp/kym && /tmp/kym/bin/pip install kymatio==0.3.0 'scipy<1.17' torch
    /tmp/kym/bin/python tests/data/make_scattering_reference.py [--no-torch]

Coefficients are stored for every path at a few frames (start, middle, end) to keep the
file small; the test compares all of them with max |ours - kymatio| / max |kymatio|.
"""
import argparse
import json
import math
import pathlib
import time
import warnings
import wave

import numpy as np

warnings.filterwarnings("ignore")
import kymatio  # noqa: E402
from kymatio.numpy import Scattering1D  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "tests" / "data" / "scattering_reference.json"

# (file under ../shared/data, first sample, length): powers of two and one length that is not.
INPUTS = [
    ("music/violin.wav", 44100, 2 ** 13),
    ("speech/espeak_00_en.wav", 48000, 10000),
    ("music/trumpet.wav", 64000, 2 ** 15),
]
SETTINGS = [(6, (16, 1)), (8, (8, 1)), (6, (8, 2))]


def read_segment(rel, first, length):
    """Mono 16-bit samples as int16 / 32768, as the Rust test reads them."""
    with wave.open(str(DATA / rel), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, rel
        w.setpos(first)
        pcm = np.frombuffer(w.readframes(length), dtype="<i2")
    assert pcm.size == length, (rel, first, length)
    return pcm.astype(np.float64) / 32768.0


def kept_frames(frames):
    return sorted({0, 1, 2, frames // 2 - 1, frames // 2, frames // 2 + 1, frames - 2, frames - 1})


def nan_to_none(values):
    return [None if isinstance(v, float) and math.isnan(v) else v for v in values]


def meta_rows(meta):
    """Per path: order, and (j, xi, sigma, n) of its two wavelets, None where it has none."""
    rows = []
    for i in range(len(meta["order"])):
        rows.append({
            "order": int(meta["order"][i]),
            "j": nan_to_none([float(v) for v in meta["j"][i]]),
            "xi": nan_to_none([float(v) for v in meta["xi"][i]]),
            "sigma": nan_to_none([float(v) for v in meta["sigma"][i]]),
            "n": nan_to_none([float(v) for v in meta["n"][i]]),
        })
    return rows


def digits(v, significant):
    return float(f"{v:.{significant}g}")


def coefficient_cases():
    """Coefficients per input and setting; `meta()` once per setting (it does not depend on
    the length), checked to be the same for every length."""
    cases, metas = [], {}
    for rel, first, length in INPUTS:
        x = read_segment(rel, first, length)
        for J, Q in SETTINGS:
            scattering = Scattering1D(J=J, shape=length, Q=Q)
            S = scattering(x)
            frames = kept_frames(S.shape[1])
            cases.append({
                "file": rel, "first": first, "length": length, "J": J, "Q": list(Q),
                "shape": list(S.shape), "frames": frames,
                "coefficients": [[digits(v, 12) for v in row] for row in S[:, frames]],
            })
            meta = meta_rows(scattering.meta())
            assert metas.setdefault((J, Q), meta) == meta, "meta() depends on the length"
            print(f"{rel} N={length} J={J} Q={Q}: {S.shape}")
    return cases, [{"J": J, "Q": list(Q), "paths": m} for (J, Q), m in metas.items()]


def harmonic_signal(T=2 ** 13, notes=7, seed=42):
    """The example's test signal: `notes` Hann-windowed cosines of T/4 samples, each starting
    half a window after the last, frequencies uniform in [0.05, 0.15) cycles per sample and
    phases uniform in [0, 2 pi), drawn (frequencies first) from numpy's legacy generator."""
    rng = np.random.RandomState(seed)
    frequency = 0.05 + 0.1 * rng.rand(notes)
    phase = 2 * np.pi * rng.rand(notes)
    width = T // 4
    t = np.arange(width)
    x = np.zeros(T, dtype=np.float32)
    for i in range(notes):
        start = i * width // 2
        x[start:start + width] += np.hanning(width) * np.cos(2 * np.pi * frequency[i] * t + phase[i])
    return x


def example_reconstruction(x):
    """kymatio's example loop, as it runs (its quirks included: a rejected step keeps the
    point whose loss rose, and the candidate made before the brake is still evaluated)."""
    import torch
    from kymatio.torch import Scattering1D as TorchScattering

    torch.set_num_threads(1)
    scattering = TorchScattering(J=6, shape=x.size, Q=16)
    target = scattering(torch.from_numpy(x))
    torch.manual_seed(0)
    y = torch.randn(x.size, requires_grad=True)
    start = [digits(v, 9) for v in y.detach().numpy().astype(float)]
    rate, history = 100.0, []
    began = time.perf_counter()
    current = scattering(y)
    for k in range(200):
        loss = torch.norm(target - current)
        history.append(float(loss))
        loss.backward()
        candidate = (y - rate * y.grad).detach().requires_grad_(True)
        current = scattering(candidate)
        if history[k] > history[k - 1]:
            rate *= 0.55
        else:
            rate *= 1.1
            y = candidate
    seconds = time.perf_counter() - began
    final = float(torch.norm(target - scattering(y)) / torch.norm(target))
    return {"start": start, "loss": history, "final_relative_error": final, "seconds": seconds,
            "threads": 1}


def torch_gradient_seconds(x, runs=20):
    """Median time of forward + backward of the loss with the torch frontend (float32)."""
    import torch
    from kymatio.torch import Scattering1D as TorchScattering

    torch.set_num_threads(1)
    scattering = TorchScattering(J=6, shape=x.size, Q=16)
    target = scattering(torch.from_numpy(x))
    y = torch.randn(x.size, generator=torch.Generator().manual_seed(1))
    times = []
    for i in range(runs + 3):
        yy = y.clone().requires_grad_(True)
        began = time.perf_counter()
        torch.norm(scattering(yy) - target).backward()
        if i >= 3:
            times.append(time.perf_counter() - began)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args()
    x = harmonic_signal()
    cases, metas = coefficient_cases()
    reference = {
        "kymatio": kymatio.__version__, "numpy": np.__version__,
        "cases": cases, "meta": metas,
        "harmonic": {"signal": [digits(v, 9) for v in x]},
    }
    if not args.no_torch:
        reference["harmonic"]["torch_gradient_seconds"] = torch_gradient_seconds(x)
        reference["harmonic"]["example"] = example_reconstruction(x)
        print("torch forward + backward:", reference["harmonic"]["torch_gradient_seconds"], "s")
        print("example:", {k: v for k, v in reference["harmonic"]["example"].items()
                          if k in ("final_relative_error", "seconds")})
    OUT.write_text(json.dumps(reference))
    print("wrote", OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
