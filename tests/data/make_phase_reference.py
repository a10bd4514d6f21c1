"""Reference numbers for phase retrieval: librosa Griffin-Lim / Fast Griffin-Lim and an
L-BFGS-B mel-spectrogram inversion, computed on ../shared/data/music/{trumpet,violin}.wav.

Run once (it is not part of the build or the tests):
    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install librosa scipy
    /tmp/ref/bin/python tests/data/make_phase_reference.py [--audio-dir DIR] [--out FILE]
writes tests/data/phase_reference.json. Takes a few minutes; timings depend on the machine.

1. GLA (momentum 0) and FGLA (momentum 0.99) with librosa.griffinlim on S = |stft(y)|
   (n_fft = win = 2048, hop 512, hann, center=True, pad_mode 'constant'), init='random',
   random_state=0, length=len(y). SC_dB = 20 log10(||S - |stft(x)|||_F / ||S||_F) after
   0, 8, 32, 100 iterations. Seconds per iteration = (t(n_iter=100) - t(n_iter=0)) / 100,
   median of 3 repeats; also the wall time of one 32-iteration FGLA call.
2. Mel inversion of the first 3 s of trumpet.wav with scipy L-BFGS-B on "TF-style" frames
   (no centring/padding, frame t = x[1024t : 1024t+2048], periodic Hann, rfft 2048), mel
   weights as tf.signal.linear_to_mel_weight_matrix(80, 1025, 44100, 0, 8000) (HTK mel,
   triangles in the mel domain, DC row zero, no normalisation; here in float64).
   Loss = mean((M(x)/||M(x)|| - expm1(t)/||expm1(t)||)^2), t = log1p(M(y)); analytic gradient,
   checked against central finite differences. x0 ~ N(0, 1e-3^2), seed 0.
"""
import argparse
import json
import pathlib
import time

import librosa
import numpy as np
import scipy
from scipy.optimize import minimize

HERE = pathlib.Path(__file__).resolve().parent
AUDIO_DIR = HERE.parents[1] / ".." / "shared" / "data" / "music"
N_FFT, HOP, SR = 2048, 512, 44100
ITERS = (0, 8, 32, 100)
MEL_HOP, N_MELS, F_MAX, MEL_SECONDS = 1024, 80, 8000.0, 3
assert 2 * MEL_HOP == N_FFT  # the overlap-add in make_loss relies on hop = N/2


# ---------------------------------------------------------------- Griffin-Lim (librosa)
def mag(y):
    return np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP, win_length=N_FFT,
                               window="hann", center=True))


def gla(S, n_iter, momentum, length):
    return librosa.griffinlim(S, n_iter=n_iter, hop_length=HOP, win_length=N_FFT, n_fft=N_FFT,
                              window="hann", center=True, length=length, momentum=momentum,
                              init="random", random_state=0)


def sc_db(ref, est):
    return float(20 * np.log10(np.linalg.norm(ref - est) / np.linalg.norm(ref)))


def timed(f):
    t0 = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t0


def griffin_lim_results(y, momentum):
    S = mag(y)
    sc = {}
    for n in (8, 32):
        sc[str(n)] = sc_db(S, mag(gla(S, n, momentum, len(y))))
    per_iter = []
    for _ in range(3):  # each repeat times n_iter=0 and n_iter=100
        x0, t0 = timed(lambda: gla(S, 0, momentum, len(y)))
        x100, t100 = timed(lambda: gla(S, 100, momentum, len(y)))
        per_iter.append((t100 - t0) / 100)
    sc["0"], sc["100"] = sc_db(S, mag(x0)), sc_db(S, mag(x100))
    return {"sc_db": {k: sc[k] for k in map(str, ITERS)},
            "seconds_per_iteration": float(np.median(per_iter)),
            "seconds_per_iteration_repeats": per_iter}, S


# ---------------------------------------------------------------- TF-style mel spectrogram
def mel_weights(n_mels=N_MELS, n_bins=N_FFT // 2 + 1, sr=SR, f_lo=0.0, f_hi=F_MAX):
    """numpy port of tf.signal.linear_to_mel_weight_matrix; returns W (n_mels x n_bins)."""
    hz_to_mel = lambda f: 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)
    bins_mel = hz_to_mel(np.linspace(0.0, sr / 2, n_bins)[1:])[:, None]  # DC bin dropped
    edges = np.linspace(hz_to_mel(f_lo), hz_to_mel(f_hi), n_mels + 2)
    lo, c, hi = edges[:-2], edges[1:-1], edges[2:]
    w = np.maximum(0.0, np.minimum((bins_mel - lo) / (c - lo), (hi - bins_mel) / (hi - c)))
    return np.vstack([np.zeros((1, n_mels)), w]).T  # DC row zero, as tf pads it


