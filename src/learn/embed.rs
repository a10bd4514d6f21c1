//! Embeddings of frame features, for playing frames in order of similarity (one dimension) and
//! for pictures of them (two): PCA, t-SNE (exact), and a walk between nearest neighbours.

use rand::{Rng, SeedableRng};

/// Projections of each row of `features` on their first `k` principal components (rows
/// centred; the components are the covariance's leading eigenvectors, found by subspace
/// iteration, which stays exact when eigenvalues are close). Signs are arbitrary, as in any PCA.
pub fn pca(features: &[Vec<f64>], k: usize) -> Vec<Vec<f64>> {
    let n = features.len();
    let Some(d) = features.first().map(|r| r.len()) else {
        return Vec::new();
    };
    let mean: Vec<f64> = (0..d)
        .map(|j| features.iter().map(|r| r[j]).sum::<f64>() / n as f64)
        .collect();
    let centred: Vec<Vec<f64>> = features
        .iter()
        .map(|r| r.iter().zip(&mean).map(|(v, m)| v - m).collect())
        .collect();
    let mut cov = vec![vec![0.0; d]; d];
    for row in &centred {
        for i in 0..d {
            let ri = row[i];
            if ri == 0.0 {
                continue;
            }
            for (c, rj) in cov[i][i..].iter_mut().zip(&row[i..]) {
                *c += ri * rj;
            }
        }
    }
    for i in 0..d {
        for j in 0..i {
            cov[i][j] = cov[j][i];
        }
    }
    let axes = leading_eigenvectors(cov, k.min(d));
    centred
        .iter()
        .map(|r| axes.iter().map(|axis| dot(r, axis)).collect())
        .collect()
}

/// The first principal component's projection (see `pca`).
pub fn pca_1d(features: &[Vec<f64>]) -> Vec<f64> {
    pca(features, 1).into_iter().map(|r| r[0]).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn times(a: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    a.iter().map(|row| dot(row, v)).collect()
}

/// Makes `vectors` orthonormal in place (modified Gram-Schmidt).
fn orthonormalise(vectors: &mut [Vec<f64>]) {
    for i in 0..vectors.len() {
        let (done, rest) = vectors.split_at_mut(i);
        let v = &mut rest[0];
        for u in done.iter() {
            let p = dot(u, v);
            v.iter_mut().zip(u).for_each(|(x, y)| *x -= p * y);
        }
        let norm = dot(v, v).sqrt();
        if norm > 1e-300 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
    }
}

/// Vectors iterated together: convergence goes as (9th / 1st eigenvalue)^k rather than
/// (2nd / 1st)^k, so close leading eigenvalues cost little.
const SUBSPACE: usize = 8;

/// The eigenvectors of the `k` (at most `SUBSPACE`) largest eigenvalues of symmetric `a`, largest
/// first: subspace iteration with a Rayleigh-Ritz step (the small projected problem solved by
/// Jacobi), from a seeded start.
fn leading_eigenvectors(a: Vec<Vec<f64>>, k: usize) -> Vec<Vec<f64>> {
    let d = a.len();
    if d <= SUBSPACE {
        return jacobi_eigen(a)
            .into_iter()
            .take(k)
            .map(|(_, v)| v)
            .collect();
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut q: Vec<Vec<f64>> = (0..SUBSPACE)
        .map(|_| (0..d).map(|_| rng.random::<f64>() - 0.5).collect())
        .collect();
    orthonormalise(&mut q);
    let mut best: Vec<Vec<f64>> = vec![vec![0.0; d]; k];
    for _ in 0..2000 {
        let aq: Vec<Vec<f64>> = q.iter().map(|v| times(&a, v)).collect();
        let projected: Vec<Vec<f64>> = q
            .iter()
            .map(|qi| aq.iter().map(|aqj| dot(qi, aqj)).collect())
            .collect();
        let ritz: Vec<Vec<f64>> = jacobi_eigen(projected)
            .into_iter()
            .take(k)
            .map(|(_, u)| {
                (0..d)
                    .map(|j| u.iter().zip(&q).map(|(ui, qi)| ui * qi[j]).sum())
                    .collect()
            })
            .collect();
        let settled = ritz
            .iter()
            .zip(&best)
            .all(|(v, b)| 1.0 - dot(v, b).abs() < 1e-15);
        best = ritz;
        if settled {
            break;
        }
        q = aq;
        orthonormalise(&mut q);
    }
    best
}

/// Eigenvalues and eigenvectors of symmetric `a`, largest first, by cyclic Jacobi rotations.
fn jacobi_eigen(mut a: Vec<Vec<f64>>) -> Vec<(f64, Vec<f64>)> {
    let d = a.len();
    let mut v: Vec<Vec<f64>> = (0..d)
        .map(|i| (0..d).map(|j| (i == j) as u8 as f64).collect())
        .collect();
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |j| *j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        let scale: f64 = (0..d).map(|i| a[i][i] * a[i][i]).sum::<f64>().max(1e-300);
        if off <= 1e-28 * scale {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                if a[p][q].abs() <= 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let (akp, akq) = (a[k][p], a[k][q]);
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for k in 0..d {
                    let (apk, aqk) = (a[p][k], a[q][k]);
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for row in v.iter_mut() {
                    let (vp, vq) = (row[p], row[q]);
                    row[p] = c * vp - s * vq;
                    row[q] = s * vp + c * vq;
                }
            }
        }
    }
    let mut pairs: Vec<(f64, Vec<f64>)> = (0..d)
        .map(|c| (a[c][c], v.iter().map(|row| row[c]).collect()))
        .collect();
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0));
    pairs
}

