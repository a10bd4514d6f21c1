//! Sums over the coordinates of pairs of rows (dot products, squared distances): the arithmetic
//! of PCA's covariance and of t-SNE's neighbour search, O(n²·d) and so the bulk of their cost.
//!
//! Pairs are taken in blocks of 4 × 2 rows: each coordinate loaded serves several sums, and
//! eight sums run at once, which hides the latency of the fused multiply-add (a single running
//! sum waits on it at every step). Each sum keeps four lanes, combined at the end as
//! (l₀ + l₁) + (l₂ + l₃) + the tail, so a pair's sum has the same bits whatever block it falls
//! in. The block is written with AVX2 intrinsics, because the compiler's vectoriser packs
//! plain array code for it along the wrong axis, with a portable twin of the same arithmetic
//! (fused multiply-adds round once either way, so both give the same bits). Large sums are cut
//! into two parts of the rows, computed at once on two cores (`join`).

use super::join::join;

/// What is summed over the coordinates.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Sum {
    /// Σ aᵢ·bᵢ.
    Product,
    /// Σ (aᵢ − bᵢ)².
    SquaredDifference,
}

impl Sum {
    #[inline(always)]
    fn step(self, x: f64, y: f64, sum: f64) -> f64 {
        match self {
            Sum::Product => x.mul_add(y, sum),
            Sum::SquaredDifference => (x - y).mul_add(x - y, sum),
        }
    }

    /// The four lanes' total plus the coordinates past the last whole four.
    #[inline(always)]
    fn finish(self, lanes: [f64; 4], a_tail: &[f64], b_tail: &[f64]) -> f64 {
        let tail = (a_tail.iter().zip(b_tail)).fold(0.0, |s, (x, y)| self.step(*x, *y, s));
        (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + tail
    }
}

/// Rows `a` and `b` whose sums are taken together, all cut to `len` coordinates.
#[derive(Clone, Copy)]
struct Block<'a, const R: usize, const C: usize> {
    a: [&'a [f64]; R],
    b: [&'a [f64]; C],
    len: usize,
}

impl<const R: usize, const C: usize> Block<'_, R, C> {
    /// The sums, with AVX2 and FMA when the CPU has them.
    #[inline(always)]
    fn sums(self, sum: Sum) -> [[f64; C]; R] {
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has the features, and the rows were cut to `len`.
            return unsafe { block_avx(self.a, self.b, self.len, sum) };
        }
        self.portable(sum)
    }

    /// The sums in portable code.
    fn portable(self, sum: Sum) -> [[f64; C]; R] {
        let (a, b, len) = (self.a, self.b, self.len);
        let body = len - len % 4;
        let mut lanes = [[[0.0f64; 4]; C]; R];
        for at in (0..body).step_by(4) {
            for r in 0..R {
                for c in 0..C {
                    for l in 0..4 {
                        lanes[r][c][l] = sum.step(a[r][at + l], b[c][at + l], lanes[r][c][l]);
                    }
                }
            }
        }
        let mut sums = [[0.0; C]; R];
        for r in 0..R {
            for c in 0..C {
                sums[r][c] = sum.finish(lanes[r][c], &a[r][body..len], &b[c][body..len]);
            }
        }
        sums
    }
}

