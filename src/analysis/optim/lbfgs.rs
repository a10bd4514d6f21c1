//! Limited-memory BFGS: the search direction is the gradient multiplied by an inverse-Hessian
//! estimate built from the last `memory` steps and gradient changes (the two-loop recursion),
//! scaled by sᵀy / yᵀy of the newest pair.

use super::line_search::LineSearch;
use super::{dot, Objective};

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

/// The last `memory` pairs (s, y) in a ring, with ρ = 1 / yᵀs. Stored in f32: the two-loop
/// recursion streams all of them twice per iteration and is bound by memory traffic, and the
/// estimate of the inverse Hessian needs no more precision (ρ is computed from the stored
/// values, so it stays consistent with them).
struct History {
    s: Vec<Vec<f32>>,
    y: Vec<Vec<f32>>,
    rho: Vec<f64>,
    /// yᵀy of each pair, for the scale of the newest.
    yy: Vec<f64>,
    alpha: Vec<f64>,
    newest: usize,
    len: usize,
}

impl History {
    fn new(memory: usize, n: usize) -> Self {
        let memory = memory.max(1);
        Self {
            s: vec![vec![0.0f32; n]; memory],
            y: vec![vec![0.0f32; n]; memory],
            rho: vec![0.0; memory],
            yy: vec![0.0; memory],
            alpha: vec![0.0; memory],
            newest: memory - 1,
            len: 0,
        }
    }

    /// Records the step x₁ − x₀ and the gradient change g₁ − g₀, unless the curvature is not
    /// positive (it always is after a strong Wolfe step, up to rounding).
    fn push(&mut self, x1: &[f64], x0: &[f64], g1: &[f64], g0: &[f64]) {
        let slot = (self.newest + 1) % self.s.len();
        for (((s, y), (a, b)), (c, d)) in self.s[slot]
            .iter_mut()
            .zip(self.y[slot].iter_mut())
            .zip(x1.iter().zip(x0))
            .zip(g1.iter().zip(g0))
        {
            *s = (a - b) as f32;
            *y = (c - d) as f32;
        }
        let ys = dot(&self.y[slot], &self.s[slot]);
        if ys > 1e-300 {
            self.rho[slot] = 1.0 / ys;
            self.yy[slot] = dot(&self.y[slot], &self.y[slot]);
            self.newest = slot;
            self.len = (self.len + 1).min(self.s.len());
        }
    }

    /// −H·g into `d` by the two-loop recursion. Each pass over d also takes the dot product
    /// the next step needs, so d is streamed 2m + 2 times instead of 4m.
    fn direction(&mut self, g: &[f64], d: &mut [f64]) {
        for (d, g) in d.iter_mut().zip(g) {
            *d = -g;
        }
        if self.len == 0 {
            return;
        }
        let m = self.s.len();
        let order = |i: usize| (self.newest + m - i) % m;
        let oldest = order(self.len - 1);
        // Newest to oldest: α = ρ sᵀd, d −= α y.
        let mut next = dot(&self.s[order(0)], d);
        for i in 0..self.len {
            let k = order(i);
            self.alpha[k] = self.rho[k] * next;
            let following = if i + 1 < self.len {
                &self.s[order(i + 1)]
            } else {
                &self.y[oldest]
            };
            next = scale_axpy_dot(1.0, -self.alpha[k], &self.y[k], d, following);
        }
        // H₀ = sᵀy / yᵀy of the newest pair, applied in the first pass below.
        let mut scale = self.yy[self.newest].recip() / self.rho[self.newest];
        next *= scale;
        // Oldest to newest: β = ρ yᵀd, d += (α − β) s.
        for i in (0..self.len).rev() {
            let k = order(i);
            let beta = self.rho[k] * next;
            let following: &[f32] = if i > 0 { &self.y[order(i - 1)] } else { &[] };
            next = scale_axpy_dot(scale, self.alpha[k] - beta, &self.s[k], d, following);
            scale = 1.0;
        }
    }
}

/// d ← c·d + a·x, returning nextᵀd (0 for an empty `next`) from the same pass, in eight
/// running sums.
fn scale_axpy_dot(c: f64, a: f64, x: &[f32], d: &mut [f64], next: &[f32]) -> f64 {
    if next.is_empty() {
        for (d, x) in d.iter_mut().zip(x) {
            *d = c * *d + a * *x as f64;
        }
        return 0.0;
    }
    let mut sums = [0.0f64; 8];
    let mut dc = d.chunks_exact_mut(8);
    let (mut xc, mut nc) = (x.chunks_exact(8), next.chunks_exact(8));
    for ((d, x), n) in (&mut dc).zip(&mut xc).zip(&mut nc) {
        for i in 0..8 {
            d[i] = c * d[i] + a * x[i] as f64;
            sums[i] += n[i] as f64 * d[i];
        }
    }
    let mut tail = 0.0;
    for ((d, x), n) in dc
        .into_remainder()
        .iter_mut()
        .zip(xc.remainder())
        .zip(nc.remainder())
    {
        *d = c * *d + a * *x as f64;
        tail += *n as f64 * *d;
    }
    sums.iter().sum::<f64>() + tail
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
    progress(0, value, objective);
    let reason = loop {
        let largest = g.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        if !value.is_finite() || largest <= settings.gradient_tolerance {
            break StopReason::Gradient;
        }
        if iterations >= settings.max_iterations {
            break StopReason::Iterations;
        }
        if stop() {
            break StopReason::Cancelled;
        }
        history.direction(&g, &mut d);
        // The first step (no curvature known yet) moves a unit distance.
        let step = if history.len == 0 {
            1.0 / dot(&d, &d).sqrt()
        } else {
            1.0
        };
        let Some(accepted) =
            search.search(objective, &x, value, &g, &d, step, &mut next_x, &mut next_g)
        else {
            break StopReason::LineSearch;
        };
        history.push(&next_x, &x, &next_g, &g);
        std::mem::swap(&mut x, &mut next_x);
        std::mem::swap(&mut g, &mut next_g);
        let decrease = value - accepted;
        value = accepted;
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
