"""scikit-learn's PCA and t-SNE on the features `cargo bench --bench embedding` wrote, for the
ratio against Phasewright's (run right after that bench, in a venv with scikit-learn):
    python benches/sklearn_embedding.py
Times are the median of several runs (t-SNE exact at 2000 frames: one run)."""
import json
import pathlib
import statistics
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE

X = np.array(json.loads((pathlib.Path(__file__).resolve().parents[1] / "target" / "embedding_features.json").read_text()))


def timed(f, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


for n in (500, 2000):
    x = X[:n]
    print(f"pca {n}: {timed(lambda: PCA(n_components=1).fit_transform(x), 20) * 1e3:.2f} ms")
    for method in ("exact", "barnes_hut"):
        runs = 1 if (method == "exact" and n == 2000) else 3
        t = timed(lambda: TSNE(n_components=1, method=method, random_state=0).fit_transform(x), runs)
        print(f"tsne {method} {n}: {t:.2f} s")
