//! `phasewright demo`.

use std::path::PathBuf;

use phasewright::cli::demo;
use phasewright::cli::io::{write_wav, Audio, SampleFormat};
use phasewright::cli::plot::spectrogram_png;
use phasewright::cli::render::{render, RenderOptions};

use crate::common::progress_bar;

#[derive(clap::Args)]
pub struct DemoArgs {
    #[arg(short, long)]
    output: PathBuf,
}

impl DemoArgs {
    pub fn run(self) -> Result<(), String> {
        let dir = self.output.as_path();
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create '{}': {e}", dir.display()))?;
        let input = demo::harmonic_notes_with_noise(0);
        let taps = demo::lowpass_taps(4000.0, input.sample_rate, 101);
        let options = RenderOptions {
            taps: Some(taps.clone()),
            ..Default::default()
        };
        let bar = progress_bar(input.frames(), "rendering demo");
        let output = render(&input, None, &options, |done| bar.set_position(done as u64))?;
        bar.finish_and_clear();
        taps.write(&dir.join("taps.json"))?;
        let files: [(&str, &Audio); 2] = [("input", &input), ("output", &output)];
        for (name, audio) in files {
            write_wav(&dir.join(format!("{name}.wav")), audio, SampleFormat::F32)?;
            spectrogram_png(
                &audio.channels[0],
                audio.sample_rate,
                &format!("Phasewright demo: {name} (left channel)"),
                &dir.join(format!("{name}.png")),
            )?;
        }
        println!(
            "demo written to {}: input.wav, output.wav (4 s, 48 kHz stereo, 101-tap 4 kHz low-pass in the denoise stage), input.png, output.png, taps.json",
            dir.display()
        );
        Ok(())
    }
}
