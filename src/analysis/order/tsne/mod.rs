//! t-SNE (van der Maaten and Hinton 2008) with scikit-learn's schedule, exact or Barnes-Hut (van
//! der Maaten 2014), in one or two dimensions.
//!
//! - Exact: affinities over all pairs, the gradient summed over all pairs. O(n²) time and memory
//!   per iteration.
//! - Barnes-Hut: affinities over each point's 3·perplexity nearest neighbours (a sparse P), the
//!   attraction summed over those, the repulsion from a space-partitioning tree of the embedding
//!   (a binary tree in 1-D, a quadtree in 2-D) in which a cell seen from a point under an angle
//!   below θ = 0.5 (cell width / distance) acts as one body at its centre of mass.
//!   O(n log n) per iteration.

use rand::{Rng, SeedableRng};

use super::embed::{pca, squared_distances};

crate::choice! {
    /// The `reorder_tsne` options.
    #[derive(Default, serde::Serialize, clap::ValueEnum)]
    #[serde(rename_all = "kebab-case")]
    pub enum TsneMethod {
        Exact = "Exact",
        /// scikit-learn's default.
        #[default]
        BarnesHut = "Barnes-Hut",
    }
}

/// t-SNE settings; the defaults are scikit-learn's.
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

/// Barnes-Hut's accuracy: a cell is summarised when its width is below θ times its distance.
const THETA: f64 = 0.5;
/// Deeper than this, points that (nearly) coincide share a leaf.
const MAX_DEPTH: usize = 40;

