use super::*;
use rand::{Rng, SeedableRng};

fn noise(len: usize, seed: u64) -> Vec<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.random::<f64>() * 2.0 - 1.0).collect()
}

/// Σ w·S(x).
fn weighted(s: &mut Scattering, x: &[f64], w: &[f64]) -> f64 {
    let mut out = vec![0.0; w.len()];
    s.transform(x, &mut out);
    out.iter().zip(w).map(|(a, b)| a * b).sum()
}

#[test]
fn the_gradient_equals_finite_differences_on_random_directions() {
    for (j, shape, q) in [(5, 1000, (8, 2)), (4, 512, (4, 1))] {
        let mut s = Scattering::new(j, shape, q).unwrap();
        let size = s.paths().len() * s.frames();
        let (x, w) = (noise(shape, 1), noise(size, 2));
        weighted(&mut s, &x, &w);
        let mut grad = vec![0.0; shape];
        s.gradient(&w, &mut grad);
        for seed in 3..6 {
            let d = noise(shape, seed);
            let h = 1e-5;
            let at = |t: f64| -> Vec<f64> { x.iter().zip(&d).map(|(x, d)| x + t * d).collect() };
            let numeric =
                (weighted(&mut s, &at(h), &w) - weighted(&mut s, &at(-h), &w)) / (2.0 * h);
            let analytic: f64 = grad.iter().zip(&d).map(|(g, d)| g * d).sum();
            let error = (numeric - analytic).abs() / analytic.abs();
            assert!(
                error < 1e-4,
                "J {j} N {shape} Q {q:?}: {analytic} vs {numeric}"
            );
        }
    }
}

#[test]
fn silence_has_zero_coefficients_and_a_finite_gradient() {
    let mut s = Scattering::new(6, 2000, (8, 1)).unwrap();
    let size = s.paths().len() * s.frames();
    let mut out = vec![1.0; size];
    s.transform(&vec![0.0; 2000], &mut out);
    assert!(out.iter().all(|v| *v == 0.0));
    let mut grad = vec![f64::NAN; 2000];
    let mut weights = noise(size, 1);
    s.gradient(&weights, &mut grad);
    assert!(grad.iter().all(|g| g.is_finite()));
    // Order 0 is linear in x; every other row passes through a modulus at 0.
    weights[..s.frames()].fill(0.0);
    s.gradient(&weights, &mut grad);
    assert!(
        grad.iter().all(|g| *g == 0.0),
        "the modulus's derivative at 0 is taken as 0"
    );
}

#[test]
fn paths_come_in_kymatios_order_with_second_order_only_to_coarser_octaves() {
    let s = Scattering::new(6, 4096, (8, 2)).unwrap();
    let meta = s.meta();
    assert_eq!(meta[0].order, 0);
    let orders: Vec<u8> = meta.iter().map(|m| m.order).collect();
    assert!(orders.windows(2).all(|w| w[0] <= w[1]), "orders ascend");
    let firsts = orders.iter().filter(|o| **o == 1).count();
    assert_eq!(firsts, s.bank.psi1.len());
    for m in meta.iter().filter(|m| m.order == 2) {
        assert!(m.j[1] > m.j[0], "{m:?}");
    }
    let twos: Vec<_> = (meta.iter().filter_map(|m| m.n[0].zip(m.n[1]))).collect();
    assert!(twos.windows(2).all(|w| w[0] < w[1]), "by (n1, n2)");
}

#[test]
fn lengths_too_short_for_the_averaging_scale_and_bad_settings_are_refused() {
    assert!(Scattering::new(6, 8, (8, 1)).is_err());
    assert!(Scattering::new(0, 4096, (8, 1)).is_err());
    assert!(Scattering::new(6, 4096, (0, 1)).is_err());
    // 512 samples padded to 1024 span 256..768: inside a single frame of 2^10, so none.
    assert!(Scattering::new(10, 512, (8, 1)).is_err());
}

#[test]
fn every_length_either_is_refused_or_transforms_into_at_least_one_frame() {
    // The frame bounds, for every length and averaging scale (cheap: no filters).
    for log2_t in 0..=13 {
        for shape in 2..9000 {
            for support in [1, 50, 3000] {
                if let Ok(p) = Padding::new(shape, log2_t, support) {
                    assert!(p.start < p.end, "2^{log2_t}, {shape} samples");
                }
            }
        }
    }
    // Whole transforms at the lengths where frames begin to fit: around each power of two.
    for j in 1..=12 {
        for shape in (1..=13).flat_map(|k| [(1 << k) - 1, 1 << k, (1 << k) + 1]) {
            let Ok(mut s) = Scattering::new(j, shape, (4, 1)) else {
                continue;
            };
            assert!(s.frames() > 0, "J {j}, {shape} samples");
            let mut out = vec![0.0; s.paths().len() * s.frames()];
            s.transform(&noise(shape, 7), &mut out);
            assert!(out.iter().all(|v| v.is_finite()), "J {j}, {shape} samples");
        }
    }
}

#[test]
fn the_bold_driver_and_lbfgs_lower_the_loss_from_noise() {
    let shape = 1024;
    let mut s = Scattering::new(5, shape, (8, 1)).unwrap();
    let x: Vec<f64> = (0..shape)
        .map(|i| (0.3 * i as f64).sin() * (0.01 * i as f64).cos())
        .collect();
    let mut target = vec![0.0; s.paths().len() * s.frames()];
    s.transform(&x, &mut target);
    for method in [Method::BoldDriver, Method::Lbfgs] {
        let settings = ReconstructionSettings {
            method,
            iterations: 30,
            ..Default::default()
        };
        let found = reconstruct(
            Scattering::new(5, shape, (8, 1)).unwrap(),
            target.clone(),
            noise(shape, 7),
            &settings,
            &|| false,
            &mut |_, _| {},
        )
        .unwrap();
        assert!(
            found.final_loss < 0.5 * found.loss[0],
            "{method:?}: {} -> {}",
            found.loss[0],
            found.final_loss
        );
        assert!(found.relative_error() < 1.0);
    }
}

#[test]
fn a_filter_s_nonzero_runs_are_cut_at_block_edges() {
    let filter = Filter::from(vec![
        0.0, 1.0, 2.0, 0.0, 0.0, 3.0, 4.0, 5.0, 6.0, 0.0, 7.0, 0.0,
    ]);
    assert_eq!(filter.nonzero, vec![1..3, 5..9, 10..11]);
    let pieces: Vec<_> = filter.pieces(4).collect();
    assert_eq!(pieces, vec![1..3, 5..8, 8..9, 10..11]);
    // Every nonzero value lies in exactly one piece, and every piece within one block.
    let covered: usize = pieces.iter().map(|p| p.len()).sum();
    assert_eq!(covered, filter.values.iter().filter(|v| **v != 0.0).count());
    assert!(pieces.iter().all(|p| p.start / 4 == (p.end - 1) / 4));
}
