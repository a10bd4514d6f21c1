//! Whole-file similarity reordering, the notebook's `SpectReorder`: STFT of the file, mel-dB
//! features of every frame, a 1-D embedding, the frames played back in `argsort` order, inverse
//! STFT. The transform follows librosa's conventions (`dsp::stft::signal`) so the features and
//! the order can be compared with librosa and scikit-learn on the same file.

use realfft::num_complex::Complex32;

use crate::analysis::order::embed::pca;
use crate::analysis::order::features::mel_db_features;
use crate::analysis::order::tsne::tsne_2d;
use crate::analysis::order::{order_frames, Embedding, OrderSettings, N_MELS};
use crate::dsp::stft::{istft, stft, StftLayout};

#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct ReorderSettings {
    #[serde(flatten)]
    pub order: OrderSettings,
    /// Window length, hop and FFT size in samples (the window is zero-padded to the FFT size).
    pub win: usize,
    pub hop: usize,
    pub n_fft: usize,
}

impl Default for ReorderSettings {
    fn default() -> Self {
        Self {
            order: OrderSettings::default(),
            win: 2000,
            hop: 400,
            n_fft: 2000,
        }
    }
}

impl ReorderSettings {
    /// The transform: centred frames, as librosa makes them.
    pub fn layout(&self) -> StftLayout {
        StftLayout {
            n_fft: self.n_fft,
            hop: self.hop,
            win: self.win,
            center: true,
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

/// The 2-D embedding of the frames of `signal` (PCA or t-SNE; the walk has none).
pub fn embedding_2d(
    signal: &[f32],
    sample_rate: f64,
    settings: &ReorderSettings,
) -> Result<Vec<Vec<f64>>, String> {
    let frames = stft(signal, &settings.layout())?;
    let order = &settings.order;
    let features = mel_db_features(&frames, sample_rate, N_MELS, order.weighting);
    match order.embedding {
        Embedding::Pca => Ok(pca(&features, 2)),
        Embedding::Tsne => Ok(tsne_2d(&features, &order.tsne())),
        Embedding::Walk => Err("a walk has no embedding to draw: use pca or tsne".into()),
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
    let layout = settings.layout();
    let frames = stft(signal, &layout)?;
    let features = mel_db_features(&frames, sample_rate, N_MELS, settings.order.weighting);
    let (order, embedding) = order_frames(&features, &settings.order);
    let played: Vec<Vec<Complex32>> = order.iter().map(|i| frames[*i].clone()).collect();
    Ok(Reordered {
        audio: istft(&played, &layout, signal.len()),
        order,
        embedding,
    })
}
