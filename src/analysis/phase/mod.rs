//! Phase reconstruction: a signal whose STFT magnitude is as close as can be to a given one.
//! Every method works on the one STFT core (`dsp::stft::SignalTransform`, librosa's
//! conventions) and reports the spectral convergence after every iteration:
//! SC = 20 log10(‖S − |STFT(x)|‖_F / ‖S‖_F), where S is the target magnitude and x the current
//! signal. Magnitudes are √(re² + im²), not `norm()`, whose overflow-safe hypot made it the
//! largest cost of an iteration.
//!
//! - `griffin_lim`: GLA (Griffin and Lim 1984) and fast GLA (Perraudin, Balazs and Søndergaard
//!   2013) in librosa's form, whose `momentum` α extrapolates each new consistent estimate away
//!   from the last by α / (1 + α); α = 0 is plain GLA.
//! - `pghi`: phase-gradient heap integration, no iterations; also a start for GLA; and
//!   `rtpghi`, its frame-by-frame form, with or without a frame of look-ahead.
//! - `invert_lbfgs`: L-BFGS on the samples against a `SpectrogramLoss` (compressed magnitude or
//!   mel spectrogram), with the loss's exact gradient (Decorsière et al. 2015).

mod griffin_lim;
mod lbfgs_inversion;
mod pghi;
mod spectrogram_loss;

pub use griffin_lim::{
    griffin_lim, griffin_lim_loop, signal_with_phase, Acceleration, GlaSettings,
};
pub use lbfgs_inversion::{gaussian_noise, invert_lbfgs};
pub use pghi::{hann_gamma, pghi, rtpghi, TOLERANCE};
pub use spectrogram_loss::{SpectrogramLoss, Target};

use rand::{Rng, SeedableRng};
use realfft::num_complex::Complex32;

/// Where the iterations start from.
#[derive(Clone, Debug, PartialEq)]
pub enum InitialPhase {
    /// Uniform random phase in every bin, from a seed.
    Random(u64),
    /// Zero phase: the magnitude as it is.
    Zero,
    /// One phase (radians) per frame and bin.
    Given(Vec<Vec<f32>>),
}

impl InitialPhase {
    /// Unit phasors, one per frame and bin.
    fn phasors(&self, frames: usize, bins: usize) -> Vec<Vec<Complex32>> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(match self {
            InitialPhase::Random(seed) => *seed,
            _ => 0,
        });
        (0..frames)
            .map(|t| {
                (0..bins)
                    .map(|k| match self {
                        InitialPhase::Random(_) => {
                            Complex32::from_polar(1.0, rng.random::<f32>() * std::f32::consts::TAU)
                        }
                        InitialPhase::Zero => Complex32::new(1.0, 0.0),
                        InitialPhase::Given(phase) => Complex32::from_polar(
                            1.0,
                            phase.get(t).and_then(|f| f.get(k)).copied().unwrap_or(0.0),
                        ),
                    })
                    .collect()
            })
            .collect()
    }
}

/// A rebuilt signal and how close its magnitude came, after each iteration.
#[derive(Clone, Debug)]
pub struct Reconstruction {
    pub signal: Vec<f32>,
    /// SC in dB of the starting estimate, then after every iteration.
    pub sc_db: Vec<f64>,
    /// Iterations run (fewer than asked when cancelled).
    pub iterations: usize,
}

/// Spectral convergence of `spectra` against the target magnitude, in dB.
pub fn spectral_convergence_db(target: &[Vec<f32>], spectra: &[Vec<Complex32>]) -> f64 {
    let (mut error, mut total) = (0.0f64, 0.0f64);
    for (s, x) in target.iter().zip(spectra) {
        for (s, x) in s.iter().zip(x) {
            let d = (*s - x.norm_sqr().sqrt()) as f64;
            error += d * d;
            total += (*s as f64) * (*s as f64);
        }
    }
    if total == 0.0 {
        return if error == 0.0 { f64::NEG_INFINITY } else { 0.0 };
    }
    10.0 * (error / total).log10()
}

/// The magnitude of each frame's spectrum.
pub fn magnitudes(spectra: &[Vec<Complex32>]) -> Vec<Vec<f32>> {
    spectra
        .iter()
        .map(|f| f.iter().map(|c| c.norm_sqr().sqrt()).collect())
        .collect()
}

#[cfg(test)]
mod tests;
