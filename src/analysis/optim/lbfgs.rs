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

/// Minimises `objective` from `x0`. `stop` is asked between iterations (cancellation);
/// `progress` hears each iteration's number and value (iteration 0 is the start) and sees the
/// objective, whose last evaluation is always at the point reported.
pub fn minimize<O: Objective>(
    objective: &mut O,
    x0: Vec<f64>,
    settings: &LbfgsSettings,
    stop: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(usize, f64, &O),
) -> Minimum {
    let n = x0.len();
    let mut x = x0;
    let mut g = vec![0.0; n];
    let mut value = objective.evaluate(&x, &mut g);
    let (mut next_x, mut next_g, mut d) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut history = History::new(settings.memory, n);
    let mut search = LineSearch {
        c1: settings.c1,
        c2: settings.c2,
        max_evaluations: 20,
        evaluations: 1,
    };
    let mut iterations = 0;
    // The step just taken and its curvature, recorded with the next direction.
    let mut taken: Option<(f64, f64)> = None;
    progress(0, value, objective);
    let reason = loop {
        if !value.is_finite() {
            break StopReason::Gradient;
        }
        let record = taken.map(|(step, curvature)| Taken {
            step,
            previous_gradient: &next_g,
            curvature,
        });
        let Direction { slope, largest } = history.direction(&g, &mut d, record);
        if largest <= settings.gradient_tolerance {
            break StopReason::Gradient;
        }
        if iterations >= settings.max_iterations {
            break StopReason::Iterations;
        }
        if stop() {
            break StopReason::Cancelled;
        }
        // The first step (no curvature known yet) moves a unit distance: d = −g, so
        // ‖d‖² = −gᵀd.
        let step = if history.len() == 0 {
            1.0 / (-slope).sqrt()
        } else {
            1.0
        };
        let Some(accepted) = search.search(
            objective,
            &x,
            value,
            slope,
            &d,
            step,
            &mut next_x,
            &mut next_g,
        ) else {
            break StopReason::LineSearch;
        };
        // sᵀy = step · dᵀ(g₁ − g₀).
        taken = Some((accepted.step, accepted.step * (accepted.slope - slope)));
        std::mem::swap(&mut x, &mut next_x);
        std::mem::swap(&mut g, &mut next_g);
        let decrease = value - accepted.value;
        value = accepted.value;
        iterations += 1;
        progress(iterations, value, objective);
        if decrease <= settings.value_tolerance * value.abs() {
            break StopReason::Value;
        }
    };
    Minimum {
        x,
        value,
        iterations,
        evaluations: search.evaluations,
        stop: reason,
    }
}
