//! Gradient descent on FIR taps, as the classic lab does it: taps initialised to ones, MSE loss
//! with reduction 'sum' over a batch of 16 pairs, 20 epochs, learning rate 0.005, batches drawn by
//! a seeded shuffle. It implements the intended y(n) = sum_k h(k) x(n-k) (the lab's `roll(1)` then
//! `x[:, 0] = 0` zeroes the whole signal after the first tap, so only tap 0 ever trains).
//!
//! Step rule: the lab's raw step diverges within an epoch at normal audio levels, so each step is
//! divided by the batch's input energy E = sum over the batch of x(n)^2 (normalised LMS). The
//! Hessian of the summed loss is 2R with largest eigenvalue at most 2 K E, so the step times that
//! eigenvalue is at most 2 K lr: below 2, hence no divergence, for any lr < 1/K (0.005 with
//! K = 81 gives 0.81). Adam (Kingma and Ba 2015) is the other optimiser, on the same gradient.

use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::analysis::denoise::Pair;

/// Which update the gradient drives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Optimiser {
    /// Plain SGD with the energy-normalised step.
    Sgd,
    /// Adam with the lab's learning rate, default betas.
    Adam,
}

#[derive(Clone, Copy, Debug)]
pub struct SgdConfig {
    pub taps: usize,
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub seed: u64,
    pub optimiser: Optimiser,
}

impl SgdConfig {
    /// The lab's settings.
    pub fn lab(taps: usize, seed: u64, optimiser: Optimiser) -> Self {
        Self {
            taps,
            epochs: 20,
            batch: 16,
            learning_rate: 0.005,
            seed,
            optimiser,
        }
    }
}

/// y = h * x, zero history, in f64.
fn filter(h: &[f64], x: &[f32], y: &mut [f64]) {
    for (n, out) in y.iter_mut().enumerate() {
        let k_max = h.len().min(n + 1);
        *out = (0..k_max).map(|k| h[k] * x[n - k] as f64).sum();
    }
}

/// Mean squared error of taps `h` over `pairs` (per sample).
pub fn mse(h: &[f64], pairs: &[Pair]) -> f64 {
    let (mut err, mut count) = (0.0, 0usize);
    for p in pairs {
        let mut y = vec![0.0; p.noisy.len()];
        filter(h, &p.noisy, &mut y);
        err += y
            .iter()
            .zip(&p.clean)
            .map(|(a, b)| (a - *b as f64).powi(2))
            .sum::<f64>();
        count += y.len();
    }
    err / count.max(1) as f64
}

/// Trains taps on `train`; after each epoch `report(epoch, train_mse, test_mse)` is called.
pub fn train(
    config: &SgdConfig,
    train: &[Pair],
    test: &[Pair],
    mut report: impl FnMut(usize, f64, f64),
) -> Vec<f32> {
    let k = config.taps;
    let mut h = vec![1.0f64; k];
    let (mut m, mut v) = (vec![0.0f64; k], vec![0.0f64; k]);
    let (beta1, beta2, eps) = (0.9f64, 0.999f64, 1e-8f64);
    let mut step_count = 0i32;
    let mut rng = rand::rngs::StdRng::seed_from_u64(config.seed);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut grad = vec![0.0f64; k];
    for epoch in 1..=config.epochs {
        order.shuffle(&mut rng);
        for batch in order.chunks(config.batch) {
            grad.fill(0.0);
            let mut energy = 0.0;
            for &i in batch {
                let p = &train[i];
                let mut y = vec![0.0; p.noisy.len()];
                filter(&h, &p.noisy, &mut y);
                // d/dh_k of sum_n (y(n) - d(n))^2 = 2 sum_n e(n) x(n-k).
                for (n, (yn, dn)) in y.iter().zip(&p.clean).enumerate() {
                    let e = 2.0 * (yn - *dn as f64);
                    for (kk, g) in grad.iter_mut().enumerate().take(k.min(n + 1)) {
                        *g += e * p.noisy[n - kk] as f64;
                    }
                }
                energy += p.noisy.iter().map(|x| (*x as f64).powi(2)).sum::<f64>();
            }
            step_count += 1;
            match config.optimiser {
                Optimiser::Sgd => {
                    let step = config.learning_rate / energy.max(1e-12);
                    h.iter_mut().zip(&grad).for_each(|(w, g)| *w -= step * g);
                }
                Optimiser::Adam => {
                    let (c1, c2) = (1.0 - beta1.powi(step_count), 1.0 - beta2.powi(step_count));
                    for i in 0..k {
                        m[i] = beta1 * m[i] + (1.0 - beta1) * grad[i];
                        v[i] = beta2 * v[i] + (1.0 - beta2) * grad[i] * grad[i];
                        h[i] -= config.learning_rate * (m[i] / c1) / ((v[i] / c2).sqrt() + eps);
                    }
                }
            }
        }
        report(epoch, mse(&h, train), mse(&h, test));
    }
    h.iter().map(|v| *v as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Pairs whose clean signal is a known short filter of the noisy one.
    fn synthetic(count: usize, seed: u64) -> Vec<Pair> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        (0..count)
            .map(|i| {
                // Loud input (0.5 RMS-ish): the raw lab step would diverge here.
                let noisy: Vec<f32> = (0..500).map(|_| rng.random::<f32>() * 2.0 - 1.0).collect();
                let mut clean = vec![0.0; noisy.len()];
                filter(&[0.6, 0.3, -0.1], &noisy, &mut clean);
                Pair {
                    name: i.to_string(),
                    sample_rate: 32000,
                    noisy,
                    clean: clean.iter().map(|v| *v as f32).collect(),
                    noise_type: None,
                }
            })
            .collect()
    }

    #[test]
    fn sgd_and_adam_converge_without_diverging_on_loud_input() {
        let (train_set, test_set) = (synthetic(160, 1), synthetic(8, 2));
        for optimiser in [Optimiser::Sgd, Optimiser::Adam] {
            let config = SgdConfig::lab(8, 0, optimiser);
            let mut history = Vec::new();
            let h = train(&config, &train_set, &test_set, |_, tr, te| {
                history.push((tr, te))
            });
            assert_eq!(history.len(), 20);
            assert!(history.iter().all(|(a, b)| a.is_finite() && b.is_finite()));
            let first = mse(&[1.0; 8], &test_set);
            let last = history.last().unwrap().1;
            // Every epoch improves on the last (the step rule never overshoots) ...
            assert!(
                history.windows(2).all(|w| w[1].0 < w[0].0),
                "{optimiser:?}: {history:?}"
            );
            assert!(last < 0.5 * first, "{optimiser:?}: {first} -> {last}");
            // ... and Adam, not bound to the worst case, gets to the filter.
            if optimiser == Optimiser::Adam {
                assert!((h[0] - 0.6).abs() < 0.05, "{h:?}");
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_taps() {
        let data = synthetic(20, 3);
        let config = SgdConfig::lab(4, 9, Optimiser::Sgd);
        let a = train(&config, &data, &[], |_, _, _| {});
        let b = train(&config, &data, &[], |_, _, _| {});
        assert_eq!(a, b);
    }
}
