//! A signal whose scattering coefficients approach given ones, by gradient descent on the
//! loss ‖S(y) − S(x)‖₂ from noise, as kymatio's reconstruction example does it ("bold
//! driver") or with L-BFGS on the same loss.

use super::Scattering;
use crate::analysis::optim::{minimize, LbfgsSettings, Objective};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// kymatio's example, step for step: y ← y − lr·∇, lr × 1.1 after a loss that did not rise,
    /// × 0.55 after one that did.
    BoldDriver,
    /// L-BFGS on the same loss.
    Lbfgs,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReconstructionSettings {
    pub method: Method,
    /// Loss evaluations for the bold driver, iterations for L-BFGS.
    pub iterations: usize,
    /// The bold driver's first learning rate (the example's 100).
    pub learning_rate: f64,
}

impl Default for ReconstructionSettings {
    fn default() -> Self {
        Self {
            method: Method::BoldDriver,
            iterations: 200,
            learning_rate: 100.0,
        }
    }
}

pub struct Reconstruction {
    pub signal: Vec<f64>,
    /// ‖S(y) − S(x)‖ at every point evaluated, in order (the bold driver's last point is
    /// made after its last evaluation, so `final_loss` is measured apart).
    pub loss: Vec<f64>,
    /// ‖S(y) − S(x)‖ of `signal`.
    pub final_loss: f64,
    /// ‖S(x)‖, which the loss is divided by to give the relative error.
    pub target_norm: f64,
}

impl Reconstruction {
    /// ‖S(y) − S(x)‖ / ‖S(x)‖ of `signal`.
    pub fn relative_error(&self) -> f64 {
        self.final_loss / self.target_norm.max(f64::MIN_POSITIVE)
    }
}

/// The loss ‖S(y) − target‖ and its gradient, for the optimisers.
struct ScatteringLoss<'a> {
    scattering: &'a mut Scattering,
    target: &'a [f64],
    coefficients: Vec<f64>,
}

impl Objective for ScatteringLoss<'_> {
    fn evaluate(&mut self, y: &[f64], gradient: &mut [f64]) -> f64 {
        let loss = self.value(y);
        let weights = &mut self.coefficients;
        if loss > 0.0 {
            weights.iter_mut().for_each(|d| *d /= loss);
        }
        self.scattering.gradient(weights, gradient);
        loss
    }
}

impl ScatteringLoss<'_> {
    /// The loss at `y`, leaving S(y) − target in `coefficients`.
    fn value(&mut self, y: &[f64]) -> f64 {
        self.scattering.transform(y, &mut self.coefficients);
        for (c, t) in self.coefficients.iter_mut().zip(self.target) {
            *c -= t;
        }
        self.coefficients.iter().map(|d| d * d).sum::<f64>().sqrt()
    }
}

/// A signal whose coefficients under `scattering` approach `target` (laid out as its
/// output), from `start`. `stop` is asked between iterations; `progress` hears each
/// evaluation's number and loss.
pub fn reconstruct(
    scattering: &mut Scattering,
    target: &[f64],
    start: Vec<f64>,
    settings: &ReconstructionSettings,
    stop: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<Reconstruction, String> {
    let size = scattering.paths().len() * scattering.frames();
    if target.len() != size || start.len() != scattering.shape() {
        return Err(format!(
            "the target needs {size} coefficients and the start {} samples",
            scattering.shape()
        ));
    }
    if target.iter().chain(&start).any(|v| !v.is_finite()) {
        return Err("the target and the start must be finite".into());
    }
    let target_norm = target.iter().map(|t| t * t).sum::<f64>().sqrt();
    let mut objective = ScatteringLoss {
        scattering,
        target,
        coefficients: vec![0.0; size],
    };
    let mut loss = Vec::with_capacity(settings.iterations + 1);
    let signal = match settings.method {
        Method::BoldDriver => bold_driver(&mut objective, start, settings, stop, &mut |k, l| {
            loss.push(l);
            progress(k, l);
        }),
        Method::Lbfgs => {
            let lbfgs = LbfgsSettings {
                max_iterations: settings.iterations,
                ..Default::default()
            };
            let found = minimize(&mut objective, start, &lbfgs, stop, &mut |k, l, _| {
                loss.push(l);
                progress(k, l);
            });
            found.x
        }
    };
    Ok(Reconstruction {
        final_loss: objective.value(&signal),
        signal,
        loss,
        target_norm,
    })
}

/// kymatio's example loop, quirks kept so its loss history can be compared: every iteration
/// evaluates the candidate made by the previous one; the learning rate is braked when that
/// loss rose above the previous evaluation's, and then the base point stays where it was
/// (its gradient, already known, is reused with the smaller rate); otherwise the rate grows
/// and the candidate becomes the base. Returns the last base point.
fn bold_driver(
    objective: &mut ScatteringLoss,
    start: Vec<f64>,
    settings: &ReconstructionSettings,
    stop: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(usize, f64),
) -> Vec<f64> {
    let n = start.len();
    let (mut base, mut candidate) = (start.clone(), start);
    let mut gradient = vec![0.0; n];
    let mut candidate_is_base = true;
    let mut rate = settings.learning_rate;
    let mut previous = f64::NAN;
    for k in 0..settings.iterations {
        let loss = if candidate_is_base {
            objective.evaluate(&candidate, &mut gradient)
        } else {
            objective.value(&candidate)
        };
        progress(k, loss);
        let rose = loss > previous;
        previous = loss;
        for ((c, b), g) in candidate.iter_mut().zip(&base).zip(&gradient) {
            *c = b - rate * g;
        }
        if rose {
            rate *= 0.55;
            candidate_is_base = false;
        } else {
            rate *= 1.1;
            base.copy_from_slice(&candidate);
            candidate_is_base = true;
        }
        if stop() {
            break;
        }
    }
    base
}