/// `Block::portable` with AVX2 and FMA.
///
/// # Safety
/// The CPU has AVX2 and FMA, and every row holds at least `len` values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn block_avx<const R: usize, const C: usize>(
    a: [&[f64]; R],
    b: [&[f64]; C],
    len: usize,
    sum: Sum,
) -> [[f64; C]; R] {
    use std::arch::x86_64::*;
    let body = len - len % 4;
    let mut lanes = [[_mm256_setzero_pd(); C]; R];
    for at in (0..body).step_by(4) {
        let mut bv = [_mm256_setzero_pd(); C];
        for (v, row) in bv.iter_mut().zip(b) {
            // SAFETY: at + 4 ≤ len ≤ the row's length.
            *v = unsafe { _mm256_loadu_pd(row.as_ptr().add(at)) };
        }
        for r in 0..R {
            // SAFETY: as above.
            let av = unsafe { _mm256_loadu_pd(a[r].as_ptr().add(at)) };
            for c in 0..C {
                lanes[r][c] = match sum {
                    Sum::Product => _mm256_fmadd_pd(av, bv[c], lanes[r][c]),
                    Sum::SquaredDifference => {
                        let d = _mm256_sub_pd(av, bv[c]);
                        _mm256_fmadd_pd(d, d, lanes[r][c])
                    }
                };
            }
        }
    }
    let mut sums = [[0.0; C]; R];
    for r in 0..R {
        for c in 0..C {
            let mut l = [0.0; 4];
            // SAFETY: `l` holds four values.
            unsafe { _mm256_storeu_pd(l.as_mut_ptr(), lanes[r][c]) };
            sums[r][c] = sum.finish(l, &a[r][body..len], &b[c][body..len]);
        }
    }
    sums
}

/// The blocks of rows `r0..r0 + R` with columns `columns` (pairs of columns, then one left),
/// into `out` from row r0's first column on.
fn row_blocks<const R: usize>(
    a: &[Vec<f64>],
    b: &[Vec<f64>],
    r0: usize,
    columns: std::ops::Range<usize>,
    sum: Sum,
    out: &mut [f64],
) {
    let (nb, len) = (b.len(), b[0].len());
    let rows: [&[f64]; R] = std::array::from_fn(|r| &a[r0 + r][..len]);
    let mut c0 = columns.start;
    while c0 < columns.end {
        let pair = c0 + 2 <= columns.end;
        let sums: [[f64; 2]; R] = if pair {
            let b = [&b[c0][..len], &b[c0 + 1][..len]];
            Block { a: rows, b, len }.sums(sum)
        } else {
            let b = [&b[c0][..len]];
            Block { a: rows, b, len }.sums(sum).map(|[s]| [s, 0.0])
        };
        let width = if pair { 2 } else { 1 };
        for (r, s) in sums.iter().enumerate() {
            out[r * nb + c0..][..width].copy_from_slice(&s[..width]);
        }
        c0 += width;
    }
}

/// Bytes of `b`'s rows worked on at a time, so they stay in the core's cache while every row
/// of `a` meets them.
const TILE_BYTES: usize = 128 << 10;

/// Sums (coordinates × pairs) past which a second thread pays.
/// (t-SNE's neighbour search sums 32 rows at a time, below this: its two halves already run on
/// two threads.)
const PARALLEL_WORK: usize = 1 << 24;

/// The sums of `pairwise` for rows `rows` of `a`, into `out` from the first of them on (of
/// pairs with j ≥ i only, when `symmetric`).
fn rows_of(
    a: &[Vec<f64>],
    b: &[Vec<f64>],
    rows: std::ops::Range<usize>,
    sum: Sum,
    symmetric: bool,
    out: &mut [f64],
) {
    let (nb, len) = (b.len(), b[0].len());
    let tile = (TILE_BYTES / (8 * len.max(1))).max(2) & !1;
    // The first column a block of rows starting at r0 needs (even, so pairs stay aligned).
    let first = |r0: usize| if symmetric { r0 - r0 % 2 } else { 0 };
    for t0 in (0..nb).step_by(tile) {
        let t1 = (t0 + tile).min(nb);
        let columns = |r0: usize| first(r0).max(t0)..t1;
        let mut r0 = rows.start;
        while r0 + 4 <= rows.end {
            let out = &mut out[(r0 - rows.start) * nb..];
            row_blocks::<4>(a, b, r0, columns(r0), sum, out);
            r0 += 4;
        }
        while r0 < rows.end {
            let out = &mut out[(r0 - rows.start) * nb..];
            row_blocks::<1>(a, b, r0, columns(r0), sum, out);
            r0 += 1;
        }
    }
}

