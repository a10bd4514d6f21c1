//! Similarity orders of spectral frames: mel-dB features (`features`), a 1-D embedding by PCA
//! (`embed`) or t-SNE (`tsne`) played in `argsort` order, or a nearest-neighbour walk. Used by
//! the `reorder` command on whole files and by the frame memory's jobs on the worker.

pub mod embed;
pub mod features;
mod join;
mod pairwise;
pub mod tsne;

use embed::{argsort, neighbour_walk, pca_1d};
use features::{mel_db, Weighting};
use tsne::{tsne_1d, TsneMethod, TsneSettings};

/// Mel bands of the features.
pub const N_MELS: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Embedding {
    Pca,
    Tsne,
    /// Not an embedding: a walk between nearest neighbours.
    Walk,
}

/// How frames are ordered by similarity.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct OrderSettings {
    pub embedding: Embedding,
    pub weighting: Weighting,
    /// t-SNE perplexity and method.
    pub perplexity: f64,
    pub tsne_method: TsneMethod,
    /// Walk: neighbours to choose among, and how many recent frames to avoid.
    pub neighbours: usize,
    pub memory: usize,
    /// Seeds t-SNE's jitter and the walk's choices.
    pub seed: u64,
}

impl Default for OrderSettings {
    fn default() -> Self {
        Self {
            embedding: Embedding::Pca,
            weighting: Weighting::None,
            perplexity: 30.0,
            tsne_method: TsneMethod::default(),
            neighbours: 5,
            memory: 8,
            seed: 0,
        }
    }
}

impl OrderSettings {
    pub fn tsne(&self) -> TsneSettings {
        TsneSettings {
            perplexity: self.perplexity,
            seed: self.seed,
            method: self.tsne_method,
            ..Default::default()
        }
    }
}

/// The order to play frames of these features in, and their 1-D embedding (empty for the walk,
/// whose order is a whole pass: `frames` steps).
pub fn order_frames(features: &[Vec<f64>], settings: &OrderSettings) -> (Vec<usize>, Vec<f64>) {
    match settings.embedding {
        Embedding::Pca => {
            let e = pca_1d(features);
            (argsort(&e), e)
        }
        Embedding::Tsne => {
            let e = tsne_1d(features, &settings.tsne());
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

/// The order of `frames` frames given as rows of `N_MELS` mel powers (mel-dB features with the
/// settings' weighting), and each frame's 1-D coordinate: its embedding, or for the walk its
/// step in the walk.
pub fn order_mel_rows(
    mel: &[f32],
    frames: usize,
    settings: &OrderSettings,
) -> (Vec<usize>, Vec<f64>) {
    let rows: Vec<Vec<f64>> = mel
        .chunks(N_MELS)
        .take(frames)
        .map(|row| row.iter().map(|v| *v as f64).collect())
        .collect();
    let (order, mut embedding) = order_frames(&mel_db(rows, settings.weighting), settings);
    if embedding.is_empty() {
        embedding = vec![0.0; order.len()];
        for (position, frame) in order.iter().enumerate() {
            embedding[*frame] = position as f64;
        }
    }
    (order, embedding)
}
