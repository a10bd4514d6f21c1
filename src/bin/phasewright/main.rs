//! `phasewright`: the plugin's engine on files, from the command line.

mod common;
mod demo;
mod invert;
mod params;
mod plot;
mod render;
mod reorder;
mod scatter;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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

// The subcommands' help summaries stay on the variants, as before the split.
#[derive(Subcommand)]
enum Command {
    /// Render a WAV file through the plugin's chain (latency compensated, bit-reproducible).
    Render(render::RenderArgs),
    /// Learn denoising FIR taps from (noisy, clean) pairs and write a taps file.
    Train(train::TrainArgs),
    /// Draw a taps file: the taps and their magnitude response in dB.
    PlotTaps(plot::PlotTapsArgs),
    /// Draw the spectrogram of a WAV file (channels mixed to mono) to PNG.
    PlotSpectrogram(plot::PlotSpectrogramArgs),
    /// Replay the frames of a file in order of similarity (the notebook's SpectReorder): STFT,
    /// mel-dB features, a 1-D embedding, argsort, inverse STFT.
    Reorder(reorder::ReorderArgs),
    /// Draw the 2-D embedding (PCA or t-SNE) of a file's frames, coloured by time.
    PlotEmbedding(plot::PlotEmbeddingArgs),
    /// Rebuild a signal from the STFT magnitude of a WAV file (its phase thrown away) by
    /// Griffin-Lim, fast Griffin-Lim or phase-gradient heap integration, reporting the
    /// spectral convergence.
    Invert(invert::InvertArgs),
    /// Draw the spectral convergence of several inversion methods against iteration, on a WAV
    /// file's mix, to PNG.
    PlotConvergence(invert::PlotConvergenceArgs),
    /// The scattering coefficients of a WAV file (kymatio's Scattering1D) to JSON, and a signal
    /// rebuilt from them from noise.
    Scatter(scatter::ScatterArgs),
    /// Print every parameter (id, name, range, default) as JSON.
    Params(params::ParamsArgs),
    /// Show what Phasewright does on a built-in signal (speech-like phrases in noise): noise
    /// profile and adaptive denoising with the SNR gained, a frame effect and a similarity
    /// reorder, a scattering resynthesis; WAVs and spectrograms into DIR.
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => args.run(),
        Command::Train(args) => args.run(),
        Command::PlotTaps(args) => args.run(),
        Command::PlotSpectrogram(args) => args.run(),
        Command::Reorder(args) => args.run(),
        Command::PlotEmbedding(args) => args.run(),
        Command::Invert(args) => args.run(),
        Command::PlotConvergence(args) => args.run(),
        Command::Scatter(args) => args.run(),
        Command::Params(args) => args.run(),
        Command::Demo(args) => args.run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
