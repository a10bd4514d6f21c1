//! Cost of the whole chain (denoise FIR → STFT → mix → gain) on 512-sample stereo blocks of real
//! speech, as the audio callback runs it. Reported per sample (criterion's throughput is set to
//! the block's stereo sample count, so "elements/s" inverts to ns per sample).

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use phasewright::engine::{Engine, EngineConfig, EngineShared};
use phasewright::io::read_wav;
use phasewright::worker::Executor;

const BLOCK: usize = 512;

fn speech() -> (u32, Vec<f32>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/speech/espeak_00_en.wav"
    );
    let audio = read_wav(std::path::Path::new(path)).expect("../shared/data beside the repository");
    (audio.sample_rate, audio.channels[0].clone())
}

fn chain(c: &mut Criterion) {
    let (rate, signal) = speech();
    let mut group = c.benchmark_group("chain");
    group.throughput(Throughput::Elements(2 * BLOCK as u64));
    for (name, window_index) in [
        ("identity_window_2048_overlap_4", 3.0),
        ("identity_window_16384_overlap_4", 6.0),
    ] {
        let config =
            EngineConfig::new(rate as f32, 2, Executor::Thread).with_layout(window_index, 1.0);
        let mut engine = Engine::new(config, Arc::new(EngineShared::default())).unwrap();
        let mut left = vec![0.0f32; BLOCK];
        let mut right = vec![0.0f32; BLOCK];
        let mut pos = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                if pos + BLOCK > signal.len() {
                    pos = 0;
                }
                left.copy_from_slice(&signal[pos..pos + BLOCK]);
                right.copy_from_slice(&signal[pos..pos + BLOCK]);
                pos += BLOCK;
                engine.process(&mut [&mut left, &mut right], None::<&[&[f32]]>);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, chain);
criterion_main!(benches);