WINDOW = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)  # periodic Hann
W = mel_weights()
# adjoint of rfft (real part of sum_k G_k e^{+i2pi kn/N}) = N * irfft(G * C)
C = np.full(N_FFT // 2 + 1, 0.5)
C[0] = C[-1] = 1.0


def frame_index(n):
    t = 1 + (n - N_FFT) // MEL_HOP
    return np.arange(t)[:, None] * MEL_HOP + np.arange(N_FFT)[None, :]


def spectrum(x):
    return np.fft.rfft(x[frame_index(len(x))] * WINDOW, axis=1)  # frames x 1025


def mel(x):
    return np.abs(spectrum(x)) @ W.T  # frames x 80


def normalised(m):
    return m / np.linalg.norm(m)


def make_loss(target_log_mel, n):
    tn = normalised(np.expm1(target_log_mel))
    idx = frame_index(n)

    def fun(x):
        X = np.fft.rfft(x[idx] * WINDOW, axis=1)
        A = np.abs(X)
        M = A @ W.T
        r = np.linalg.norm(M)
        mn = M / r
        d = mn - tn
        loss = np.mean(d * d)
        g_mn = 2.0 * d / d.size                              # dL/dMn
        g_m = (g_mn - np.sum(g_mn * mn) * mn) / r             # through M / ||M||
        g_a = g_m @ W                                         # dL/dA
        g_x = g_a * np.divide(X, A, out=np.zeros_like(X), where=A > 0)  # dL/dX (0 where |X|=0)
        g_f = N_FFT * np.fft.irfft(g_x * C, n=N_FFT, axis=1) * WINDOW   # per-frame samples
        grad = np.zeros(n)                                    # overlap-add (hop = N/2)
        t = len(g_f)
        grad[:(t + 1) * MEL_HOP].reshape(t + 1, MEL_HOP)[:t] += g_f[:, :MEL_HOP]
        grad[:(t + 1) * MEL_HOP].reshape(t + 1, MEL_HOP)[1:] += g_f[:, MEL_HOP:]
        return loss, grad
    return fun


def gradient_check():
    rng = np.random.default_rng(1)
    n = 6144
    fun = make_loss(np.log1p(mel(rng.normal(size=n))), n)
    x = rng.normal(size=n)
    _, g = fun(x)
    worst, h = 0.0, 1e-5
    for i in rng.choice(N_FFT + 2 * MEL_HOP, size=12, replace=False):  # inside framed region
        e = np.zeros(n)
        e[i] = h
        fd = (fun(x + e)[0] - fun(x - e)[0]) / (2 * h)
        worst = max(worst, abs(fd - g[i]) / max(abs(fd), abs(g[i]), 1e-300))
    print(f"gradient check: max relative error {worst:.3e} over 12 coordinates")
    assert worst < 1e-4, worst
    return worst


def mel_lbfgs(y):
    y = y[:MEL_SECONDS * SR].astype(np.float64)
    n = len(y)
    fun = make_loss(np.log1p(mel(y)), n)
    my = normalised(mel(y))
    x0 = np.random.default_rng(0).normal(0.0, 1e-3, n)
    loss_hist, sc_hist, cb_time = [], [], [0.0]

    def mel_sc(x):
        return sc_db(my, normalised(mel(x)))

    def callback(intermediate_result):
        t0 = time.perf_counter()
        loss_hist.append(float(intermediate_result.fun))
        if len(loss_hist) % 10 == 0:
            sc_hist.append([len(loss_hist), mel_sc(intermediate_result.x)])
        cb_time[0] += time.perf_counter() - t0

    res, wall = timed(lambda: minimize(fun, x0, jac=True, method="L-BFGS-B", callback=callback,
                                       options=dict(maxiter=1000, maxfun=2000, ftol=0.0,
                                                    gtol=0.0, maxcor=10)))
    ay, ax = np.abs(spectrum(y)), np.abs(spectrum(res.x))
    scale = np.sum(ax * ay) / np.sum(ax * ax)  # best scalar for x (magnitudes scale with |s|)
    return {"seconds": wall - cb_time[0], "seconds_including_callback": wall,
            "nit": int(res.nit), "nfev": int(res.nfev), "message": str(res.message),
            "loss": float(res.fun), "mel_sc_db": mel_sc(res.x),
            "linear_sc_db": sc_db(ay, ax), "linear_sc_db_scaled": sc_db(ay, scale * ax),
            "best_scale": float(scale), "initial_loss": float(fun(x0)[0]),
            "initial_mel_sc_db": mel_sc(x0),
            "loss_history": loss_hist, "mel_sc_history": sc_hist}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--audio-dir", type=pathlib.Path, default=AUDIO_DIR)
    ap.add_argument("--out", type=pathlib.Path, default=HERE / "phase_reference.json")
    args = ap.parse_args()

    out = {"librosa_version": librosa.__version__, "scipy_version": scipy.__version__,
           "numpy_version": np.__version__, "gla": {}, "fgla": {}, "fgla_32_seconds": {}}
    audio = {}
    for name in ("trumpet", "violin"):
        y, sr = librosa.load(args.audio_dir / f"{name}.wav", sr=None, mono=True)
        assert sr == SR, sr
        audio[name] = y
        for key, m in (("gla", 0.0), ("fgla", 0.99)):
            out[key][name], S = griffin_lim_results(y, m)
            print(name, key, out[key][name]["sc_db"], out[key][name]["seconds_per_iteration"])
        out["fgla_32_seconds"][name] = timed(lambda: gla(S, 32, 0.99, len(y)))[1]

    out["gradient_check_max_rel_error"] = gradient_check()
    out["mel_lbfgs"] = mel_lbfgs(audio["trumpet"])
    print({k: v for k, v in out["mel_lbfgs"].items() if not k.endswith("history")})
    out["settings"] = {
        "audio": "music/{trumpet,violin}.wav, 44.1 kHz mono 15 s, librosa.load(sr=None) float32",
        "griffin_lim": "librosa.griffinlim(S, n_iter, hop_length=512, win_length=2048, "
                       "n_fft=2048, window='hann', center=True, length=len(y), momentum=m, "
                       "init='random', random_state=0); gla m=0, fgla m=0.99",
        "stft": "S=|librosa.stft(y, n_fft=2048, hop_length=512, win_length=2048, "
                "window='hann', center=True)|, pad_mode 'constant'",
        "sc_db": "20*log10(||S-|stft(x)|||_F/||S||_F)",
        "seconds_per_iteration": "(t(n_iter=100)-t(n_iter=0))/100, median of 3, perf_counter",
        "fgla_32_seconds": "wall time of one librosa.griffinlim call, n_iter=32, momentum 0.99",
        "mel_frames": "no centring/padding, frame t = x[1024t:1024t+2048], "
                      "T=1+(N-2048)//1024, periodic Hann 2048, rfft -> 1025 bins, A=|X|",
        "mel_weights": "tf.signal.linear_to_mel_weight_matrix(80, 1025, 44100, 0, 8000) "
                       "port: HTK mel 1127 ln(1+f/700), triangles in mel, DC row 0, float64",
        "mel_signal": "first 3 s (132300 samples) of trumpet.wav, float64",
        "loss": "mean((M(x)/||M(x)||_F - expm1(t)/||expm1(t)||_F)^2), t=log1p(A(y) W^T)",
        "mel_sc_db": "20*log10(||Mn(x)-Mn(y)||_F/||Mn(y)||_F), Mn=M/||M||_F",
        "linear_sc_db": "SC of |X(x)| vs |X(y)| on the TF-style frames; _scaled: x times "
                        "best_scale = <|X(x)|,|X(y)|>/||X(x)||^2",
        "x0": "np.random.default_rng(0).normal(0, 1e-3, N)",
        "optimizer": "scipy.optimize.minimize(method='L-BFGS-B', jac=True, options="
                     "dict(maxiter=1000, maxfun=2000, ftol=0, gtol=0, maxcor=10))",
        "mel_lbfgs_seconds": "wall time of minimize minus time spent in the callback",
        "loss_history": "fun after each iteration (callback)",
        "mel_sc_history": "[iteration, mel_sc_db] every 10th iteration",
        "gradient_check": "central differences h=1e-5, 12 coordinates, N=6144 random signal",
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
