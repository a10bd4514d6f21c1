//! `phasewright invert` and `plot-convergence`: throw away the phase of a file's STFT and
//! rebuild a signal from the magnitude alone, channel by channel, reporting the spectral
//! convergence after every iteration.

use std::path::PathBuf;
use std::time::Instant;

use phasewright::analysis::phase::{
    gaussian_noise, griffin_lim, invert_lbfgs, magnitudes, pghi, rtpghi, signal_with_phase,
    Acceleration, GlaSettings, InitialPhase, Reconstruction, Target, TOLERANCE,
};
use phasewright::cli::io::{read_wav, SampleFormat};
use phasewright::cli::plot::convergence_png;
use phasewright::dsp::mel::{htk_mel_filterbank, MelBank};
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
    /// Accelerated Griffin-Lim (Nenov et al. 2023), --alpha --beta --gamma.
    Agla,
    /// Fast Griffin-Lim started from PGHI's phase.
    PghiFgla,
    /// Real-time PGHI, frame by frame with one frame of look-ahead.
    Rtpghi,
    /// Real-time PGHI without look-ahead.
    RtpghiCausal,
    /// L-BFGS on the samples against the (compressed) magnitude or, with --mel, the mel
    /// spectrogram.
    Lbfgs,
}

impl Method {
    fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }
}

/// Where GLA, FGLA and L-BFGS start.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Init {
    /// Random phase from the seed; for L-BFGS, noise N(0, 1e-6) from the seed.
    Random,
    /// Zero phase (not for L-BFGS: a silent start has no gradient).
    Zero,
    /// PGHI's phase (for L-BFGS, its signal; with --mel, PGHI of the mel spectrogram spread
    /// back over the bins).
    Pghi,
    #[value(skip)]
    Rtpghi { lookahead: bool },
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
    /// AGLA's α, β and γ: the paper's best overall by default; 0.09,1.1,0.2 is its set inside
    /// the convergence guarantee.
    #[arg(long, value_delimiter = ',', default_values_t = [1.05, 1.35, 1.25])]
    agla: Vec<f32>,
    /// Initial phase of GLA and FGLA (pghi-fgla always starts from PGHI).
    #[arg(long, value_enum, default_value_t = Init::Random)]
    init: Init,
    /// Seed of the random initial phase or noise.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// L-BFGS against |X|^P and the target's magnitude to the same power (e.g. 0.667).
    #[arg(long, default_value_t = 1.0)]
    exponent: f64,
    /// L-BFGS against a mel spectrogram of N bands (HTK scale, TensorFlow's triangles) of the
    /// magnitude.
    #[arg(long)]
    mel: Option<usize>,
    /// Highest mel band edge in Hz (default: Nyquist); the lowest is 0 Hz.
    #[arg(long)]
    fmax: Option<f64>,
    /// The target mel spectrogram is stored as log1p; both sides are expm1'd, l2-normalised
    /// and compared by mean squared error (the reference notebook's loss).
    #[arg(long)]
    log1p: bool,
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

    /// Rebuilds `x` (at `rate` Hz) from its magnitude by `method`; `step` hears every
    /// iteration.
    fn run(
        &self,
        method: Method,
        x: &[f32],
        rate: u32,
        step: &mut dyn FnMut(),
    ) -> Result<Reconstruction, String> {
        let layout = self.layout();
        let target = magnitudes(&stft(x, &layout)?);
        if self.mel.is_some() && method != Method::Lbfgs {
            return Err("--mel needs --method lbfgs".into());
        }
        if method == Method::Lbfgs {
            return self.lbfgs(target, x.len(), rate, step);
        }
        if self.agla.len() != 3 {
            return Err("--agla takes alpha,beta,gamma".into());
        }
        let momentum = |m| Acceleration::Momentum(m);
        let (acceleration, init) = match method {
            Method::Gla => (momentum(0.0), self.init),
            Method::Fgla => (momentum(self.momentum), self.init),
            Method::Agla => (
                Acceleration::Accelerated {
                    alpha: self.agla[0],
                    beta: self.agla[1],
                    gamma: self.agla[2],
                },
                self.init,
            ),
            Method::Pghi => (momentum(0.0), Init::Pghi),
            Method::PghiFgla => (momentum(self.momentum), Init::Pghi),
            Method::Rtpghi => (momentum(0.0), Init::Rtpghi { lookahead: true }),
            Method::RtpghiCausal => (momentum(0.0), Init::Rtpghi { lookahead: false }),
            Method::Lbfgs => unreachable!("handled above"),
        };
        let settings = GlaSettings {
            iterations: self.iterations(method),
            acceleration,
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

    /// L-BFGS from the chosen start against the magnitude `target` or its mel spectrogram.
    fn lbfgs(
        &self,
        magnitude: Vec<Vec<f32>>,
        len: usize,
        rate: u32,
        step: &mut dyn FnMut(),
    ) -> Result<Reconstruction, String> {
        let layout = self.layout();
        let target = match self.mel {
            None => Target::Magnitude {
                magnitude,
                exponent: self.exponent,
            },
            Some(bands) => {
                let nyquist = rate as f64 / 2.0;
                let fmax = self.fmax.unwrap_or(nyquist);
                if bands == 0 || !(fmax > 0.0 && fmax <= nyquist) {
                    return Err(format!("--mel needs bands and 0 < --fmax <= {nyquist} Hz"));
                }
                let dense = htk_mel_filterbank(rate as f64, layout.n_fft, bands, 0.0, fmax);
                let bank = MelBank::compact(dense);
                let mut mel = bank.spectrogram(&magnitude);
                if self.log1p {
                    // Stored as log1p, as the notebook stores it; the loss sees expm1 of it.
                    mel.iter_mut()
                        .flatten()
                        .for_each(|m| *m = m.ln_1p().exp_m1());
                }
                Target::Mel {
                    mel,
                    bank,
                    normalised: self.log1p,
                }
            }
        };
        let start = match self.init {
            Init::Random => gaussian_noise(len, 1e-3, self.seed),
            Init::Pghi => {
                // PGHI on the magnitude, or on the mel spectrogram spread back over the bins.
                let magnitude = match &target {
                    Target::Magnitude { magnitude, .. } => magnitude.clone(),
                    Target::Mel { mel, bank, .. } => {
                        let bins = layout.n_fft / 2 + 1;
                        mel.iter().map(|m| bank.spread(m, bins)).collect()
                    }
                };
                let phase = pghi(&magnitude, &layout, TOLERANCE);
                signal_with_phase(&magnitude, phase, layout, len)?.signal
            }
            _ => return Err("L-BFGS starts from --init random or pghi".into()),
        };
        invert_lbfgs(
            target,
            layout,
            &start,
            self.iters,
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
            let rebuilt = self
                .how
                .run(self.method, x, audio.sample_rate, &mut || bar.inc(1))?;
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
            .map(|m| {
                let run = self
                    .how
                    .run(*m, &mix, audio.sample_rate, &mut || bar.inc(1))?;
                Ok((m.name(), run.sc_db))
            })
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