/// `out[i · b.len() + j]` = the sum over rows `a[i]` and `b[j]` (all of one length), for all
/// pairs. With `symmetric` (`a` and `b` the same rows) only pairs with j ≥ i are summed and the
/// rest mirrored.
pub(crate) fn pairwise(a: &[Vec<f64>], b: &[Vec<f64>], sum: Sum, symmetric: bool, out: &mut [f64]) {
    let (na, nb) = (a.len(), b.len());
    assert_eq!(out.len(), na * nb, "one sum per pair");
    if na == 0 || nb == 0 {
        return;
    }
    let len = b[0].len();
    assert!(
        a.iter().chain(b).all(|r| r.len() == len),
        "rows of one length"
    );
    // Rows in two parts (a multiple of four apart) at once when there is much to sum: the first
    // rows have more pairs when only j ≥ i are summed.
    let share = if symmetric { 0.3 } else { 0.5 };
    let split = ((na as f64 * share) as usize) & !3;
    let (first, second) = out.split_at_mut(split * nb);
    join(
        na * nb * len >= PARALLEL_WORK,
        || rows_of(a, b, 0..split, sum, symmetric, first),
        || rows_of(a, b, split..na, sum, symmetric, second),
    );
    if symmetric {
        for i in 0..na {
            for j in 0..i {
                out[i * nb + j] = out[j * nb + i];
            }
        }
    }
}

/// The sums of `pairwise` as one row per row of `a`.
pub(crate) fn pairwise_rows(
    a: &[Vec<f64>],
    b: &[Vec<f64>],
    sum: Sum,
    symmetric: bool,
) -> Vec<Vec<f64>> {
    let mut out = vec![0.0; a.len() * b.len()];
    pairwise(a, b, sum, symmetric, &mut out);
    out.chunks(b.len().max(1)).map(<[f64]>::to_vec).collect()
}

/// The squared Euclidean distances between all rows, as an n × n matrix.
pub(crate) fn squared_distances(rows: &[Vec<f64>]) -> Vec<f64> {
    let n = rows.len();
    let mut d = vec![0.0; n * n];
    pairwise(rows, rows, Sum::SquaredDifference, true, &mut d);
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn rows(n: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        (0..n)
            .map(|_| (0..d).map(|_| rng.random::<f64>() - 0.5).collect())
            .collect()
    }

    /// Every pair, at every position in a block and at the edges (counts not multiples of the
    /// block, lengths not multiples of four), in either part of the rows when the work is cut
    /// in two (the last case), gets the bits the portable code gives the pair
    /// alone, and the naive sum to rounding.
    #[test]
    fn each_pair_s_sum_is_the_same_in_any_block_and_either_code() {
        let parallel = (130, 129, 1003);
        const { assert!(130 * 129 * 1003 >= PARALLEL_WORK) };
        for (na, nb, d) in [
            (9, 7, 13),
            (4, 2, 4),
            (1, 1, 3),
            (6, 11, 128),
            (5, 3, 2),
            parallel,
        ] {
            let (a, b) = (rows(na, d, 1), rows(nb, d, 2));
            let mut out = vec![0.0; na * nb];
            for sum in [Sum::Product, Sum::SquaredDifference] {
                pairwise(&a, &b, sum, false, &mut out);
                for i in 0..na {
                    for j in 0..nb {
                        let alone = Block {
                            a: [&a[i][..]],
                            b: [&b[j][..]],
                            len: d,
                        }
                        .portable(sum)[0][0];
                        assert_eq!(out[i * nb + j].to_bits(), alone.to_bits(), "{i} {j}");
                        let naive: f64 = (a[i].iter().zip(&b[j]))
                            .map(|(x, y)| sum.step(*x, *y, 0.0))
                            .sum();
                        assert!((alone - naive).abs() < 1e-12, "{alone} vs {naive}");
                    }
                }
            }
            let sym = squared_distances(&a);
            for i in 0..na {
                for j in 0..na {
                    let alone = Block {
                        a: [&a[i][..]],
                        b: [&a[j][..]],
                        len: d,
                    };
                    let alone = alone.portable(Sum::SquaredDifference);
                    assert_eq!(sym[i * na + j], alone[0][0], "{i} {j}");
                }
            }
        }
    }
}
