//! `phasewright scatter`: the scattering coefficients of a WAV file (its channels' mix, taken
//! whole as one signal) as kymatio's `Scattering1D(J, len, Q)` gives them, to JSON; and a
//! signal rebuilt from those coefficients alone, from noise.

use std::path::PathBuf;
use std::time::Instant;

use phasewright::analysis::phase::gaussian_noise;
use phasewright::analysis::scattering::{reconstruct, Method, ReconstructionSettings, Scattering};
use phasewright::cli::io::read_wav;

use crate::common::{mono_mix, progress_bar, write_like};

#[derive(clap::Args)]
pub struct ScatterArgs {
    input: PathBuf,
    /// Octaves of the averaging scale (T = 2^J).
    #[arg(long = "J", default_value_t = 6)]
    j: u32,
    /// Wavelets per octave, first order and optionally second (default 1).
    #[arg(long = "Q", value_delimiter = ',', default_values_t = [16])]
    q: Vec<usize>,
    /// Write the coefficients here as JSON: J, Q, shape [paths, frames], order, j1, j2 (null
    /// where a path has none) and data (row-major).
    #[arg(long)]
    coefficients: Option<PathBuf>,
    /// Rebuild a signal from the coefficients, from Gaussian noise, and write it here.
    #[arg(short, long)]
    output: Option<PathBuf>,
    #[arg(long, default_value_t = 200)]
    iters: usize,
    #[arg(long, value_enum, default_value_t = Method::BoldDriver)]
    method: Method,
    /// Seed of the starting noise.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print the loss and relative error after every iteration as JSON.
    #[arg(long)]
    json: bool,
}

impl ScatterArgs {
    pub fn run(self) -> Result<(), String> {
        let q = match self.q[..] {
            [q1] => (q1, 1),
            [q1, q2] => (q1, q2),
            _ => return Err("--Q takes Q1 or Q1,Q2".into()),
        };
        if self.coefficients.is_none() && self.output.is_none() {
            return Err("nothing to do: give --coefficients FILE and/or -o OUT.wav".into());
        }
        let audio = read_wav(&self.input)?;
        let x: Vec<f64> = mono_mix(&audio).iter().map(|v| *v as f64).collect();
        if x.iter().any(|v| !v.is_finite()) {
            return Err(format!(
                "'{}' holds samples that are not finite",
                self.input.display()
            ));
        }
        let mut scattering = Scattering::new(self.j, x.len(), q)?;
        let mut target = vec![0.0; scattering.paths().len() * scattering.frames()];
        scattering.transform(&x, &mut target);
        if let Some(path) = &self.coefficients {
            let json = coefficients_json(&scattering, &target);
            std::fs::write(path, json.to_string())
                .map_err(|e| format!("cannot write '{}': {e}", path.display()))?;
        }
        let Some(output) = &self.output else {
            return Ok(());
        };
        let settings = ReconstructionSettings {
            method: self.method,
            iterations: self.iters,
            ..Default::default()
        };
        let start = gaussian_noise(x.len(), 1.0, self.seed)
            .iter()
            .map(|v| *v as f64)
            .collect();
        let bar = progress_bar(self.iters, "reconstructing");
        let began = Instant::now();
        let found = reconstruct(
            scattering,
            target,
            start,
            &settings,
            &|| false,
            &mut |_, _| bar.inc(1),
        )?;
        bar.finish_and_clear();
        let seconds = began.elapsed().as_secs_f64();
        let peak = found.signal.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let gain = if peak > 1.0 {
            eprintln!("the reconstruction peaks at {peak:.2}; scaled to 1 so it does not clip");
            1.0 / peak
        } else {
            1.0
        };
        let signal: Vec<f32> = found.signal.iter().map(|v| (v * gain) as f32).collect();
        write_like(output, &audio, vec![signal], None)?;
        let norm = found.target_norm.max(f64::MIN_POSITIVE);
        if self.json {
            let report = serde_json::json!({
                "method": clap::ValueEnum::to_possible_value(&self.method).map(|v| v.get_name().to_string()),
                "J": self.j, "Q": [q.0, q.1], "seed": self.seed,
                "iterations": found.loss.len(), "seconds": seconds,
                "loss": found.loss,
                "relative_error": found.loss.iter().map(|l| l / norm).collect::<Vec<_>>(),
                "final_relative_error": found.relative_error(),
            });
            println!("{report}");
        } else {
            println!(
                "{} evaluations in {seconds:.2} s: relative error {:.2} % (from {:.2} %)",
                found.loss.len(),
                100.0 * found.relative_error(),
                100.0 * found.loss.first().copied().unwrap_or(f64::NAN) / norm,
            );
        }
        Ok(())
    }
}

/// The coefficients and what each row is.
fn coefficients_json(scattering: &Scattering, data: &[f64]) -> serde_json::Value {
    let meta = scattering.meta();
    serde_json::json!({
        "J": scattering.j(),
        "Q": [scattering.q().0, scattering.q().1],
        "shape": [scattering.paths().len(), scattering.frames()],
        "order": meta.iter().map(|m| m.order).collect::<Vec<_>>(),
        "j1": meta.iter().map(|m| m.j[0]).collect::<Vec<_>>(),
        "j2": meta.iter().map(|m| m.j[1]).collect::<Vec<_>>(),
        "data": data,
    })
}
