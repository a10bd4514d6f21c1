//! With no frame operation, the spectral stage gives back its input delayed by the reported
//! latency, for every window size and overlap, on real music in odd block sizes.

mod common;

use std::sync::Arc;

use common::{load, relative_error_db};
use phasewright::dsp::stft::{OVERLAPS, WINDOW_SIZES};
use phasewright::engine::{Engine, EngineConfig, EngineShared, Layout};
use phasewright::worker::Executor;

#[test]
fn every_window_and_overlap_reconstructs_the_input_below_minus_100_db() {
    let violin = load("music/violin.wav");
    let trumpet = load("music/trumpet.wav");
    for (w, &window) in WINDOW_SIZES.iter().enumerate() {
        for (o, &overlap) in OVERLAPS.iter().enumerate() {
            let audio = if (w + o) % 2 == 0 { &violin } else { &trumpet };
            // Three windows of signal past the latency, at least a second.
            let frames = (4 * window)
                .max(audio.sample_rate as usize)
                .min(audio.frames());
            let input: Vec<f32> = audio.channels[0][..frames].to_vec();
            let config = EngineConfig::new(
                audio.sample_rate as f32,
                1,
                Executor::Inline { permit: |f| f() },
            )
            .with_layout(Layout {
                window,
                overlap,
                ..Layout::default()
            });
            let mut engine = Engine::new(config, Arc::new(EngineShared::default())).unwrap();
            assert_eq!(engine.latency(), window);
            let mut output = input.clone();
            for block in output.chunks_mut(777) {
                engine.process(&mut [block], None::<&[&[f32]]>);
            }
            let err = relative_error_db(&output[window..], &input[..frames - window]);
            eprintln!("window {window:5} overlap {overlap:2}: {err:7.1} dB");
            assert!(
                err < -100.0,
                "window {window} overlap {overlap}: {err:.1} dB"
            );
        }
    }
}
