//! The 1-D scattering transform as kymatio 0.3 computes `Scattering1D(J, shape, Q)` (numpy
//! frontend; defaults T = 2^J, max_order 2, average on, oversampling 0), its gradient, and the
//! reconstruction of a signal from its coefficients.
//!
//! The signal is reflect-padded to a power of two, and in the Fourier domain:
//! - order 0: the low-pass φ, subsampled by T;
//! - order 1: for each first-order wavelet ψ₁ (octave j₁), U₁ = |x ⋆ ψ₁| subsampled by 2^j₁,
//!   then low-passed and subsampled to T;
//! - order 2: for each ψ₂ of a coarser octave (j₂ > j₁), U₂ = |U₁ ⋆ ψ₂| subsampled by
//!   2^(j₂ − j₁), low-passed and subsampled to T.
//!
//! Subsampling by k in the Fourier domain is the mean of the spectrum's k blocks (kymatio's
//! convention, so every level is a mean, not a sum). Each path's output is cut to the frames
//! that cover the unpadded signal. Rows come in kymatio's order: order 0, order 1 by ψ₁,
//! order 2 by (ψ₁, ψ₂).

mod filter_bank;
mod forward;
mod gradient;
mod octaves;
mod reconstruct;
#[cfg(test)]
mod tests;

pub use reconstruct::{reconstruct, Method, Reconstruction, ReconstructionSettings, Reconstructor};

use filter_bank::{centre_frequencies, morlet, periodise, temporal_support, Bank, Filter, Wavelet};
use octaves::Octaves;
use rustfft::num_complex::Complex64;

/// One row of the output: its order and, for orders 1 and 2, its wavelets' indices in the
/// first- and second-order banks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    Zero,
    One(usize),
    Two(usize, usize),
}

/// What kymatio's `meta()` says of a row: order, octaves (j₁, j₂), centre frequencies and
/// widths (cycles per sample) of its wavelets, None where the order has none.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PathInfo {
    pub order: u8,
    pub j: [Option<u32>; 2],
    pub xi: [Option<f64>; 2],
    pub sigma: [Option<f64>; 2],
    pub n: [Option<usize>; 2],
}

/// How the signal is padded and which output frames are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Padding {
    padded: usize,
    left: usize,
    right: usize,
    /// Output frames start..end at the averaging scale cover the unpadded signal.
    start: usize,
    end: usize,
}

impl Padding {
    /// kymatio's choice: room for three supports of the low-pass on each side, but at most
    /// the power of two below 3N − 2 (so a reflection never runs past the signal); frame
    /// bounds halved (rounding up) once per octave of the averaging scale.
    fn new(shape: usize, log2_t: u32, low_pass_support: usize) -> Result<Self, String> {
        let wanted = (shape + 6 * low_pass_support)
            .next_power_of_two()
            .trailing_zeros();
        let limit = (3 * shape - 2).ilog2();
        let padded = 1usize << wanted.min(limit);
        let left = (padded - shape) / 2;
        let right = padded - shape - left;
        if padded < shape || left.max(right) >= shape || padded >> log2_t == 0 {
            return Err(format!(
                "a signal of {shape} samples is too short for an averaging scale of 2^{log2_t}"
            ));
        }
        let (mut start, mut end) = (left, left + shape);
        for _ in 0..log2_t {
            (start, end) = (start.div_ceil(2), end.div_ceil(2));
        }
        // A signal shorter than the averaging scale can fall between two of its frames.
        if start == end {
            return Err(format!(
                "a signal of {shape} samples gives no frame at an averaging scale of 2^{log2_t}"
            ));
        }
        Ok(Self {
            padded,
            left,
            right,
            start,
            end,
        })
    }
}

/// The transform for signals of one length, with its filters, FFT plans and buffers made
/// once: `transform` and `gradient` allocate nothing.
pub struct Scattering {
    j: u32,
    q: (usize, usize),
    shape: usize,
    /// log2 of the averaging scale T.
    log2_t: u32,
    padding: Padding,
    bank: Bank,
    paths: Vec<Path>,
    octaves: Octaves,
    work: forward::Work,
}

