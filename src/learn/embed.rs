//! One-dimensional embeddings of frame features, for playing frames in order of similarity.

/// Projection of each row of `features` on their first principal component (rows centred; the
/// component is the covariance's leading eigenvector, found by Jacobi's method, which is exact
/// even when the leading eigenvalues are close). The sign is arbitrary, as in any PCA.
pub fn pca_1d(features: &[Vec<f64>]) -> Vec<f64> {
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
    let axis = leading_eigenvector(cov);
    centred
        .iter()
        .map(|r| r.iter().zip(&axis).map(|(a, b)| a * b).sum())
        .collect()
}

/// The eigenvector of the largest eigenvalue of symmetric `a`, by cyclic Jacobi rotations.
fn leading_eigenvector(mut a: Vec<Vec<f64>>) -> Vec<f64> {
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
    let top = (0..d)
        .max_by(|i, j| a[*i][*i].total_cmp(&a[*j][*j]))
        .unwrap_or(0);
    v.iter().map(|row| row[top]).collect()
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

    #[test]
    fn jacobi_separates_close_eigenvalues() {
        let a = vec![
            vec![2.0, 0.0, 0.0],
            vec![0.0, 2.0 + 1e-9, 0.0],
            vec![0.0, 0.0, 1.0],
        ];
        let v = leading_eigenvector(a);
        assert!((v[1].abs() - 1.0).abs() < 1e-12, "{v:?}");
    }
}
