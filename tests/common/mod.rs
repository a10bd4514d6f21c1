//! Helpers shared by the integration tests: the corpus in `../shared/data`, and signal measures.
#![allow(dead_code)] // each test binary uses its own subset

pub mod clap_host;
pub mod clap_host_handlers;

use std::path::PathBuf;

use phasewright::cli::io::{read_wav, Audio};
use phasewright::cli::mixes::{make_mix, Mix, MixSpec, NoiseKind};

/// `../shared/data/<rel>`, beside the repository.
pub fn data(rel: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    assert!(
        path.exists(),
        "test data missing: {} (../shared must sit beside the repository)",
        path.display()
    );
    path
}

pub fn load(rel: &str) -> Audio {
    read_wav(&data(rel)).unwrap_or_else(|e| panic!("{e}"))
}

/// The first `seconds` of a file, as stereo (mono files are duplicated, the right channel
/// attenuated and delayed a little so the channels differ).
pub fn stereo_excerpt(rel: &str, seconds: f32) -> (u32, [Vec<f32>; 2]) {
    let audio = load(rel);
    let n = ((seconds * audio.sample_rate as f32) as usize).min(audio.frames());
    let left = audio.channels[0][..n].to_vec();
    let right = match audio.channels.get(1) {
        Some(r) => r[..n].to_vec(),
        None => (0..n)
            .map(|i| if i >= 7 { 0.7 * left[i - 7] } else { 0.0 })
            .collect(),
    };
    (audio.sample_rate, [left, right])
}

/// Energy of `error` relative to `reference`, in dB.
pub fn relative_error_db(output: &[f32], reference: &[f32]) -> f64 {
    let (mut e, mut r) = (0.0f64, 0.0f64);
    for (o, x) in output.iter().zip(reference) {
        e += (*o as f64 - *x as f64).powi(2);
        r += (*x as f64).powi(2);
    }
    10.0 * (e / r).log10()
}

pub fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// Direct convolution, the reference for filtered output.
pub fn convolve(taps: &[f32], x: &[f32]) -> Vec<f32> {
    (0..x.len())
        .map(|n| {
            taps.iter()
                .enumerate()
                .take(n + 1)
                .map(|(k, h)| *h as f64 * x[n - k] as f64)
                .sum::<f64>() as f32
        })
        .collect()
}

/// Seconds of noise alone before the first talker in `speech_mix`.
pub const LEAD_IN: f64 = 0.3;

/// Three of the corpus's talkers in turn, in `noise` at 5 dB SNR, after `LEAD_IN` of noise.
pub fn speech_mix(rate: u32, seconds: f64, noise: NoiseKind, seed: u64) -> Mix {
    let talker = |name: &str| load(&format!("speech/{name}.wav")).channels[0].clone();
    let talkers = [
        talker("espeak_01_en"),
        talker("alsa_Front_Left"),
        talker("espeak_03_fr"),
    ];
    let spec = MixSpec {
        seconds,
        lead_in: LEAD_IN,
        snr_db: 5.0,
        noise,
        seed,
    };
    make_mix(rate, &talkers, &[], &spec).unwrap()
}

/// One signal on both channels.
pub fn stereo(x: &[f32]) -> Vec<Vec<f32>> {
    vec![x.to_vec(), x.to_vec()]
}

/// Seeded uniform noise in [-0.5, 0.5) from a linear congruential generator.
pub fn lcg_noise(seed: u32, len: usize) -> Vec<f32> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1664525).wrapping_add(1013904223);
            (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        })
        .collect()
}

/// `x` with `level` times seeded noise added, the noise running on from channel to channel.
pub fn add_noise(x: &[Vec<f32>], level: f32, seed: u32) -> Vec<Vec<f32>> {
    let noise = lcg_noise(seed, x.iter().map(|c| c.len()).sum());
    let mut rest = &noise[..];
    (x.iter())
        .map(|c| {
            let (here, after) = rest.split_at(c.len());
            rest = after;
            c.iter().zip(here).map(|(v, n)| v + level * n).collect()
        })
        .collect()
}