/// t-SNE settings; the defaults are scikit-learn's.
#[derive(Clone, Copy, Debug)]
pub struct TsneSettings {
    pub perplexity: f64,
    pub iterations: usize,
    pub seed: u64,
}

impl Default for TsneSettings {
    fn default() -> Self {
        Self {
            perplexity: 30.0,
            iterations: 1000,
            seed: 0,
        }
    }
}

fn squared_distances(features: &[Vec<f64>]) -> Vec<f64> {
    let n = features.len();
    let mut d = vec![0.0; n * n];
    for i in 0..n {
        for j in i + 1..n {
            let v: f64 = features[i]
                .iter()
                .zip(&features[j])
                .map(|(a, b)| (a - b) * (a - b))
                .sum();
            d[i * n + j] = v;
            d[j * n + i] = v;
        }
    }
    d
}

/// Symmetric affinities P of t-SNE: per point, a Gaussian over the others whose width gives the
/// asked perplexity (found by bisection on its precision), then (P + P^T) / 2n.
fn affinities(distances: &[f64], n: usize, perplexity: f64) -> Vec<f64> {
    let target = perplexity.min((n - 1) as f64).max(1.0).ln();
    let mut p = vec![0.0; n * n];
    for i in 0..n {
        let row = &distances[i * n..(i + 1) * n];
        let (mut lo, mut hi, mut beta) = (0.0f64, f64::INFINITY, 1.0f64);
        // Scale-free start: distances relative to their mean.
        let mean = row.iter().sum::<f64>() / (n - 1).max(1) as f64;
        if mean > 0.0 {
            beta = 1.0 / mean;
        }
        // Weights are taken relative to the nearest neighbour, so exp() never underflows to 0.
        let min = row
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, d)| *d)
            .fold(f64::MAX, f64::min);
        for _ in 0..200 {
            let (mut sum, mut weighted) = (0.0, 0.0);
            for (j, d) in row.iter().enumerate() {
                if j != i {
                    let w = (-(d - min) * beta).exp();
                    sum += w;
                    weighted += w * (d - min);
                }
            }
            // Entropy of the row's distribution, in nats.
            let entropy = sum.ln() + beta * weighted / sum;
            if (entropy - target).abs() < 1e-5 {
                break;
            }
            if entropy > target {
                lo = beta;
                beta = if hi.is_finite() {
                    (beta + hi) / 2.0
                } else {
                    beta * 2.0
                };
            } else {
                hi = beta;
                beta = (beta + lo) / 2.0;
            }
        }
        let mut sum = 0.0;
        for (j, d) in row.iter().enumerate() {
            if j != i {
                p[i * n + j] = (-(d - min) * beta).exp();
                sum += p[i * n + j];
            }
        }
        p[i * n..(i + 1) * n].iter_mut().for_each(|v| *v /= sum);
    }
    let mut sym = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            sym[i * n + j] = ((p[i * n + j] + p[j * n + i]) / (2.0 * n as f64)).max(1e-12);
        }
    }
    sym
}

