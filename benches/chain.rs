//! Cost of the whole chain (denoise FIR → STFT with or without frame operations, reordering and
//! phase rebuilding → mix → gain) on 512-sample stereo blocks of real speech, as the audio callback runs it.
//! Throughput is the block's stereo sample count, so the time per iteration divided by 1024 is the
//! cost per sample. Similarity orders are computed by the worker thread, outside the callback.
//!
//! `fft_floor` is what any STFT effect must spend: one forward and one inverse real FFT of the
//! window per hop per channel. At the end the bench prints each case's cost against the floor,
//! frame operations against identity, and the full chain's share of one core at 48 kHz.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use common::{speech, Blocks, BLOCK};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use phasewright::cli::demo::lowpass_taps;
use phasewright::dsp::real_fft::RealFft;
use phasewright::dsp::wide::with_avx;
use phasewright::engine::{Engine, EngineConfig, EngineShared, Layout};
use phasewright::params::ParamId;
use phasewright::stages::frame_memory::ReorderMode;
use phasewright::worker::Executor;
use realfft::num_complex::Complex32;
use rustfft::FftPlanner;

/// The rate of the "% of one core" figure.
const RATE: f32 = 48000.0;
const WINDOW: usize = 2048;

fn chain(c: &mut Criterion) {
    let (_, signal) = speech("espeak_00_en.wav");
    let mut group = c.benchmark_group("chain");
    group.throughput(Throughput::Elements(2 * BLOCK as u64));
    // A 512-sample block is one hop of a 2048 window at overlap 4: one frame per channel.
    let mut fft = RealFft::new(&mut FftPlanner::new(), WINDOW).unwrap();
    let mut blocks = Blocks::new(&signal);
    let window = vec![1.0f32; WINDOW];
    let (mut spectrum, mut time) = (
        vec![Complex32::default(); WINDOW / 2 + 1],
        vec![0.0; WINDOW],
    );
    let mut frame = vec![0.0f32; WINDOW];
    group.bench_function("fft_floor", |b| {
        b.iter(|| {
            blocks.advance();
            for channel in [&blocks.left, &blocks.right] {
                frame[..BLOCK].copy_from_slice(channel);
                with_avx(
                    #[inline(always)]
                    || {
                        fft.forward(&frame, &window, &mut spectrum);
                        fft.inverse(&mut spectrum, &mut time);
                    },
                );
            }
        })
    });
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
    // Everything a live chain runs: a 1024-tap filter, every frame operation, RTPGHI.
    let full: Vec<_> = all_ops
        .iter()
        .copied()
        .chain([(ParamId::PhaseMode, 1.0)])
        .collect();
    let (off, segment, capture_mode) =
        (ReorderMode::Off, ReorderMode::Segment, ReorderMode::Capture);
    for (name, window, reorder, settings) in [
        ("identity_window_2048_overlap_4", 2048, off, &[][..]),
        (
            "full_chain_fir_1024_window_2048_overlap_4",
            2048,
            off,
            &full[..],
        ),
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
        // The callback's own cost: it never waits for the worker, as with a live host.
        let config = EngineConfig::new(RATE, 2, Executor::Thread)
            .with_layout(layout)
            .never_waiting();
        let shared = Arc::new(EngineShared::default());
        let mut engine = Engine::new(config, shared.clone()).unwrap();
        for &(id, value) in settings {
            engine.set(id, value);
        }
        let mut blocks = Blocks::new(&signal);
        if name.starts_with("full_chain") {
            shared
                .taps
                .set(Some(lowpass_taps(4000.0, RATE as u32, 1024)));
            // The worker builds the filter; play until it is in.
            while shared.denoise.taps_len.load(Ordering::Relaxed) != 1024 {
                blocks.advance();
                engine.process(
                    &mut [&mut blocks.left, &mut blocks.right],
                    None::<&[&[f32]]>,
                );
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
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
    report();
}

/// Each case's mean time per block from criterion's estimates of this run, where criterion
/// keeps them: `CRITERION_HOME`, else `criterion` in the cargo target directory.
fn mean_seconds(case: &str) -> Option<f64> {
    let home = std::env::var_os("CRITERION_HOME").map_or_else(
        || {
            let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
                || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
                PathBuf::from,
            );
            target.join("criterion")
        },
        PathBuf::from,
    );
    let path = home.join(format!("chain/{case}/new/estimates.json"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    Some(json["mean"]["point_estimate"].as_f64()? * 1e-9)
}

/// Prints the ratios the targets are set in, from this run's means.
fn report() {
    let (Some(floor), Some(identity)) = (
        mean_seconds("fft_floor"),
        mean_seconds("identity_window_2048_overlap_4"),
    ) else {
        return;
    };
    println!("identity / FFT floor: {:.2}", identity / floor);
    if let Some(ops) = mean_seconds("frame_ops_window_2048_overlap_4") {
        println!("all frame operations / identity: {:.2}", ops / identity);
    }
    if let Some(full) = mean_seconds("full_chain_fir_1024_window_2048_overlap_4") {
        let block = BLOCK as f64 / RATE as f64;
        println!(
            "full chain (FIR 1024, all frame operations, RTPGHI): {:.2} x floor, {:.3} % of one core at 48 kHz stereo",
            full / floor,
            100.0 * full / block
        );
    }
}

criterion_group!(benches, chain);
criterion_main!(benches);
