//! The filters of kymatio 0.3's `Scattering1D`, designed in the Fourier domain as it designs
//! them: Morlet wavelets (a Gaussian bump at ξ minus the low-pass that zeroes its mean) and a
//! Gaussian low-pass, each summed over a few periods of the frequency axis (so it is the
//! transform of a periodic filter), normalised to unit l1 norm in time. The centre
//! frequencies fall by 2^(1/Q) from the highest (a constant-Q part) until the bandwidth would
//! drop below the low-pass's, then step linearly down to 0 at that bandwidth.

use std::ops::Range;

use rustfft::num_complex::Complex64;
use rustfft::FftPlanner;

/// Gaussians below this are cut off when summing the periods of a filter.
const GAUSSIAN_EPS: f64 = 1e-7;
/// The most periods summed on each side.
const MAX_PERIODS: usize = 5;
/// Neighbouring wavelets cross at this fraction of their peak.
const CROSSING: f64 = std::f64::consts::FRAC_1_SQRT_2;
/// A wavelet's bandwidth in standard deviations when choosing how far it may be subsampled.
const ALPHA: f64 = 5.0;
/// The l1 mass a filter may lose when cut to its temporal support.
const SUPPORT_CRITERION: f64 = 1e-3;

/// One band-pass filter: its centre frequency and width (cycles per sample), the octave j
/// it may be subsampled by, and its transfer function at the padded length and (second
/// order only) periodised to each coarser length it is applied at.
pub struct Wavelet {
    pub xi: f64,
    pub sigma: f64,
    pub j: u32,
    pub levels: Vec<Filter>,
}

/// A transfer function, with the runs of it that are not exactly 0. Far from its centre a
/// Gaussian underflows to 0, and most of a narrow wavelet (two thirds of the first-order
/// bank at Q = 16) is such zeros, which the products skip: exactly, as they add nothing.
pub struct Filter {
    pub values: Vec<f64>,
    pub nonzero: Vec<Range<usize>>,
}

impl From<Vec<f64>> for Filter {
    fn from(values: Vec<f64>) -> Self {
        let mut nonzero: Vec<Range<usize>> = Vec::new();
        for (i, _) in values.iter().enumerate().filter(|(_, v)| **v != 0.0) {
            match nonzero.last_mut() {
                Some(run) if run.end == i => run.end = i + 1,
                _ => nonzero.push(i..i + 1),
            }
        }
        Self { values, nonzero }
    }
}

impl Filter {
    /// The nonzero runs cut at multiples of `block`, so that no piece straddles two blocks.
    pub fn pieces(&self, block: usize) -> impl Iterator<Item = Range<usize>> + '_ {
        self.nonzero.iter().flat_map(move |run| {
            let starts = std::iter::successors(Some(run.start), move |&at| {
                let next = (at / block + 1) * block;
                (next < run.end).then_some(next)
            });
            starts.map(move |at| at..((at / block + 1) * block).min(run.end))
        })
    }
}

/// The wavelets of both orders and the low-pass.
pub struct Bank {
    pub psi1: Vec<Wavelet>,
    pub psi2: Vec<Wavelet>,
    /// The low-pass at the padded length and periodised to each coarser one.
    pub phi: Vec<Filter>,
}

/// A Morlet wavelet (centre `xi`) or, with `xi` None, the Gaussian low-pass, of width `sigma`,
/// sampled at `n` frequencies k/n and summed over the periods that matter.
pub fn morlet(n: usize, xi: Option<f64>, sigma: f64) -> Vec<f64> {
    let periods = periods(sigma).min(MAX_PERIODS);
    let folded = |centre: f64| -> Vec<f64> {
        let mut sum = vec![0.0; n];
        for p in 0..2 * periods - 1 {
            let shift = p as f64 + 1.0 - periods as f64;
            for (k, s) in sum.iter_mut().enumerate() {
                let f = shift + k as f64 / n as f64 - centre;
                *s += (-f * f / (2.0 * sigma * sigma)).exp();
            }
        }
        let count = (2 * periods - 1) as f64;
        sum.iter_mut().for_each(|s| *s /= count);
        sum
    };
    let low = folded(0.0);
    let filter: Vec<f64> = match xi {
        Some(xi) => {
            let bump = folded(xi);
            let kappa = bump[0] / low[0];
            bump.iter().zip(&low).map(|(b, l)| b - kappa * l).collect()
        }
        None => low,
    };
    let l1: f64 = inverse_dft(&filter).iter().map(|h| h.norm()).sum();
    filter.iter().map(|f| f / l1).collect()
}

