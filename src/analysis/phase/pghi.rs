//! Phase-gradient heap integration (Průša, Balazs and Søndergaard 2017): a phase for an STFT
//! magnitude without iterating. For a Gaussian window exp(-π t²/γ) the phase and the log
//! magnitude s of the STFT are tied like the two parts of an analytic function, which gives,
//! in our frame-local transform with the window centred on t = τ:
//!
//! - along time: ∂φ/∂τ = 2πω + (1/γ) ∂s/∂ω (ω in cycles per sample),
//! - along frequency: ∂φ/∂ω = −γ ∂s/∂τ.
//!
//! Other windows use the γ of the Gaussian closest to them (for Hann of length L, γ = 0.25645
//! L²). The derivatives are estimated by centred differences of s, and integrated by the
//! trapezoidal rule outward from the largest coefficients first (a max-heap), so the phase is
//! carried through where it is reliable. Coefficients below `tol` times the largest get a zero
//! phase: they are noise, and any phase does for them.

use std::collections::BinaryHeap;

use crate::dsp::stft::StftLayout;

/// The Gaussian-equivalent γ of a periodic Hann window of `len` samples.
pub fn hann_gamma(len: usize) -> f64 {
    0.25645 * (len * len) as f64
}

/// The small-coefficient tolerance of the paper: 10⁻⁵ of the largest magnitude (−100 dB).
pub const TOLERANCE: f32 = 1e-5;

/// A phase (radians) for every frame and bin of `magnitude`, an STFT magnitude on `layout`.
pub fn pghi(magnitude: &[Vec<f32>], layout: &StftLayout, tol: f32) -> Vec<Vec<f32>> {
    let frames = magnitude.len();
    let bins = layout.n_fft / 2 + 1;
    let (a, m_size) = (layout.hop as f64, layout.n_fft as f64);
    let gamma = hann_gamma(layout.win);
    let peak = magnitude.iter().flatten().fold(0.0f32, |m, v| m.max(*v));
    let floor = peak * tol;
    let log: Vec<Vec<f64>> = magnitude
        .iter()
        .map(|f| {
            f.iter()
                .map(|v| (v.max(f32::MIN_POSITIVE) as f64).ln())
                .collect()
        })
        .collect();
    // Centred differences, one-sided at the edges.
    let diff = |get: &dyn Fn(usize) -> f64, i: usize, len: usize| -> f64 {
        match (i, len) {
            (_, 0 | 1) => 0.0,
            (0, _) => get(1) - get(0),
            (i, len) if i == len - 1 => get(i) - get(i - 1),
            (i, _) => (get(i + 1) - get(i - 1)) / 2.0,
        }
    };
    // Phase step to the next frame (time) and to the next bin (frequency), per coefficient.
    let step_time = |n: usize, m: usize| {
        let ds_dm = diff(&|k| log[n][k], m, bins);
        std::f64::consts::TAU * a * m as f64 / m_size + a * m_size / gamma * ds_dm
    };
    let step_freq = |n: usize, m: usize| {
        let ds_dn = diff(&|t| log[t][m], n, frames);
        -gamma / (a * m_size) * ds_dn
    };
    let mut phase = vec![vec![0.0f64; bins]; frames];
    let mut done: Vec<Vec<bool>> = magnitude
        .iter()
        .map(|f| f.iter().map(|v| *v <= floor).collect())
        .collect();
    // Largest first; magnitudes are non-negative, so their bits order like them.
    let mut by_size: Vec<(u32, usize, usize)> = (0..frames)
        .flat_map(|n| (0..bins).map(move |m| (n, m)))
        .filter(|&(n, m)| !done[n][m])
        .map(|(n, m)| (magnitude[n][m].to_bits(), n, m))
        .collect();
    by_size.sort_unstable_by(|x, y| y.cmp(x));
    let mut heap = BinaryHeap::new();
    for &(_, n, m) in &by_size {
        if done[n][m] {
            continue;
        }
        done[n][m] = true;
        heap.push((magnitude[n][m].to_bits(), n, m));
        while let Some((_, n, m)) = heap.pop() {
            let here = phase[n][m];
            let mut visit = |n2: usize, m2: usize, value: f64| {
                if !done[n2][m2] {
                    done[n2][m2] = true;
                    phase[n2][m2] = value;
                    heap.push((magnitude[n2][m2].to_bits(), n2, m2));
                }
            };
            if n + 1 < frames {
                visit(
                    n + 1,
                    m,
                    here + (step_time(n, m) + step_time(n + 1, m)) / 2.0,
                );
            }
            if n > 0 {
                visit(
                    n - 1,
                    m,
                    here - (step_time(n, m) + step_time(n - 1, m)) / 2.0,
                );
            }
            if m + 1 < bins {
                visit(
                    n,
                    m + 1,
                    here + (step_freq(n, m) + step_freq(n, m + 1)) / 2.0,
                );
            }
            if m > 0 {
                visit(
                    n,
                    m - 1,
                    here - (step_freq(n, m) + step_freq(n, m - 1)) / 2.0,
                );
            }
        }
    }
    // The frames' time origin is their first sample, half an FFT before their centre: bin m
    // turns by π m more.
    phase
        .iter()
        .map(|f| {
            f.iter()
                .enumerate()
                .map(|(m, p)| {
                    ((p + std::f64::consts::PI * m as f64) % std::f64::consts::TAU) as f32
                })
                .collect()
        })
        .collect()
}
