//! `phasewright render`.

use std::path::{Path, PathBuf};

use phasewright::cli::io::{read_wav, write_wav, SampleFormat};
use phasewright::cli::render::{parse_assignment, parse_preset, render, Automation, RenderOptions};
use phasewright::params::presets::{Preset, FACTORY};
use phasewright::taps_file::TapsFile;

use crate::common::progress_bar;

#[derive(clap::Args)]
pub struct RenderArgs {
    input: PathBuf,
    #[arg(short, long)]
    output: PathBuf,
    /// A factory preset's name, or a JSON file of parameter values; applied before --set.
    /// Factory presets: "Hum and hiss: learn noise profile", "Voice cleanup: adaptive",
    /// "Phase reset robot", "Spectral shuffle (PCA segments)", "Frozen texture".
    #[arg(long)]
    preset: Option<String>,
    /// A parameter value, ID=VALUE (see `phasewright params`); repeatable.
    #[arg(long = "set", value_name = "ID=VALUE")]
    set: Vec<String>,
    /// JSON list of {"id": .., "points": [[seconds, value], ..]} ramps.
    #[arg(long)]
    automation: Option<PathBuf>,
    /// WAV fed to the "Reference" sidechain input.
    #[arg(long)]
    sidechain: Option<PathBuf>,
    /// Taps file for the denoise stage.
    #[arg(long)]
    taps: Option<PathBuf>,
    /// Where on the timeline the file's first sample lies, in samples (as a DAW region placed
    /// there: the STFT frames, segments and random draws are counted from timeline sample 0).
    #[arg(long, default_value_t = 0)]
    start: u64,
    /// Block size handed to the engine, as a host's buffer size.
    #[arg(long, default_value_t = 512)]
    block: usize,
    /// Output sample format (default: the input's).
    #[arg(long, value_enum)]
    format: Option<SampleFormat>,
    /// Print a JSON summary on standard output.
    #[arg(long)]
    json: bool,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {what} '{}': {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{what} '{}' is not valid: {e}", path.display()))
}

impl RenderArgs {
    pub fn run(self) -> Result<(), String> {
        let audio = read_wav(&self.input)?;
        let mut options = RenderOptions {
            block: self.block,
            start: self.start,
            ..Default::default()
        };
        if let Some(p) = &self.preset {
            options.settings = match Preset::find(p) {
                Some(factory) => factory.values(),
                None => {
                    let text = std::fs::read_to_string(p).map_err(|e| {
                        let names: Vec<&str> = FACTORY.iter().map(|f| f.name).collect();
                        format!(
                            "'{p}' is neither a factory preset ({}) nor a readable file: {e}",
                            names.join(", ")
                        )
                    })?;
                    parse_preset(&text).map_err(|e| format!("'{p}': {e}"))?
                }
            };
        }
        for s in &self.set {
            options.settings.push(parse_assignment(s)?);
        }
        if let Some(p) = &self.automation {
            options.automation = read_json::<Vec<Automation>>(p, "automation")?;
        }
        if let Some(p) = &self.taps {
            let t = TapsFile::read(p)?;
            let (_, note) = t.at_rate(audio.sample_rate as f32)?;
            if !note.is_empty() {
                eprintln!("note: {note}");
            }
            options.taps = Some(t);
        }
        let reference = self.sidechain.as_deref().map(read_wav).transpose()?;
        let bar = progress_bar(audio.frames(), "rendering");
        let rendered = render(&audio, reference.as_ref(), &options, |done| {
            bar.set_position(done as u64)
        })?;
        bar.finish_and_clear();
        let output = &self.output;
        let clipped = write_wav(output, &rendered, self.format.unwrap_or(audio.format))?;
        if clipped > 0 {
            eprintln!(
                "warning: {clipped} samples clipped at full scale in '{}'",
                output.display()
            );
        }
        if self.json {
            let peak = rendered
                .channels
                .iter()
                .flatten()
                .fold(0.0f32, |m, x| m.max(x.abs()));
            println!(
                "{}",
                serde_json::json!({
                    "input": self.input, "output": output, "frames": rendered.frames(),
                    "sample_rate": rendered.sample_rate, "channels": rendered.channels.len(),
                    "peak": peak, "clipped": clipped,
                })
            );
        }
        Ok(())
    }
}
