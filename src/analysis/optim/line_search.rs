//! A step length that meets the strong Wolfe conditions along a descent direction: enough
//! decrease (c1) and a slope flattened enough (c2), by bracketing then zooming with cubic
//! interpolation (Nocedal and Wright, algorithms 3.5 and 3.6).

use super::{dot, Objective};

/// A trial point: step length, value and slope along the direction.
#[derive(Clone, Copy, Debug)]
pub(super) struct Trial {
    pub step: f64,
    pub value: f64,
    pub slope: f64,
}

/// The search's buffers: the trial point and its gradient, reused across iterations.
pub(super) struct LineSearch {
    pub c1: f64,
    pub c2: f64,
    /// Evaluations allowed in one search.
    pub max_evaluations: usize,
    pub evaluations: usize,
}

impl LineSearch {
    /// Searches from `origin` (value `value`, slope `slope` along `direction`), starting with
    /// `step`. On success `x` and `g` hold the accepted point and its gradient, and its trial
    /// is returned.
    #[allow(clippy::too_many_arguments)]
    pub fn search(
        &mut self,
        objective: &mut dyn Objective,
        origin: &[f64],
        value: f64,
        slope: f64,
        direction: &[f64],
        step: f64,
        x: &mut [f64],
        g: &mut [f64],
    ) -> Option<Trial> {
        // Not a descent direction (or NaN): nothing to search.
        if slope.is_nan() || slope >= 0.0 {
            return None;
        }
        let start = Trial {
            step: 0.0,
            value,
            slope,
        };
        let mut eval = |step: f64, x: &mut [f64], g: &mut [f64], count: &mut usize| {
            for ((x, o), d) in x.iter_mut().zip(origin).zip(direction) {
                *x = o + step * d;
            }
            *count += 1;
            let value = objective.evaluate(x, g);
            Trial {
                step,
                value,
                slope: dot(g, direction),
            }
        };
        let (c1, c2) = (self.c1, self.c2);
        let sufficient = |t: &Trial| t.value <= value + c1 * t.step * slope;
        let curved = |t: &Trial| t.slope.abs() <= -c2 * slope;
        let mut previous = start;
        let mut step = step;
        let budget = self.max_evaluations;
        let mut used = 0;
        // Bracketing: grow the step until the value rises or the slope turns.
        let (mut lo, mut hi) = loop {
            if used >= budget || !step.is_finite() {
                self.evaluations += used;
                return None;
            }
            let t = eval(step, x, g, &mut used);
            if !t.value.is_finite() || !sufficient(&t) || (used > 1 && t.value >= previous.value) {
                break (previous, t);
            }
            if curved(&t) {
                self.evaluations += used;
                return Some(t);
            }
            if t.slope >= 0.0 {
                break (t, previous);
            }
            previous = t;
            step *= 2.0;
        };
        // Zoom: `lo` meets the decrease condition and is the best so far; the minimiser lies
        // between `lo` and `hi`.
        while used < budget {
            let step = cubic_minimiser(&lo, &hi);
            let t = eval(step, x, g, &mut used);
            if !t.value.is_finite() || !sufficient(&t) || t.value >= lo.value {
                hi = t;
            } else {
                if curved(&t) {
                    self.evaluations += used;
                    return Some(t);
                }
                if t.slope * (hi.step - lo.step) >= 0.0 {
                    hi = lo;
                }
                lo = t;
            }
            if (hi.step - lo.step).abs() <= 1e-12 * lo.step.abs().max(1e-300) {
                break;
            }
        }
        self.evaluations += used;
        // Out of budget: settle for the best point found if it is any better than the start.
        if lo.step > 0.0 && lo.value < value {
            return Some(eval(lo.step, x, g, &mut self.evaluations));
        }
        None
    }
}

/// The minimiser of the cubic through two trials (values and slopes), kept inside the middle
/// 80 % of the interval; bisection when the cubic has none there.
fn cubic_minimiser(a: &Trial, b: &Trial) -> f64 {
    let (lo, hi) = (a.step.min(b.step), a.step.max(b.step));
    let width = hi - lo;
    let d1 = a.slope + b.slope - 3.0 * (a.value - b.value) / (a.step - b.step);
    let radicand = d1 * d1 - a.slope * b.slope;
    let guess = if radicand >= 0.0 {
        let d2 = (b.step - a.step).signum() * radicand.sqrt();
        b.step - (b.step - a.step) * (b.slope + d2 - d1) / (b.slope - a.slope + 2.0 * d2)
    } else {
        f64::NAN
    };
    if guess.is_finite() {
        guess.clamp(lo + 0.1 * width, hi - 0.1 * width)
    } else {
        lo + 0.5 * width
    }
}
