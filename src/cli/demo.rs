//! A built-in test signal and filter, so the demo needs nothing but the repository.

use rand::{Rng, SeedableRng};

use crate::cli::mixes::{make_mix, Mix, MixSpec, NoiseKind};
use crate::taps_file::TapsFile;

pub const DEMO_RATE: u32 = 48000;
/// Noise alone at the start of the demo's mix: what the noise profile is learned from.
pub const DEMO_LEAD_IN: f64 = 1.0;

/// Formants (Hz) of five vowels (a, e, i, o, u; adult male averages).
const VOWELS: [[f32; 3]; 5] = [
    [730.0, 1090.0, 2440.0],
    [530.0, 1840.0, 2480.0],
    [270.0, 2290.0, 3010.0],
    [570.0, 840.0, 2410.0],
    [300.0, 870.0, 2240.0],
];

/// A phrase of `syllables` voiced syllables: a harmonic source (f0 100 to 180 Hz, gliding)
/// shaped by a vowel's three formants, 120 to 280 ms each, with short gaps between. Enough of
/// speech's structure (harmonics, formants, pauses) to show a denoiser at work, and seeded.
pub fn speech_like_phrase(syllables: usize, seed: u64) -> Vec<f32> {
    let sr = DEMO_RATE as f32;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    for _ in 0..syllables {
        let len = (rng.random_range(0.12..0.28) * sr) as usize;
        let (f0, glide) = (rng.random_range(100.0..180.0), rng.random_range(-0.2..0.2));
        let formants = VOWELS[rng.random_range(0..VOWELS.len())];
        let harmonics = (4000.0 / f0) as usize;
        let gains: Vec<f32> = (1..=harmonics)
            .map(|k| {
                let f = k as f32 * f0;
                let resonance: f32 = formants
                    .iter()
                    .map(|fm| 1.0 / (1.0 + ((f - fm) / (0.1 * fm + 50.0)).powi(2)))
                    .sum();
                resonance / (k as f32).sqrt()
            })
            .collect();
        let mut phase = 0.0f32;
        for i in 0..len {
            let t = i as f32 / len as f32;
            phase += std::f32::consts::TAU * f0 * (1.0 + glide * t) / sr;
            phase %= std::f32::consts::TAU;
            let envelope = (std::f32::consts::PI * t).sin().powf(0.6);
            let s: f32 = gains
                .iter()
                .enumerate()
                .map(|(k, g)| g * ((k + 1) as f32 * phase).sin())
                .sum();
            out.push(0.15 * envelope * s);
        }
        let gap = (rng.random_range(0.03..0.1) * sr) as usize;
        out.resize(out.len() + gap, 0.0);
    }
    out
}

/// The demo's input: speech-like phrases in white noise (hiss, 5 dB SNR), after `DEMO_LEAD_IN`
/// seconds of noise alone; the clean phrases are kept to measure the denoiser.
pub fn speech_in_noise(seconds: f64, seed: u64) -> Mix {
    let phrases: Vec<Vec<f32>> = (0..3)
        .map(|k| speech_like_phrase(6 + 2 * k as usize, seed * 10 + k))
        .collect();
    let spec = MixSpec {
        seconds,
        lead_in: DEMO_LEAD_IN,
        snr_db: 5.0,
        noise: NoiseKind::White,
        seed,
    };
    make_mix(DEMO_RATE, &phrases, &[], &spec).expect("the demo's phrases are not empty")
}

/// Windowed-sinc low-pass, for tests that need a known filter.
pub fn lowpass_taps(cutoff_hz: f32, sample_rate: u32, len: usize) -> TapsFile {
    let fc = cutoff_hz / sample_rate as f32;
    let mid = (len - 1) as f32 / 2.0;
    let mut taps: Vec<f32> = (0..len)
        .map(|i| {
            let x = i as f32 - mid;
            let sinc = if x == 0.0 {
                2.0 * fc
            } else {
                (std::f32::consts::TAU * fc * x).sin() / (std::f32::consts::PI * x)
            };
            let w = 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / (len - 1) as f32).cos();
            sinc * w
        })
        .collect();
    let dc: f32 = taps.iter().sum();
    taps.iter_mut().for_each(|t| *t /= dc);
    TapsFile {
        sample_rate: sample_rate as f32,
        taps,
        metadata: serde_json::json!({"method": "windowed-sinc low-pass", "cutoff_hz": cutoff_hz}),
    }
}

/// The signal of kymatio's scattering-reconstruction example (its harmonic "blip" generator):
/// `notes` Hann-windowed cosines of len/4 samples, each starting half a window after the last,
/// frequencies uniform in [0.05, 0.15) cycles per sample and phases uniform in [0, 2π). Drawn
/// from our own seeded generator, so the notes differ from the example's numpy draw.
pub fn harmonic_blips(len: usize, notes: usize, seed: u64) -> Vec<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let frequency: Vec<f64> = (0..notes)
        .map(|_| 0.05 + 0.1 * rng.random::<f64>())
        .collect();
    let phase: Vec<f64> = (0..notes)
        .map(|_| std::f64::consts::TAU * rng.random::<f64>())
        .collect();
    let width = len / 4;
    let mut x = vec![0.0; len];
    for (i, (f, p)) in frequency.iter().zip(&phase).enumerate() {
        let start = i * width / 2;
        for (t, x) in x[start..].iter_mut().take(width).enumerate() {
            // numpy's hanning: 0.5 − 0.5 cos(2πt / (width − 1)).
            let hann = 0.5 - 0.5 * (std::f64::consts::TAU * t as f64 / (width - 1) as f64).cos();
            *x += hann * (std::f64::consts::TAU * f * t as f64 + p).cos();
        }
    }
    x
}
