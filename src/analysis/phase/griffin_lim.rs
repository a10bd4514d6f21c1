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

use super::{InitialPhase, Reconstruction};
use crate::dsp::stft::{SignalTransform, StftLayout};
use crate::dsp::wide::with_avx;

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
    iterate(&mut transform, magnitude, settings, stop, progress)
}

/// The signal of `magnitude` under the given phases (one per frame and bin), no iterations:
/// how a non-iterative method (PGHI) is heard and scored.
pub fn signal_with_phase(
    magnitude: &[Vec<f32>],
    phase: Vec<Vec<f32>>,
    layout: StftLayout,
    len: usize,
) -> Result<Reconstruction, String> {
    let settings = GlaSettings {
        iterations: 0,
        acceleration: Acceleration::Momentum(0.0),
        init: InitialPhase::Given(phase),
    };
    griffin_lim(magnitude, layout, len, &settings, &|| false, &mut |_, _| {})
}

/// As `griffin_lim`, for a loop: the frames wrap around the end of a signal of
/// `magnitude.len() · hop` samples (`SignalTransform::circular`), so the seam comes out as
/// coherent as the rest. Also gives the rebuilt loop's spectra (their phases are what a loop
/// player wants).
pub fn griffin_lim_loop(
    magnitude: &[Vec<f32>],
    layout: StftLayout,
    settings: &GlaSettings,
    stop: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<(Reconstruction, Vec<Vec<Complex32>>), String> {
    let mut transform = SignalTransform::circular(layout, magnitude.len())?;
    let rebuilt = iterate(&mut transform, magnitude, settings, stop, progress)?;
    let mut spectra = transform.spectra();
    transform.analyze(&rebuilt.signal, &mut spectra);
    Ok((rebuilt, spectra))
}

/// The iterations, compiled for AVX and FMA where the CPU has them (`with_avx`).
fn iterate(
    transform: &mut SignalTransform,
    magnitude: &[Vec<f32>],
    settings: &GlaSettings,
    stop: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<Reconstruction, String> {
    with_avx(
        #[inline(always)]
        || {
            let (bins, len) = (transform.bins(), transform.len());
            if magnitude.iter().any(|f| f.len() != bins) {
                return Err(format!(
                    "every frame needs {bins} magnitudes (n_fft / 2 + 1)"
                ));
            }
            let (alpha, beta, gamma) = settings.acceleration.parameters()?;
            // The estimate c is never stored: each frame's is made, projected and synthesised into
            // the next signal while the frame is in cache. t: the last averaged consistent estimate;
            // d: the estimate averaged with the next one (AGLA only; fast GLA never reads it). Both
            // start at 0, as librosa starts fast GLA, so the first pass is plain GLA (for AGLA too:
            // starting from t = d = c is slower).
            let mut signal = vec![0.0f32; len];
            let mut start = settings.init.phasors(magnitude.len(), bins);
            for (c, s) in start.iter_mut().zip(magnitude) {
                project_magnitude(c, s);
            }
            transform.synthesize(&start, &mut signal);
            drop(start);
            let mut next = vec![0.0f32; len];
            let mut t = transform.spectra();
            let averaging = gamma != 1.0;
            let mut d = if averaging {
                transform.spectra()
            } else {
                Vec::new()
            };
            let mut sc_db = Vec::with_capacity(settings.iterations + 1);
            let mut iterations = 0;
            let total: f64 = (magnitude.iter().flatten())
                .map(|s| (*s as f64).powi(2))
                .sum();
            loop {
                // Frame by frame: the SC of the signal (y is its spectrogram), the extrapolation, P₂
                // of the next estimate, and its synthesis.
                let mut error = 0.0f64;
                transform.round_trip(
                    &signal,
                    &mut next,
                    #[inline(always)]
                    |frame, y, c| {
                        let (t, s) = (&mut t[frame], &magnitude[frame]);
                        error += squared_error(y, s);
                        if averaging {
                            for (((c, t), d), y) in
                                c.iter_mut().zip(t.iter_mut()).zip(&mut d[frame]).zip(y)
                            {
                                let next = *d * (1.0 - gamma) + y * gamma;
                                let step = next - *t;
                                *c = next + step * alpha;
                                *d = next + step * beta;
                                *t = next;
                            }
                        } else {
                            for ((c, t), y) in c.iter_mut().zip(t.iter_mut()).zip(y) {
                                *c = y + (y - *t) * alpha;
                                *t = *y;
                            }
                        }
                        project_magnitude(c, s);
                    },
                );
                let sc = if total > 0.0 {
                    10.0 * (error / total).log10()
                } else if error == 0.0 {
                    f64::NEG_INFINITY
                } else {
                    0.0
                };
                sc_db.push(sc);
                progress(iterations, sc);
                if iterations == settings.iterations || stop() {
                    break;
                }
                std::mem::swap(&mut signal, &mut next);
                iterations += 1;
            }
            Ok(Reconstruction {
                signal,
                sc_db,
                iterations,
            })
        },
    )
}

/// Σ (|y| − s)² over a frame, in eight running sums: one would be a chain of dependent
/// additions that keeps the loop from being vectorised.
#[inline(always)]
fn squared_error(y: &[Complex32], s: &[f32]) -> f64 {
    let mut lanes = [0.0f32; 8];
    let (ys, ss) = (y.chunks_exact(8), s.chunks_exact(8));
    let tail: f32 = (ys.remainder().iter().zip(ss.remainder()))
        .map(|(y, s)| (y.norm_sqr().sqrt() - s).powi(2))
        .sum();
    for (y, s) in ys.zip(ss) {
        for i in 0..8 {
            let e = y[i].norm_sqr().sqrt() - s[i];
            lanes[i] += e * e;
        }
    }
    (lanes.iter().sum::<f32>() + tail) as f64
}

/// P₂: the target magnitude `s` under the phases of `c` (zero phase where c is zero).
/// In blocks of eight, split into arrays of real and imaginary parts: plain arithmetic on
/// arrays is what the compiler turns into vector instructions.
#[inline(always)]
fn project_magnitude(c: &mut [Complex32], s: &[f32]) {
    #[inline(always)]
    fn block<const N: usize>(c: &mut [Complex32], s: &[f32]) {
        let (mut re, mut im, mut scale) = ([0.0f32; N], [0.0f32; N], [0.0f32; N]);
        for i in 0..N {
            (re[i], im[i]) = (c[i].re, c[i].im);
        }
        for i in 0..N {
            scale[i] = s[i] / (re[i] * re[i] + im[i] * im[i]).sqrt();
        }
        // Where c is 0 (or the scale overflows) the phase is undefined: take 0, as a select
        // rather than a branch so the block stays vectorised.
        for i in 0..N {
            let finite = scale[i].is_finite();
            c[i] = Complex32::new(
                if finite { re[i] * scale[i] } else { s[i] },
                if finite { im[i] * scale[i] } else { 0.0 },
            );
        }
    }
    let mut blocks = c.chunks_exact_mut(8);
    let mut targets = s.chunks_exact(8);
    for (c, s) in (&mut blocks).zip(&mut targets) {
        block::<8>(c, s);
    }
    for (c, s) in blocks
        .into_remainder()
        .chunks_mut(1)
        .zip(targets.remainder().chunks(1))
    {
        block::<1>(c, s);
    }
}
