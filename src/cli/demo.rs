//! A built-in test signal and filter, so the demo needs nothing but the repository.

use rand::{Rng, SeedableRng};

use crate::cli::io::{Audio, SampleFormat};
use crate::taps_file::TapsFile;

pub const DEMO_RATE: u32 = 48000;

/// Four seconds of stereo harmonic notes (ten partials at 1/k amplitude, plucked envelope) over
/// white noise 26 dB below, the same every time (seeded).
pub fn harmonic_notes_with_noise(seed: u64) -> Audio {
    const NOTES_HZ: [f32; 8] = [220.0, 261.63, 329.63, 392.0, 440.0, 392.0, 329.63, 261.63];
    const NOTE_SECONDS: f32 = 0.5;
    let sr = DEMO_RATE as f32;
    let note_len = (NOTE_SECONDS * sr) as usize;
    let frames = note_len * NOTES_HZ.len();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut tone = vec![0.0f32; frames];
    for (n, &f0) in NOTES_HZ.iter().enumerate() {
        let phases: Vec<f32> = (0..10)
            .map(|_| rng.random::<f32>() * std::f32::consts::TAU)
            .collect();
        for i in 0..note_len {
            let t = i as f32 / sr;
            let env =
                (t / 0.01).min(1.0) * (-3.0 * t).exp() * ((note_len - i) as f32 / 480.0).min(1.0);
            let s: f32 = phases
                .iter()
                .enumerate()
                .map(|(k, ph)| {
                    let k = (k + 1) as f32;
                    (std::f32::consts::TAU * k * f0 * t + ph).sin() / k
                })
                .sum();
            tone[n * note_len + i] = 0.2 * env * s;
        }
    }
    let noise_rms = 0.2 * 10f32.powf(-26.0 / 20.0);
    let channels = (0..2)
        .map(|_| {
            tone.iter()
                .map(|s| {
                    // Sum of uniforms: a cheap, seeded, near-Gaussian noise with the right RMS.
                    let g: f32 =
                        (0..4).map(|_| rng.random::<f32>() - 0.5).sum::<f32>() * 3f32.sqrt();
                    s + noise_rms * g
                })
                .collect()
        })
        .collect();
    Audio {
        sample_rate: DEMO_RATE,
        channels,
        format: SampleFormat::F32,
    }
}

/// Windowed-sinc low-pass: a stand-in for learned taps until training exists in the demo.
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
