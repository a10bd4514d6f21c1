//! t-SNE's attraction: Σⱼ pᵢⱼ·qᵢⱼ·(yᵢ − yⱼ) over P's entries, qᵢⱼ = 1 / (1 + |yᵢ − yⱼ|²). It
//! visits every entry of P at every iteration, so it is the bulk of an iteration's cost.
//!
//! Entries go four at a time into four lanes, combined at the end in a fixed order. In one
//! dimension with AVX2 the four divisions are done in one instruction (the compiler does not
//! vectorise the indexed loads itself); the four neighbours' coordinates are loaded one by one,
//! which on AMD Zen 3 is faster than AVX2's gather instruction (the whole t-SNE of 2000 frames
//! took 0.37 s instead of 0.53 s, paired runs); elsewhere (no AVX2, or two dimensions) portable code does the same arithmetic in the same
//! order, so both give the same bits. (Single precision, twice as many lanes, was no faster
//! and stranded more frames of tight clusters in one-dimensional embeddings.)

use std::ops::Range;

use super::affinities::Sparse;
use crate::dsp::wide::with_avx;

/// The attraction, times `scale`, of the points `rows` of `y` into `grad` (n points of K
/// coordinates in `y`, `rows.len()` points in `grad`).
pub(super) fn attraction<const K: usize>(
    p: &Sparse,
    y: &[f64],
    scale: f64,
    rows: Range<usize>,
    grad: &mut [f64],
) {
    assert_eq!(y.len(), p.rows() * K, "a point per row of P");
    assert_eq!(grad.len(), rows.len() * K, "a gradient per row asked for");
    #[cfg(target_arch = "x86_64")]
    if K == 1 && is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        for (i, g) in rows.zip(grad.iter_mut()) {
            let (columns, values) = p.row(i);
            // SAFETY: the CPU has AVX2 and FMA, and P's columns are below its row count, y's
            // length.
            *g = scale * unsafe { row_avx(y[i], y, columns, values) };
        }
        return;
    }
    with_avx(
        #[inline(always)]
        || {
            for (i, g) in rows.zip(grad.chunks_exact_mut(K)) {
                let (columns, values) = p.row(i);
                let yi: [f64; K] = std::array::from_fn(|c| y[i * K + c]);
                let sums = row::<K>(yi, y, columns, values);
                for (g, s) in g.iter_mut().zip(sums) {
                    *g = scale * s;
                }
            }
        },
    );
}

/// One entry's term: the weight pᵢⱼ·qᵢⱼ times each coordinate's difference `d`.
#[inline(always)]
fn term<const K: usize>(p: f32, d: [f64; K]) -> [f64; K] {
    let q = d.iter().fold(1.0f64, |q, d| d.mul_add(*d, q));
    let w = p as f64 / q;
    d.map(|d| w * d)
}

/// The four lanes' total, in a fixed order, plus the tail's.
#[inline(always)]
fn total(l: [f64; 4], tail: f64) -> f64 {
    (l[0] + l[1]) + (l[2] + l[3]) + tail
}

/// One row's attraction, portable: entry e goes to lane e mod 4 (the tail past the last four
/// to its own sum), as in `row_avx`.
#[inline(always)]
fn row<const K: usize>(yi: [f64; K], y: &[f64], columns: &[u32], values: &[f32]) -> [f64; K] {
    let mut lanes = [[0.0f64; 4]; K];
    let mut tail = [0.0f64; K];
    let whole = values.len() - values.len() % 4;
    for (e, (j, p)) in columns.iter().zip(values).enumerate() {
        let d: [f64; K] = std::array::from_fn(|c| yi[c] - y[*j as usize * K + c]);
        let t = term(*p, d);
        for c in 0..K {
            let sum = if e < whole {
                &mut lanes[c][e % 4]
            } else {
                &mut tail[c]
            };
            *sum += t[c];
        }
    }
    std::array::from_fn(|c| total(lanes[c], tail[c]))
}

/// `row` in one dimension with AVX2 and FMA: four neighbours at once.
///
/// # Safety
/// The CPU has AVX2 and FMA, and every column indexes `y`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn row_avx(yi: f64, y: &[f64], columns: &[u32], values: &[f32]) -> f64 {
    use std::arch::x86_64::*;
    let len = columns.len().min(values.len());
    let ((c4, c_tail), (p4, p_tail)) = (
        columns[..len].as_chunks::<4>(),
        values[..len].as_chunks::<4>(),
    );
    let (yi4, one) = (_mm256_set1_pd(yi), _mm256_set1_pd(1.0));
    let mut lanes = _mm256_setzero_pd();
    for (c, p) in c4.iter().zip(p4) {
        // SAFETY: four f32 are read from an array of four, and the columns index `y` (the
        // caller's promise).
        let (yj, p) = unsafe {
            let at = |k: usize| *y.get_unchecked(c[k] as usize);
            (
                _mm256_setr_pd(at(0), at(1), at(2), at(3)),
                _mm256_cvtps_pd(_mm_loadu_ps(p.as_ptr())),
            )
        };
        let d = _mm256_sub_pd(yi4, yj);
        let q = _mm256_fmadd_pd(d, d, one);
        lanes = _mm256_add_pd(lanes, _mm256_mul_pd(_mm256_div_pd(p, q), d));
    }
    let mut l = [0.0f64; 4];
    // SAFETY: `l` holds four values.
    unsafe { _mm256_storeu_pd(l.as_mut_ptr(), lanes) };
    let tail = (c_tail.iter().zip(p_tail))
        .fold(0.0f64, |s, (j, p)| s + term(*p, [yi - y[*j as usize]])[0]);
    total(l, tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::order::tsne::affinities::sparse_affinities;
    use rand::{Rng, SeedableRng};

    /// The vectorised row gives the portable row's bits, and both the plain sum's value to
    /// rounding.
    #[test]
    fn the_vectorised_row_is_the_portable_row_and_the_plain_sum() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let features: Vec<Vec<f64>> = (0..300)
            .map(|i| {
                (0..6)
                    .map(|c| ((i * (c + 1)) % 17) as f64 + rng.random::<f64>())
                    .collect()
            })
            .collect();
        let p = sparse_affinities(&features, 20.0);
        let y: Vec<f64> = (0..300)
            .map(|_| rng.random::<f64>() * 40.0 - 20.0)
            .collect();
        for i in 0..300 {
            let (columns, values) = p.row(i);
            let portable = row::<1>([y[i]], &y, columns, values)[0];
            #[cfg(target_arch = "x86_64")]
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                // SAFETY: the features were just checked; P's columns index y.
                let vectorised = unsafe { row_avx(y[i], &y, columns, values) };
                assert_eq!(vectorised.to_bits(), portable.to_bits(), "row {i}");
            }
            let (exact, gross) = (columns.iter().zip(values)).fold((0.0, 0.0), |(s, g), (j, p)| {
                let d = y[i] - y[*j as usize];
                let t = *p as f64 * d / (1.0 + d * d);
                (s + t, g + t.abs())
            });
            assert!(
                (portable - exact).abs() <= 1e-12 * gross,
                "row {i}: {portable} vs {exact}"
            );
        }
    }
}
