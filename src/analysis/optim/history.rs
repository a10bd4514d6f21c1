//! L-BFGS's memory: the last m steps s = x₁ − x₀ and gradient changes y = g₁ − g₀, and the
//! search direction −H·g they give, by the compact representation of Byrd, Nocedal and
//! Schnabel (1994) rather than the two-loop recursion. Both give the same H (scaled by
//! γ = sᵀy / yᵀy of the newest pair); the two-loop recursion streams the whole direction
//! vector 2m times per iteration, each time for one dot product, which on long signals is
//! bound by memory traffic. The compact form needs Sᵀg and Yᵀg (one pass over the pairs),
//! a solve with m × m matrices, and d = −γg − S·p + γY·q (a second pass), both in blocks
//! that stay in cache:
//!
//!   R = the upper triangle of SᵀY (oldest first), D its diagonal,
//!   q = R⁻¹ Sᵀg,  p = R⁻ᵀ ((D + γ YᵀY) q − γ Yᵀg),  H·g = γg + S·p − γY·q.
//!
//! The pairs are stored in f32: they are streamed every iteration and the estimate of the
//! inverse Hessian needs no more precision; the small matrices are computed from the stored
//! values (in f64), so they stay consistent with them.

use super::dot;
use crate::dsp::wide::with_avx;

/// Elements per block of a pass: the block of the long vector (f64) stays in L1 while every
/// pair's block streams past it.
const BLOCK: usize = 1024;

pub(super) struct History {
    s: Vec<Vec<f32>>,
    y: Vec<Vec<f32>>,
    /// Slots in use, oldest first.
    order: Vec<usize>,
    /// sᵢᵀyⱼ and yᵢᵀyⱼ by slot (row i, column j of an m × m matrix).
    sy: Vec<f64>,
    yy: Vec<f64>,
    /// The newest pair, whose column of SᵀY and row of YᵀY the next pass fills in.
    pending: Option<usize>,
    /// Per pair in `order`: Sᵀg and Yᵀg, Sᵀy and Yᵀy of the pending pair's y, and the
    /// solve's p and q.
    s_dot: Vec<f64>,
    y_dot: Vec<f64>,
    s_new: Vec<f64>,
    y_new: Vec<f64>,
    p: Vec<f64>,
    q: Vec<f64>,
    /// A block of g, and of S·p − γY·q, in f32.
    block: Vec<f32>,
}

impl History {
    pub fn new(memory: usize, n: usize) -> Self {
        let m = memory.max(1);
        Self {
            s: vec![vec![0.0f32; n]; m],
            y: vec![vec![0.0f32; n]; m],
            order: Vec::with_capacity(m),
            sy: vec![0.0; m * m],
            yy: vec![0.0; m * m],
            pending: None,
            s_dot: vec![0.0; m],
            y_dot: vec![0.0; m],
            s_new: vec![0.0; m],
            y_new: vec![0.0; m],
            p: vec![0.0; m],
            q: vec![0.0; m],
            block: vec![0.0; BLOCK],
        }
    }

