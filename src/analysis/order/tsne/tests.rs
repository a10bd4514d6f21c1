use super::*;
use crate::analysis::order::embed::argsort;
use crate::analysis::order::embed::tests::clusters;

#[test]
fn tsne_keeps_clusters_contiguous_and_repeats_with_its_seed() {
    let (features, labels) = clusters();
    for method in [TsneMethod::Exact, TsneMethod::BarnesHut, TsneMethod::Fft] {
        let settings = TsneSettings {
            perplexity: 10.0,
            method,
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
            assert!(changes <= 4, "{method:?} seed {seed}: {seq}");
            assert_eq!(tsne_1d(&features, &settings), y);
        }
    }
}

/// Seeded points in K dimensions.
fn scatter<const K: usize>(n: usize) -> Vec<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    (0..n * K)
        .map(|_| rng.random::<f64>() * 10.0 - 5.0)
        .collect()
}

/// The repulsion on point i summed over every other point, the sum of the magnitudes of
/// its terms (the scale of its error), and Z's share.
fn exact_repulsion<const K: usize>(y: &[f64], i: usize) -> ([f64; K], f64, f64) {
    let (mut force, mut gross, mut z) = ([0.0; K], 0.0, 0.0);
    for j in (0..y.len() / K).filter(|j| *j != i) {
        let diff: [f64; K] = std::array::from_fn(|c| y[i * K + c] - y[j * K + c]);
        let q = 1.0 / (1.0 + diff.iter().map(|d| d * d).sum::<f64>());
        z += q;
        for c in 0..K {
            force[c] += q * q * diff[c];
            gross += q * q * diff[c].abs();
        }
    }
    (force, gross, z)
}

fn check_tree<const K: usize>() {
    let mut y = scatter::<K>(300);
    // Two points on top of each other share a leaf at the depth limit.
    y.copy_within(0..K, K);
    let tree = Tree::<K>::new(&y);
    let mut stack = Vec::new();
    let (mut worst_force, mut worst_z) = (0.0f64, 0.0f64);
    for i in 0..300 {
        let mut force = [0.0; K];
        let z = tree.repulsion(i, &y, &mut force, &mut stack);
        let (exact, gross, exact_z) = exact_repulsion::<K>(&y, i);
        for c in 0..K {
            worst_force = worst_force.max((force[c] - exact[c]).abs() / gross);
        }
        worst_z = worst_z.max((z - exact_z).abs() / exact_z);
    }
    eprintln!("{K}-D tree: force error {worst_force:.4} of its terms, Z error {worst_z:.4}");
    // θ = 0.5 keeps the summarised terms within a few per cent.
    assert!(
        worst_force < 0.03 && worst_z < 0.02,
        "{K}-D: {worst_force} {worst_z}"
    );
}

#[test]
fn the_tree_s_repulsion_is_close_to_the_sum_over_all_points() {
    check_tree::<1>();
    check_tree::<2>();
}

#[test]
fn sparse_affinities_are_symmetric_and_sum_to_one() {
    let (features, _) = clusters();
    let p = sparse_affinities(&features, 5.0);
    let total: f64 = p.values().iter().map(|v| *v as f64).sum();
    assert!((total - 1.0).abs() < 1e-6, "{total}");
    for i in 0..features.len() {
        let (columns, values) = p.row(i);
        assert!(columns.len() >= 16 && columns.iter().all(|j| *j as usize != i));
        assert!(columns.windows(2).all(|w| w[0] < w[1]));
        for (j, v) in columns.iter().zip(values) {
            let (back_columns, back_values) = p.row(*j as usize);
            let back = back_columns.iter().position(|c| *c as usize == i);
            let back = back.map(|k| back_values[k]).expect("symmetric");
            assert_eq!(back, *v);
        }
    }
}

/// The perplexity of each conditional distribution is the one asked for.
#[test]
fn conditional_affinities_have_the_perplexity_asked_for() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    for (count, perplexity) in [(91, 30.0), (40, 5.0), (500, 100.0)] {
        // Distances spread over many scales, as between spectra.
        let distances: Vec<f64> = (0..count)
            .map(|_| 10f64.powf(rng.random::<f64>() * 6.0))
            .collect();
        let p = affinities::conditional(&distances, f64::ln(perplexity));
        let entropy: f64 = -p
            .iter()
            .filter(|v| **v > 0.0)
            .map(|v| v * v.ln())
            .sum::<f64>();
        let sum: f64 = p.iter().sum();
        assert!((sum - 1.0).abs() < 1e-12, "{sum}");
        assert!(
            (entropy.exp() - perplexity).abs() < 1e-3 * perplexity,
            "{count} {perplexity}: {}",
            entropy.exp()
        );
    }
}
