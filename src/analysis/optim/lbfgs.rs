//! Limited-memory BFGS: the search direction is the gradient multiplied by an inverse-Hessian
//! estimate built from the last `memory` steps and gradient changes (`history.rs`), scaled by
//! sᵀy / yᵀy of the newest pair, and a strong Wolfe line search along it.

use super::history::{Direction, History, Taken};
use super::line_search::LineSearch;
use super::Objective;

#[derive(Clone, Debug, PartialEq)]
pub struct LbfgsSettings {
    /// Step and gradient-change pairs kept (scipy's `maxcor`, 10).
    pub memory: usize,
    pub max_iterations: usize,
    /// Stop when the largest gradient component falls to this.
    pub gradient_tolerance: f64,
    /// Stop when an iteration lowers the value by less than this fraction of it.
    pub value_tolerance: f64,
    /// Sufficient decrease and curvature constants of the strong Wolfe conditions.
    pub c1: f64,
    pub c2: f64,
}

impl Default for LbfgsSettings {
    fn default() -> Self {
        Self {
            memory: 10,
            max_iterations: 1000,
            gradient_tolerance: 0.0,
            value_tolerance: 0.0,
            c1: 1e-4,
            c2: 0.9,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    Iterations,
    Gradient,
    Value,
    /// No step along the direction lowered the value (at the limit of precision).
    LineSearch,
    Cancelled,
}

#[derive(Clone, Debug)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
    pub iterations: usize,
    /// Evaluations of the objective, the first included.
    pub evaluations: usize,
    pub stop: StopReason,
}

/// A minimisation that can pause and resume: `run` takes a number of further iterations, so
/// a worker can hand out the point reached every few iterations (the plugin's texture comes
/// into focus while it plays). Resuming continues exactly where it paused: the iterates are
/// those of one uninterrupted run.
pub struct Lbfgs {
    settings: LbfgsSettings,
    x: Vec<f64>,
    g: Vec<f64>,
    value: f64,
    next_x: Vec<f64>,
    next_g: Vec<f64>,
    d: Vec<f64>,
    history: History,
    search: LineSearch,
    iterations: usize,
    /// The step just taken and its curvature, recorded with the next direction.
    taken: Option<(f64, f64)>,
    reported_start: bool,
    stopped: Option<StopReason>,
}

impl Lbfgs {
    /// Starts at `x0`, where it evaluates `objective` once.
    pub fn new<O: Objective>(objective: &mut O, x0: Vec<f64>, settings: &LbfgsSettings) -> Self {
        let n = x0.len();
        let mut g = vec![0.0; n];
        let value = objective.evaluate(&x0, &mut g);
        Self {
            history: History::new(settings.memory, n),
            search: LineSearch {
                c1: settings.c1,
                c2: settings.c2,
                max_evaluations: 20,
                evaluations: 1,
            },
            settings: settings.clone(),
            x: x0,
            g,
            value,
            next_x: vec![0.0; n],
            next_g: vec![0.0; n],
            d: vec![0.0; n],
            iterations: 0,
            taken: None,
            reported_start: false,
            stopped: None,
        }
    }

    /// Runs at most `more` further iterations; `stop` is asked between iterations
    /// (cancellation), `progress` hears each iteration's number and value (iteration 0, the
    /// start, on the first call) and sees the objective, whose last evaluation is always at
    /// the point reported. Returns why it stopped for good, or None when it paused.
    pub fn run<O: Objective>(
        &mut self,
        objective: &mut O,
        more: usize,
        stop: &dyn Fn() -> bool,
        progress: &mut dyn FnMut(usize, f64, &O),
    ) -> Option<StopReason> {
        if self.stopped.is_some() {
            return self.stopped;
        }
        if !self.reported_start {
            self.reported_start = true;
            progress(0, self.value, objective);
        }
        let pause = self.iterations.saturating_add(more);
        let settings = &self.settings;
        let reason = loop {
            if !self.value.is_finite() {
                break StopReason::Gradient;
            }
            if self.iterations >= pause && self.iterations < settings.max_iterations {
                return None;
            }
            let record = self.taken.map(|(step, curvature)| Taken {
                step,
                previous_gradient: &self.next_g,
                curvature,
            });
            let Direction { slope, largest } = self.history.direction(&self.g, &mut self.d, record);
            self.taken = None;
            if largest <= settings.gradient_tolerance {
                break StopReason::Gradient;
            }
            if self.iterations >= settings.max_iterations {
                break StopReason::Iterations;
            }
            if stop() {
                break StopReason::Cancelled;
            }
            // The first step (no curvature known yet) moves a unit distance: d = −g, so
            // ‖d‖² = −gᵀd.
            let step = if self.history.len() == 0 {
                1.0 / (-slope).sqrt()
            } else {
                1.0
            };
            let Some(accepted) = self.search.search(
                objective,
                &self.x,
                self.value,
                slope,
                &self.d,
                step,
                &mut self.next_x,
                &mut self.next_g,
            ) else {
                break StopReason::LineSearch;
            };
            // sᵀy = step · dᵀ(g₁ − g₀).
            self.taken = Some((accepted.step, accepted.step * (accepted.slope - slope)));
            std::mem::swap(&mut self.x, &mut self.next_x);
            std::mem::swap(&mut self.g, &mut self.next_g);
            let decrease = self.value - accepted.value;
            self.value = accepted.value;
            self.iterations += 1;
            progress(self.iterations, self.value, objective);
            if decrease <= settings.value_tolerance * self.value.abs() {
                break StopReason::Value;
            }
        };
        self.stopped = Some(reason);
        self.stopped
    }

    /// The point reached.
    pub fn x(&self) -> &[f64] {
        &self.x
    }

    pub fn into_minimum(self) -> Minimum {
        Minimum {
            value: self.value,
            iterations: self.iterations,
            evaluations: self.search.evaluations,
            stop: self.stopped.unwrap_or(StopReason::Cancelled),
            x: self.x,
        }
    }
}

/// Minimises `objective` from `x0` in one run (see `Lbfgs::run` for `stop` and `progress`).
pub fn minimize<O: Objective>(
    objective: &mut O,
    x0: Vec<f64>,
    settings: &LbfgsSettings,
    stop: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(usize, f64, &O),
) -> Minimum {
    let mut lbfgs = Lbfgs::new(objective, x0, settings);
    lbfgs.run(objective, usize::MAX, stop, progress);
    lbfgs.into_minimum()
}
