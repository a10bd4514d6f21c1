//! The stage on its own, with a worker thread: the loop recorded as it plays, the first
//! texture fading in over the captured loop and the next partial one blending in over it,
//! one fade step per frame, never a jump.

use std::sync::Arc;
use std::time::{Duration, Instant};

use realfft::num_complex::Complex32;

use super::*;
use crate::dsp::stft::SignalTransform;
use crate::worker::Executor;

const FRAMES: usize = 64;
const FADE: usize = 8;
/// Bins of the 256-point frames.
const BINS: usize = 129;

/// A loop of harmonic tones with a beat, as circular frames (n_fft 256, hop 64).
fn captured_loop() -> (StftLayout, Vec<Vec<Complex32>>) {
    let layout = StftLayout {
        n_fft: 256,
        hop: 64,
        win: 256,
        center: false,
    };
    let len = FRAMES * layout.hop;
    let x: Vec<f32> = (0..len)
        .map(|i| {
            let t = i as f32 / len as f32;
            let beat = (std::f32::consts::TAU * 8.0 * t).sin().max(0.0);
            beat * (0.3 * i as f32).sin() + 0.2 * (0.71 * i as f32).sin()
        })
        .collect();
    let mut transform = SignalTransform::circular(layout, FRAMES).unwrap();
    let mut frames = transform.spectra();
    transform.analyze(&x, &mut frames);
    (layout, frames)
}

/// Plays the loop once through the stage (frame `k` at position k mod FRAMES) from frame
/// `start`; returns each output frame's distance from the captured frame.
fn play(
    stage: &mut TextureStage,
    frames: &[Vec<Complex32>],
    start: usize,
    count: usize,
) -> Vec<Vec<Complex32>> {
    let mut buffers = FrameBuffers::new(1, frames[0].len());
    (start..start + count)
        .map(|k| {
            let position = k % FRAMES;
            stage.follow(Some(LoopFrame {
                position,
                len: FRAMES,
                serial: 1,
            }));
            buffers.channel(0).copy_from_slice(&frames[position]);
            stage.apply(&mut buffers);
            buffers.spectrum(0).to_vec()
        })
        .collect()
}

/// Waits (bounded) for the worker's next result and hands it to the stage.
fn next_result(stage: &mut TextureStage, worker: &Worker) {
    stage.submit(worker);
    let began = Instant::now();
    loop {
        if let Some(job) = worker.poll() {
            stage.receive(job);
            return;
        }
        assert!(began.elapsed() < Duration::from_secs(120), "no result");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Where `out` lies between `from` (0) and `to` (1), by least squares.
fn share(out: &[Complex32], from: &[Complex32], to: &[Complex32]) -> f32 {
    let (mut num, mut den) = (0.0, 0.0);
    for ((o, a), b) in out.iter().zip(from).zip(to) {
        let d = b - a;
        num += ((o - a) * d.conj()).re;
        den += d.norm_sqr();
    }
    num / den
}

#[test]
fn textures_fade_in_over_the_captured_loop_and_over_each_other_a_step_per_frame() {
    let (layout, captured) = captured_loop();
    let shared = Arc::new(EngineShared::default());
    let worker = Worker::new(Executor::Thread, "texture-test");
    let mut stage = TextureStage::new(layout, FRAMES, 1.0 / FADE as f32, 0, shared);
    stage.set(ParamId::ReorderOrder, FrameOrder::Texture as usize as f32);
    stage.set(ParamId::TextureJ, 5.0);
    stage.set(ParamId::TextureIterations, 30.0);
    // The first pass records the loop and plays it untouched.
    let first = play(&mut stage, &captured, 0, FRAMES);
    assert_eq!(first, captured);
    next_result(&mut stage, &worker);
    let texture = stage.playing.as_ref().unwrap().work.spectra.to_vec();
    let frame = |k: usize| &texture[(k % FRAMES) * BINS..(k % FRAMES + 1) * BINS];
    let out = play(&mut stage, &captured, FRAMES, 2 * FADE);
    for (i, o) in out.iter().enumerate() {
        let k = FRAMES + i;
        let expected = ((i + 1) as f32 / FADE as f32).min(1.0);
        let got = share(o, &captured[k % FRAMES], frame(k));
        assert!(
            (got - expected).abs() < 1e-3,
            "frame {i}: {got} vs {expected}"
        );
    }
    // The chain's next partial texture blends in over the first.
    next_result(&mut stage, &worker);
    let next = stage
        .incoming
        .as_ref()
        .expect("a partial texture")
        .work
        .spectra
        .to_vec();
    assert!(next != texture, "the reconstruction did not go on");
    let start = 3 * FRAMES;
    let out = play(&mut stage, &captured, start, 2 * FADE);
    for (i, o) in out.iter().enumerate() {
        let p = (start + i) % FRAMES;
        let expected = ((i + 1) as f32 / FADE as f32).min(1.0);
        let got = share(o, frame(p), &next[p * BINS..(p + 1) * BINS]);
        assert!(
            (got - expected).abs() < 1e-3,
            "frame {i}: {got} vs {expected}"
        );
    }
}
