//! GLA and fast GLA. Each iteration synthesises the signal of the current estimate (magnitude
//! S with the current phases), analyses it again (the consistent spectrogram nearest to the
//! estimate, in the least-squares sense), and keeps only its phase; fast GLA first pushes the
//! new spectrogram away from the previous one by α / (1 + α), as librosa's `griffinlim` does.

use realfft::num_complex::Complex32;

use super::{spectral_convergence_db, InitialPhase, Reconstruction};
use crate::dsp::stft::{SignalTransform, StftLayout};

#[derive(Clone, Debug, PartialEq)]
pub struct GlaSettings {
    pub iterations: usize,
    /// 0 for GLA; librosa's default for fast GLA is 0.99.
    pub momentum: f32,
    pub init: InitialPhase,
}

impl Default for GlaSettings {
    fn default() -> Self {
        Self {
            iterations: 32,
            momentum: 0.99,
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
    if !(0.0..1.0).contains(&settings.momentum) {
        return Err(format!("momentum {} is outside 0 to 1", settings.momentum));
    }
    let frames = magnitude.len();
    let mut phasors = settings.init.phasors(frames, bins);
    let mut estimate = transform.spectra();
    let mut rebuilt = transform.spectra();
    let mut previous = transform.spectra();
    let mut signal = vec![0.0f32; len];
    let push = settings.momentum / (1.0 + settings.momentum);
    let mut sc_db = Vec::with_capacity(settings.iterations + 1);
    let mut iterations = 0;
    loop {
        for ((e, p), s) in estimate.iter_mut().zip(&phasors).zip(magnitude) {
            for ((e, p), s) in e.iter_mut().zip(p).zip(s) {
                *e = p * *s;
            }
        }
        transform.synthesize(&estimate, &mut signal);
        std::mem::swap(&mut rebuilt, &mut previous);
        transform.analyze(&signal, &mut rebuilt);
        // The SC of the signal just made: its spectrogram is the one just analysed.
        let sc = spectral_convergence_db(magnitude, &rebuilt);
        sc_db.push(sc);
        progress(iterations, sc);
        if iterations == settings.iterations || stop() {
            break;
        }
        // `previous` is all zeros on the first pass, so that pass is plain GLA.
        for ((p, r), q) in phasors.iter_mut().zip(&rebuilt).zip(&previous) {
            for ((p, r), q) in p.iter_mut().zip(r).zip(q) {
                let a = r - q * push;
                let norm = a.norm();
                *p = if norm > 0.0 {
                    a / norm
                } else {
                    Complex32::new(1.0, 0.0)
                };
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