impl Scattering {
    /// `Scattering1D(J = j, shape, Q = q)`, Q as (Q₁, Q₂) (kymatio's int Q is (Q, 1)).
    pub fn new(j: u32, shape: usize, q: (usize, usize)) -> Result<Self, String> {
        if !(1..=16).contains(&j) || q.0 == 0 || q.1 == 0 || q.0 > 64 || q.1 > 64 {
            return Err(format!(
                "J = {j}, Q = {q:?}: need 1 <= J <= 16 and 1 <= Q <= 64"
            ));
        }
        if !(2..=1 << 24).contains(&shape) {
            return Err(format!("a signal of {shape} samples is outside 2 to 2^24"));
        }
        let log2_t = j;
        let averaging = 1usize << log2_t;
        let sigma_phi = 0.1 / averaging as f64;
        let support = temporal_support(&morlet(shape, None, sigma_phi));
        let padding = Padding::new(shape, log2_t, support)?;
        let n = padding.padded;
        let sigma_min = 0.1 / (1u64 << j) as f64;
        let first = centre_frequencies(sigma_min, q.0);
        let second = centre_frequencies(sigma_min, q.1);
        let psi1: Vec<Wavelet> = (first.iter())
            .map(|&(xi, sigma, j)| Wavelet {
                xi,
                sigma,
                j,
                levels: vec![morlet(n, Some(xi), sigma).into()],
            })
            .collect();
        let psi2: Vec<Wavelet> = (second.iter())
            .map(|&(xi, sigma, j2)| {
                // Applied after first-order subsampling by any j₁ < j₂.
                let coarsest = first.iter().map(|f| f.2).filter(|&j1| j1 < j2).max();
                let base = morlet(n, Some(xi), sigma);
                let levels = (1..=coarsest.unwrap_or(0))
                    .map(|octave| periodise(&base, octave))
                    .collect::<Vec<_>>();
                Wavelet {
                    xi,
                    sigma,
                    j: j2,
                    levels: std::iter::once(base)
                        .chain(levels)
                        .map(Filter::from)
                        .collect(),
                }
            })
            .collect();
        let j_max = (first.iter().chain(&second))
            .map(|f| f.2)
            .max()
            .unwrap_or(0);
        let base = morlet(n, None, sigma_phi);
        let phi: Vec<Filter> = std::iter::once(base.clone())
            .chain((1..=j_max.min(log2_t)).map(|octave| periodise(&base, octave)))
            .map(Filter::from)
            .collect();
        let mut paths = vec![Path::Zero];
        paths.extend((0..psi1.len()).map(Path::One));
        for (n1, p1) in psi1.iter().enumerate() {
            paths.extend(
                (psi2.iter().enumerate())
                    .filter(|(_, p2)| p2.j > p1.j)
                    .map(|(n2, _)| Path::Two(n1, n2)),
            );
        }
        let octaves = Octaves::new(n, log2_t);
        let work = forward::Work::new(&padding, log2_t, &psi1, &psi2, &paths);
        Ok(Self {
            j,
            q,
            shape,
            log2_t,
            padding,
            bank: Bank { psi1, psi2, phi },
            paths,
            octaves,
            work,
        })
    }

    pub fn j(&self) -> u32 {
        self.j
    }

    pub fn q(&self) -> (usize, usize) {
        self.q
    }

    /// The signal length.
    pub fn shape(&self) -> usize {
        self.shape
    }

    /// Rows of the output.
    pub fn paths(&self) -> &[Path] {
        &self.paths
    }

    /// Columns of the output: frames at the averaging scale.
    pub fn frames(&self) -> usize {
        self.padding.end - self.padding.start
    }

    /// The padded length the filters are designed at.
    pub fn padded_len(&self) -> usize {
        self.padding.padded
    }

    /// kymatio's `meta()` for every row.
    pub fn meta(&self) -> Vec<PathInfo> {
        let of = |w: &Wavelet| (Some(w.j), Some(w.xi), Some(w.sigma));
        (self.paths.iter())
            .map(|path| {
                let (order, first, second, n) = match *path {
                    Path::Zero => (0, (None, None, None), (None, None, None), [None, None]),
                    Path::One(a) => (
                        1,
                        of(&self.bank.psi1[a]),
                        (None, None, None),
                        [Some(a), None],
                    ),
                    Path::Two(a, b) => (
                        2,
                        of(&self.bank.psi1[a]),
                        of(&self.bank.psi2[b]),
                        [Some(a), Some(b)],
                    ),
                };
                PathInfo {
                    order,
                    j: [first.0, second.0],
                    xi: [first.1, second.1],
                    sigma: [first.2, second.2],
                    n,
                }
            })
            .collect()
    }
}

/// `out` = the spectrum `spectrum` times `filter`, subsampled by `spectrum.len() / out.len()`
/// (the mean of its blocks).
#[inline(always)]
fn filter_and_subsample(spectrum: &[Complex64], filter: &Filter, out: &mut [Complex64]) {
    let len = out.len();
    let scale = len as f64 / spectrum.len() as f64;
    out.fill(Complex64::default());
    for piece in filter.pieces(len) {
        let at = piece.start % len;
        let (s, f) = (&spectrum[piece.clone()], &filter.values[piece]);
        for ((o, s), f) in out[at..at + s.len()].iter_mut().zip(s).zip(f) {
            *o += s * f;
        }
    }
    out.iter_mut().for_each(|o| *o *= scale);
}
