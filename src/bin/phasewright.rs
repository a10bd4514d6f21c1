//! `phasewright`: the plugin's engine on files, from the command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use phasewright::demo;
use phasewright::io::{read_wav, write_wav, Audio, SampleFormat};
use phasewright::learn::features::Weighting;
use phasewright::learn::sgd::{self, Optimiser, SgdConfig};
use phasewright::learn::tsne::TsneMethod;
use phasewright::learn::{pairs, taps};
use phasewright::param_spec::PARAMS;
use phasewright::plot::{embedding_png, spectrogram_png, taps_png};
use phasewright::render::{parse_assignment, parse_preset, render, Automation, RenderOptions};
use phasewright::reorder::{embedding_2d, reorder, Embedding, ReorderSettings};
use phasewright::taps_file::TapsFile;

#[derive(Parser)]
#[command(
    name = "phasewright",
    version,
    about = "Learned FIR denoising and spectral frame manipulation, offline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render a WAV file through the plugin's chain (latency compensated, bit-reproducible).
    Render {
        input: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
        /// JSON object of parameter values, applied before --set.
        #[arg(long)]
        preset: Option<PathBuf>,
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
        /// Block size handed to the engine, as a host's buffer size.
        #[arg(long, default_value_t = 512)]
        block: usize,
        /// Output sample format (default: the input's).
        #[arg(long, value_enum)]
        format: Option<SampleFormat>,
        /// Print a JSON summary on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Learn denoising FIR taps from (noisy, clean) pairs and write a taps file.
    Train {
        /// Folder of NNNN_noisy.wav / NNNN_clean.wav pairs.
        #[arg(long, conflicts_with_all = ["noisy", "clean"])]
        pairs: Option<PathBuf>,
        /// Noisy files (with --clean, in the same order).
        #[arg(long, num_args = 1.., requires = "clean")]
        noisy: Vec<PathBuf>,
        #[arg(long, num_args = 1.., requires = "noisy")]
        clean: Vec<PathBuf>,
        /// Filter length.
        #[arg(long, default_value_t = 81)]
        taps: usize,
        #[arg(long, value_enum, default_value_t = Method::Ls)]
        method: Method,
        /// Share of the pairs held out for testing.
        #[arg(long, default_value_t = 0.2)]
        test_fraction: f64,
        /// Seed of the train/test shuffle.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Train and test only on pairs of this noise type (from the folder's pairs.csv).
        #[arg(long, requires = "pairs")]
        noise_type: Option<String>,
        #[arg(short, long)]
        output: PathBuf,
        /// Print the figures as JSON on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Draw a taps file: the taps and their magnitude response in dB.
    PlotTaps {
        taps: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Draw the spectrogram of a WAV file (channels mixed to mono) to PNG.
    PlotSpectrogram {
        input: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Replay the frames of a file in order of similarity (the notebook's SpectReorder): STFT,
    /// mel-dB features, a 1-D embedding, argsort, inverse STFT.
    Reorder {
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
    },
    /// Draw the 2-D embedding (PCA or t-SNE) of a file's frames, coloured by time.
    PlotEmbedding {
        input: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        how: EmbedArgs,
    },
    /// Print every parameter (id, name, range, default) as JSON.
    Params,
    /// Render the built-in test signal through the chain: writes input/output WAVs, their
    /// spectrograms and the taps used into DIR.
    Demo {
        #[arg(short, long)]
        output: PathBuf,
    },
}

/// How frames are embedded, for `reorder` and `plot-embedding`.
#[derive(clap::Args)]
struct EmbedArgs {
    #[arg(long, value_enum, default_value_t = Embedding::Pca)]
    embed: Embedding,
    #[arg(long, value_enum, default_value_t = Weighting::None)]
    weighting: Weighting,
    /// t-SNE perplexity.
    #[arg(long, default_value_t = 30.0)]
    perplexity: f64,
    /// t-SNE over all pairs, or Barnes-Hut (scikit-learn's default; much faster on long files).
    #[arg(long, value_enum, default_value_t = TsneMethod::BarnesHut)]
    tsne_method: TsneMethod,
    /// Seed of t-SNE and of the walk.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

impl EmbedArgs {
    fn settings(&self) -> ReorderSettings {
        ReorderSettings {
            embedding: self.embed,
            weighting: self.weighting,
            perplexity: self.perplexity,
            tsne_method: self.tsne_method,
            seed: self.seed,
            ..Default::default()
        }
    }
}

/// Training methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Method {
    /// Least squares (Wiener-Hopf), solved exactly.
    Ls,
    /// The lab's gradient descent: SGD, batch 16, 20 epochs, lr 0.005 (energy-normalised step).
    Sgd,
    /// The same with Adam.
    Adam,
}

struct TrainArgs<'a> {
    method: Method,
    pairs: Option<&'a Path>,
    noisy: &'a [PathBuf],
    clean: &'a [PathBuf],
    taps: usize,
    test_fraction: f64,
    seed: u64,
    noise_type: Option<&'a str>,
    output: &'a Path,
    json: bool,
}

fn run_train(args: TrainArgs) -> Result<(), String> {
    let mut all = match args.pairs {
        Some(dir) => pairs::read_pairs_dir(dir)?,
        None => {
            if args.noisy.is_empty() || args.noisy.len() != args.clean.len() {
                return Err("give --pairs DIR, or as many --clean files as --noisy files".into());
            }
            args.noisy
                .iter()
                .zip(args.clean)
                .map(|(n, c)| pairs::read_pair(&n.display().to_string(), n, c))
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    if let Some(kind) = args.noise_type {
        let known: std::collections::BTreeSet<String> =
            all.iter().filter_map(|p| p.noise_type.clone()).collect();
        all.retain(|p| p.noise_type.as_deref() == Some(kind));
        if all.is_empty() {
            return Err(format!(
                "no pairs of noise type '{kind}' (the folder's pairs.csv lists {known:?})"
            ));
        }
    }
    if !(0.0..1.0).contains(&args.test_fraction) {
        return Err(format!(
            "--test-fraction {} must be in [0, 1)",
            args.test_fraction
        ));
    }
    let sample_rate = all[0].sample_rate;
    if all.iter().any(|p| p.sample_rate != sample_rate) {
        return Err("the pairs are not all at one sample rate".into());
    }
    let (train, test) = pairs::split(all, args.test_fraction, args.seed);
    if train.is_empty() {
        return Err("no pairs left to train on".into());
    }
    let started = std::time::Instant::now();
    let mut epochs = Vec::new();
    let h = match args.method {
        Method::Ls => taps::least_squares(&train, args.taps)?,
        Method::Sgd | Method::Adam => {
            let optimiser = if args.method == Method::Sgd {
                Optimiser::Sgd
            } else {
                Optimiser::Adam
            };
            let config = SgdConfig::lab(args.taps, args.seed, optimiser);
            sgd::train(&config, &train, &test, |epoch, train_mse, test_mse| {
                if !args.json {
                    eprintln!(
                        "epoch {epoch:2}: train MSE {train_mse:.4e}, test MSE {test_mse:.4e}"
                    );
                }
                epochs.push(serde_json::json!({"epoch": epoch, "train_mse": train_mse, "test_mse": test_mse}));
            })
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let method = match args.method {
        Method::Ls => "least squares",
        Method::Sgd => "sgd",
        Method::Adam => "adam",
    };
    let train_eval = taps::evaluate(&h, &train)?;
    let test_eval = (!test.is_empty())
        .then(|| taps::evaluate(&h, &test))
        .transpose()?;
    let test_by_type = taps::evaluate_by_noise_type(&h, &test)?;
    let metadata = serde_json::json!({
        "method": method,
        "train_pairs": train.len(),
        "test_pairs": test.len(),
        "seed": args.seed,
        "train_samples": train.iter().map(|p| p.noisy.len()).sum::<usize>(),
        "epochs": epochs,
        "noise_type": args.noise_type,
        "train": train_eval,
        "test": test_eval,
        "test_by_noise_type": test_by_type,
    });
    TapsFile {
        sample_rate: sample_rate as f32,
        taps: h,
        metadata: metadata.clone(),
    }
    .write(args.output)?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({"taps": args.taps, "train_seconds": seconds, "result": metadata})
        );
    } else {
        eprintln!(
            "{method}, {} taps, {} training pairs: {:.3} s; train MSE {:.3e}",
            args.taps,
            train.len(),
            seconds,
            train_eval.mse
        );
        if let Some(t) = &test_eval {
            eprintln!(
                "test ({} pairs): MSE {:.3e} (noisy {:.3e}), SNR gain {:+.2} dB, SI-SDR gain {:+.2} dB",
                t.pairs, t.mse, t.noisy_mse, t.snr_gain_db, t.si_sdr_gain_db
            );
        }
        for (kind, t) in &test_by_type {
            eprintln!(
                "  {kind:<8} ({} pairs): MSE {:.3e} (noisy {:.3e}), SNR gain {:+.2} dB, SI-SDR gain {:+.2} dB",
                t.pairs, t.mse, t.noisy_mse, t.snr_gain_db, t.si_sdr_gain_db
            );
        }
    }
    Ok(())
}

/// The channels' average.
fn mono_mix(audio: &Audio) -> Vec<f32> {
    let scale = 1.0 / audio.channels.len().max(1) as f32;
    (0..audio.frames())
        .map(|i| audio.channels.iter().map(|c| c[i]).sum::<f32>() * scale)
        .collect()
}

/// Reorders each channel's frames in the order found for their mix (so stereo stays together).
fn run_reorder(
    input: &Path,
    output: &Path,
    settings: ReorderSettings,
    format: Option<SampleFormat>,
    json: bool,
) -> Result<(), String> {
    let audio = read_wav(input)?;
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
                let spectra = phasewright::reorder::stft(c, &settings)?;
                let played: Vec<_> = found.order.iter().map(|i| spectra[*i].clone()).collect();
                Ok(phasewright::reorder::istft(&played, &settings, frames))
            })
            .collect::<Result<_, String>>()?
    };
    let out = Audio {
        sample_rate: audio.sample_rate,
        channels,
        format: audio.format,
    };
    write_wav(output, &out, format.unwrap_or(audio.format))?;
    if json {
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

fn progress_bar(len: usize, what: &str) -> ProgressBar {
    // indicatif draws only when standard error is a terminal.
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {percent}% ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {what} '{}': {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{what} '{}' is not valid: {e}", path.display()))
}

#[allow(clippy::too_many_arguments)]
fn run_render(
    input: &Path,
    output: &Path,
    preset: Option<&Path>,
    set: &[String],
    automation: Option<&Path>,
    sidechain: Option<&Path>,
    taps: Option<&Path>,
    block: usize,
    format: Option<SampleFormat>,
    json: bool,
) -> Result<(), String> {
    let audio = read_wav(input)?;
    let mut options = RenderOptions {
        block,
        ..Default::default()
    };
    if let Some(p) = preset {
        let text = std::fs::read_to_string(p)
            .map_err(|e| format!("cannot read preset '{}': {e}", p.display()))?;
        options.settings = parse_preset(&text).map_err(|e| format!("'{}': {e}", p.display()))?;
    }
    for s in set {
        options.settings.push(parse_assignment(s)?);
    }
    if let Some(p) = automation {
        options.automation = read_json::<Vec<Automation>>(p, "automation")?;
    }
    if let Some(p) = taps {
        let t = TapsFile::read(p)?;
        if t.sample_rate != audio.sample_rate as f32 {
            eprintln!(
                "warning: taps were made at {} Hz, the input runs at {} Hz",
                t.sample_rate, audio.sample_rate
            );
        }
        options.taps = Some(t);
    }
    let reference = sidechain.map(read_wav).transpose()?;
    let bar = progress_bar(audio.frames(), "rendering");
    let rendered = render(&audio, reference.as_ref(), &options, |done| {
        bar.set_position(done as u64)
    })?;
    bar.finish_and_clear();
    let clipped = write_wav(output, &rendered, format.unwrap_or(audio.format))?;
    if clipped > 0 {
        eprintln!(
            "warning: {clipped} samples clipped at full scale in '{}'",
            output.display()
        );
    }
    if json {
        let peak = rendered
            .channels
            .iter()
            .flatten()
            .fold(0.0f32, |m, x| m.max(x.abs()));
        println!(
            "{}",
            serde_json::json!({
                "input": input, "output": output, "frames": rendered.frames(),
                "sample_rate": rendered.sample_rate, "channels": rendered.channels.len(),
                "peak": peak, "clipped": clipped,
            })
        );
    }
    Ok(())
}

fn run_demo(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create '{}': {e}", dir.display()))?;
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Render {
            input,
            output,
            preset,
            set,
            automation,
            sidechain,
            taps,
            block,
            format,
            json,
        } => run_render(
            input,
            output,
            preset.as_deref(),
            set,
            automation.as_deref(),
            sidechain.as_deref(),
            taps.as_deref(),
            *block,
            *format,
            *json,
        ),
        Command::Train {
            pairs,
            noisy,
            clean,
            taps,
            method,
            test_fraction,
            seed,
            noise_type,
            output,
            json,
        } => run_train(TrainArgs {
            method: *method,
            pairs: pairs.as_deref(),
            noisy,
            clean,
            taps: *taps,
            test_fraction: *test_fraction,
            seed: *seed,
            noise_type: noise_type.as_deref(),
            output,
            json: *json,
        }),
        Command::PlotTaps { taps, output } => TapsFile::read(taps).and_then(|t| {
            let title = format!(
                "{}: {} taps at {} Hz",
                taps.display(),
                t.taps.len(),
                t.sample_rate
            );
            taps_png(&t.taps, t.sample_rate, &title, output)
        }),
        Command::PlotSpectrogram { input, output } => read_wav(input).and_then(|audio| {
            let title = input.display().to_string();
            spectrogram_png(&mono_mix(&audio), audio.sample_rate, &title, output)
        }),
        Command::Params => {
            let list: Vec<_> = PARAMS.iter().map(|p| p.to_json()).collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&list).unwrap_or_default()
            );
            Ok(())
        }
        Command::Demo { output } => run_demo(output),
        Command::PlotEmbedding { input, output, how } => read_wav(input).and_then(|audio| {
            let settings = how.settings();
            let mix = mono_mix(&audio);
            let points = embedding_2d(&mix, audio.sample_rate as f64, &settings)?;
            let method = match how.embed {
                Embedding::Pca => "PCA",
                _ => "t-SNE",
            };
            let title = format!("{}: {method} of {} frames", input.display(), points.len());
            embedding_png(
                &points,
                settings.hop as f64 / audio.sample_rate as f64,
                &title,
                output,
            )
        }),
        Command::Reorder {
            input,
            output,
            how,
            win,
            hop,
            n_fft,
            neighbours,
            format,
            json,
        } => run_reorder(
            input,
            output,
            ReorderSettings {
                win: *win,
                hop: *hop,
                n_fft: *n_fft,
                neighbours: *neighbours,
                // The whole file: every frame plays once.
                memory: usize::MAX,
                ..how.settings()
            },
            *format,
            *json,
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
