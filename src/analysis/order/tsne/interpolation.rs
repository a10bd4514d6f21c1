//! The repulsion of one-dimensional t-SNE in O(n) by interpolation on a grid (Linderman et al.
//! 2019, "FIt-SNE"). The embedding's span is cut into intervals of width at most 1 (the
//! kernel's scale), each holding three equispaced nodes. Each point spreads charges onto its
//! interval's nodes with Lagrange weights; the nodes' potentials under the kernel
//! q² = 1/(1 + d²)² are one convolution over the grid, done by FFT; each point reads its
//! potential back with the same weights.
//!
//! Three charges give everything the gradient needs (Σⱼ over all points, i included):
//! - φ₀ = Σ q², φ₁ = Σ q²·yⱼ, φ₂ = Σ q²·yⱼ²;
//! - the repulsion Σⱼ q²(yᵢ − yⱼ) = yᵢφ₀ − φ₁;
//! - Z = Σ_{i≠j} q = Σᵢ [(1 + yᵢ²)φ₀ − 2yᵢφ₁ + φ₂] − n, since q = q²·(1 + d²).

use realfft::num_complex::Complex;
use realfft::RealFftPlanner;

/// Nodes per interval: quadratic interpolation, as FIt-SNE and openTSNE use by default.
const NODES: usize = 3;
/// Fewest intervals, so a compact embedding (t-SNE's start) is finely resolved.
const MIN_INTERVALS: usize = 64;
/// Widest interval: a quarter of the kernel's scale (the error goes as the width cubed). Once
/// the span is wide enough for this width, the node spacing stays fixed, and the kernel's
/// spectrum only changes with the grid's length.
const WIDTH: f64 = 0.25;
/// Most intervals: beyond it (a span over 32 768, which t-SNE does not reach) they widen.
const MAX_INTERVALS: usize = 1 << 16;
/// The charges: 1, y and y².
const CHARGES: usize = 3;

/// Buffers reused between iterations.
pub(super) struct Interpolation {
    planner: RealFftPlanner<f64>,
    /// Each point's first node and its three weights.
    nodes: Vec<(usize, [f64; NODES])>,
    spectrum: Vec<Complex<f64>>,
    /// The kernel's spectrum: real, as the kernel is even.
    kernel: Vec<f64>,
    /// The grid length and node spacing `kernel` was made for.
    kernel_for: (usize, f64),
    /// The charges on the nodes, then their potentials, charge by charge.
    grids: [Vec<f64>; CHARGES],
}

impl Interpolation {
    pub fn new() -> Self {
        Self {
            planner: RealFftPlanner::new(),
            nodes: Vec::new(),
            grids: Default::default(),
            spectrum: Vec::new(),
            kernel: Vec::new(),
            kernel_for: (0, 0.0),
        }
    }

    /// Σⱼ q²ᵢⱼ(yᵢ − yⱼ) for each point into `force`; returns Z = Σ_{i≠j} qᵢⱼ.
    #[inline(always)]
    pub fn repulsion(&mut self, y: &[f64], force: &mut [f64]) -> f64 {
        let n = y.len();
        let lo = y.iter().copied().fold(f64::MAX, f64::min);
        let hi = y.iter().copied().fold(f64::MIN, f64::max);
        let width = ((hi - lo) / MIN_INTERVALS as f64)
            .clamp(1e-12, WIDTH)
            .max((hi - lo) / MAX_INTERVALS as f64);
        let intervals = smooth_at_least((((hi - lo) / width).ceil() as usize).max(1));
        let spacing = width / NODES as f64;
        let len = intervals * NODES;
        self.spread_weights(y, lo, width, intervals);
        if self.kernel_for != (len, spacing) {
            self.kernel_spectrum(len, spacing);
            self.kernel_for = (len, spacing);
        }
        let fft_len = 2 * len;
        let forward = self.planner.plan_fft_forward(fft_len);
        let inverse = self.planner.plan_fft_inverse(fft_len);
        for grid in &mut self.grids {
            grid.clear();
            grid.resize(fft_len, 0.0);
        }
        let [g0, g1, g2] = &mut self.grids;
        for ((first, weights), yi) in self.nodes.iter().zip(y) {
            let nodes = (*first..first + NODES).zip(weights);
            for (at, w) in nodes {
                g0[at] += w;
                g1[at] += w * yi;
                g2[at] += w * yi * yi;
            }
        }
        for grid in &mut self.grids {
            self.spectrum.resize(fft_len / 2 + 1, Complex::default());
            forward
                .process(grid, &mut self.spectrum)
                .expect("buffers sized for the plan");
            for (s, k) in self.spectrum.iter_mut().zip(&self.kernel) {
                *s *= k;
            }
            // Exactly real at 0 and Nyquist, as the inverse transform requires.
            let last = self.spectrum.len() - 1;
            self.spectrum[0].im = 0.0;
            self.spectrum[last].im = 0.0;
            inverse
                .process(&mut self.spectrum, grid)
                .expect("buffers sized for the plan");
        }
        let mut z = -(n as f64);
        for (i, ((first, weights), yi)) in self.nodes.iter().zip(y).enumerate() {
            let mut potential = [0.0; CHARGES];
            for (p, grid) in potential.iter_mut().zip(&self.grids) {
                for (w, v) in weights.iter().zip(&grid[*first..first + NODES]) {
                    *p = w.mul_add(*v, *p);
                }
            }
            let [p0, p1, p2] = potential;
            force[i] = yi * p0 - p1;
            z += (1.0 + yi * yi) * p0 - 2.0 * yi * p1 + p2;
        }
        z
    }

