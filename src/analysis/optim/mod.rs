//! Smooth unconstrained minimisation, shared by the phase inversions and the scattering
//! reconstruction: limited-memory BFGS with a line search that meets the strong Wolfe
//! conditions (Nocedal and Wright, "Numerical Optimization", 2nd ed., algorithms 7.4, 7.5,
//! 3.5 and 3.6).

mod history;
mod lbfgs;
mod line_search;

pub use lbfgs::{minimize, Lbfgs, LbfgsSettings, Minimum, StopReason};

/// A function to minimise, with its gradient.
pub trait Objective {
    /// The value at `x`; its gradient goes into `gradient` (same length as `x`).
    fn evaluate(&mut self, x: &[f64], gradient: &mut [f64]) -> f64;
}

/// aᵀb with eight running sums, so the compiler can keep them in vector registers (one sum
/// would be a chain of dependent additions). Most of an iteration's own cost is here.
/// Either operand may be f32 (the stored history) or f64, summed in f64.
#[inline(always)]
fn dot<A: Copy + Into<f64>, B: Copy + Into<f64>>(a: &[A], b: &[B]) -> f64 {
    let mut sums = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = (ca.remainder().iter().zip(cb.remainder()))
        .map(|(a, b)| (*a).into() * (*b).into())
        .sum();
    for (a, b) in ca.zip(cb) {
        for i in 0..8 {
            sums[i] += a[i].into() * b[i].into();
        }
    }
    sums.iter().sum::<f64>() + tail
}

#[cfg(test)]
mod tests;
