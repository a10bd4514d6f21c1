//! t-SNE's input affinities P: for each point a Gaussian over the others whose width gives the
//! chosen perplexity, symmetrised as (P + Pᵀ) / 2n. Dense over all pairs (exact t-SNE) or sparse
//! over each point's nearest neighbours (Barnes-Hut and FFT interpolation).

use std::collections::BinaryHeap;

use super::helper::in_two;
use crate::analysis::order::pairwise::{pairwise, squared_distances, Sum};

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
/// iterations stream the whole matrix each time, so its size sets their speed. Only
/// `sparse_affinities` makes one, so every column is below the number of rows (the
/// attraction's unchecked loads rely on it).
pub(super) struct Sparse {
    starts: Vec<usize>,
    columns: Vec<u32>,
    values: Vec<f32>,
}

impl Sparse {
    pub fn rows(&self) -> usize {
        self.starts.len() - 1
    }

    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let range = self.starts[i]..self.starts[i + 1];
        (&self.columns[range.clone()], &self.values[range])
    }

    #[cfg(test)]
    pub fn values(&self) -> &[f32] {
        &self.values
    }
}

/// Sparse symmetric affinities: each point's conditional affinities over its
/// min(n - 1, 4·perplexity + 1) nearest neighbours, then (P + Pᵀ) / 2n. scikit-learn cuts at
/// 3·perplexity; the affinity that cut loses held the KL divergence (against the exact P) of
/// the piano's frames 3.5 % above the exact method's, and 4·perplexity brings it within 1 %
/// for a tenth more time.
pub(super) fn sparse_affinities(features: &[Vec<f64>], perplexity: f64) -> Sparse {
    let n = features.len();
    let k = ((4.0 * perplexity + 1.0) as usize).clamp(1, n - 1);
    let entropy = perplexity.min(k as f64).max(1.0).ln();
    // Row i's neighbours and p(j|i) / 2n at i·k..(i + 1)·k, the rows in two halves at once.
    let conditionals = in_two(n, |rows| {
        let mut conditionals: Vec<(u32, f64)> = Vec::with_capacity(rows.len() * k);
        let mut heap = BinaryHeap::with_capacity(k + 1);
        // Distances for `ROWS` rows at a time, so the other rows are read once per block
        // rather than once per row.
        const ROWS: usize = 32;
        let mut block = vec![0.0; ROWS * n];
        for (r, i) in rows.clone().enumerate() {
            let r = r % ROWS;
            if r == 0 {
                let block_rows = &features[i..(i + ROWS).min(rows.end)];
                pairwise(
                    block_rows,
                    features,
                    Sum::SquaredDifference,
                    false,
                    &mut block[..block_rows.len() * n],
                );
            }
            let nearest = nearest(&block[r * n..(r + 1) * n], i, k, &mut heap);
            let distances: Vec<f64> = nearest.iter().map(|(_, d)| *d).collect();
            let p = conditional(&distances, entropy);
            let pairs = nearest.iter().zip(p);
            conditionals.extend(pairs.map(|((j, _), v)| (*j, v / (2.0 * n as f64))));
        }
        conditionals
    });
    symmetrised(n, k, &conditionals)
}

/// The `k` entries of `row` nearest (smallest) but entry `i`, nearest first (ties to the lower
/// index), with their indices: a bounded max-heap, so most entries cost one comparison.
/// Distances are non-negative, so their bits order them.
fn nearest(row: &[f64], i: usize, k: usize, heap: &mut BinaryHeap<(u64, u32)>) -> Vec<(u32, f64)> {
    heap.clear();
    // The farthest kept distance's bits once the heap is full: most entries stop here.
    let mut bound = u64::MAX;
    for (j, d) in row.iter().enumerate() {
        let bits = d.to_bits();
        if bits > bound || j == i {
            continue;
        }
        let key = (bits, j as u32);
        if heap.len() < k {
            heap.push(key);
        } else if let Some(mut farthest) = heap.peek_mut() {
            if key < *farthest {
                *farthest = key;
            }
        }
        if heap.len() == k {
            bound = heap.peek().map_or(u64::MAX, |farthest| farthest.0);
        }
    }
    let mut nearest: Vec<(u32, f64)> = heap.drain().map(|(d, j)| (j, f64::from_bits(d))).collect();
    nearest.sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    nearest
}

/// (P + Pᵀ) from each row's `k` entries in `conditionals`: row i gets its own entries and
/// (i', v) for each row i' with an entry (i, v); the two halves of a pair found from both ends
/// are added together.
fn symmetrised(n: usize, k: usize, conditionals: &[(u32, f64)]) -> Sparse {
    let mut fill = vec![k; n];
    for (j, _) in conditionals {
        fill[*j as usize] += 1;
    }
    let mut start = 0;
    for f in fill.iter_mut() {
        (*f, start) = (start, start + *f);
    }
    let mut entries = vec![(0u32, 0.0f64); start];
    for (i, row) in conditionals.chunks_exact(k).enumerate() {
        for (j, v) in row {
            entries[fill[i]] = (*j, *v);
            entries[fill[*j as usize]] = (i as u32, *v);
            fill[i] += 1;
            fill[*j as usize] += 1;
        }
    }
    let mut sparse = Sparse {
        starts: Vec::with_capacity(n + 1),
        columns: Vec::with_capacity(start),
        values: Vec::with_capacity(start),
    };
    sparse.starts.push(0);
    let mut from = 0;
    for end in fill {
        let row = &mut entries[from..end];
        row.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        for (at, (j, v)) in row.iter().enumerate() {
            match row.get(at + 1) {
                Some((next, w)) if next == j => sparse.values.push((v + w) as f32),
                _ if at > 0 && row[at - 1].0 == *j => continue,
                _ => sparse.values.push(*v as f32),
            }
            sparse.columns.push(*j);
        }
        sparse.starts.push(sparse.columns.len());
        from = end;
    }
    sparse
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The heap's neighbours are a full sort's first k, ties to the lower index, the point
    /// itself left out.
    #[test]
    fn the_nearest_are_those_a_full_sort_puts_first() {
        let row: Vec<f64> = (0..500).map(|j| ((j * 7919) % 97) as f64 / 4.0).collect();
        let mut heap = BinaryHeap::new();
        for (i, k) in [(0, 1), (13, 30), (250, 91), (499, 499)] {
            let mut sorted: Vec<(u32, f64)> = (row.iter().enumerate())
                .filter(|(j, _)| *j != i)
                .map(|(j, d)| (j as u32, *d))
                .collect();
            sorted.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            sorted.truncate(k);
            assert_eq!(nearest(&row, i, k, &mut heap), sorted, "i {i}, k {k}");
        }
    }
}