    /// Each point's interval and the Lagrange weights of its three nodes, which sit at 1/6,
    /// 1/2 and 5/6 of the interval.
    #[inline(always)]
    fn spread_weights(&mut self, y: &[f64], lo: f64, width: f64, intervals: usize) {
        const AT: [f64; NODES] = [1.0 / 6.0, 0.5, 5.0 / 6.0];
        self.nodes.clear();
        self.nodes.extend(y.iter().map(|yi| {
            let x = (yi - lo) / width;
            let interval = (x.floor() as usize).min(intervals - 1);
            let t = x - interval as f64;
            let factor = |k: usize, l: usize| (t - AT[l]) / (AT[k] - AT[l]);
            let weights = [
                factor(0, 1) * factor(0, 2),
                factor(1, 0) * factor(1, 2),
                factor(2, 0) * factor(2, 1),
            ];
            (interval * NODES, weights)
        }));
    }

    /// The spectrum of the kernel between nodes `spacing` apart, laid out circularly over twice
    /// the grid so the circular convolution equals the linear one.
    fn kernel_spectrum(&mut self, len: usize, spacing: f64) {
        let kernel = |m: usize| {
            let d = m as f64 * spacing;
            1.0 / ((1.0 + d * d) * (1.0 + d * d))
        };
        self.grids[0].clear();
        self.grids[0].extend((0..len).map(kernel));
        self.grids[0].push(0.0);
        self.grids[0].extend((1..len).rev().map(kernel));
        self.spectrum.resize(len + 1, Complex::default());
        self.planner
            .plan_fft_forward(2 * len)
            .process(&mut self.grids[0], &mut self.spectrum)
            .expect("buffers sized for the plan");
        self.kernel.clear();
        // With the inverse transform's 1 / length.
        let scale = 1.0 / (2 * len) as f64;
        self.kernel
            .extend(self.spectrum.iter().map(|c| c.re * scale));
    }
}

/// The least number ≥ `n` with no prime factor above 5, for a fast FFT length (at most 25 %
/// more than `n`, against 100 % for a power of two).
fn smooth_at_least(n: usize) -> usize {
    let smooth = |mut m: usize| {
        for p in [2, 3, 5] {
            while m.is_multiple_of(p) {
                m /= p;
            }
        }
        m == 1
    };
    (n..)
        .find(|m| smooth(*m))
        .expect("smooth numbers are unbounded")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The interpolated repulsion and Z against sums over all pairs, at spans t-SNE goes
    /// through: compact (its start), moderate and wide (its end).
    #[test]
    fn the_repulsion_matches_the_sum_over_all_points() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let mut interpolation = Interpolation::new();
        for span in [1e-3, 10.0, 37.3, 151.7, 300.0, 1234.5] {
            // Clusters of different widths, as an embedding has.
            let y: Vec<f64> = (0..800)
                .map(|i| {
                    let centre = (i % 7) as f64 / 7.0 - 0.5;
                    span * (centre + 0.02 * (i % 3) as f64 * (rng.random::<f64>() - 0.5))
                })
                .collect();
            let mut force = vec![0.0; y.len()];
            let z = interpolation.repulsion(&y, &mut force);
            let (mut worst, mut exact_z) = (0.0f64, 0.0);
            for (i, yi) in y.iter().enumerate() {
                let (mut exact, mut gross) = (0.0, 0.0);
                for (_, yj) in y.iter().enumerate().filter(|(j, _)| *j != i) {
                    let q = 1.0 / (1.0 + (yi - yj) * (yi - yj));
                    exact_z += q;
                    exact += q * q * (yi - yj);
                    gross += q * q * (yi - yj).abs();
                }
                worst = worst.max((force[i] - exact).abs() / gross.max(1e-300));
            }
            let z_error = (z - exact_z).abs() / exact_z;
            eprintln!("span {span}: force error {worst:.2e} of its terms, Z error {z_error:.2e}");
            assert!(
                worst < 5e-3 && z_error < 1e-3,
                "span {span}: {worst} {z_error}"
            );
        }
    }
}
