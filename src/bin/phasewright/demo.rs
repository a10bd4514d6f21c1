//! `phasewright demo`.

use std::path::PathBuf;

use phasewright::analysis::phase::gaussian_noise;
use phasewright::analysis::scattering::{reconstruct, Method, ReconstructionSettings, Scattering};
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
        let error = scattering_texture(dir)?;
        println!(
            "demo written to {}: input.wav, output.wav (4 s, 48 kHz stereo, 101-tap 4 kHz low-pass in the denoise stage), input.png, output.png, taps.json; harmonic.wav and harmonic_rebuilt.wav (kymatio's example signal and a signal rebuilt from noise to its scattering coefficients, J 6, Q 16: relative error {:.1} %)",
            dir.display(),
            100.0 * error
        );
        Ok(())
    }
}

/// L-BFGS iterations of the demo's scattering reconstruction: enough to hear the notes come
/// back (7 % error here), a few seconds in a release build.
const TEXTURE_ITERATIONS: usize = 100;

/// Writes kymatio's example signal and one rebuilt from noise to its scattering coefficients;
/// returns the reconstruction's relative error.
fn scattering_texture(dir: &std::path::Path) -> Result<f64, String> {
    let x = demo::harmonic_blips(1 << 13, 7, 42);
    let mut scattering = Scattering::new(6, x.len(), (16, 1))?;
    let mut target = vec![0.0; scattering.paths().len() * scattering.frames()];
    scattering.transform(&x, &mut target);
    let start = gaussian_noise(x.len(), 1.0, 0)
        .iter()
        .map(|v| *v as f64)
        .collect();
    let settings = ReconstructionSettings {
        method: Method::Lbfgs,
        iterations: TEXTURE_ITERATIONS,
        ..Default::default()
    };
    let bar = progress_bar(
        TEXTURE_ITERATIONS,
        "rebuilding from scattering coefficients",
    );
    let found = reconstruct(
        scattering,
        target,
        start,
        &settings,
        &|| false,
        &mut |_, _| bar.inc(1),
    )?;
    bar.finish_and_clear();
    let peak = (x.iter().chain(&found.signal)).fold(0.0f64, |m, v| m.max(v.abs()));
    for (name, signal) in [("harmonic", &x), ("harmonic_rebuilt", &found.signal)] {
        let audio = Audio {
            sample_rate: demo::DEMO_RATE,
            channels: vec![signal.iter().map(|v| (0.5 * v / peak) as f32).collect()],
            format: SampleFormat::F32,
        };
        write_wav(&dir.join(format!("{name}.wav")), &audio, SampleFormat::F32)?;
    }
    Ok(found.relative_error())
}
