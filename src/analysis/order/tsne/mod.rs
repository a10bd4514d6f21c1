//! t-SNE (van der Maaten and Hinton 2008) with scikit-learn's schedule, in one or two
//! dimensions. The gradient of KL(P‖Q) is an attraction along P's entries and a repulsion
//! between all points:
//!
//! - Exact: affinities over all pairs, the gradient summed over all pairs. O(n²) time and memory
//!   per iteration.
//! - Barnes-Hut: affinities over each point's 4·perplexity nearest neighbours (a sparse P), the
//!   attraction summed over those, the repulsion from a tree (`barnes_hut`). O(n log n).
//! - FFT: the same sparse P, the repulsion interpolated on a grid (`interpolation`). O(n) in
//!   one dimension; two-dimensional embeddings (pictures) take Barnes-Hut's tree instead.
//!
//! With sparse P and a second core, the neighbour search and part of each iteration's
//! attraction run on a helper thread (`helper`), with the same bits as on one.

mod affinities;
mod attraction;
mod barnes_hut;
mod helper;
mod interpolation;

use std::sync::Arc;

use rand::{Rng, SeedableRng};

use super::embed::pca;
use crate::dsp::wide::with_avx;
use affinities::{dense_affinities, sparse_affinities, Sparse};
use attraction::attraction;
use barnes_hut::Tree;
use helper::AttractionHelper;
use interpolation::Interpolation;

crate::choice! {
    /// The `reorder_tsne` options.
    #[derive(Default, serde::Serialize, clap::ValueEnum)]
    #[serde(rename_all = "kebab-case")]
    pub enum TsneMethod {
        Exact = "Exact",
        /// scikit-learn's default.
        BarnesHut = "Barnes-Hut",
        /// As accurate as Barnes-Hut and, in one dimension, about ten times faster.
        #[default]
        Fft = "FFT",
    }
}

/// t-SNE settings; the defaults are scikit-learn's but for the method.
#[derive(Clone, Copy, Debug)]
pub struct TsneSettings {
    pub perplexity: f64,
    pub iterations: usize,
    pub seed: u64,
    pub method: TsneMethod,
}

impl Default for TsneSettings {
    fn default() -> Self {
        Self {
            perplexity: 30.0,
            iterations: 1000,
            seed: 0,
            method: TsneMethod::default(),
        }
    }
}

/// How the gradient is computed: from dense affinities and all pairs, or from sparse ones with
/// the repulsion approximated.
enum Gradient {
    Exact {
        p: Vec<f64>,
        kernel: Vec<f64>,
    },
    BarnesHut {
        p: Arc<Sparse>,
    },
    Fft {
        p: Arc<Sparse>,
        grid: Box<Interpolation>,
    },
}

impl Gradient {
    fn new(features: &[Vec<f64>], settings: &TsneSettings) -> Self {
        let n = features.len();
        match settings.method {
            TsneMethod::Exact => Gradient::Exact {
                p: dense_affinities(features, settings.perplexity),
                kernel: vec![0.0; n * n],
            },
            TsneMethod::BarnesHut => Gradient::BarnesHut {
                p: Arc::new(sparse_affinities(features, settings.perplexity)),
            },
            TsneMethod::Fft => Gradient::Fft {
                p: Arc::new(sparse_affinities(features, settings.perplexity)),
                grid: Box::new(Interpolation::new()),
            },
        }
    }

    /// A thread for the attraction of some of the rows, when sparse P has enough of them.
    fn helper<const K: usize>(&self) -> Option<AttractionHelper<K>> {
        match self {
            Gradient::Exact { .. } => None,
            Gradient::BarnesHut { p } | Gradient::Fft { p, .. } => AttractionHelper::new(p.clone()),
        }
    }

