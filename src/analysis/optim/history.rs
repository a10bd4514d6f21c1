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
//! The pairs are stored in bfloat16 (the upper half of an f32: its range, 8 significant
//! bits): they are streamed twice every iteration, and on long signals that traffic is most
//! of an iteration's own cost. The small matrices are computed from the stored values, so
//! H is exactly L-BFGS's matrix for the rounded pairs (positive definite while their
//! curvatures are positive, which is checked); in the mel inversion of the reference setting
//! the final error was the same as with f32 pairs, to within the spread between seeds.

use super::dot;
use crate::dsp::wide::with_avx;

/// Elements per block of a pass: the block of the long vector (f64) stays in L1 while every
/// pair's block streams past it.
const BLOCK: usize = 1024;

pub(super) struct History {
    s: Vec<Vec<u16>>,
    y: Vec<Vec<u16>>,
    /// Slots in use, oldest first.
    order: Vec<usize>,
    /// sᵢᵀyⱼ and yᵢᵀyⱼ by slot (row i, column j of an m × m matrix).
    sy: Vec<f64>,
    yy: Vec<f64>,
    /// Per pair in `order`: Sᵀg and Yᵀg, Sᵀy and Yᵀy of the newest pair's y, and the
    /// solve's p and q.
    s_dot: Vec<f64>,
    y_dot: Vec<f64>,
    s_new: Vec<f64>,
    y_new: Vec<f64>,
    p: Vec<f64>,
    q: Vec<f64>,
    /// A block of g, and of S·p − γY·q, in f32; a block of the newest y as stored.
    block: Vec<f32>,
    newest: Vec<f32>,
}

impl History {
    pub fn new(memory: usize, n: usize) -> Self {
        let m = memory.max(1);
        Self {
            s: vec![vec![0; n]; m],
            y: vec![vec![0; n]; m],
            order: Vec::with_capacity(m),
            sy: vec![0.0; m * m],
            yy: vec![0.0; m * m],
            s_dot: vec![0.0; m],
            y_dot: vec![0.0; m],
            s_new: vec![0.0; m],
            y_new: vec![0.0; m],
            p: vec![0.0; m],
            q: vec![0.0; m],
            block: vec![0.0; BLOCK],
            newest: vec![0.0; BLOCK],
        }
    }

    /// Pairs held.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    fn memory(&self) -> usize {
        self.s.len()
    }

    /// −H·g into `d`, after recording the step just taken (`taken`), if any. On entry `d`
    /// holds the direction that step went along: its pair s = step·d, y = g − g₀ is written
    /// in the same pass that takes the pairs' dot products with g, and the slope gᵀd in the
    /// pass that writes the new direction, so each pass streams the pairs once.
    pub fn direction(&mut self, g: &[f64], d: &mut [f64], taken: Option<Taken>) -> Direction {
        with_avx(
            #[inline(always)]
            || self.direction_inline(g, d, taken),
        )
    }

    #[inline(always)]
    fn direction_inline(&mut self, g: &[f64], d: &mut [f64], taken: Option<Taken>) -> Direction {
        let m = self.memory();
        // A pair whose curvature is not positive is not kept (after a strong Wolfe step it
        // always is, up to rounding).
        let taken = taken.filter(|t| t.curvature > 1e-300);
        if taken.is_some() {
            if self.order.len() == m {
                // The oldest pair gives its slot up.
                self.order.remove(0);
            }
            let slot = (0..m).find(|i| !self.order.contains(i)).unwrap_or(0);
            self.order.push(slot);
        }
        let mut newest = taken.map(|t| (self.order[self.order.len() - 1], t));
        let largest = loop {
            if self.order.is_empty() {
                return steepest_descent(g, d);
            }
            let largest = dots(
                (&mut self.s, &mut self.y, &self.order),
                (g, d),
                (&mut self.block, &mut self.newest),
                newest,
                [
                    &mut self.s_dot,
                    &mut self.y_dot,
                    &mut self.s_new,
                    &mut self.y_new,
                ],
            );
            let Some((slot, _)) = newest else {
                break largest;
            };
            for (j, &i) in self.order.iter().enumerate() {
                self.sy[i * m + slot] = self.s_new[j];
                self.yy[i * m + slot] = self.y_new[j];
                self.yy[slot * m + i] = self.y_new[j];
            }
            if self.sy[slot * m + slot] > 1e-300 {
                break largest;
            }
            // Rounding to f32 could, in principle, leave the stored pair without curvature:
            // drop it and take the dot products again without it.
            self.order.pop();
            newest = None;
        };
        let k = self.order.len();
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
        let mut slope = 0.0;
        for start in (0..d.len()).step_by(BLOCK) {
            let end = (start + BLOCK).min(d.len());
            let sum = &mut self.block[..end - start];
            sum.fill(0.0);
            for (j, &i) in order.iter().enumerate() {
                let (a, b) = (-self.p[j] as f32, (gamma * self.q[j]) as f32);
                let pairs = self.s[i][start..end].iter().zip(&self.y[i][start..end]);
                for (v, (s, y)) in sum.iter_mut().zip(pairs) {
                    *v += a * from_bf16(*s) + b * from_bf16(*y);
                }
            }
            for ((d, g), v) in d[start..end].iter_mut().zip(&g[start..end]).zip(&*sum) {
                *d = *v as f64 - gamma * g;
            }
            slope += dot(&d[start..end], &g[start..end]);
        }
        Direction { slope, largest }
    }
}

