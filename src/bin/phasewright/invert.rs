//! `phasewright invert` and `plot-convergence`: throw away the phase of a file's STFT and
//! rebuild a signal from the magnitude alone, channel by channel, reporting the spectral
//! convergence after every iteration.

use std::path::PathBuf;
use std::time::Instant;

use phasewright::analysis::phase::{
    griffin_lim, magnitudes, pghi, rtpghi, GlaSettings, InitialPhase, Reconstruction, TOLERANCE,
};
use phasewright::cli::io::{read_wav, SampleFormat};
use phasewright::cli::plot::convergence_png;
use phasewright::dsp::stft::{stft, StftLayout};

use crate::common::{mono_mix, progress_bar, write_like};

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
    /// Real-time PGHI, frame by frame with one frame of look-ahead.
    Rtpghi,
    /// Real-time PGHI without look-ahead.
    RtpghiCausal,
}

impl Method {
    fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Init {
    Random,
    Zero,
    Pghi,
    #[value(skip)]
    Rtpghi {
        lookahead: bool,
    },
}

/// The transform and the iterations, shared by `invert` and `plot-convergence`.
#[derive(clap::Args)]
struct Inversion {
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
}

impl Inversion {
    fn layout(&self) -> StftLayout {
        StftLayout {
            n_fft: self.n_fft,
            hop: self.hop,
            win: self.win.unwrap_or(self.n_fft),
            center: !self.no_center,
        }
    }

    /// Iterations `method` runs.
    fn iterations(&self, method: Method) -> usize {
        match method {
            Method::Pghi | Method::Rtpghi | Method::RtpghiCausal => 0,
            _ => self.iters,
        }
    }

    /// Rebuilds `x` from its magnitude by `method`; `step` hears every iteration.
    fn run(
        &self,
        method: Method,
        x: &[f32],
        step: &mut dyn FnMut(),
    ) -> Result<Reconstruction, String> {
        let layout = self.layout();
        let target = magnitudes(&stft(x, &layout)?);
        let (momentum, init) = match method {
            Method::Gla => (0.0, self.init),
            Method::Fgla => (self.momentum, self.init),
            Method::Pghi => (0.0, Init::Pghi),
            Method::PghiFgla => (self.momentum, Init::Pghi),
            Method::Rtpghi => (0.0, Init::Rtpghi { lookahead: true }),
            Method::RtpghiCausal => (0.0, Init::Rtpghi { lookahead: false }),
        };
        let settings = GlaSettings {
            iterations: self.iterations(method),
            momentum,
            init: match init {
                Init::Random => InitialPhase::Random(self.seed),
                Init::Zero => InitialPhase::Zero,
                Init::Pghi => InitialPhase::Given(pghi(&target, &layout, TOLERANCE)),
                Init::Rtpghi { lookahead } => {
                    InitialPhase::Given(rtpghi(&target, &layout, TOLERANCE, lookahead))
                }
            },
        };
        griffin_lim(
            &target,
            layout,
            x.len(),
            &settings,
            &|| false,
            &mut |i, _| {
                if i > 0 {
                    step();
                }
            },
        )
    }
}

#[derive(clap::Args)]
pub struct InvertArgs {
    input: PathBuf,
    #[arg(short, long)]
    output: PathBuf,
    #[arg(long, value_enum, default_value_t = Method::Fgla)]
    method: Method,
    #[command(flatten)]
    how: Inversion,
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
        let iterations = self.how.iterations(self.method);
        let bar = progress_bar(iterations * audio.channels.len(), "inverting");
        let started = Instant::now();
        let (mut channels, mut sc_db) = (Vec::new(), Vec::new());
        for x in &audio.channels {
            let rebuilt = self.how.run(self.method, x, &mut || bar.inc(1))?;
            channels.push(rebuilt.signal);
            sc_db.push(rebuilt.sc_db);
        }
        bar.finish_and_clear();
        let seconds = started.elapsed().as_secs_f64();
        write_like(&self.output, &audio, channels, self.format)?;
        if self.json {
            println!(
                "{}",
                serde_json::json!({
                    "method": self.method.name(),
                    "iterations": iterations,
                    "layout": self.how.layout(),
                    "seconds": seconds,
                    "sc_db": sc_db,
                })
            );
        }
        Ok(())
    }
}

#[derive(clap::Args)]
pub struct PlotConvergenceArgs {
    input: PathBuf,
    #[arg(short, long)]
    output: PathBuf,
    /// The methods to compare, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Method::Gla, Method::Fgla, Method::PghiFgla])]
    methods: Vec<Method>,
    #[command(flatten)]
    how: Inversion,
}

impl PlotConvergenceArgs {
    /// Each method on the channels' mix; one curve of SC against iteration each.
    pub fn run(self) -> Result<(), String> {
        let audio = read_wav(&self.input)?;
        let mix = mono_mix(&audio);
        let total = self.methods.iter().map(|m| self.how.iterations(*m)).sum();
        let bar = progress_bar(total, "inverting");
        let curves = (self.methods.iter())
            .map(|m| Ok((m.name(), self.how.run(*m, &mix, &mut || bar.inc(1))?.sc_db)))
            .collect::<Result<Vec<_>, String>>()?;
        bar.finish_and_clear();
        let title = format!(
            "{}: spectral convergence ({} / {})",
            self.input.display(),
            self.how.n_fft,
            self.how.hop
        );
        convergence_png(&curves, &title, &self.output)
    }
}