    /// The gradient of KL(P‖Q) at `y` (n points of K coordinates), P scaled by `exaggeration`;
    /// `helper` (from `helper`) computes the attraction of its rows meanwhile.
    fn compute<const K: usize>(
        &mut self,
        y: &[f64],
        exaggeration: f64,
        grad: &mut [f64],
        mut helper: Option<&mut AttractionHelper<K>>,
    ) {
        let n = y.len() / K;
        let scale = 4.0 * exaggeration;
        if let Some(helper) = helper.as_mut() {
            helper.start(y, scale);
        }
        let mut repulsion = vec![0.0f64; n * K];
        let (p, z) = match self {
            Gradient::Exact { p, kernel } => {
                exact_gradient::<K>(p, kernel, y, exaggeration, grad);
                return;
            }
            Gradient::Fft { p, grid } if K == 1 => {
                let z = with_avx(
                    #[inline(always)]
                    || grid.repulsion(y, &mut repulsion),
                );
                (&*p, z)
            }
            Gradient::BarnesHut { p } | Gradient::Fft { p, .. } => {
                let tree = Tree::<K>::new(y);
                let mut stack = Vec::new();
                let z = (repulsion.chunks_exact_mut(K).enumerate())
                    .map(|(i, force)| {
                        let force: &mut [f64; K] = force.try_into().expect("K coordinates");
                        tree.repulsion(i, y, force, &mut stack)
                    })
                    .sum();
                (&*p, z)
            }
        };
        let first = helper.as_ref().map_or(0, |h| h.split());
        attraction::<K>(p, y, scale, first..n, &mut grad[first * K..]);
        if let Some(helper) = helper {
            helper.finish(grad);
        }
        for (g, r) in grad.iter_mut().zip(&repulsion) {
            *g -= 4.0 * r / z;
        }
    }
}

/// The exact gradient: all pairs' kernel, then each point's sum over all others.
fn exact_gradient<const K: usize>(
    p: &[f64],
    kernel: &mut [f64],
    y: &[f64],
    exaggeration: f64,
    grad: &mut [f64],
) {
    let n = y.len() / K;
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
}

/// t-SNE into `K` dimensions with scikit-learn's schedule: early exaggeration 12 for 250
/// iterations, momentum 0.5 then 0.8 (each phase starting afresh), learning rate max(n / 48, 50),
/// per-coordinate gains, and a PCA start scaled to a deviation of 1e-4 (in one dimension a random
/// start traps points on the wrong side of a cluster). A seeded jitter far below that separates
/// identical frames.
fn tsne<const K: usize>(features: &[Vec<f64>], settings: &TsneSettings) -> Vec<Vec<f64>> {
    let n = features.len();
    if n < 3 {
        return (0..n).map(|i| vec![i as f64; K]).collect();
    }
    let mut gradient = Gradient::new(features, settings);
    let start = pca(features, K);
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
    let (mut update, mut gains) = (vec![0.0f64; n * K], vec![1.0f64; n * K]);
    let mut grad = vec![0.0; n * K];
    let mut helper = gradient.helper::<K>();
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
        gradient.compute::<K>(&y, exaggeration, &mut grad, helper.as_mut());
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
    y.chunks(K).map(|c| c.to_vec()).collect()
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

/// KL(P‖Q) of a 1-D embedding against the exact affinities of `features` (all pairs): what
/// every method minimises, to compare their results. O(n²).
pub fn kl_divergence(features: &[Vec<f64>], y: &[f64], perplexity: f64) -> f64 {
    let n = y.len();
    let p = dense_affinities(features, perplexity);
    let kernel = |i: usize, j: usize| 1.0 / (1.0 + (y[i] - y[j]) * (y[i] - y[j]));
    let z: f64 = (0..n)
        .flat_map(|i| (0..n).filter(move |j| *j != i).map(move |j| (i, j)))
        .map(|(i, j)| kernel(i, j))
        .sum();
    (0..n)
        .flat_map(|i| (0..n).filter(move |j| *j != i).map(move |j| (i, j)))
        .map(|(i, j)| {
            let pij = p[i * n + j];
            pij * (pij / (kernel(i, j) / z)).ln()
        })
        .sum()
}

#[cfg(test)]
mod tests;