    /// Pairs held.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    fn memory(&self) -> usize {
        self.s.len()
    }

    /// Records the step x₁ − x₀ and the gradient change g₁ − g₀ (in place of the oldest when
    /// full), unless the curvature sᵀy is not positive (it always is after a strong Wolfe
    /// step, up to rounding). Its dot products with the other pairs are taken in the next
    /// `direction`'s pass.
    pub fn push(&mut self, x1: &[f64], x0: &[f64], g1: &[f64], g0: &[f64]) {
        with_avx(
            #[inline(always)]
            || self.push_inline(x1, x0, g1, g0),
        )
    }

    #[inline(always)]
    fn push_inline(&mut self, x1: &[f64], x0: &[f64], g1: &[f64], g0: &[f64]) {
        let m = self.memory();
        if self.order.len() == m {
            // The oldest pair gives its slot up.
            self.order.remove(0);
        }
        let slot = (0..m).find(|i| !self.order.contains(i)).unwrap_or(0);
        for (((s, y), (a, b)), (c, d)) in (self.s[slot].iter_mut())
            .zip(self.y[slot].iter_mut())
            .zip(x1.iter().zip(x0))
            .zip(g1.iter().zip(g0))
        {
            *s = (a - b) as f32;
            *y = (c - d) as f32;
        }
        let curvature = dot(&self.s[slot], &self.y[slot]);
        if curvature <= 1e-300 {
            return;
        }
        self.order.push(slot);
        self.pending = Some(slot);
        self.sy[slot * m + slot] = curvature;
    }

    /// −H·g into `d`.
    pub fn direction(&mut self, g: &[f64], d: &mut [f64]) {
        with_avx(
            #[inline(always)]
            || self.direction_inline(g, d),
        )
    }

    #[inline(always)]
    fn direction_inline(&mut self, g: &[f64], d: &mut [f64]) {
        let k = self.order.len();
        if k == 0 {
            for (d, g) in d.iter_mut().zip(g) {
                *d = -g;
            }
            return;
        }
        let m = self.memory();
        dots(
            (&self.s, &self.y, &self.order),
            g,
            &mut self.block,
            self.pending,
            [
                &mut self.s_dot,
                &mut self.y_dot,
                &mut self.s_new,
                &mut self.y_new,
            ],
        );
        if let Some(slot) = self.pending.take() {
            for (j, &i) in self.order.iter().enumerate() {
                self.sy[i * m + slot] = self.s_new[j];
                self.yy[i * m + slot] = self.y_new[j];
                self.yy[slot * m + i] = self.y_new[j];
            }
        }
        let (order, sy, yy) = (&self.order, &self.sy, &self.yy);
        let newest = order[k - 1];
        let gamma = sy[newest * m + newest] / yy[newest * m + newest];
        let r = |i: usize, j: usize| sy[order[i] * m + order[j]];
        // q = R⁻¹ Sᵀg: back substitution (R is upper triangular).
        for i in (0..k).rev() {
            let above: f64 = (i + 1..k).map(|j| r(i, j) * self.q[j]).sum();
            self.q[i] = (self.s_dot[i] - above) / r(i, i);
        }
        // p = R⁻ᵀ ((D + γ YᵀY) q − γ Yᵀg): forward substitution with Rᵀ.
        for i in 0..k {
            let yyq: f64 = (0..k)
                .map(|j| yy[order[i] * m + order[j]] * self.q[j])
                .sum();
            let rhs = r(i, i) * self.q[i] + gamma * yyq - gamma * self.y_dot[i];
            let before: f64 = (0..i).map(|j| r(j, i) * self.p[j]).sum();
            self.p[i] = (rhs - before) / r(i, i);
        }
        // d = −γg − S·p + γY·q, block by block, the sums over the pairs in f32.
        for start in (0..d.len()).step_by(BLOCK) {
            let end = (start + BLOCK).min(d.len());
            let sum = &mut self.block[..end - start];
            sum.fill(0.0);
            for (j, &i) in order.iter().enumerate() {
                let (a, b) = (-self.p[j] as f32, (gamma * self.q[j]) as f32);
                let pairs = self.s[i][start..end].iter().zip(&self.y[i][start..end]);
                for (v, (s, y)) in sum.iter_mut().zip(pairs) {
                    *v += a * s + b * y;
                }
            }
            for ((d, g), v) in d[start..end].iter_mut().zip(&g[start..end]).zip(&*sum) {
                *d = *v as f64 - gamma * g;
            }
        }
    }
}

/// The pairs (S, Y, oldest-first slots) against `g`, and against the y of pair `pending` if
/// there is one: Sᵀg, Yᵀg, Sᵀy, Yᵀy into `out`, in one blocked pass. Each block of g is
/// taken to f32 (in `scratch`), so the products run eight to a vector; the sums of the
/// blocks add up in f64.
#[inline(always)]
fn dots(
    (s, y, order): (&[Vec<f32>], &[Vec<f32>], &[usize]),
    g: &[f64],
    scratch: &mut [f32],
    pending: Option<usize>,
    mut out: [&mut [f64]; 4],
) {
    let k = order.len();
    for o in out.iter_mut() {
        o[..k].fill(0.0);
    }
    let [s_g, y_g, s_new, y_new] = out;
    for start in (0..g.len()).step_by(BLOCK) {
        let end = (start + BLOCK).min(g.len());
        let block = &mut scratch[..end - start];
        for (b, g) in block.iter_mut().zip(&g[start..end]) {
            *b = *g as f32;
        }
        let newest = pending.map(|p| &y[p][start..end]);
        for (j, &i) in order.iter().enumerate() {
            let (si, yi) = (&s[i][start..end], &y[i][start..end]);
            s_g[j] += dot32(si, block);
            y_g[j] += dot32(yi, block);
            if let Some(newest) = newest {
                s_new[j] += dot32(si, newest);
                y_new[j] += dot32(yi, newest);
            }
        }
    }
}

/// aᵀb of a block, in sixteen f32 running sums (two vectors of eight).
#[inline(always)]
fn dot32(a: &[f32], b: &[f32]) -> f64 {
    let mut sums = [0.0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = (ca.remainder().iter().zip(cb.remainder()))
        .map(|(a, b)| a * b)
        .sum();
    for (a, b) in ca.zip(cb) {
        for i in 0..16 {
            sums[i] += a[i] * b[i];
        }
    }
    sums.iter().map(|s| *s as f64).sum::<f64>() + tail as f64
}