/// Exact t-SNE into `K` dimensions (van der Maaten and Hinton 2008) with scikit-learn's
/// schedule: early exaggeration 12 for 250 iterations, momentum 0.5 then 0.8 (each phase starting
/// afresh), learning rate max(n / 48, 50), per-coordinate gains, and a PCA start scaled to a
/// deviation of 1e-4 (in one dimension a random start traps points on the wrong side of a
/// cluster). A seeded jitter far below that separates identical frames. O(n^2) memory and time
/// per iteration.
fn tsne<const K: usize>(features: &[Vec<f64>], settings: &TsneSettings) -> Vec<Vec<f64>> {
    let k = K;
    let n = features.len();
    if n < 3 {
        return (0..n).map(|i| vec![i as f64; k]).collect();
    }
    let p = affinities(&squared_distances(features), n, settings.perplexity);
    let start = pca(features, k);
    let deviation = (start.iter().map(|r| r[0] * r[0]).sum::<f64>() / n as f64).sqrt();
    let mut rng = rand::rngs::StdRng::seed_from_u64(settings.seed);
    let mut y: Vec<f64> = start
        .iter()
        .flat_map(|r| r.iter().copied())
        .map(|v| {
            let jitter = 1e-8 * (rng.random::<f64>() - 0.5);
            if deviation > 0.0 {
                1e-4 * v / deviation + jitter
            } else {
                jitter
            }
        })
        .collect();
    let rate = (n as f64 / 12.0 / 4.0).max(50.0);
    let (mut update, mut gains) = (vec![0.0f64; n * k], vec![1.0f64; n * k]);
    let mut kernel = vec![0.0; n * n];
    let mut grad = vec![0.0; n * k];
    for iteration in 0..settings.iterations {
        let (exaggeration, momentum) = if iteration < 250 {
            (12.0, 0.5)
        } else {
            (1.0, 0.8)
        };
        if iteration == 250 {
            update.fill(0.0);
            gains.fill(1.0);
        }
        let mut z = 0.0;
        for i in 0..n {
            for j in i + 1..n {
                let d2: f64 = (0..K).map(|c| (y[i * K + c] - y[j * K + c]).powi(2)).sum();
                let q = 1.0 / (1.0 + d2);
                kernel[i * n + j] = q;
                kernel[j * n + i] = q;
                z += 2.0 * q;
            }
        }
        for i in 0..n {
            let mut g = [0.0f64; K];
            let (row_p, row_q) = (&p[i * n..(i + 1) * n], &kernel[i * n..(i + 1) * n]);
            for (j, (pij, q)) in row_p.iter().zip(row_q).enumerate() {
                // The diagonal's kernel is 0, so it adds nothing.
                let f = 4.0 * (exaggeration * pij - q / z) * q;
                for c in 0..K {
                    g[c] += f * (y[i * K + c] - y[j * K + c]);
                }
            }
            grad[i * K..(i + 1) * K].copy_from_slice(&g);
        }
        for ((yi, (u, g)), gr) in y
            .iter_mut()
            .zip(update.iter_mut().zip(gains.iter_mut()))
            .zip(&grad)
        {
            *g = if *u * gr < 0.0 {
                *g + 0.2
            } else {
                (*g * 0.8).max(0.01)
            };
            *u = momentum * *u - rate * *g * gr;
            *yi += *u;
        }
    }
    y.chunks(k).map(|c| c.to_vec()).collect()
}

/// One-dimensional t-SNE (see `tsne`), for orders.
pub fn tsne_1d(features: &[Vec<f64>], settings: &TsneSettings) -> Vec<f64> {
    tsne::<1>(features, settings)
        .into_iter()
        .map(|r| r[0])
        .collect()
}

/// Two-dimensional t-SNE (see `tsne`), for pictures.
pub fn tsne_2d(features: &[Vec<f64>], settings: &TsneSettings) -> Vec<Vec<f64>> {
    tsne::<2>(features, settings)
}

/// A walk through the frames: from frame 0, each next frame is drawn (seeded) among the `k`
/// nearest neighbours of the current one that were not among the last `memory` played (all
/// frames count when too few are left); `len` steps. With `memory` at least the frame count, the
/// walk plays every frame once before any repeats.
pub fn neighbour_walk(
    features: &[Vec<f64>],
    k: usize,
    memory: usize,
    seed: u64,
    len: usize,
) -> Vec<usize> {
    let n = features.len();
    if n == 0 || len == 0 {
        return Vec::new();
    }
    let d = squared_distances(features);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut walk = vec![0usize];
    // Step at which each frame last played.
    let mut played: Vec<Option<usize>> = vec![None; n];
    played[0] = Some(0);
    let mut candidates: Vec<usize> = Vec::with_capacity(n);
    while walk.len() < len {
        let step = walk.len();
        let current = walk[step - 1];
        let fresh = |j: &usize| played[*j].is_none_or(|s| step - s > memory);
        candidates.clear();
        candidates.extend((0..n).filter(|j| *j != current && fresh(j)));
        if candidates.is_empty() {
            // A pass is complete: start the next one.
            played.iter_mut().for_each(|p| *p = None);
            candidates.extend((0..n).filter(|j| *j != current));
        }
        let next = if candidates.is_empty() {
            current
        } else {
            let row = &d[current * n..(current + 1) * n];
            let by_distance = |a: &usize, b: &usize| row[*a].total_cmp(&row[*b]).then(a.cmp(b));
            let k = k.clamp(1, candidates.len());
            candidates.select_nth_unstable_by(k - 1, by_distance);
            let nearest = &mut candidates[..k];
            nearest.sort_by(by_distance);
            nearest[rng.random_range(0..k)]
        };
        played[next] = Some(step);
        walk.push(next);
    }
    walk
}

