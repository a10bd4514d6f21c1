//! `phasewright reorder`.

use std::path::PathBuf;

use phasewright::analysis::order::OrderSettings;
use phasewright::cli::io::{read_wav, SampleFormat};
use phasewright::cli::reorder_file::{reorder, ReorderSettings};
use phasewright::dsp::stft::{istft, stft};

use crate::common::{mono_mix, write_like, EmbedArgs};

#[derive(clap::Args)]
pub struct ReorderArgs {
    input: PathBuf,
    #[arg(short, long)]
    output: PathBuf,
    #[command(flatten)]
    how: EmbedArgs,
    /// Window length in samples.
    #[arg(long, default_value_t = 2000)]
    win: usize,
    #[arg(long, default_value_t = 400)]
    hop: usize,
    #[arg(long, default_value_t = 2000)]
    n_fft: usize,
    /// Walk: each step chooses among this many nearest frames.
    #[arg(long, default_value_t = 5)]
    neighbours: usize,
    /// Output sample format (default: the input's).
    #[arg(long, value_enum)]
    format: Option<SampleFormat>,
    /// Print the order and each frame's embedding as JSON.
    #[arg(long)]
    json: bool,
}

impl ReorderArgs {
    /// Reorders each channel's frames in the order found for their mix (so stereo stays together).
    pub fn run(self) -> Result<(), String> {
        let settings = ReorderSettings {
            order: OrderSettings {
                neighbours: self.neighbours,
                // The whole file: every frame plays once.
                memory: usize::MAX,
                ..self.how.settings()
            },
            win: self.win,
            hop: self.hop,
            n_fft: self.n_fft,
        };
        let audio = read_wav(&self.input)?;
        let frames = audio.frames();
        let mix = mono_mix(&audio);
        let found = reorder(&mix, audio.sample_rate as f64, &settings)?;
        let channels = if audio.channels.len() == 1 {
            vec![found.audio.clone()]
        } else {
            audio
                .channels
                .iter()
                .map(|c| {
                    let spectra = stft(c, &settings.layout())?;
                    let played: Vec<_> = found.order.iter().map(|i| spectra[*i].clone()).collect();
                    Ok(istft(&played, &settings.layout(), frames))
                })
                .collect::<Result<_, String>>()?
        };
        write_like(&self.output, &audio, channels, self.format)?;
        if self.json {
            println!(
                "{}",
                serde_json::json!({
                    "settings": settings,
                    "frames": found.order.len(),
                    "order": found.order,
                    "embedding": found.embedding,
                })
            );
        }
        Ok(())
    }
}
