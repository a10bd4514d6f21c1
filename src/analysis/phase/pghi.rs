//! Phase-gradient heap integration (Průša, Balazs and Søndergaard 2017), whole and real-time
//! (frame by frame): a phase for an STFT magnitude without iterating. For a Gaussian window exp(-π t²/γ) the phase and the log
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

/// How far the phase turns from one coefficient to the next along time and along frequency,
/// from the log magnitude.
struct Steps {
    log: Vec<Vec<f64>>,
    bins: usize,
    /// Hop, FFT size and the window's γ.
    a: f64,
    m_size: f64,
    gamma: f64,
    /// The time derivative of the log magnitude looks back only (no frame of look-ahead).
    causal: bool,
}

impl Steps {
    fn new(magnitude: &[Vec<f32>], layout: &StftLayout, causal: bool) -> Self {
        let log = magnitude
            .iter()
            .map(|f| {
                f.iter()
                    .map(|v| (v.max(f32::MIN_POSITIVE) as f64).ln())
                    .collect()
            })
            .collect();
        Self {
            log,
            bins: layout.n_fft / 2 + 1,
            a: layout.hop as f64,
            m_size: layout.n_fft as f64,
            gamma: hann_gamma(layout.win),
            causal,
        }
    }

    /// Centred difference of `get` at `i` of `len`, one-sided at the edges.
    fn diff(get: impl Fn(usize) -> f64, i: usize, len: usize) -> f64 {
        match (i, len) {
            (_, 0 | 1) => 0.0,
            (0, _) => get(1) - get(0),
            (i, len) if i == len - 1 => get(i) - get(i - 1),
            (i, _) => (get(i + 1) - get(i - 1)) / 2.0,
        }
    }

    /// Phase turn per hop at frame `n`, bin `m`: the bin's own frequency plus the deviation
    /// the log magnitude's slope across frequency shows.
    fn time(&self, n: usize, m: usize) -> f64 {
        let ds_dm = Self::diff(|k| self.log[n][k], m, self.bins);
        std::f64::consts::TAU * self.a * m as f64 / self.m_size
            + self.a * self.m_size / self.gamma * ds_dm
    }

    /// Phase turn per bin at frame `n`, bin `m`, from the log magnitude's slope across time.
    fn freq(&self, n: usize, m: usize) -> f64 {
        let s = |t: usize| self.log[t][m];
        let ds_dn = if self.causal {
            // Second-order backward difference: as accurate as the centred one, no look-ahead.
            match n {
                0 => 0.0,
                1 => s(1) - s(0),
                n => (3.0 * s(n) - 4.0 * s(n - 1) + s(n - 2)) / 2.0,
            }
        } else {
            Self::diff(|t| self.log[t][m], n, self.log.len())
        };
        -self.gamma / (self.a * self.m_size) * ds_dn
    }
}

/// Coefficients at or under this are left at zero phase.
fn floor(magnitude: &[Vec<f32>], tol: f32) -> f32 {
    magnitude.iter().flatten().fold(0.0f32, |m, v| m.max(*v)) * tol
}

/// A phase (radians) for every frame and bin of `magnitude`, an STFT magnitude on `layout`.
pub fn pghi(magnitude: &[Vec<f32>], layout: &StftLayout, tol: f32) -> Vec<Vec<f32>> {
    let frames = magnitude.len();
    let steps = Steps::new(magnitude, layout, false);
    let bins = steps.bins;
    let floor = floor(magnitude, tol);
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
                    here + (steps.time(n, m) + steps.time(n + 1, m)) / 2.0,
                );
            }
            if n > 0 {
                visit(
                    n - 1,
                    m,
                    here - (steps.time(n, m) + steps.time(n - 1, m)) / 2.0,
                );
            }
            if m + 1 < bins {
                visit(
                    n,
                    m + 1,
                    here + (steps.freq(n, m) + steps.freq(n, m + 1)) / 2.0,
                );
            }
            if m > 0 {
                visit(
                    n,
                    m - 1,
                    here - (steps.freq(n, m) + steps.freq(n, m - 1)) / 2.0,
                );
            }
        }
    }
    frame_origin(&phase)
}

/// Real-time PGHI (Průša and Holighaus 2017): frame by frame, each frame's phase carried
/// forward from the frame before (in time) and across its own bins (in frequency), largest
/// coefficients first. With `lookahead` the time slope of the log magnitude is centred, which
/// needs the next frame (one frame of latency in a stream); without, it looks back only.
pub fn rtpghi(
    magnitude: &[Vec<f32>],
    layout: &StftLayout,
    tol: f32,
    lookahead: bool,
) -> Vec<Vec<f32>> {
    let frames = magnitude.len();
    let steps = Steps::new(magnitude, layout, !lookahead);
    let bins = steps.bins;
    let floor = floor(magnitude, tol);
    let mut phase = vec![vec![0.0f64; bins]; frames];
    let mut done = vec![false; bins];
    // (magnitude bits, from the previous frame?, bin)
    let mut heap: BinaryHeap<(u32, bool, usize)> = BinaryHeap::new();
    for n in 0..frames {
        let now = &magnitude[n];
        for (d, v) in done.iter_mut().zip(now) {
            *d = *v <= floor;
        }
        if n > 0 {
            let before = &magnitude[n - 1];
            heap.extend(
                (0..bins)
                    .filter(|m| before[*m] > floor)
                    .map(|m| (before[m].to_bits(), true, m)),
            );
        }
        loop {
            let Some((_, previous, m)) = heap.pop() else {
                // Nothing left to carry the phase from: start anew at the largest bin left.
                let Some(m) = (0..bins)
                    .filter(|m| !done[*m])
                    .max_by_key(|m| now[*m].to_bits())
                else {
                    break;
                };
                done[m] = true;
                phase[n][m] = 0.0;
                heap.push((now[m].to_bits(), false, m));
                continue;
            };
            if previous {
                if !done[m] {
                    done[m] = true;
                    phase[n][m] = phase[n - 1][m] + (steps.time(n - 1, m) + steps.time(n, m)) / 2.0;
                    heap.push((now[m].to_bits(), false, m));
                }
                continue;
            }
            let here = phase[n][m];
            for (m2, sign) in [(m + 1, 1.0), (m.wrapping_sub(1), -1.0)] {
                if m2 < bins && !done[m2] {
                    done[m2] = true;
                    phase[n][m2] = here + sign * (steps.freq(n, m) + steps.freq(n, m2)) / 2.0;
                    heap.push((now[m2].to_bits(), false, m2));
                }
            }
        }
    }
    frame_origin(&phase)
}

/// From phases with the time origin at each frame's centre to our frames', whose origin is
/// their first sample, half an FFT earlier: bin m turns by π m more.
fn frame_origin(phase: &[Vec<f64>]) -> Vec<Vec<f32>> {
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
