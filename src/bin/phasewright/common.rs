//! Helpers and options shared by more than one subcommand.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use phasewright::analysis::order::features::Weighting;
use phasewright::analysis::order::tsne::TsneMethod;
use phasewright::analysis::order::{Embedding, OrderSettings};
use phasewright::cli::io::{write_wav, Audio, SampleFormat};

/// How frames are embedded, for `reorder` and `plot-embedding`.
#[derive(clap::Args)]
pub struct EmbedArgs {
    #[arg(long, value_enum, default_value_t = Embedding::Pca)]
    pub embed: Embedding,
    #[arg(long, value_enum, default_value_t = Weighting::None)]
    pub weighting: Weighting,
    /// t-SNE perplexity.
    #[arg(long, default_value_t = 30.0)]
    pub perplexity: f64,
    /// t-SNE over all pairs, Barnes-Hut (scikit-learn's default; much faster on long files) or
    /// FFT interpolation (as accurate as Barnes-Hut, several times faster again).
    #[arg(long, value_enum, default_value_t = TsneMethod::Fft)]
    pub tsne_method: TsneMethod,
    /// Seed of t-SNE and of the walk.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl EmbedArgs {
    pub fn settings(&self) -> OrderSettings {
        OrderSettings {
            embedding: self.embed,
            weighting: self.weighting,
            perplexity: self.perplexity,
            tsne_method: self.tsne_method,
            seed: self.seed,
            ..Default::default()
        }
    }
}

/// The channels' average.
pub fn mono_mix(audio: &Audio) -> Vec<f32> {
    let scale = 1.0 / audio.channels.len().max(1) as f32;
    (0..audio.frames())
        .map(|i| audio.channels.iter().map(|c| c[i]).sum::<f32>() * scale)
        .collect()
}

pub fn progress_bar(len: usize, what: &str) -> ProgressBar {
    // indicatif draws only when standard error is a terminal.
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {percent}% ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// Writes `channels` to `path` at `input`'s rate, in `format` or else the input's.
pub fn write_like(
    path: &Path,
    input: &Audio,
    channels: Vec<Vec<f32>>,
    format: Option<SampleFormat>,
) -> Result<(), String> {
    let out = Audio {
        sample_rate: input.sample_rate,
        channels,
        format: input.format,
    };
    write_wav(path, &out, format.unwrap_or(input.format)).map(|_| ())
}
