//! t-SNE's input affinities P: for each point a Gaussian over the others whose width gives the
//! chosen perplexity, symmetrised as (P + Pᵀ) / 2n. Dense over all pairs (exact t-SNE) or sparse
//! over each point's nearest neighbours (Barnes-Hut and FFT interpolation).

use crate::analysis::order::embed::{squared_distance, squared_distances};
use crate::dsp::wide::with_avx;

/// The conditional affinities p(j|i) of one point over `distances` (squared, to its
/// candidates): a Gaussian whose width gives perplexity e^`entropy`. Its precision β is found by
/// Newton's method on the entropy (dH/dβ = −β·Var(d)) kept inside a bisection bracket: a few
/// steps where bisection alone needs dozens, so the entropy is matched to 1e-10 (scikit-learn
/// stops at 1e-5). Weights are relative to the nearest candidate, so exp() never underflows.
pub(super) fn conditional(distances: &[f64], entropy: f64) -> Vec<f64> {
    let min = distances.iter().copied().fold(f64::MAX, f64::min);
    let mean = distances.iter().sum::<f64>() / distances.len().max(1) as f64;
    // Scale-free start: distances relative to their mean.
    let (mut lo, mut hi, mut beta) = (0.0f64, f64::INFINITY, 1.0 / mean.max(f64::MIN_POSITIVE));
    for _ in 0..200 {
        let (mut sum, mut first, mut second) = (0.0, 0.0, 0.0);
        for d in distances {
            let x = d - min;
            let w = (-x * beta).exp();
            sum += w;
            first += w * x;
            second += w * x * x;
        }
        let (mean_x, mean_x2) = (first / sum, second / sum);
        // Entropy of the distribution, in nats.
        let h = sum.ln() + beta * mean_x;
        if (h - entropy).abs() < 1e-10 {
            break;
        }
        // Entropy falls as β grows: too high an entropy raises the lower bound.
        if h > entropy {
            lo = beta;
        } else {
            hi = beta;
        }
        let slope = beta * (mean_x2 - mean_x * mean_x);
        let newton = beta + (h - entropy) / slope;
        beta = if slope > 0.0 && newton > lo && newton < hi {
            newton
        } else if hi.is_finite() {
            (lo + hi) / 2.0
        } else {
            beta * 2.0
        };
    }
    let mut p: Vec<f64> = distances
        .iter()
        .map(|d| (-(d - min) * beta).exp())
        .collect();
    let sum: f64 = p.iter().sum();
    p.iter_mut().for_each(|v| *v /= sum);
    p
}

/// Dense symmetric affinities for exact t-SNE: (P + Pᵀ) / 2n over all pairs.
pub(super) fn dense_affinities(features: &[Vec<f64>], perplexity: f64) -> Vec<f64> {
    let n = features.len();
    let distances = squared_distances(features);
    let entropy = perplexity.min((n - 1) as f64).max(1.0).ln();
    let mut p = vec![0.0; n * n];
    for i in 0..n {
        let others: Vec<f64> = (0..n)
            .filter(|j| *j != i)
            .map(|j| distances[i * n + j])
            .collect();
        let row = conditional(&others, entropy);
        for (j, v) in (0..n).filter(|j| *j != i).zip(row) {
            p[i * n + j] = v;
        }
    }
    let mut sym = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            sym[i * n + j] = ((p[i * n + j] + p[j * n + i]) / (2.0 * n as f64)).max(1e-12);
        }
    }
    sym
}

/// A sparse symmetric matrix by rows: row i's entries are `columns` and `values` in
/// `starts[i]..starts[i + 1]`, columns ascending. Values are single precision: t-SNE's
/// iterations stream the whole matrix each time, so its size sets their speed.
pub(super) struct Sparse {
    pub starts: Vec<usize>,
    pub columns: Vec<u32>,
    pub values: Vec<f32>,
}

impl Sparse {
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let range = self.starts[i]..self.starts[i + 1];
        (&self.columns[range.clone()], &self.values[range])
    }
}

/// Sparse symmetric affinities: each point's conditional affinities over its
/// min(n - 1, 3·perplexity + 1) nearest neighbours, then (P + Pᵀ) / 2n.
pub(super) fn sparse_affinities(features: &[Vec<f64>], perplexity: f64) -> Sparse {
    let n = features.len();
    let k = ((3.0 * perplexity + 1.0) as usize).clamp(1, n - 1);
    let entropy = perplexity.min(k as f64).max(1.0).ln();
    let mut pairs: Vec<(u32, u32, f64)> = Vec::with_capacity(2 * n * k);
    let mut candidates: Vec<(usize, f64)> = Vec::with_capacity(n);
    // Rows are taken `ROWS` at a time, so each other row is read once per block (from the
    // cache) rather than once per row (from memory).
    const ROWS: usize = 8;
    let mut block = vec![0.0; ROWS * n];
    for i in 0..n {
        let r = i % ROWS;
        if r == 0 {
            let rows = &features[i..(i + ROWS).min(n)];
            with_avx(
                #[inline(always)]
                || {
                    for (j, b) in features.iter().enumerate() {
                        for (r, a) in rows.iter().enumerate() {
                            block[r * n + j] = squared_distance(a, b);
                        }
                    }
                },
            );
        }
        let row = &block[r * n..(r + 1) * n];
        candidates.clear();
        candidates.extend(row.iter().copied().enumerate().filter(|(j, _)| *j != i));
        let by_distance =
            |a: &(usize, f64), b: &(usize, f64)| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0));
        candidates.select_nth_unstable_by(k - 1, by_distance);
        let nearest = &mut candidates[..k];
        nearest.sort_by(by_distance);
        let distances: Vec<f64> = nearest.iter().map(|c| c.1).collect();
        let p = conditional(&distances, entropy);
        for ((j, _), v) in nearest.iter().zip(p) {
            let v = v / (2.0 * n as f64);
            pairs.push((i as u32, *j as u32, v));
            pairs.push((*j as u32, i as u32, v));
        }
    }
    // Rows in order, and the two halves of a pair found from both ends added together.
    pairs.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
    let mut sparse = Sparse {
        starts: vec![0; n + 1],
        columns: Vec::with_capacity(pairs.len()),
        values: Vec::with_capacity(pairs.len()),
    };
    let mut last = None;
    for (i, j, v) in pairs {
        if last == Some((i, j)) {
            let merged = sparse.values.last_mut().expect("a previous entry");
            *merged = (*merged as f64 + v) as f32;
        } else {
            sparse.columns.push(j);
            sparse.values.push(v as f32);
            sparse.starts[i as usize + 1] = sparse.columns.len();
            last = Some((i, j));
        }
    }
    // Rows without entries (none when k ≥ 1) start where the previous one ended.
    for i in 1..=n {
        sparse.starts[i] = sparse.starts[i].max(sparse.starts[i - 1]);
    }
    sparse
}
