//! Test mixes for the learn modes: talkers taking turns with pauses after a noise-only lead-in,
//! in stationary (white, pink) or babble noise at a chosen SNR. Everything is drawn from a seeded
//! generator, so a mix is the same on every machine.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use realfft::num_complex::Complex32;
use realfft::RealFftPlanner;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoiseKind {
    White,
    Pink,
    /// Other talkers, summed.
    Babble,
}

impl NoiseKind {
    pub fn is_stationary(self) -> bool {
        !matches!(self, NoiseKind::Babble)
    }
}

pub struct MixSpec {
    pub seconds: f64,
    /// Noise only, before the first talker.
    pub lead_in: f64,
    /// Clean speech energy over noise energy, over the whole mix.
    pub snr_db: f64,
    pub noise: NoiseKind,
    pub seed: u64,
}

pub struct Mix {
    pub sample_rate: u32,
    pub clean: Vec<f32>,
    pub noisy: Vec<f32>,
}

fn gaussian(rng: &mut StdRng) -> f32 {
    let (u, v) = (1.0 - rng.random::<f64>(), rng.random::<f64>());
    ((-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()) as f32
}

/// Gaussian noise with power falling as 1/f (flat below 20 Hz), shaped in one long FFT.
fn pink(len: usize, sample_rate: u32, rng: &mut StdRng) -> Vec<f32> {
    let size = len.next_power_of_two();
    let mut planner = RealFftPlanner::<f32>::new();
    let (forward, inverse) = (
        planner.plan_fft_forward(size),
        planner.plan_fft_inverse(size),
    );
    let mut time: Vec<f32> = (0..size).map(|_| gaussian(rng)).collect();
    let mut spectrum = forward.make_output_vec();
    let _ = forward.process(&mut time, &mut spectrum);
    let bin_hz = sample_rate as f32 / size as f32;
    for (k, c) in spectrum.iter_mut().enumerate() {
        let f = (k as f32 * bin_hz).max(20.0);
        *c *= 1.0 / f.sqrt();
    }
    spectrum[0] = Complex32::new(0.0, 0.0);
    let last = spectrum.len() - 1;
    spectrum[last].im = 0.0;
    let _ = inverse.process(&mut spectrum, &mut time);
    time.truncate(len);
    time
}

fn energy(x: &[f32]) -> f64 {
    x.iter().map(|v| (*v as f64).powi(2)).sum()
}

/// Each of `sources` looped from a random point, scaled to equal energy, summed.
fn babble(len: usize, sources: &[Vec<f32>], rng: &mut StdRng) -> Vec<f32> {
    let mut out = vec![0.0f32; len];
    for src in sources.iter().filter(|s| !s.is_empty()) {
        let scale = (1.0 / (energy(src) / src.len() as f64).sqrt().max(1e-9)) as f32;
        let offset = rng.random_range(0..src.len());
        for (i, o) in out.iter_mut().enumerate() {
            *o += scale * src[(offset + i) % src.len()];
        }
    }
    out
}

/// A mix of `talkers` (clean clips, played in turn with pauses of 0.3 to 0.9 s) in the noise
/// `spec` asks for; `babble_sources` are the voices of babble noise.
pub fn make_mix(
    sample_rate: u32,
    talkers: &[Vec<f32>],
    babble_sources: &[Vec<f32>],
    spec: &MixSpec,
) -> Result<Mix, String> {
    if talkers.iter().all(|t| t.is_empty()) {
        return Err("a mix needs at least one talker".into());
    }
    if spec.noise == NoiseKind::Babble && babble_sources.is_empty() {
        return Err("babble noise needs other voices".into());
    }
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let len = (spec.seconds * sample_rate as f64) as usize;
    let mut clean = vec![0.0f32; len];
    let mut pos = (spec.lead_in * sample_rate as f64) as usize;
    let mut turn = rng.random_range(0..talkers.len());
    while pos < len {
        let clip = &talkers[turn % talkers.len()];
        let n = clip.len().min(len - pos);
        clean[pos..pos + n].copy_from_slice(&clip[..n]);
        pos += n + (rng.random_range(0.3..0.9) * sample_rate as f64) as usize;
        turn += 1;
    }
    let mut noise = match spec.noise {
        NoiseKind::White => (0..len).map(|_| gaussian(&mut rng)).collect(),
        NoiseKind::Pink => pink(len, sample_rate, &mut rng),
        NoiseKind::Babble => babble(len, babble_sources, &mut rng),
    };
    let scale = (energy(&clean) / energy(&noise) / 10f64.powf(spec.snr_db / 10.0)).sqrt() as f32;
    noise.iter_mut().for_each(|n| *n *= scale);
    let mut noisy: Vec<f32> = clean.iter().zip(&noise).map(|(c, n)| c + n).collect();
    // Keep clear of clipping: scale both together.
    let peak = noisy.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if peak > 0.95 {
        let g = 0.95 / peak;
        noisy.iter_mut().for_each(|v| *v *= g);
        clean.iter_mut().for_each(|v| *v *= g);
    }
    Ok(Mix {
        sample_rate,
        clean,
        noisy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::denoise::metrics::snr_db;

    #[test]
    fn mixes_have_the_asked_snr_a_noise_only_lead_in_and_repeat() {
        let talker: Vec<f32> = (0..8000).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
        let voices = vec![talker.iter().map(|v| v * 0.5).collect::<Vec<f32>>()];
        for noise in [NoiseKind::White, NoiseKind::Pink, NoiseKind::Babble] {
            let spec = MixSpec {
                seconds: 3.0,
                lead_in: 0.3,
                snr_db: 5.0,
                noise,
                seed: 9,
            };
            let mix = make_mix(16000, std::slice::from_ref(&talker), &voices, &spec).unwrap();
            assert_eq!(mix.noisy.len(), 48000);
            assert!(mix.clean[..4800].iter().all(|v| *v == 0.0));
            assert!(mix.clean[4800..4900].iter().any(|v| *v != 0.0));
            assert!((snr_db(&mix.noisy, &mix.clean) - 5.0).abs() < 0.01);
            let again = make_mix(16000, std::slice::from_ref(&talker), &voices, &spec).unwrap();
            assert_eq!(again.noisy, mix.noisy);
        }
        assert!(make_mix(
            16000,
            &[vec![]],
            &voices,
            &MixSpec {
                seconds: 1.0,
                lead_in: 0.3,
                snr_db: 0.0,
                noise: NoiseKind::White,
                seed: 0
            }
        )
        .is_err());
    }
}
