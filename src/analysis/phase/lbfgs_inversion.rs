//! Inversion by optimisation (Decorsière et al. 2015): L-BFGS on the signal's samples,
//! minimising a `SpectrogramLoss`, from a start such as PGHI's signal or faint noise.

use rand::{Rng, SeedableRng};

use super::spectrogram_loss::{SpectrogramLoss, Target};
use super::Reconstruction;
use crate::analysis::optim::{minimize, LbfgsSettings};
use crate::dsp::stft::StftLayout;

/// A signal of `start.len()` samples whose representation approaches `target`, after at most
/// `iterations` L-BFGS iterations. The SC reported is the loss's (`convergence_db`).
pub fn invert_lbfgs(
    target: Target,
    layout: StftLayout,
    start: &[f32],
    iterations: usize,
    stop: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<Reconstruction, String> {
    let mut loss = SpectrogramLoss::new(target, layout, start.len())?;
    let settings = LbfgsSettings {
        max_iterations: iterations,
        ..Default::default()
    };
    let mut sc_db = Vec::with_capacity(iterations + 1);
    let x0 = start.iter().map(|v| *v as f64).collect();
    let found = minimize(&mut loss, x0, &settings, stop, &mut |i, _, loss| {
        let sc = loss.convergence_db();
        sc_db.push(sc);
        progress(i, sc);
    });
    Ok(Reconstruction {
        signal: found.x.iter().map(|v| *v as f32).collect(),
        sc_db,
        iterations: found.iterations,
    })
}

/// `len` samples of Gaussian noise of standard deviation `std`, from a seed (Box–Muller).
pub fn gaussian_noise(len: usize, std: f64, seed: u64) -> Vec<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len)
        .map(|_| {
            let (u, v): (f64, f64) = (1.0 - rng.random::<f64>(), rng.random());
            (std * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        })
        .collect()
}