/// Indices that sort `values` ascending (ties keep their original order).
pub fn argsort(values: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| values[*a].total_cmp(&values[*b]));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pca_finds_the_direction_of_largest_spread() {
        // Points along (3, 4)/5 with small noise across it.
        let features: Vec<Vec<f64>> = (0..200)
            .map(|i| {
                let t = i as f64 / 10.0 - 10.0;
                let across = ((i * 37) % 11) as f64 / 100.0 - 0.05;
                vec![
                    0.6 * t - 0.8 * across + 2.0,
                    0.8 * t + 0.6 * across - 1.0,
                    0.0,
                ]
            })
            .collect();
        let e = pca_1d(&features);
        let sign = e[199].signum();
        for (i, v) in e.iter().enumerate() {
            let t = i as f64 / 10.0 - 10.0 + 0.05;
            assert!((sign * v - t).abs() < 0.1, "{i}: {v} vs {t}");
        }
        assert_eq!(
            argsort(&e.iter().map(|v| sign * v).collect::<Vec<_>>()),
            (0..200).collect::<Vec<_>>()
        );
    }

    /// Three tight, far-apart clusters, interleaved in time.
    fn clusters() -> (Vec<Vec<f64>>, Vec<usize>) {
        let labels: Vec<usize> = (0..90).map(|i| (i / 5) % 3).collect();
        let features = labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let jitter = ((i * 7919) % 13) as f64 / 13.0;
                (0..8)
                    .map(|d| if d == *l { 10.0 + jitter } else { jitter * 0.5 })
                    .collect()
            })
            .collect();
        (features, labels)
    }

    #[test]
    fn tsne_keeps_clusters_contiguous_and_repeats_with_its_seed() {
        let (features, labels) = clusters();
        let settings = TsneSettings {
            perplexity: 10.0,
            ..Default::default()
        };
        for seed in 0..4 {
            let settings = TsneSettings { seed, ..settings };
            let y = tsne_1d(&features, &settings);
            let order = argsort(&y);
            // Three blocks need two changes of cluster; one-dimensional t-SNE (scikit-learn's
            // too) can strand a single frame, which costs at most two more.
            let changes = order
                .windows(2)
                .filter(|w| labels[w[0]] != labels[w[1]])
                .count();
            let seq: String = order.iter().map(|i| labels[*i].to_string()).collect();
            assert!(changes <= 4, "seed {seed}: {seq}");
            assert_eq!(tsne_1d(&features, &settings), y);
        }
    }

    #[test]
    fn the_walk_steps_to_near_frames_and_avoids_recent_ones() {
        let (features, labels) = clusters();
        let walk = neighbour_walk(&features, 3, 4, 7, 200);
        assert_eq!(walk.len(), 200);
        let jumps = walk
            .windows(2)
            .filter(|w| labels[w[0]] != labels[w[1]])
            .count();
        assert!(jumps <= 5, "{jumps} jumps between clusters");
        for (i, f) in walk.iter().enumerate().skip(1) {
            assert!(
                !walk[i.saturating_sub(4)..i].contains(f),
                "frame {f} repeated within 4 steps"
            );
        }
        assert_eq!(neighbour_walk(&features, 3, 4, 7, 200), walk);
        assert_ne!(neighbour_walk(&features, 3, 4, 8, 200), walk);
    }

    #[test]
    fn jacobi_separates_close_eigenvalues() {
        let a = vec![
            vec![2.0, 0.0, 0.0],
            vec![0.0, 2.0 + 1e-9, 0.0],
            vec![0.0, 0.0, 1.0],
        ];
        let v = &jacobi_eigen(a)[0].1;
        assert!((v[1].abs() - 1.0).abs() < 1e-12, "{v:?}");
        // The same through subspace iteration, on a larger matrix with the pair on top.
        let d = 40;
        let big: Vec<Vec<f64>> = (0..d)
            .map(|i| {
                (0..d)
                    .map(|j| match (i == j, i) {
                        (true, 7) => 5.0 + 1e-9,
                        (true, 3) => 5.0,
                        (true, _) => 1.0 / (1.0 + i as f64),
                        _ => 0.0,
                    })
                    .collect()
            })
            .collect();
        let v = &leading_eigenvectors(big, 1)[0];
        assert!((v[7].abs() - 1.0).abs() < 1e-6, "{:?}", &v[..10]);
    }
}
