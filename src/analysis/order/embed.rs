//! Embeddings of frame features, for playing frames in order of similarity (one dimension) and
//! for pictures of them (two): PCA and a walk between nearest neighbours (t-SNE is in `tsne`).

use rand::{Rng, SeedableRng};

use super::pairwise::{pairwise_rows, squared_distances, Sum};
use crate::dsp::wide::with_avx;

/// Projections of each row of `features` on their first `k` principal components (rows
/// centred; the components are the covariance's leading eigenvectors, found by subspace
/// iteration, which stays exact when eigenvalues are close). With fewer rows than features (a
/// short segment) the rows' Gram matrix, smaller and of the same nonzero spectrum, is solved
/// directly instead: subspace iteration crawls there, as the spectrum has many close values.
/// Signs are arbitrary, as in any PCA.
pub fn pca(features: &[Vec<f64>], k: usize) -> Vec<Vec<f64>> {
    let projections = principal_projections(features, k);
    (0..features.len())
        .map(|i| projections.iter().map(|p| p[i]).collect())
        .collect()
}

/// The first principal component's projection (see `pca`).
pub fn pca_1d(features: &[Vec<f64>]) -> Vec<f64> {
    let mut projections = principal_projections(features, 1);
    projections.truncate(1);
    projections.pop().unwrap_or_default()
}

/// `pca`'s projections, one row per component.
fn principal_projections(features: &[Vec<f64>], k: usize) -> Vec<Vec<f64>> {
    let n = features.len();
    let Some(d) = features.first().map(|r| r.len()) else {
        return Vec::new();
    };
    let mut mean = vec![0.0; d];
    for row in features {
        mean.iter_mut().zip(row).for_each(|(m, x)| *m += x);
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    // Centred and transposed: a row per feature, so the covariance's sums run along rows.
    let mut columns = vec![vec![0.0; n]; d];
    // Eight rows at a time, so each column is written a cache line at once (the rows' ends
    // are fixed first, so the loads need no bounds checks).
    let (blocks, rest) = features.as_chunks::<8>();
    for (block, rows) in blocks.iter().enumerate() {
        let rows = rows.each_ref().map(|row| &row[..d]);
        for (j, (column, m)) in columns.iter_mut().zip(&mean).enumerate() {
            let centred: [f64; 8] = std::array::from_fn(|r| rows[r][j] - m);
            column[8 * block..][..8].copy_from_slice(&centred);
        }
    }
    for (i, row) in (8 * blocks.len()..).zip(rest) {
        for (column, (x, m)) in columns.iter_mut().zip(row.iter().zip(&mean)) {
            column[i] = x - m;
        }
    }
    if n < d {
        let centred: Vec<Vec<f64>> = (0..n)
            .map(|i| columns.iter().map(|c| c[i]).collect())
            .collect();
        pca_by_gram(&centred, k)
    } else {
        pca_by_covariance(&columns, k)
    }
}

/// PCA of centred rows from the rows' Gram matrix: X Xᵀ u = σ² u, and the projection of the
/// rows on the matching component is σ u. One row per component.
fn pca_by_gram(centred: &[Vec<f64>], k: usize) -> Vec<Vec<f64>> {
    let gram = pairwise_rows(centred, centred, Sum::Product, true);
    let leading = jacobi_eigen(gram).into_iter().take(k);
    leading
        .map(|(s2, u)| u.iter().map(|x| x * s2.max(0.0).sqrt()).collect())
        .collect()
}

/// PCA from the centred `columns` (a row per feature) by their covariance's leading
/// eigenvectors. One row per component.
fn pca_by_covariance(columns: &[Vec<f64>], k: usize) -> Vec<Vec<f64>> {
    let (d, n) = (columns.len(), columns[0].len());
    let cov = pairwise_rows(columns, columns, Sum::Product, true);
    let axes = leading_eigenvectors(cov, k.min(d));
    let mut projections = vec![vec![0.0; n]; axes.len()];
    with_avx(
        #[inline(always)]
        || {
            for (projection, axis) in projections.iter_mut().zip(&axes) {
                for (column, a) in columns.iter().zip(axis) {
                    (projection.iter_mut().zip(column)).for_each(|(p, x)| *p = x.mul_add(*a, *p));
                }
            }
        },
    );
    projections
}

/// Σ aᵢ·bᵢ in four running sums, so the additions need not wait on one another (a single
/// sum of subspace iteration's short vectors is bound by the adder's latency).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let ((a, a_tail), (b, b_tail)) = (a.as_chunks::<4>(), b.as_chunks::<4>());
    let mut lanes = [0.0; 4];
    for (x, y) in a.iter().zip(b) {
        for l in 0..4 {
            lanes[l] += x[l] * y[l];
        }
    }
    let tail: f64 = a_tail.iter().zip(b_tail).map(|(x, y)| x * y).sum();
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + tail
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
        // A symmetric: row k of Q·A is A·qₖ.
        let aq = pairwise_rows(&q, &a, Sum::Product, false);
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
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (mut row_p, mut row_q) = (std::mem::take(&mut a[p]), std::mem::take(&mut a[q]));
                for (apk, aqk) in row_p.iter_mut().zip(row_q.iter_mut()) {
                    (*apk, *aqk) = (c * *apk - s * *aqk, s * *apk + c * *aqk);
                }
                (a[p], a[q]) = (row_p, row_q);
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
pub(crate) mod tests {
    use super::*;

    #[test]
    fn few_rows_of_many_features_give_the_covariance_s_projections_through_the_gram_matrix() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let rows: Vec<Vec<f64>> = (0..30)
            .map(|i| {
                (0..64)
                    .map(|j| ((i * j) % 7) as f64 + rng.random::<f64>())
                    .collect()
            })
            .collect();
        let mean: Vec<f64> = (0..64)
            .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / 30.0)
            .collect();
        let centred: Vec<Vec<f64>> = (rows.iter())
            .map(|r| r.iter().zip(&mean).map(|(v, m)| v - m).collect())
            .collect();
        let columns: Vec<Vec<f64>> = (0..64)
            .map(|j| centred.iter().map(|r| r[j]).collect())
            .collect();
        // One row per component.
        let (gram, cov) = (pca_by_gram(&centred, 2), pca_by_covariance(&columns, 2));
        assert_eq!((gram.len(), cov.len()), (2, 2));
        for c in 0..2 {
            let sign = (0..30)
                .map(|i| gram[c][i] * cov[c][i])
                .sum::<f64>()
                .signum();
            for i in 0..30 {
                let (a, b) = (sign * gram[c][i], cov[c][i]);
                assert!(
                    (a - b).abs() < 1e-8 * (1.0 + b.abs()),
                    "row {i}, axis {c}: {a} vs {b}"
                );
            }
        }
        // `pca` gives a row per frame, and `pca_1d` the first component.
        let per_frame: Vec<Vec<f64>> = (0..30).map(|i| vec![gram[0][i], gram[1][i]]).collect();
        assert_eq!(pca(&rows, 2), per_frame);
        assert_eq!(pca_1d(&rows), gram[0]);
    }

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
    pub(crate) fn clusters() -> (Vec<Vec<f64>>, Vec<usize>) {
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
