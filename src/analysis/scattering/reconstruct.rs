//! A signal whose scattering coefficients approach given ones, by gradient descent on the
//! loss ‖S(y) − S(x)‖₂ from noise, as kymatio's reconstruction example does it ("bold
//! driver") or with L-BFGS on the same loss.

use super::Scattering;
use crate::analysis::optim::{Lbfgs, LbfgsSettings, Objective, StopReason};

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

#[derive(Debug)]
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
struct ScatteringLoss {
    scattering: Scattering,
    target: Vec<f64>,
    coefficients: Vec<f64>,
}

impl Objective for ScatteringLoss {
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

impl ScatteringLoss {
    /// The loss at `y`, leaving S(y) − target in `coefficients`.
    fn value(&mut self, y: &[f64]) -> f64 {
        self.scattering.transform(y, &mut self.coefficients);
        for (c, t) in self.coefficients.iter_mut().zip(&self.target) {
            *c -= t;
        }
        self.coefficients.iter().map(|d| d * d).sum::<f64>().sqrt()
    }
}

enum Optimiser {
    BoldDriver(BoldDriver),
    Lbfgs(Box<Lbfgs>),
}

impl Optimiser {
    fn signal(&self) -> &[f64] {
        match self {
            Optimiser::BoldDriver(driver) => &driver.base,
            Optimiser::Lbfgs(lbfgs) => lbfgs.x(),
        }
    }
}

/// A reconstruction that can pause and resume (`run`), so a worker can hand out the signal
/// reached every few iterations; resumed, it takes the steps of one uninterrupted run.
pub struct Reconstructor {
    objective: ScatteringLoss,
    optimiser: Optimiser,
    iterations: usize,
    done: usize,
    loss: Vec<f64>,
    target_norm: f64,
}

impl Reconstructor {
    /// Towards `target` (laid out as `scattering`'s output) from `start`.
    pub fn new(
        scattering: Scattering,
        target: Vec<f64>,
        start: Vec<f64>,
        settings: &ReconstructionSettings,
    ) -> Result<Self, String> {
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
        let optimiser = match settings.method {
            Method::BoldDriver => Optimiser::BoldDriver(BoldDriver::new(start, settings)),
            Method::Lbfgs => {
                let lbfgs = LbfgsSettings {
                    max_iterations: settings.iterations,
                    ..Default::default()
                };
                Optimiser::Lbfgs(Box::new(Lbfgs::new(&mut objective, start, &lbfgs)))
            }
        };
        Ok(Self {
            objective,
            optimiser,
            iterations: settings.iterations,
            done: 0,
            loss: Vec::with_capacity(settings.iterations + 1),
            target_norm,
        })
    }

    /// Runs at most `more` further iterations. `stop` is asked between iterations; `progress`
    /// hears each evaluation's number and loss. True once the reconstruction is complete.
    pub fn run(
        &mut self,
        more: usize,
        stop: &dyn Fn() -> bool,
        progress: &mut dyn FnMut(usize, f64),
    ) -> bool {
        let Self {
            objective, loss, ..
        } = self;
        let mut heard = |k: usize, l: f64| {
            loss.push(l);
            progress(k, l);
        };
        match &mut self.optimiser {
            Optimiser::BoldDriver(driver) => {
                let until = self.iterations.min(self.done.saturating_add(more));
                while self.done < until && !stop() {
                    driver.iterate(objective, self.done, &mut heard);
                    self.done += 1;
                }
                self.done == self.iterations
            }
            Optimiser::Lbfgs(lbfgs) => {
                let paused = lbfgs.run(objective, more, stop, &mut |k, l, _| heard(k, l));
                paused.is_some_and(|reason| reason != StopReason::Cancelled)
            }
        }
    }

    /// The signal reached.
    pub fn signal(&self) -> &[f64] {
        self.optimiser.signal()
    }

    /// ‖S(x)‖, which the loss is divided by to give the relative error.
    pub fn target_norm(&self) -> f64 {
        self.target_norm
    }

    /// The loss at every point evaluated so far.
    pub fn loss(&self) -> &[f64] {
        &self.loss
    }

    /// ‖S(y) − S(x)‖ / ‖S(x)‖ of the signal reached (one more transform).
    pub fn relative_error(&mut self) -> f64 {
        let signal = self.optimiser.signal();
        self.objective.value(signal) / self.target_norm.max(f64::MIN_POSITIVE)
    }

    pub fn finish(mut self) -> Reconstruction {
        let signal = self.signal().to_vec();
        Reconstruction {
            final_loss: self.objective.value(&signal),
            signal,
            loss: self.loss,
            target_norm: self.target_norm,
        }
    }
}

/// A signal whose coefficients under `scattering` approach `target` (laid out as its
/// output), from `start`, in one run (see `Reconstructor::run` for `stop` and `progress`).
pub fn reconstruct(
    scattering: Scattering,
    target: Vec<f64>,
    start: Vec<f64>,
    settings: &ReconstructionSettings,
    stop: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<Reconstruction, String> {
    let mut reconstructor = Reconstructor::new(scattering, target, start, settings)?;
    reconstructor.run(usize::MAX, stop, progress);
    Ok(reconstructor.finish())
}

/// kymatio's example loop, quirks kept so its loss history can be compared: every iteration
/// evaluates the candidate made by the previous one; the learning rate is braked when that
/// loss rose above the previous evaluation's, and then the base point stays where it was
/// (its gradient, already known, is reused with the smaller rate); otherwise the rate grows
/// and the candidate becomes the base. The result is the last base point.
struct BoldDriver {
    base: Vec<f64>,
    candidate: Vec<f64>,
    gradient: Vec<f64>,
    candidate_is_base: bool,
    rate: f64,
    previous: f64,
}

impl BoldDriver {
    fn new(start: Vec<f64>, settings: &ReconstructionSettings) -> Self {
        Self {
            base: start.clone(),
            gradient: vec![0.0; start.len()],
            candidate: start,
            candidate_is_base: true,
            rate: settings.learning_rate,
            previous: f64::NAN,
        }
    }

    /// Iteration `k`: evaluates the candidate and makes the next one.
    fn iterate(
        &mut self,
        objective: &mut ScatteringLoss,
        k: usize,
        progress: &mut dyn FnMut(usize, f64),
    ) {
        let loss = if self.candidate_is_base {
            objective.evaluate(&self.candidate, &mut self.gradient)
        } else {
            objective.value(&self.candidate)
        };
        progress(k, loss);
        let rose = loss > self.previous;
        self.previous = loss;
        let rate = self.rate;
        for ((c, b), g) in self
            .candidate
            .iter_mut()
            .zip(&self.base)
            .zip(&self.gradient)
        {
            *c = b - rate * g;
        }
        if rose {
            self.rate *= 0.55;
            self.candidate_is_base = false;
        } else {
            self.rate *= 1.1;
            self.base.copy_from_slice(&self.candidate);
            self.candidate_is_base = true;
        }
    }
}
