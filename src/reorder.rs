//! Whole-file similarity reordering, the notebook's `SpectReorder`: STFT of the file, mel-dB
//! features of every frame, a 1-D embedding, the frames played back in `argsort` order, inverse
//! STFT. The transform follows librosa's conventions (periodic Hann, frames centred with zero
//! padding, overlap-add normalised by the summed squared window) so the features and the order
//! can be compared with librosa and scikit-learn on the same file.

use realfft::num_complex::Complex32;
use realfft::RealFftPlanner;

use crate::learn::embed::{argsort, neighbour_walk, pca, pca_1d};
use crate::learn::features::{mel_db_features, Weighting};
use crate::learn::tsne::{tsne_1d, tsne_2d, TsneMethod, TsneSettings};

pub const N_MELS: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Embedding {
    Pca,
    Tsne,
    /// Not an embedding: a walk between nearest neighbours.
    Walk,
}

#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct ReorderSettings {
    pub embedding: Embedding,
    pub weighting: Weighting,
    /// Window length, hop and FFT size in samples (the window is zero-padded to the FFT size).
    pub win: usize,
    pub hop: usize,
    pub n_fft: usize,
    /// t-SNE perplexity and method.
    pub perplexity: f64,
    pub tsne_method: TsneMethod,
    /// Walk: neighbours to choose among, and how many recent frames to avoid.
    pub neighbours: usize,
    pub memory: usize,
    /// Seeds t-SNE's jitter and the walk's choices.
    pub seed: u64,
}

impl Default for ReorderSettings {
    fn default() -> Self {
        Self {
            embedding: Embedding::Pca,
            weighting: Weighting::None,
            win: 2000,
            hop: 400,
            n_fft: 2000,
            perplexity: 30.0,
            tsne_method: TsneMethod::default(),
            neighbours: 5,
            memory: 8,
            seed: 0,
        }
    }
}

#[derive(serde::Serialize)]
pub struct Reordered {
    pub audio: Vec<f32>,
    /// The frame played at each position.
    pub order: Vec<usize>,
    /// Each frame's 1-D embedding (empty for the walk).
    pub embedding: Vec<f64>,
}

/// The analysis window: periodic Hann of `win` samples, centred in `n_fft`.
fn window(settings: &ReorderSettings) -> Vec<f32> {
    let mut w = vec![0.0f32; settings.n_fft];
    let offset = (settings.n_fft - settings.win) / 2;
    for n in 0..settings.win {
        let phase = 2.0 * std::f64::consts::PI * n as f64 / settings.win as f64;
        w[offset + n] = (0.5 - 0.5 * phase.cos()) as f32;
    }
    w
}

fn check(settings: &ReorderSettings) -> Result<(), String> {
    let s = settings;
    if s.n_fft < 16 || s.win == 0 || s.win > s.n_fft || s.hop == 0 || s.hop > s.win {
        return Err(format!(
            "window {} / hop {} / FFT {} do not fit: need 0 < hop <= window <= FFT, FFT >= 16",
            s.win, s.hop, s.n_fft
        ));
    }
    Ok(())
}

/// Spectra of the frames of `signal`, frame t centred on sample t * hop.
pub fn stft(signal: &[f32], settings: &ReorderSettings) -> Result<Vec<Vec<Complex32>>, String> {
    check(settings)?;
    let n = settings.n_fft;
    let mut padded = vec![0.0f32; n / 2];
    padded.extend_from_slice(signal);
    padded.resize(padded.len() + n / 2, 0.0);
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
    let w = window(settings);
    let frames = 1 + signal.len() / settings.hop;
    Ok((0..frames)
        .map(|t| {
            let mut time: Vec<f32> = padded[t * settings.hop..t * settings.hop + n]
                .iter()
                .zip(&w)
                .map(|(x, w)| x * w)
                .collect();
            let mut spectrum = fft.make_output_vec();
            let _ = fft.process(&mut time, &mut spectrum);
            spectrum
        })
        .collect())
}