/// d = −g.
#[inline(always)]
fn steepest_descent(g: &[f64], d: &mut [f64]) -> Direction {
    let (mut slope, mut largest) = (0.0, 0.0f64);
    for (d, g) in d.iter_mut().zip(g) {
        *d = -g;
        slope -= g * g;
        largest = largest.max(g.abs());
    }
    Direction { slope, largest }
}

/// The step just taken, to be recorded as a pair: its length along the previous direction,
/// the gradient where it started, and its curvature sᵀy (step × the change of slope along
/// the direction, which the line search knows).
#[derive(Clone, Copy)]
pub(super) struct Taken<'a> {
    pub step: f64,
    pub previous_gradient: &'a [f64],
    pub curvature: f64,
}

/// What the pass over g learnt besides the direction d: the slope gᵀd and max |gᵢ|.
pub(super) struct Direction {
    pub slope: f64,
    pub largest: f64,
}

/// The pairs (S, Y, oldest-first slots) against `g`, and against the y of the newest pair
/// if it was just taken (whose s and y this pass writes first, from `step`, the previous
/// direction `d` and the previous gradient): Sᵀg, Yᵀg, Sᵀy, Yᵀy into `out`, in one blocked
/// pass that returns max |gᵢ|. Each block of g is taken to f32 (in `scratch`), so the
/// products run eight to a vector; the sums of the blocks add up in f64.
#[inline(always)]
fn dots(
    (s, y, order): (&mut [Vec<u16>], &mut [Vec<u16>], &[usize]),
    (g, d): (&[f64], &[f64]),
    (scratch, newest_y): (&mut [f32], &mut [f32]),
    newest: Option<(usize, Taken)>,
    mut out: [&mut [f64]; 4],
) -> f64 {
    let k = order.len();
    for o in out.iter_mut() {
        o[..k].fill(0.0);
    }
    let [s_g, y_g, s_new, y_new] = out;
    let mut largest = 0.0f64;
    for start in (0..g.len()).step_by(BLOCK) {
        let end = (start + BLOCK).min(g.len());
        let block = &mut scratch[..end - start];
        for (b, g) in block.iter_mut().zip(&g[start..end]) {
            *b = *g as f32;
            largest = largest.max(g.abs());
        }
        let newest_y = &mut newest_y[..end - start];
        if let Some((slot, taken)) = newest {
            let old = &taken.previous_gradient[start..end];
            let steps = s[slot][start..end].iter_mut().zip(&d[start..end]);
            let changes = (y[slot][start..end].iter_mut().zip(newest_y.iter_mut()))
                .zip(g[start..end].iter().zip(old));
            for ((s, d), ((y, decoded), (g, old))) in steps.zip(changes) {
                *s = to_bf16((taken.step * d) as f32);
                *y = to_bf16((g - old) as f32);
                *decoded = from_bf16(*y);
            }
        }
        for (j, &i) in order.iter().enumerate() {
            let (si, yi) = (&s[i][start..end], &y[i][start..end]);
            s_g[j] += dot_bf16(si, block);
            y_g[j] += dot_bf16(yi, block);
            if newest.is_some() {
                s_new[j] += dot_bf16(si, newest_y);
                y_new[j] += dot_bf16(yi, newest_y);
            }
        }
    }
    largest
}

/// aᵀb of a block, in sixteen f32 running sums (two vectors of eight).
#[inline(always)]
fn dot_bf16(a: &[u16], b: &[f32]) -> f64 {
    let mut sums = [0.0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = (ca.remainder().iter().zip(cb.remainder()))
        .map(|(a, b)| from_bf16(*a) * b)
        .sum();
    for (a, b) in ca.zip(cb) {
        for i in 0..16 {
            sums[i] += from_bf16(a[i]) * b[i];
        }
    }
    sums.iter().map(|s| *s as f64).sum::<f64>() + tail as f64
}

/// `v` in bfloat16, rounded to nearest (ties to even).
#[inline(always)]
fn to_bf16(v: f32) -> u16 {
    let bits = v.to_bits();
    (bits.wrapping_add(0x7fff + ((bits >> 16) & 1)) >> 16) as u16
}

#[inline(always)]
fn from_bf16(h: u16) -> f32 {
    f32::from_bits((h as u32) << 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bfloat16_keeps_eight_significant_bits_rounding_to_nearest() {
        for v in [1.0f32, -3.0e-12, 7.5e20, 0.1, -123.456, 1.0 + 1.0 / 256.0] {
            let back = from_bf16(to_bf16(v));
            assert!((back - v).abs() <= v.abs() / 256.0, "{v} -> {back}");
        }
        // Exactly halfway between two bfloat16 values: to the even one.
        assert_eq!(from_bf16(to_bf16(1.0 + 1.0 / 256.0)), 1.0);
        assert_eq!(from_bf16(to_bf16(1.0 + 3.0 / 256.0)), 1.0 + 4.0 / 256.0);
        // Just above halfway: up.
        assert_eq!(
            from_bf16(to_bf16(1.0 + 1.0 / 256.0 + 1e-6)),
            1.0 + 2.0 / 256.0
        );
        assert_eq!(dot_bf16(&[to_bf16(2.0); 19], &[0.5; 19]), 19.0);
    }
}
