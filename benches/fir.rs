//! The denoise stage's zero-latency FIR on 512-sample stereo blocks of real speech, for short,
//! medium and the longest filters. Throughput is set to the block's stereo sample count, so
//! criterion's time per iteration divided by 1024 is the cost per sample.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use phasewright::dsp::fir::{FirKernel, FirStage};
use phasewright::io::read_wav;
use rand::{Rng, SeedableRng};

const BLOCK: usize = 512;

fn fir(c: &mut Criterion) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/speech/espeak_01_en.wav"
    );
    let audio = read_wav(std::path::Path::new(path)).expect("../shared/data beside the repository");
    let signal = &audio.channels[0];
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut group = c.benchmark_group("fir");
    group.throughput(Throughput::Elements(2 * BLOCK as u64));
    for taps in [81usize, 1024, 16384] {
        let h: Vec<f32> = (0..taps)
            .map(|_| (rng.random::<f32>() - 0.5) / taps as f32)
            .collect();
        let mut stage = FirStage::new(2, audio.sample_rate as f32);
        stage.install(Box::new(FirKernel::new(&h).unwrap()), false);
        let (mut left, mut right) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
        let mut pos = 0;
        group.bench_function(BenchmarkId::new("taps", taps), |b| {
            b.iter(|| {
                if pos + BLOCK > signal.len() {
                    pos = 0;
                }
                left.copy_from_slice(&signal[pos..pos + BLOCK]);
                right.copy_from_slice(&signal[pos..pos + BLOCK]);
                pos += BLOCK;
                stage.process(&mut [&mut left, &mut right]);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, fir);
criterion_main!(benches);
