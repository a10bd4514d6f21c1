//! `phasewright invert`: throws away the phase of a file's STFT and rebuilds a signal from the
//! magnitude alone, channel by channel.

use std::path::PathBuf;
use std::time::Instant;

use phasewright::analysis::phase::{
    griffin_lim, magnitudes, pghi, GlaSettings, InitialPhase, TOLERANCE,
};
use phasewright::cli::io::{read_wav, write_wav, Audio, SampleFormat};
use phasewright::dsp::stft::{stft, StftLayout};

use crate::common::progress_bar;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Method {
    /// Griffin-Lim.
    Gla,
    /// Fast Griffin-Lim (librosa's momentum form).
    Fgla,
    /// Phase-gradient heap integration, no iterations.
    Pghi,
    /// Fast Griffin-Lim started from PGHI's phase.
    PghiFgla,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Init {
    Random,
    Zero,
    Pghi,
}

#[derive(clap::Args)]
pub struct InvertArgs {
    input: PathBuf,
    #[arg(short, long)]
    output: PathBuf,
    #[arg(long, value_enum, default_value_t = Method::Fgla)]
    method: Method,
    /// Iterations.
    #[arg(long, default_value_t = 32)]
    iters: usize,
    #[arg(long, default_value_t = 2048)]
    n_fft: usize,
    #[arg(long, default_value_t = 512)]
    hop: usize,
    /// Window length in samples (default: the FFT size).
    #[arg(long)]
    win: Option<usize>,
    /// Frames start at sample 0 instead of being centred on t * hop.
    #[arg(long)]
    no_center: bool,
    /// Fast GLA's momentum.
    #[arg(long, default_value_t = 0.99)]
    momentum: f32,
    /// Initial phase of GLA and FGLA (pghi-fgla always starts from PGHI).
    #[arg(long, value_enum, default_value_t = Init::Random)]
    init: Init,
    /// Seed of the random initial phase.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output sample format (default: the input's).
    #[arg(long, value_enum)]
    format: Option<SampleFormat>,
    /// Print the method, iterations, time and each channel's SC after every iteration as JSON.
    #[arg(long)]
    json: bool,
}

impl InvertArgs {
    pub fn run(self) -> Result<(), String> {
        let audio = read_wav(&self.input)?;
        let layout = StftLayout {
            n_fft: self.n_fft,
            hop: self.hop,
            win: self.win.unwrap_or(self.n_fft),
            center: !self.no_center,
        };
        let (iterations, momentum, init) = match self.method {
            Method::Gla => (self.iters, 0.0, self.init),
            Method::Fgla => (self.iters, self.momentum, self.init),
            Method::Pghi => (0, 0.0, Init::Pghi),
            Method::PghiFgla => (self.iters, self.momentum, Init::Pghi),
        };
        let bar = progress_bar(iterations * audio.channels.len(), "inverting");
        let started = Instant::now();
        let (mut channels, mut sc_db) = (Vec::new(), Vec::new());
        for x in &audio.channels {
            let target = magnitudes(&stft(x, &layout)?);
            let settings = GlaSettings {
                iterations,
                momentum,
                init: match init {
                    Init::Random => InitialPhase::Random(self.seed),
                    Init::Zero => InitialPhase::Zero,
                    Init::Pghi => InitialPhase::Given(pghi(&target, &layout, TOLERANCE)),
                },
            };
            let rebuilt = griffin_lim(
                &target,
                layout,
                x.len(),
                &settings,
                &|| false,
                &mut |i, _| {
                    if i > 0 {
                        bar.inc(1);
                    }
                },
            )?;
            channels.push(rebuilt.signal);
            sc_db.push(rebuilt.sc_db);
        }
        bar.finish_and_clear();
        let seconds = started.elapsed().as_secs_f64();
        let out = Audio {
            sample_rate: audio.sample_rate,
            channels,
            format: audio.format,
        };
        write_wav(&self.output, &out, self.format.unwrap_or(audio.format))?;
        if self.json {
            let method = clap::ValueEnum::to_possible_value(&self.method)
                .map(|v| v.get_name().to_string())
                .unwrap_or_default();
            println!(
                "{}",
                serde_json::json!({
                    "method": method,
                    "iterations": iterations,
                    "layout": layout,
                    "seconds": seconds,
                    "sc_db": sc_db,
                })
            );
        }
        Ok(())
    }
}
