//! Cost of the whole chain (denoise FIR → STFT with or without frame operations, reordering and
//! phase rebuilding → mix → gain) on 512-sample stereo blocks of real speech, as the audio callback runs it.
//! Throughput is the block's stereo sample count, so the time per iteration divided by 1024 is the
//! cost per sample. Similarity orders are computed by the worker thread, outside the callback.

mod common;

use std::sync::Arc;

use common::{speech, Blocks, BLOCK};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use phasewright::engine::{Engine, EngineConfig, EngineShared, Layout};
use phasewright::params::ParamId;
use phasewright::stages::frame_memory::ReorderMode;
use phasewright::worker::Executor;

fn chain(c: &mut Criterion) {
    let (rate, signal) = speech("espeak_00_en.wav");
    let mut group = c.benchmark_group("chain");
    group.throughput(Throughput::Elements(2 * BLOCK as u64));
    // All frame operations on: random phase (the costliest), permutation, reversal, checkerboard.
    let all_ops = [
        (ParamId::SpecPhase, 3.0),
        (ParamId::SpecPermute, 1.0),
        (ParamId::SpecReverse, 1.0),
        (ParamId::SpecCheckerboard, 1.0),
    ];
    // Phase reset with the phase stage rebuilding every frame's phase (RTPGHI).
    let rebuild = [(ParamId::SpecPhase, 1.0), (ParamId::PhaseMode, 1.0)];
    // The same with RTPGHI looking a frame ahead (a layout setting).
    let rebuild_ahead = [
        (ParamId::SpecPhase, 1.0),
        (ParamId::PhaseMode, 1.0),
        (ParamId::PhaseLookahead, 1.0),
    ];
    // Capture mode with the capture playing: a frozen second looping in PCA order.
    let capture = [(ParamId::ReorderOrder, 2.0), (ParamId::ReorderCapture, 1.0)];
    let (off, segment, capture_mode) =
        (ReorderMode::Off, ReorderMode::Segment, ReorderMode::Capture);
    for (name, window, reorder, settings) in [
        ("identity_window_2048_overlap_4", 2048, off, &[][..]),
        ("identity_window_16384_overlap_4", 16384, off, &[][..]),
        ("frame_ops_window_2048_overlap_4", 2048, off, &all_ops[..]),
        (
            "phase_rebuild_window_2048_overlap_4",
            2048,
            off,
            &rebuild[..],
        ),
        (
            "phase_rebuild_lookahead_window_2048_overlap_4",
            2048,
            off,
            &rebuild_ahead[..],
        ),
        ("segment_pca_window_2048_overlap_4", 2048, segment, &[][..]),
        (
            "capture_playing_window_2048_overlap_4",
            2048,
            capture_mode,
            &capture[..],
        ),
    ] {
        let layout = Layout {
            window,
            overlap: 4,
            reorder,
            reorder_seconds: 1.0,
            phase_lookahead: settings.contains(&(ParamId::PhaseLookahead, 1.0)),
        };
        let config = EngineConfig::new(rate as f32, 2, Executor::Thread).with_layout(layout);
        let mut engine = Engine::new(config, Arc::new(EngineShared::default())).unwrap();
        for &(id, value) in settings {
            engine.set(id, value);
        }
        let mut blocks = Blocks::new(&signal);
        group.bench_function(name, |b| {
            b.iter(|| {
                blocks.advance();
                engine.process(
                    &mut [&mut blocks.left, &mut blocks.right],
                    None::<&[&[f32]]>,
                );
            })
        });
    }
    group.finish();
}

criterion_group!(benches, chain);
criterion_main!(benches);