/// Periods of the frequency axis on each side past which the Gaussian is below `GAUSSIAN_EPS`.
fn periods(sigma: f64) -> usize {
    ((-2.0 * sigma * sigma * GAUSSIAN_EPS.ln()).sqrt() + 1.0).ceil() as usize
}

/// The impulse response of a transfer function (normalised inverse FFT).
fn inverse_dft(filter: &[f64]) -> Vec<Complex64> {
    let mut h: Vec<Complex64> = filter.iter().map(|f| Complex64::new(*f, 0.0)).collect();
    FftPlanner::new().plan_fft_inverse(h.len()).process(&mut h);
    let n = h.len() as f64;
    h.iter_mut().for_each(|v| *v /= n);
    h
}

/// The width of the wavelet at `xi` that crosses its neighbours (2^(1/Q) apart) at `CROSSING`.
fn sigma_for(xi: f64, q: usize) -> f64 {
    let factor = 2f64.powf(-1.0 / q as f64);
    xi * (1.0 - factor) / (1.0 + factor) / (2.0 * (1.0 / CROSSING).ln()).sqrt()
}

/// The octave a filter at `xi` of width `sigma` may be subsampled by without aliasing.
fn max_subsampling(xi: f64, sigma: f64) -> i64 {
    let top = (xi + ALPHA * sigma).min(0.5);
    (-top.log2()).floor() as i64 - 1
}

/// (ξ, σ, j) of the wavelets of one order with Q per octave, down to the width `sigma_min`.
pub fn centre_frequencies(sigma_min: f64, q: usize) -> Vec<(f64, f64, u32)> {
    let step = 2f64.powf(1.0 / q as f64);
    let xi_max = (1.0 / (1.0 + 2f64.powf(3.0 / q as f64))).max(0.35);
    let sigma_max = sigma_for(xi_max, q);
    let (mut xis, mut sigmas, elbow) = if sigma_max <= sigma_min {
        (vec![], vec![], sigma_max)
    } else {
        let (mut xis, mut sigmas) = (vec![xi_max], vec![sigma_max]);
        while *sigmas.last().unwrap() > sigma_min * step {
            xis.push(xis.last().unwrap() / step);
            sigmas.push(sigmas.last().unwrap() / step);
        }
        let elbow = *xis.last().unwrap();
        (xis, sigmas, elbow)
    };
    for i in 1..q {
        xis.push(elbow - i as f64 / q as f64 * elbow);
        sigmas.push(sigma_min);
    }
    (xis.iter().zip(&sigmas))
        .map(|(&xi, &sigma)| (xi, sigma, max_subsampling(xi, sigma).max(0) as u32))
        .collect()
}

/// The half-length of the impulse response of `filter` that holds all but
/// `SUPPORT_CRITERION` of its l1 mass (the tail past it sums to at most that).
pub fn temporal_support(filter: &[f64]) -> usize {
    let h = inverse_dft(filter);
    let half = h.len() / 2;
    let mut tail = 0.0;
    let mut support = half;
    for n in (0..half).rev() {
        tail += h[n].norm();
        if tail <= SUPPORT_CRITERION {
            support = n + 1;
        }
    }
    support
}

/// `filter` periodised to a 2^`octave` times shorter length: the mean of its blocks, which is
/// the transfer function of the filter applied before subsampling by 2^octave.
pub fn periodise(filter: &[f64], octave: u32) -> Vec<f64> {
    let blocks = 1usize << octave;
    let len = filter.len() / blocks;
    (0..len)
        .map(|i| (0..blocks).map(|b| filter[b * len + i]).sum::<f64>() / blocks as f64)
        .collect()
}
