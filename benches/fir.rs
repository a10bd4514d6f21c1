//! The denoise stage's zero-latency FIR on 512-sample stereo blocks of real speech, for short,
//! medium and the longest filters. Throughput is the block's stereo sample count, so the time per
//! iteration divided by 1024 is the cost per sample.

mod common;

use common::{speech, Blocks, BLOCK};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use phasewright::dsp::fir::{FirFilter, FirKernel};
use rand::{Rng, SeedableRng};

fn fir(c: &mut Criterion) {
    let (_, signal) = speech("espeak_01_en.wav");
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut group = c.benchmark_group("fir");
    group.throughput(Throughput::Elements(2 * BLOCK as u64));
    for taps in [81usize, 1024, 16384] {
        let h: Vec<f32> = (0..taps)
            .map(|_| (rng.random::<f32>() - 0.5) / taps as f32)
            .collect();
        let mut stage = FirFilter::new(2);
        stage.install(Box::new(FirKernel::new(&h).unwrap()), 0);
        let mut blocks = Blocks::new(&signal);
        group.bench_function(BenchmarkId::new("taps", taps), |b| {
            b.iter(|| {
                blocks.advance();
                stage.process(&mut [&mut blocks.left, &mut blocks.right]);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, fir);
criterion_main!(benches);