/// The conditional affinities p(j|i) of one point over `distances` (squared, to its
/// candidates): a Gaussian whose width gives perplexity e^`entropy`, found by bisection on its
/// precision. Weights are relative to the nearest candidate, so exp() never underflows to 0.
fn conditional(distances: &[f64], entropy: f64) -> Vec<f64> {
    let min = distances.iter().copied().fold(f64::MAX, f64::min);
    let mean = distances.iter().sum::<f64>() / distances.len().max(1) as f64;
    // Scale-free start: distances relative to their mean.
    let (mut lo, mut hi, mut beta) = (0.0f64, f64::INFINITY, 1.0 / mean.max(f64::MIN_POSITIVE));
    for _ in 0..200 {
        let (mut sum, mut weighted) = (0.0, 0.0);
        for d in distances {
            let w = (-(d - min) * beta).exp();
            sum += w;
            weighted += w * (d - min);
        }
        // Entropy of the distribution, in nats.
        let h = sum.ln() + beta * weighted / sum;
        if (h - entropy).abs() < 1e-5 {
            break;
        }
        if h > entropy {
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
    let mut p: Vec<f64> = distances
        .iter()
        .map(|d| (-(d - min) * beta).exp())
        .collect();
    let sum: f64 = p.iter().sum();
    p.iter_mut().for_each(|v| *v /= sum);
    p
}

/// Dense symmetric affinities for exact t-SNE: (P + Pᵀ) / 2n over all pairs.
fn dense_affinities(features: &[Vec<f64>], perplexity: f64) -> Vec<f64> {
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

/// Sparse symmetric affinities for Barnes-Hut: each point's conditional affinities over its
/// min(n - 1, 3·perplexity + 1) nearest neighbours, then (P + Pᵀ) / 2n. Row i lists (j, p_ij).
fn sparse_affinities(features: &[Vec<f64>], perplexity: f64) -> Vec<Vec<(usize, f64)>> {
    let n = features.len();
    let k = ((3.0 * perplexity + 1.0) as usize).clamp(1, n - 1);
    let entropy = perplexity.min(k as f64).max(1.0).ln();
    let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    let mut candidates: Vec<(usize, f64)> = Vec::with_capacity(n);
    for i in 0..n {
        candidates.clear();
        candidates.extend((0..n).filter(|j| *j != i).map(|j| {
            let d: f64 = features[i]
                .iter()
                .zip(&features[j])
                .map(|(a, b)| (a - b) * (a - b))
                .sum();
            (j, d)
        }));
        let by_distance =
            |a: &(usize, f64), b: &(usize, f64)| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0));
        candidates.select_nth_unstable_by(k - 1, by_distance);
        let nearest = &mut candidates[..k];
        nearest.sort_by(by_distance);
        let distances: Vec<f64> = nearest.iter().map(|c| c.1).collect();
        let p = conditional(&distances, entropy);
        for ((j, _), v) in nearest.iter().zip(p) {
            let v = v / (2.0 * n as f64);
            rows[i].push((*j, v));
            rows[*j].push((i, v));
        }
    }
    // Merge the two halves of each pair that appears in both directions.
    for row in &mut rows {
        row.sort_by_key(|e| e.0);
        row.dedup_by(|b, a| {
            if a.0 == b.0 {
                a.1 += b.1;
                true
            } else {
                false
            }
        });
    }
    rows
}

/// A node of the space-partitioning tree: a cell of half-width `half` around `centre`.
#[derive(Clone, Copy)]
struct Node<const K: usize> {
    centre: [f64; K],
    half: f64,
    mass: f64,
    /// Sum of the positions of the points in the cell (centre of mass = sum / mass).
    sum: [f64; K],
    /// Index of the first of the 2^K children (0: a leaf).
    children: usize,
    /// A leaf's first point (`usize::MAX`: empty); more follow through `Tree::next`.
    first: usize,
}

/// A binary tree (K = 1) or quadtree (K = 2) over the embedding.
struct Tree<const K: usize> {
    nodes: Vec<Node<K>>,
    /// Next point in the same leaf (for points that share a leaf at the depth limit).
    next: Vec<usize>,
}

impl<const K: usize> Tree<K> {
    fn new(y: &[f64]) -> Self {
        let n = y.len() / K;
        let (mut lo, mut hi) = ([f64::MAX; K], [f64::MIN; K]);
        for point in y.chunks_exact(K) {
            for c in 0..K {
                lo[c] = lo[c].min(point[c]);
                hi[c] = hi[c].max(point[c]);
            }
        }
        let centre: [f64; K] = std::array::from_fn(|c| (lo[c] + hi[c]) / 2.0);
        let half = (0..K).map(|c| hi[c] - lo[c]).fold(0.0, f64::max) / 2.0 * (1.0 + 1e-9) + 1e-12;
        let mut tree = Self {
            nodes: vec![Self::empty(centre, half)],
            next: vec![usize::MAX; n],
        };
        for (i, point) in y.chunks_exact(K).enumerate() {
            tree.insert(i, point, y);
        }
        tree
    }

    fn empty(centre: [f64; K], half: f64) -> Node<K> {
        Node {
            centre,
            half,
            mass: 0.0,
            sum: [0.0; K],
            children: 0,
            first: usize::MAX,
        }
    }

    /// The child of `node` whose cell holds `point`.
    fn child(&self, node: usize, point: &[f64]) -> usize {
        let n = &self.nodes[node];
        let quadrant: usize = (0..K)
            .map(|c| ((point[c] > n.centre[c]) as usize) << c)
            .sum();
        n.children + quadrant
    }

    fn insert(&mut self, i: usize, point: &[f64], y: &[f64]) {
        let mut node = 0;
        for depth in 0.. {
            let n = &mut self.nodes[node];
            n.mass += 1.0;
            for c in 0..K {
                n.sum[c] += point[c];
            }
            if n.children == 0 {
                if n.first == usize::MAX {
                    n.first = i;
                    return;
                }
                if depth >= MAX_DEPTH {
                    self.next[i] = n.first;
                    n.first = i;
                    return;
                }
                // Split the leaf and move its point one level down.
                let (centre, half, resident) = (n.centre, n.half / 2.0, n.first);
                n.first = usize::MAX;
                let children = self.nodes.len();
                self.nodes[node].children = children;
                for quadrant in 0..1 << K {
                    let c: [f64; K] = std::array::from_fn(|d| {
                        centre[d] + if quadrant >> d & 1 == 1 { half } else { -half }
                    });
                    self.nodes.push(Self::empty(c, half));
                }
                let at = &y[resident * K..(resident + 1) * K];
                let child = self.child(node, at);
                let leaf = &mut self.nodes[child];
                leaf.mass = 1.0;
                leaf.sum.copy_from_slice(at);
                leaf.first = resident;
            }
            node = self.child(node, point);
        }
    }

    /// The repulsion on point `i`: Σ q²·(yᵢ - yⱼ) over the others (cells far enough as one
    /// body), into `force`; returns its share of the normalisation Z = Σ q.
    fn repulsion(&self, i: usize, y: &[f64], force: &mut [f64; K], stack: &mut Vec<usize>) -> f64 {
        let yi = &y[i * K..(i + 1) * K];
        let mut z = 0.0;
        let mut body = |mass: f64, at: &[f64], force: &mut [f64; K]| {
            let diff: [f64; K] = std::array::from_fn(|c| yi[c] - at[c]);
            let q = 1.0 / (1.0 + diff.iter().map(|d| d * d).sum::<f64>());
            z += mass * q;
            for c in 0..K {
                force[c] += mass * q * q * diff[c];
            }
        };
        stack.clear();
        stack.push(0);
        while let Some(index) = stack.pop() {
            let node = &self.nodes[index];
            if node.mass == 0.0 {
                continue;
            }
            if node.children == 0 {
                let mut j = node.first;
                while j != usize::MAX {
                    if j != i {
                        body(1.0, &y[j * K..(j + 1) * K], force);
                    }
                    j = self.next[j];
                }
                continue;
            }
            let com: [f64; K] = std::array::from_fn(|c| node.sum[c] / node.mass);
            let d2: f64 = (0..K).map(|c| (yi[c] - com[c]).powi(2)).sum();
            let width = 2.0 * node.half;
            if width * width < THETA * THETA * d2 {
                body(node.mass, &com, force);
            } else {
                stack.extend(node.children..node.children + (1 << K));
            }
        }
        z
    }
}

/// How the gradient is computed: from dense affinities and all pairs, or Barnes-Hut.
enum Gradient {
    Exact { p: Vec<f64>, kernel: Vec<f64> },
    BarnesHut { p: Vec<Vec<(usize, f64)>> },
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
                p: sparse_affinities(features, settings.perplexity),
            },
        }
    }

    /// The gradient of KL(P‖Q) at `y` (n points of K coordinates), P scaled by `exaggeration`.
    fn compute<const K: usize>(&mut self, y: &[f64], exaggeration: f64, grad: &mut [f64]) {
        let n = y.len() / K;
        match self {
            Gradient::Exact { p, kernel } => {
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
            Gradient::BarnesHut { p } => {
                let tree = Tree::<K>::new(y);
                let mut repulsion = vec![[0.0f64; K]; n];
                let mut stack = Vec::new();
                let z: f64 = (0..n)
                    .map(|i| tree.repulsion(i, y, &mut repulsion[i], &mut stack))
                    .sum();
                for i in 0..n {
                    let mut g = [0.0f64; K];
                    for &(j, pij) in &p[i] {
                        let diff: [f64; K] = std::array::from_fn(|c| y[i * K + c] - y[j * K + c]);
                        let q = 1.0 / (1.0 + diff.iter().map(|d| d * d).sum::<f64>());
                        for c in 0..K {
                            g[c] += 4.0 * exaggeration * pij * q * diff[c];
                        }
                    }
                    for c in 0..K {
                        grad[i * K + c] = g[c] - 4.0 * repulsion[i][c] / z;
                    }
                }
            }
        }
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
        gradient.compute::<K>(&y, exaggeration, &mut grad);
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

#[cfg(test)]
mod tests;
