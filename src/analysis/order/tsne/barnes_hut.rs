//! Barnes-Hut's repulsion (van der Maaten 2014): a space-partitioning tree of the embedding (a
//! binary tree in 1-D, a quadtree in 2-D) in which a cell seen from a point under an angle below
//! θ (cell width / distance) acts as one body at its centre of mass. O(n log n) per iteration.

/// Barnes-Hut's accuracy: a cell is summarised when its width is below θ times its distance.
const THETA: f64 = 0.5;
/// Deeper than this, points that (nearly) coincide share a leaf.
const MAX_DEPTH: usize = 40;

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
pub(super) struct Tree<const K: usize> {
    nodes: Vec<Node<K>>,
    /// Next point in the same leaf (for points that share a leaf at the depth limit).
    next: Vec<usize>,
}

impl<const K: usize> Tree<K> {
    pub fn new(y: &[f64]) -> Self {
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
            for (s, x) in n.sum.iter_mut().zip(point) {
                *s += x;
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
    pub fn repulsion(
        &self,
        i: usize,
        y: &[f64],
        force: &mut [f64; K],
        stack: &mut Vec<usize>,
    ) -> f64 {
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