/// Overlap-adds the inverse transforms of `frames` (in the given order) into `len` samples.
pub fn istft(frames: &[Vec<Complex32>], settings: &ReorderSettings, len: usize) -> Vec<f32> {
    let n = settings.n_fft;
    let ifft = RealFftPlanner::<f32>::new().plan_fft_inverse(n);
    let w = window(settings);
    let total = n + settings.hop * frames.len().saturating_sub(1);
    let (mut out, mut norm) = (vec![0.0f64; total], vec![0.0f64; total]);
    let mut time = vec![0.0f32; n];
    for (t, frame) in frames.iter().enumerate() {
        let mut spectrum = frame.clone();
        spectrum[0].im = 0.0;
        let last = spectrum.len() - 1;
        spectrum[last].im = 0.0;
        let _ = ifft.process(&mut spectrum, &mut time);
        let start = t * settings.hop;
        for i in 0..n {
            out[start + i] += (time[i] / n as f32 * w[i]) as f64;
            norm[start + i] += (w[i] * w[i]) as f64;
        }
    }
    (0..len)
        .map(|i| {
            let j = i + n / 2;
            match (out.get(j), norm.get(j)) {
                (Some(o), Some(s)) if *s > 1e-8 => (o / s) as f32,
                _ => 0.0,
            }
        })
        .collect()
}

/// The 2-D embedding of the frames of `signal` (PCA or t-SNE; the walk has none).
pub fn embedding_2d(
    signal: &[f32],
    sample_rate: f64,
    settings: &ReorderSettings,
) -> Result<Vec<Vec<f64>>, String> {
    let frames = stft(signal, settings)?;
    let features = mel_db_features(&frames, sample_rate, N_MELS, settings.weighting);
    match settings.embedding {
        Embedding::Pca => Ok(pca(&features, 2)),
        Embedding::Tsne => Ok(tsne_2d(
            &features,
            &TsneSettings {
                perplexity: settings.perplexity,
                seed: settings.seed,
                method: settings.tsne_method,
                ..Default::default()
            },
        )),
        Embedding::Walk => Err("a walk has no embedding to draw: use pca or tsne".into()),
    }
}

/// The order to play frames of these features in, and their 1-D embedding (empty for the walk,
/// whose order is a whole pass: `frames` steps).
pub fn order_frames(features: &[Vec<f64>], settings: &ReorderSettings) -> (Vec<usize>, Vec<f64>) {
    let tsne = TsneSettings {
        perplexity: settings.perplexity,
        seed: settings.seed,
        method: settings.tsne_method,
        ..Default::default()
    };
    match settings.embedding {
        Embedding::Pca => {
            let e = pca_1d(features);
            (argsort(&e), e)
        }
        Embedding::Tsne => {
            let e = tsne_1d(features, &tsne);
            (argsort(&e), e)
        }
        Embedding::Walk => {
            let walk = neighbour_walk(
                features,
                settings.neighbours,
                settings.memory,
                settings.seed,
                features.len(),
            );
            (walk, Vec::new())
        }
    }
}

/// Reorders the frames of `signal` by similarity.
pub fn reorder(
    signal: &[f32],
    sample_rate: f64,
    settings: &ReorderSettings,
) -> Result<Reordered, String> {
    if signal.is_empty() {
        return Err("the input is empty".into());
    }
    let frames = stft(signal, settings)?;
    let features = mel_db_features(&frames, sample_rate, N_MELS, settings.weighting);
    let (order, embedding) = order_frames(&features, settings);
    let played: Vec<Vec<Complex32>> = order.iter().map(|i| frames[*i].clone()).collect();
    Ok(Reordered {
        audio: istft(&played, settings, signal.len()),
        order,
        embedding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transform_pair_gives_back_the_signal() {
        let x: Vec<f32> = (0..20000)
            .map(|n| ((n as f32) * 0.013).sin() * 0.5)
            .collect();
        let s = ReorderSettings::default();
        let y = istft(&stft(&x, &s).unwrap(), &s, x.len());
        let err: f32 = x
            .iter()
            .zip(&y)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < 1e-5, "{err}");
        assert!(stft(&x, &ReorderSettings { hop: 0, ..s }).is_err());
    }
}
