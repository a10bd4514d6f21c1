//! `phasewright train`.

use std::path::PathBuf;

use phasewright::analysis::denoise::sgd::{self, Optimiser, SgdConfig};
use phasewright::taps_file::TapsFile;
use phasewright::{analysis::denoise::taps, cli::pairs};

#[derive(clap::Args)]
pub struct TrainArgs {
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

impl TrainArgs {
    pub fn run(self) -> Result<(), String> {
        let mut all = match &self.pairs {
            Some(dir) => pairs::read_pairs_dir(dir)?,
            None => {
                if self.noisy.is_empty() || self.noisy.len() != self.clean.len() {
                    return Err(
                        "give --pairs DIR, or as many --clean files as --noisy files".into(),
                    );
                }
                self.noisy
                    .iter()
                    .zip(&self.clean)
                    .map(|(n, c)| pairs::read_pair(&n.display().to_string(), n, c))
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        if let Some(kind) = self.noise_type.as_deref() {
            let known: std::collections::BTreeSet<String> =
                all.iter().filter_map(|p| p.noise_type.clone()).collect();
            all.retain(|p| p.noise_type.as_deref() == Some(kind));
            if all.is_empty() {
                return Err(format!(
                    "no pairs of noise type '{kind}' (the folder's pairs.csv lists {known:?})"
                ));
            }
        }
        if !(0.0..1.0).contains(&self.test_fraction) {
            return Err(format!(
                "--test-fraction {} must be in [0, 1)",
                self.test_fraction
            ));
        }
        let sample_rate = all[0].sample_rate;
        if all.iter().any(|p| p.sample_rate != sample_rate) {
            return Err("the pairs are not all at one sample rate".into());
        }
        let (train, test) = pairs::split(all, self.test_fraction, self.seed);
        if train.is_empty() {
            return Err("no pairs left to train on".into());
        }
        let started = std::time::Instant::now();
        let mut epochs = Vec::new();
        let h = match self.method {
            Method::Ls => taps::least_squares(&train, self.taps)?,
            Method::Sgd | Method::Adam => {
                let optimiser = if self.method == Method::Sgd {
                    Optimiser::Sgd
                } else {
                    Optimiser::Adam
                };
                let config = SgdConfig::lab(self.taps, self.seed, optimiser);
                sgd::train(&config, &train, &test, |epoch, train_mse, test_mse| {
                    if !self.json {
                        eprintln!(
                            "epoch {epoch:2}: train MSE {train_mse:.4e}, test MSE {test_mse:.4e}"
                        );
                    }
                    epochs.push(serde_json::json!({"epoch": epoch, "train_mse": train_mse, "test_mse": test_mse}));
                })
            }
        };
        let seconds = started.elapsed().as_secs_f64();
        let method = match self.method {
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
            "seed": self.seed,
            "train_samples": train.iter().map(|p| p.noisy.len()).sum::<usize>(),
            "epochs": epochs,
            "noise_type": self.noise_type,
            "train": train_eval,
            "test": test_eval,
            "test_by_noise_type": test_by_type,
        });
        TapsFile {
            sample_rate: sample_rate as f32,
            taps: h,
            metadata: metadata.clone(),
        }
        .write(&self.output)?;
        if self.json {
            println!(
                "{}",
                serde_json::json!({"taps": self.taps, "train_seconds": seconds, "result": metadata})
            );
        } else {
            eprintln!(
                "{method}, {} taps, {} training pairs: {:.3} s; train MSE {:.3e}",
                self.taps,
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
}
