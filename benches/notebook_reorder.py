"""The whole `reorder --embed tsne` job, Phasewright against the notebook's Python, in paired
runs on the same 20-s file (the corpus's trumpet, then its violin). Run after a release build
(`cargo build --release`), in a venv with librosa and scikit-learn:
    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install librosa scikit-learn
    /tmp/ref/bin/python benches/notebook_reorder.py
The Python job is timed from reading the file to writing the result (imports excluded, as in a
notebook whose imports have run); Phasewright's as the wall time of its whole process."""
import pathlib
import statistics
import subprocess
import sys
import time

import librosa
import numpy as np
import soundfile as sf
from sklearn.manifold import TSNE

ROOT = pathlib.Path(__file__).resolve().parents[1]
MUSIC = ROOT / ".." / "shared" / "data" / "music"
TARGET = ROOT / "target"
N_FFT, HOP, WIN, N_MELS = 2000, 400, 2000, 128
RUNS = 3


def make_input(path):
    trumpet, sr = sf.read(MUSIC / "trumpet.wav", dtype="float32")
    violin, _ = sf.read(MUSIC / "violin.wav", dtype="float32")
    sf.write(path, np.concatenate([trumpet, violin])[: 20 * sr], sr, subtype="PCM_16")


def notebook_job(source, destination):
    """The notebook's SpectReorder with a 1-D t-SNE, as scikit-learn's defaults run it."""
    y, sr = librosa.load(source, sr=None, mono=True)
    stft = librosa.stft(y, n_fft=N_FFT, hop_length=HOP, win_length=WIN, window="hann")
    mel = librosa.feature.melspectrogram(S=np.abs(stft) ** 2, sr=sr, n_mels=N_MELS)
    features = librosa.amplitude_to_db(mel, ref=1.0, amin=1e-5, top_db=80.0).T
    embedding = TSNE(n_components=1, random_state=0).fit_transform(features)[:, 0]
    order = np.argsort(embedding, kind="stable")
    out = librosa.istft(stft[:, order], hop_length=HOP, win_length=WIN, window="hann", length=len(y))
    sf.write(destination, out, sr)


def main():
    source = TARGET / "reorder_job_input.wav"
    make_input(source)
    binary = TARGET / "release" / "phasewright"
    if not binary.exists():
        sys.exit(f"{binary} is missing: run `cargo build --release` first")
    python_times, rust_times = [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        notebook_job(source, TARGET / "reorder_job_python.wav")
        python_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run([binary, "reorder", source, "-o", TARGET / "reorder_job_rust.wav",
                        "--embed", "tsne"], check=True, stdout=subprocess.DEVNULL)
        rust_times.append(time.perf_counter() - start)
    python, rust = statistics.median(python_times), statistics.median(rust_times)
    print(f"notebook (librosa + scikit-learn t-SNE): {python:.2f} s, median of {RUNS}")
    print(f"phasewright reorder --embed tsne: {rust:.3f} s, median of {RUNS}")
    print(f"phasewright is {python / rust:.1f}x faster")


if __name__ == "__main__":
    main()
