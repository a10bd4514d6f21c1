//! The Griffin-Lim family. Each iteration puts the target magnitude S under the current
//! estimate's phases (P₂), synthesises that signal and analyses it again (P₁: the consistent
//! spectrogram nearest to it, in the least-squares sense); what differs is how the next
//! estimate is extrapolated from the consistent ones:
//! - GLA (Griffin and Lim 1984): it is the consistent one.
//! - Fast GLA (Perraudin, Balazs and Søndergaard 2013) in librosa's form: pushed away from
//!   the previous one by the momentum α.
//! - Accelerated GLA (Nenov, Nguyen, Balazs and Boţ 2023): tₙ = (1 − γ) dₙ₋₁ + γ P₁P₂(cₙ₋₁),
//!   cₙ = tₙ + α (tₙ − tₙ₋₁), dₙ = tₙ + β (tₙ − tₙ₋₁). With γ = 1 it is fast GLA, which is how
//!   all three run here.

use realfft::num_complex::Complex32;

use super::{spectral_convergence_db, InitialPhase, Reconstruction};
use crate::dsp::stft::{SignalTransform, StftLayout};

/// How the next estimate is extrapolated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Acceleration {
    /// librosa's `momentum`: 0 is GLA, 0.99 its default fast GLA.
    Momentum(f32),
    /// AGLA's inertial parameters.
    Accelerated { alpha: f32, beta: f32, gamma: f32 },
}

impl Acceleration {
    /// AGLA with the paper's best parameters overall (outside its convergence guarantee).
    pub const AGLA: Acceleration = Acceleration::Accelerated {
        alpha: 1.05,
        beta: 1.35,
        gamma: 1.25,
    };

    /// AGLA with the paper's parameters inside its convergence guarantee (α = 0.09, β = 1.1,
    /// γ = 0.2 meet its bounds β < (2 − γ) / 2(1 − γ), α < (1 − 1/γ) β + 1/γ − ½).
    pub const AGLA_GUARANTEED: Acceleration = Acceleration::Accelerated {
        alpha: 0.09,
        beta: 1.1,
        gamma: 0.2,
    };

    /// (α, β, γ) of the common iteration.
    fn parameters(self) -> Result<(f32, f32, f32), String> {
        match self {
            Acceleration::Momentum(m) if (0.0..1.0).contains(&m) => Ok((m, 0.0, 1.0)),
            Acceleration::Momentum(m) => Err(format!("momentum {m} is outside 0 to 1")),
            Acceleration::Accelerated { alpha, beta, gamma }
                if alpha >= 0.0
                    && beta >= 0.0
                    && gamma > 0.0
                    && alpha.max(beta).max(gamma) < 10.0 =>
            {
                Ok((alpha, beta, gamma))
            }
            Acceleration::Accelerated { .. } => {
                Err("AGLA needs alpha, beta >= 0 and gamma > 0 (all below 10)".into())
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct GlaSettings {
    pub iterations: usize,
    pub acceleration: Acceleration,
    pub init: InitialPhase,
}

impl Default for GlaSettings {
    fn default() -> Self {
        Self {
            iterations: 32,
            acceleration: Acceleration::Momentum(0.99),
            init: InitialPhase::Random(0),
        }
    }
}

/// A signal of `len` samples whose STFT magnitude (`layout`) approaches `magnitude` (one row
/// of `n_fft / 2 + 1` values per frame). `stop` is asked between iterations (cancellation);
/// `progress` hears each iteration's number and SC.
pub fn griffin_lim(
    magnitude: &[Vec<f32>],
    layout: StftLayout,
    len: usize,
    settings: &GlaSettings,
    stop: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<Reconstruction, String> {
    let mut transform = SignalTransform::with_frames(layout, len, magnitude.len())?;
    let bins = transform.bins();
    if magnitude.iter().any(|f| f.len() != bins) {
        return Err(format!(
            "every frame needs {bins} magnitudes (n_fft / 2 + 1)"
        ));
    }
    let (alpha, beta, gamma) = settings.acceleration.parameters()?;
    // c: the estimate projected next; t: the last averaged consistent estimate; d: the
    // estimate averaged with the next one. t = d = 0 at the start, as librosa starts fast GLA,
    // so the first pass is plain GLA (for AGLA too: starting from t = d = c is slower).
    let mut c: Vec<Vec<Complex32>> = (settings.init.phasors(magnitude.len(), bins).into_iter())
        .zip(magnitude)
        .map(|(p, s)| p.iter().zip(s).map(|(p, s)| p * *s).collect())
        .collect();
    let (mut t, mut d) = (transform.spectra(), transform.spectra());
    let mut consistent = transform.spectra();
    let mut signal = vec![0.0f32; len];
    let mut sc_db = Vec::with_capacity(settings.iterations + 1);
    let mut iterations = 0;
    loop {
        // P₂: the target magnitude under c's phases (zero phase where c is zero).
        for (c, s) in c.iter_mut().zip(magnitude) {
            for (c, s) in c.iter_mut().zip(s) {
                let norm = c.norm();
                *c = if norm > 0.0 {
                    *c * (s / norm)
                } else {
                    Complex32::new(*s, 0.0)
                };
            }
        }
        transform.synthesize(&c, &mut signal);
        transform.analyze(&signal, &mut consistent);
        // The SC of the signal just made: its spectrogram is the one just analysed.
        let sc = spectral_convergence_db(magnitude, &consistent);
        sc_db.push(sc);
        progress(iterations, sc);
        if iterations == settings.iterations || stop() {
            break;
        }
        for (((c, t), d), y) in c.iter_mut().zip(&mut t).zip(&mut d).zip(&consistent) {
            for (((c, t), d), y) in c.iter_mut().zip(t.iter_mut()).zip(d.iter_mut()).zip(y) {
                let next = *d * (1.0 - gamma) + y * gamma;
                let step = next - *t;
                *c = next + step * alpha;
                *d = next + step * beta;
                *t = next;
            }
        }
        iterations += 1;
    }
    Ok(Reconstruction {
        signal,
        sc_db,
        iterations,
    })
}
