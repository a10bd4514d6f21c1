//! Hosts' less common conditions through CLAP: sample rates from 22.05 to 192 kHz (and
//! clap-validator's 44 123.45 Hz), host blocks up to 16384 samples and sizes that change every
//! call, and NaN and infinities in the input and the sidechain while each learn mode runs. Run
//! with `--features assert_process_allocs`, so any allocation in `process()` aborts.

mod common;

use common::clap_host::{change, LoadedPlugin};
use common::{add_noise, relative_error_db, stereo_excerpt};
use phasewright::params::ParamId;

const VIOLIN: &str = "music/violin.wav";
const SPEECH: &str = "speech/espeak_01_en.wav";
const RATES: [f64; 7] = [
    22050.0, 44100.0, 44123.45, 48000.0, 88200.0, 96000.0, 192000.0,
];
const WINDOW: usize = 2048;
const HOP: usize = WINDOW / 4;

/// `input` delayed by `latency` against `output`, in dB, from `from` on.
fn delayed_error_db(input: &[f32], output: &[f32], latency: usize, from: usize) -> f64 {
    relative_error_db(
        &output[from + latency..],
        &input[from..input.len() - latency],
    )
}

#[test]
fn at_every_sample_rate_the_latency_glides_and_segments_scale_with_the_rate() {
    // Longer than two 0.25-s segments at 192 kHz.
    let (_, violin) = stereo_excerpt(VIOLIN, 3.0);
    for rate in RATES {
        // The window is in samples: the same latency at every rate, the input passing exactly.
        let mut p = LoadedPlugin::new();
        p.set_render_mode(true);
        p.activate(rate, 512);
        assert_eq!(p.latency() as usize, WINDOW, "{rate} Hz");
        let mute_at = 10_007;
        let mute = change(&mut p, mute_at, ParamId::OutGain, -60.0);
        let out = p.process(&violin, None, 512, &[mute]);
        let before = relative_error_db(&out[0][WINDOW..mute_at], &violin[0][..mute_at - WINDOW]);
        assert!(before < -100.0, "{rate} Hz: {before:.1} dB");
        // The glide lasts 20 ms whatever the rate: gain 1 - (j + 1) / ramp at sample j.
        let ramp = (0.02 * rate).round() as usize;
        for j in [0, ramp / 2, ramp - 2, ramp - 1, ramp + 5] {
            let gain = (1.0 - (j + 1) as f32 / ramp as f32).max(0.0);
            let (x, y) = (violin[0][mute_at + j - WINDOW], out[0][mute_at + j]);
            assert!(
                (y - gain * x).abs() <= 1e-5,
                "{rate} Hz, sample {j}: {y} vs {gain} x {x}"
            );
        }
        // Segments of 0.25 s are 0.25 s of frames at any rate; two of them add to the latency.
        let mut q = LoadedPlugin::new();
        q.set_render_mode(true);
        q.activate(rate, 512);
        let segment = [
            change(&mut q, 0, ParamId::ReorderMode, 1.0),
            change(&mut q, 0, ParamId::ReorderLength, 0.25),
        ];
        q.process(&[vec![0.0; 64], vec![0.0; 64]], None, 64, &segment);
        assert!(q.take_restart_request());
        q.activate(rate, 512);
        let frames = (0.25 * rate / HOP as f64).round() as usize;
        assert_eq!(q.latency() as usize, WINDOW + 2 * frames * HOP, "{rate} Hz");
        // Texture, the order of a frozen capture, plays segments in time order.
        let in_order = change(&mut q, 0, ParamId::ReorderOrder, 5.0);
        let out = q.process(&violin, None, 512, &[in_order]);
        assert!(q.errors().is_empty(), "{:?}", q.errors());
        let latency = q.latency() as usize;
        let err = delayed_error_db(&violin[0], &out[0], latency, 0);
        assert!(
            err < -100.0,
            "{rate} Hz segments in time order: {err:.1} dB"
        );
    }
}

#[test]
fn host_blocks_up_to_16384_and_changing_every_call_render_the_same_bits() {
    let (rate, violin) = stereo_excerpt(VIOLIN, 2.0);
    let render = |sizes: &[usize]| {
        let mut p = LoadedPlugin::new();
        p.set_render_mode(true);
        p.activate(rate as f64, 16384);
        // Phase reset and checkerboard, so any slip of the frame grid shows.
        let changes = [
            change(&mut p, 0, ParamId::SpecPhase, 1.0),
            change(&mut p, 0, ParamId::SpecCheckerboard, 1.0),
            change(&mut p, 40_000, ParamId::OutGain, -12.0),
        ];
        let out = p.process_blocks(&violin, None, sizes, &changes);
        assert!(p.errors().is_empty(), "{:?}", p.errors());
        out
    };
    let reference = render(&[512]);
    for sizes in [&[8192][..], &[16384], &[1, 16384, 7, 333, 8192, 64, 4097]] {
        assert!(render(sizes) == reference, "blocks {sizes:?}");
    }
}

#[test]
fn nan_and_infinities_in_the_input_and_sidechain_leave_every_learn_mode_working() {
    let (rate, clean) = stereo_excerpt(SPEECH, 3.0);
    let noisy = add_noise(&clean, 0.05, 7);
    // Garbage in the first half second: in the input, and in the sidechain.
    let spoil = |x: &[Vec<f32>]| -> Vec<Vec<f32>> {
        let mut x = x.to_vec();
        for ch in x.iter_mut() {
            for (i, v) in ch[..rate as usize / 2].iter_mut().enumerate() {
                match i % 97 {
                    0 => *v = f32::NAN,
                    1 => *v = f32::INFINITY,
                    2 => *v = f32::NEG_INFINITY,
                    _ => {}
                }
            }
        }
        x
    };
    for (mode, name) in [
        (1.0, "reference"),
        (2.0, "noise profile"),
        (3.0, "adaptive"),
    ] {
        let render = |input: &[Vec<f32>], side: &[Vec<f32>]| {
            let mut p = LoadedPlugin::new();
            p.set_render_mode(true);
            p.activate(rate as f64, 512);
            let mut events = vec![
                change(&mut p, 0, ParamId::DenoiseMode, mode),
                change(&mut p, 0, ParamId::DenoiseLearn, 1.0),
            ];
            if mode == 2.0 {
                events.push(change(&mut p, rate as usize, ParamId::DenoiseLearn, 0.0));
            }
            p.process(input, Some(side), 512, &events)
        };
        let spoiled = render(&spoil(&noisy), &spoil(&clean));
        assert!(spoiled.iter().flatten().all(|x| x.is_finite()), "{name}");
        // Once the garbage is 1.5 s behind, the learning sounds as it does on clean input (the
        // garbage read as silence while it lasted, so a little differently: for the noise
        // profile, which was learned over it, for good).
        let fine = render(&noisy, &clean);
        let from = 2 * rate as usize;
        let apart = relative_error_db(&spoiled[0][from..], &fine[0][from..]);
        eprintln!("{name}: after the garbage, {apart:.1} dB from a clean run");
        assert!(apart < -15.0, "{name}: {apart:.1} dB");
    }
}
