//! `phasewright demo`: what Phasewright is for, on a built-in signal.

use std::path::{Path, PathBuf};

use phasewright::analysis::denoise::metrics::snr_db;
use phasewright::analysis::phase::gaussian_noise;
use phasewright::analysis::scattering::{reconstruct, Method, ReconstructionSettings, Scattering};
use phasewright::cli::demo::{self, DEMO_LEAD_IN, DEMO_RATE};
use phasewright::cli::io::{write_wav, Audio, SampleFormat};
use phasewright::cli::plot::spectrogram_png;
use phasewright::cli::render::{render, Automation, RenderOptions};
use phasewright::params::presets::Preset;

use crate::common::progress_bar;

/// Length of the demo's mix.
const SECONDS: f64 = 8.0;

#[derive(clap::Args)]
pub struct DemoArgs {
    #[arg(short, long)]
    output: PathBuf,
}

/// One render of the demo: a file name, what it shows, a factory preset and automation.
struct Scene {
    name: &'static str,
    caption: &'static str,
    preset: &'static str,
    automation: Vec<Automation>,
}

impl DemoArgs {
    pub fn run(self) -> Result<(), String> {
        let dir = self.output.as_path();
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create '{}': {e}", dir.display()))?;
        let mix = demo::speech_in_noise(SECONDS, 0);
        let mono = |x: &[f32]| Audio {
            sample_rate: DEMO_RATE,
            channels: vec![x.to_vec()],
            format: SampleFormat::F32,
        };
        let (noisy, clean) = (mono(&mix.noisy), mono(&mix.clean));
        save(dir, "input", "noisy input", &noisy)?;
        save(dir, "clean", "clean phrases (for reference)", &clean)?;
        // Learn held over the noise-only lead-in, as a user automates it.
        let learn = Automation {
            id: "denoise_learn".into(),
            points: vec![
                (0.0, 1.0),
                (0.9 * DEMO_LEAD_IN, 1.0),
                (0.9 * DEMO_LEAD_IN, 0.0),
            ],
        };
        let denoise = [
            Scene {
                name: "denoised_profile",
                caption: "noise profile learned over the lead-in",
                preset: "Hum and hiss: learn noise profile",
                automation: vec![learn],
            },
            Scene {
                name: "denoised_adaptive",
                caption: "adaptive (noise tracked as it plays)",
                preset: "Voice cleanup: adaptive",
                automation: Vec::new(),
            },
        ];
        let effects = [
            Scene {
                name: "robot",
                caption: "phase reset (every frame's phase zero)",
                preset: "Phase reset robot",
                automation: Vec::new(),
            },
            Scene {
                name: "shuffle",
                caption: "half-second segments in PCA order, phase rebuilt",
                preset: "Spectral shuffle (PCA segments)",
                automation: Vec::new(),
            },
        ];
        let lead = (DEMO_LEAD_IN * DEMO_RATE as f64) as usize;
        let snr_in = snr_db(&mix.noisy[lead..], &mix.clean[lead..]);
        let mut report = vec![format!(
            "input: SNR {snr_in:.1} dB after the noise-only lead-in"
        )];
        for scene in &denoise {
            let out = run_scene(dir, scene, &noisy)?;
            let snr = snr_db(&out.channels[0][lead..], &mix.clean[lead..]);
            report.push(format!(
                "{}: SNR {snr:.1} dB, a gain of {:+.1} dB",
                scene.caption,
                snr - snr_in
            ));
        }
        for scene in &effects {
            run_scene(dir, scene, &clean)?;
            report.push(format!("{}: {}.wav", scene.caption, scene.name));
        }
        let error = scattering_texture(dir)?;
        report.push(format!(
            "scattering: harmonic.wav rebuilt from noise to its coefficients (J 6, Q 16), relative error {:.1} %",
            100.0 * error
        ));
        println!(
            "demo written to {} (WAV and PNG spectrograms)",
            dir.display()
        );
        for line in report {
            println!("  {line}");
        }
        Ok(())
    }
}

/// Renders `input` through the scene's preset and writes it with its spectrogram.
fn run_scene(dir: &Path, scene: &Scene, input: &Audio) -> Result<Audio, String> {
    let preset = Preset::find(scene.preset).ok_or("a demo preset is missing")?;
    let options = RenderOptions {
        settings: preset.values(),
        automation: scene.automation.clone(),
        ..Default::default()
    };
    let bar = progress_bar(input.frames(), scene.name);
    let out = render(input, None, &options, |done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    save(dir, scene.name, scene.caption, &out)?;
    Ok(out)
}

/// Writes `audio` as NAME.wav and its spectrogram as NAME.png.
fn save(dir: &Path, name: &str, caption: &str, audio: &Audio) -> Result<(), String> {
    write_wav(&dir.join(format!("{name}.wav")), audio, SampleFormat::F32)?;
    spectrogram_png(
        &audio.channels[0],
        audio.sample_rate,
        &format!("Phasewright demo: {caption}"),
        &dir.join(format!("{name}.png")),
    )
}

/// L-BFGS iterations of the demo's scattering reconstruction: enough to hear the notes come
/// back (7 % error here), a few seconds in a release build.
const TEXTURE_ITERATIONS: usize = 100;

/// Writes kymatio's example signal and one rebuilt from noise to its scattering coefficients;
/// returns the reconstruction's relative error.
fn scattering_texture(dir: &Path) -> Result<f64, String> {
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
            sample_rate: DEMO_RATE,
            channels: vec![signal.iter().map(|v| (0.5 * v / peak) as f32).collect()],
            format: SampleFormat::F32,
        };
        write_wav(&dir.join(format!("{name}.wav")), &audio, SampleFormat::F32)?;
    }
    Ok(found.relative_error())
}
