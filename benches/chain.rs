//! Cost of the whole chain (denoise FIR → STFT with or without frame operations, reordering and
//! phase rebuilding → mix → gain) on 512-sample stereo blocks of real speech, as the audio callback runs it.
//! Throughput is the block's stereo sample count, so the time per iteration divided by 1024 is the
//! cost per sample. Similarity orders are computed by the worker thread, outside the callback.
//!
//! `fft_floor` is what any STFT effect must spend: one forward and one inverse real FFT of the
//! window per hop per channel. At the end the bench prints identity against the floor, frame
//! operations against identity, and the full chain against the floor and as a share of one core
//! at 48 kHz. Those figures are timed afresh with the cases interleaved (short batches of each
//! in turn, medians over many rounds): this machine's speed drifts by tens of percent between
//! criterion's cases, run one after another, which would show in a ratio of their means.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

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

/// A named case: one call plays one block.
type Case<'a> = (&'static str, Box<dyn FnMut() + 'a>);

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
    let mut cases: Vec<Case<'_>> = Vec::new();
    cases.push((
        "fft_floor",
        Box::new(move || {
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
        }),
    ));
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
        cases.push((
            name,
            Box::new(move || {
                blocks.advance();
                engine.process(
                    &mut [&mut blocks.left, &mut blocks.right],
                    None::<&[&[f32]]>,
                );
            }),
        ));
    }
    for (name, case) in &mut cases {
        group.bench_function(*name, |b| b.iter(&mut *case));
    }
    group.finish();
    report(&mut cases);
}

/// Blocks per batch and rounds of `interleaved`.
const BATCH: usize = 64;
const ROUNDS: usize = 150;

/// The median time per block of each of `names` among `cases`, timed in turn a batch at a time
/// for `ROUNDS` rounds, so every case sees the machine at the same speeds.
fn interleaved<const N: usize>(cases: &mut [Case<'_>], names: [&str; N]) -> [f64; N] {
    let mut times: [Vec<f64>; N] = std::array::from_fn(|_| Vec::with_capacity(ROUNDS));
    for _ in 0..ROUNDS {
        for (name, times) in names.iter().zip(&mut times) {
            let case = &mut cases.iter_mut().find(|(n, _)| n == name).expect("a case").1;
            let start = Instant::now();
            (0..BATCH).for_each(|_| case());
            times.push(start.elapsed().as_secs_f64() / BATCH as f64);
        }
    }
    times.map(|mut t| {
        t.sort_by(f64::total_cmp);
        t[ROUNDS / 2]
    })
}

/// Prints the ratios the targets are set in, timed interleaved.
fn report(cases: &mut [Case<'_>]) {
    let [floor, identity, ops, full] = interleaved(
        cases,
        [
            "fft_floor",
            "identity_window_2048_overlap_4",
            "frame_ops_window_2048_overlap_4",
            "full_chain_fir_1024_window_2048_overlap_4",
        ],
    );
    println!("interleaved medians per block: floor {:.2} µs, identity {:.2} µs, frame operations {:.2} µs, full chain {:.2} µs",
        floor * 1e6, identity * 1e6, ops * 1e6, full * 1e6);
    println!("identity / FFT floor: {:.2}", identity / floor);
    println!("all frame operations / identity: {:.2}", ops / identity);
    let block = BLOCK as f64 / RATE as f64;
    println!(
        "full chain (FIR 1024, all frame operations, RTPGHI): {:.2} x floor, {:.3} % of one core at 48 kHz stereo",
        full / floor,
        100.0 * full / block
    );
}

criterion_group!(benches, chain);
criterion_main!(benches);
