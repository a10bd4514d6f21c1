"""Reference for `phasewright reorder --embed pca`: the notebook's SpectReorder features and
order computed with librosa and scikit-learn on ../shared/data/music/trumpet.wav.

Run once (it is not part of the build or the tests):
    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install librosa scikit-learn
    /tmp/ref/bin/python tests/data/make_pca_reference.py
writes tests/data/trumpet_pca_reference.json. Features as in src/learn/features.rs: power mel
spectrogram (128 mels, librosa defaults), optional volume weighting (each band over its sum in
time), amplitude_to_db(ref=1, amin=1e-5, top_db=80), optional log-frequency weighting
ln(n_mels + 1 - j) for band j = 1..n_mels; PCA(n_components=1) over frames; stable argsort.
"""
import json
import pathlib

import librosa
import numpy as np
import sklearn
from sklearn.decomposition import PCA

HERE = pathlib.Path(__file__).resolve().parent
AUDIO = HERE.parents[1] / ".." / "shared" / "data" / "music" / "trumpet.wav"
N_FFT, HOP, WIN, N_MELS = 2000, 400, 2000, 128


def features(y, sr, weighting):
    stft = librosa.stft(y, n_fft=N_FFT, hop_length=HOP, win_length=WIN, window="hann", center=True)
    mel = librosa.feature.melspectrogram(S=np.abs(stft) ** 2, sr=sr, n_mels=N_MELS)
    if weighting in ("volume", "both"):
        mel = mel / mel.sum(axis=1, keepdims=True)
    db = librosa.amplitude_to_db(mel, ref=1.0, amin=1e-5, top_db=80.0)
    if weighting in ("logfreq", "both"):
        j = np.arange(1, N_MELS + 1)
        db = db * np.log(N_MELS + 1 - j)[:, None]
    return db.T  # frames x mels


def main():
    y, sr = librosa.load(AUDIO, sr=None, mono=True)
    out = {
        "file": "music/trumpet.wav",
        "sample_rate": sr,
        "n_fft": N_FFT, "hop": HOP, "win": WIN, "n_mels": N_MELS,
        "versions": {"librosa": librosa.__version__, "scikit-learn": sklearn.__version__,
                     "numpy": np.__version__},
        "weightings": {},
    }
    for weighting in ("none", "volume", "logfreq", "both"):
        x = features(y, sr, weighting)
        embedding = PCA(n_components=1).fit_transform(x)[:, 0]
        out["weightings"][weighting] = {
            "embedding": [float(f"{v:.7g}") for v in embedding],
            "order": np.argsort(embedding, kind="stable").tolist(),
            "middle_frame_features": [float(f"{v:.7g}") for v in x[len(x) // 2]],
            # Every 50th frame (silent ones at the floor included), to check features everywhere.
            "sampled_frames": [[i, [float(f"{v:.7g}") for v in x[i]]] for i in range(0, len(x), 50)],
        }
    (HERE / "trumpet_pca_reference.json").write_text(json.dumps(out))


if __name__ == "__main__":
    main()
