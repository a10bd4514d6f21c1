//! Training 81 taps on all 120 (noisy, clean) pairs of `../shared/data/denoise`, in one run:
//! least squares (correlations + Levinson) against the lab's procedure (SGD, batch 16, 20 epochs).
//! The issue asks for least squares to take under 1/100 of the SGD time.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use phasewright::analysis::denoise::sgd::{self, Optimiser, SgdConfig};
use phasewright::analysis::denoise::taps::least_squares;
use phasewright::cli::pairs::read_pairs_dir;

fn training(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/denoise");
    let pairs = read_pairs_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("train_81_taps_120_pairs");
    // SGD takes seconds per run: the fewest samples criterion allows.
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("least_squares", |b| {
        b.iter(|| least_squares(&pairs, 81).unwrap())
    });
    group.bench_function("sgd_lab", |b| {
        b.iter(|| {
            sgd::train(
                &SgdConfig::lab(81, 0, Optimiser::Sgd),
                &pairs,
                &[],
                |_, _, _| {},
            )
        })
    });
    group.finish();
}

criterion_group!(benches, training);
criterion_main!(benches);
