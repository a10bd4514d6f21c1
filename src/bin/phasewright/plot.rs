//! `phasewright plot-taps`, `plot-spectrogram` and `plot-embedding`.

use std::path::PathBuf;

use phasewright::analysis::order::Embedding;
use phasewright::cli::io::read_wav;
use phasewright::cli::plot::{embedding_png, spectrogram_png, taps_png};
use phasewright::cli::reorder_file::{embedding_2d, ReorderSettings};
use phasewright::taps_file::TapsFile;

use crate::common::{mono_mix, EmbedArgs};

#[derive(clap::Args)]
pub struct PlotTapsArgs {
    taps: PathBuf,
    #[arg(short, long)]
    output: PathBuf,
}

impl PlotTapsArgs {
    pub fn run(self) -> Result<(), String> {
        let t = TapsFile::read(&self.taps)?;
        let title = format!(
            "{}: {} taps at {} Hz",
            self.taps.display(),
            t.taps.len(),
            t.sample_rate
        );
        taps_png(&t.taps, t.sample_rate, &title, &self.output)
    }
}

#[derive(clap::Args)]
pub struct PlotSpectrogramArgs {
    input: PathBuf,
    #[arg(short, long)]
    output: PathBuf,
}

impl PlotSpectrogramArgs {
    pub fn run(self) -> Result<(), String> {
        let audio = read_wav(&self.input)?;
        let title = self.input.display().to_string();
        spectrogram_png(&mono_mix(&audio), audio.sample_rate, &title, &self.output)
    }
}

#[derive(clap::Args)]
pub struct PlotEmbeddingArgs {
    input: PathBuf,
    #[arg(short, long)]
    output: PathBuf,
    #[command(flatten)]
    how: EmbedArgs,
}

impl PlotEmbeddingArgs {
    pub fn run(self) -> Result<(), String> {
        let audio = read_wav(&self.input)?;
        let settings = ReorderSettings {
            order: self.how.settings(),
            ..Default::default()
        };
        let mix = mono_mix(&audio);
        let points = embedding_2d(&mix, audio.sample_rate as f64, &settings)?;
        let method = match self.how.embed {
            Embedding::Pca => "PCA",
            _ => "t-SNE",
        };
        let title = format!(
            "{}: {method} of {} frames",
            self.input.display(),
            points.len()
        );
        embedding_png(
            &points,
            settings.hop as f64 / audio.sample_rate as f64,
            &title,
            &self.output,
        )
    }
}
