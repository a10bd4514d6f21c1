//! A plugin's life in a host, through CLAP: `reset()` mid-stream (a host stopping and starting
//! processing) during a capture, during segments whose orders are being computed, with phases
//! rebuilt and while learning; re-activation at another sample rate with learned taps; a mono
//! track; and a sidechain the host has not connected. Run with `--features
//! assert_process_allocs`, so any allocation in `process()` aborts.

mod common;

use common::clap_host::{change, LoadedPlugin};
use common::{convolve, lcg_noise, relative_error_db, rms, speech_mix, stereo, stereo_excerpt};
use phasewright::cli::mixes::{Mix, NoiseKind};
use phasewright::dsp::resample_taps::resample_taps;
use phasewright::params::{ParamId, LEARN_TAPS};

const VIOLIN: &str = "music/violin.wav";
const LATENCY: usize = 2048;

/// An offline instance at `rate` with `settings` applied (re-activated if they change the
/// layout), then reset, so the next sample it hears is timeline sample 0.
fn configured(rate: f64, settings: &[(ParamId, f32)]) -> LoadedPlugin {
    let mut p = LoadedPlugin::new();
    p.set_render_mode(true);
    p.activate(rate, 512);
    let events: Vec<_> = (settings.iter())
        .map(|&(id, v)| change(&mut p, 0, id, v))
        .collect();
    p.process(&[vec![0.0; 64], vec![0.0; 64]], None, 64, &events);
    if p.take_restart_request() {
        p.activate(rate, 512);
    }
    p.stop_processing();
    p
}

fn part(x: &[Vec<f32>], range: std::ops::Range<usize>) -> Vec<Vec<f32>> {
    x.iter().map(|c| c[range.clone()].to_vec()).collect()
}

/// A name, the settings, and where the reset comes, in seconds.
type Case = (&'static str, Vec<(ParamId, f32)>, f64);

#[test]
fn after_a_reset_mid_stream_the_plugin_renders_as_a_fresh_instance() {
    let (rate, violin) = stereo_excerpt(VIOLIN, 4.0);
    let at = |seconds: f64| (seconds * rate as f64) as usize;
    use ParamId::*;
    let cases: [Case; 5] = [
        // Reset 1.3 s in: in the third 0.5-s segment, the second's PCA order just computed.
        (
            "segments, PCA",
            vec![
                (ReorderMode, 1.0),
                (ReorderLength, 0.5),
                (ReorderOrder, 2.0),
            ],
            1.3,
        ),
        (
            "segments, t-SNE",
            vec![
                (ReorderMode, 1.0),
                (ReorderLength, 0.5),
                (ReorderOrder, 3.0),
            ],
            1.3,
        ),
        // Reset 0.6 s into a 1-s capture.
        (
            "capture, walk",
            vec![
                (ReorderMode, 2.0),
                (ReorderLength, 1.0),
                (ReorderOrder, 4.0),
                (ReorderCapture, 1.0),
            ],
            0.6,
        ),
        (
            "phases rebuilt with look-ahead, checkerboard",
            vec![
                (PhaseMode, 1.0),
                (PhaseLookahead, 1.0),
                (SpecCheckerboard, 1.0),
            ],
            1.1,
        ),
        (
            "phases reset, then rebuilt",
            vec![(SpecPhase, 1.0), (PhaseMode, 1.0)],
            0.9,
        ),
    ];
    for (name, settings, reset_at) in cases {
        let cut = at(reset_at);
        let (head, tail) = (part(&violin, 0..cut), part(&violin, cut..violin[0].len()));
        let mut a = configured(rate as f64, &settings);
        a.process(&head, None, 512, &[]);
        a.stop_processing();
        let after_reset = a.process(&tail, None, 512, &[]);
        let fresh = configured(rate as f64, &settings).process(&tail, None, 512, &[]);
        assert!(a.errors().is_empty(), "{name}: {:?}", a.errors());
        assert!(rms(&fresh[0]) > 0.01, "{name}: the fresh render is silent");
        assert!(
            after_reset == fresh,
            "{name}: {:.1} dB from a fresh instance",
            relative_error_db(&after_reset[0], &fresh[0])
        );
    }
}

/// Reference learning with 256 taps from the first sample.
fn reference_learning(p: &mut LoadedPlugin, learn: bool) -> Vec<common::clap_host::ParamChange> {
    let taps = LEARN_TAPS.iter().position(|t| *t == 256).unwrap() as f32;
    vec![
        change(p, 0, ParamId::DenoiseMode, 1.0),
        change(p, 0, ParamId::DenoiseTaps, taps),
        change(p, 0, ParamId::DenoiseLearn, if learn { 1.0 } else { 0.0 }),
    ]
}

/// The error to the clean speech of `out` (its first sample aligned with `mix` sample
/// `from`, the latency not yet removed) against the noisy input's, over `span` samples.
fn improvement_db(mix: &Mix, out: &[f32], from: usize, span: usize) -> f64 {
    let range = from..from + span;
    let out = &out[LATENCY..LATENCY + span];
    relative_error_db(out, &mix.clean[range.clone()])
        - relative_error_db(&mix.noisy[range.clone()], &mix.clean[range])
}

/// `improvement_db` from the first second to the end.
fn improvement_after_a_second(mix: &Mix, out: &[f32], rate: u32) -> f64 {
    let from = rate as usize;
    improvement_db(mix, &out[from..], from, mix.noisy.len() - from - LATENCY)
}

#[test]
fn a_reset_keeps_the_learned_taps_and_learning_goes_on() {
    let rate = 48000;
    let mix = speech_mix(rate, 5.0, NoiseKind::White, 11);
    let cut = 2 * rate as usize;
    let half = rate as usize / 2;
    let mut a = LoadedPlugin::new();
    a.set_render_mode(true);
    a.activate(rate as f64, 512);
    let events = reference_learning(&mut a, true);
    let (noisy, clean) = (stereo(&mix.noisy), stereo(&mix.clean));
    a.process(
        &part(&noisy, 0..cut),
        Some(&part(&clean, 0..cut)),
        512,
        &events,
    );
    a.stop_processing();
    let rest = cut..mix.noisy.len();
    let after = a.process(
        &part(&noisy, rest.clone()),
        Some(&part(&clean, rest)),
        512,
        &[],
    );
    // Straight after the reset the taps learned before it clean the speech; an instance that
    // starts learning there has not got far in the same half second.
    let kept = improvement_db(&mix, &after[0], cut, half);
    let mut fresh = LoadedPlugin::new();
    fresh.set_render_mode(true);
    fresh.activate(rate as f64, 512);
    let events = reference_learning(&mut fresh, true);
    let rest = cut..mix.noisy.len();
    let fresh_out = fresh.process(
        &part(&noisy, rest.clone()),
        Some(&part(&clean, rest)),
        512,
        &events,
    );
    let starting = improvement_db(&mix, &fresh_out[0], cut, half);
    // Learning goes on after the reset, with everything heard before it.
    let later = improvement_db(&mix, &after[0][half..], cut + half, 2 * rate as usize);
    eprintln!(
        "after a reset: {kept:.2} dB in the first 0.5 s (a new instance {starting:.2} dB), \
         {later:.2} dB over the next 2 s"
    );
    assert!(
        kept < -2.0 && kept < starting - 1.0,
        "{kept:.2} vs {starting:.2} dB"
    );
    assert!(later < -2.0, "{later:.2} dB");
}

#[test]
fn orders_in_flight_at_a_reset_in_real_time_are_dropped_safely() {
    // Paced as a sound card would, with t-SNE orders of 0.25-s segments computed by the
    // worker while the host stops and starts processing. What arrives after a reset must not
    // play: the output stays finite and at the input's level, without allocating.
    let (rate, violin) = stereo_excerpt(VIOLIN, 3.0);
    let settings = [
        (ParamId::ReorderMode, 1.0),
        (ParamId::ReorderLength, 0.25),
        (ParamId::ReorderOrder, 3.0),
    ];
    let mut p = configured(rate as f64, &settings);
    p.pace_in_real_time(true);
    let at = |seconds: f64| (seconds * rate as f64) as usize;
    let cuts = [0, at(0.4), at(0.9), at(1.0), violin[0].len()];
    let mut last = Vec::new();
    for w in cuts.windows(2) {
        last = p.process(&part(&violin, w[0]..w[1]), None, 256, &[]);
        p.stop_processing();
        assert!(last.iter().flatten().all(|x| x.is_finite()));
    }
    assert!(p.errors().is_empty(), "{:?}", p.errors());
    // The last 2 s, after the segment latency: reordered violin at about its level.
    let latency = p.latency() as usize;
    let level = rms(&last[0][latency..]) / rms(&violin[0][at(1.0)..]);
    eprintln!("after three resets: level {level:.2} of the input's");
    assert!((0.25..4.0).contains(&level), "{level}");
}

/// Learned taps as the project saved them, and their rate.
fn saved_taps(p: &mut LoadedPlugin) -> (Vec<f32>, f32) {
    let state = p.save_state();
    let json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
    let taps: serde_json::Value =
        serde_json::from_str(json["fields"]["denoise_taps"].as_str().unwrap()).unwrap();
    let values = (taps["taps"].as_array().unwrap().iter())
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    (values, taps["sample_rate"].as_f64().unwrap() as f32)
}

/// The filter's output on seeded noise at `rate`, the latency removed, and the noise.
fn filter_noise(p: &mut LoadedPlugin, rate: f64) -> (Vec<f32>, Vec<f32>) {
    p.set_render_mode(true);
    p.activate(rate, 512);
    let learn_off = reference_learning(p, false);
    let noise = lcg_noise(5, rate as usize / 2);
    let out = p.process(&stereo(&noise), None, 512, &learn_off);
    let lat = p.latency() as usize;
    (out[0][lat..].to_vec(), noise[..noise.len() - lat].to_vec())
}

#[test]
fn re_activated_at_another_rate_the_taps_are_resampled_and_kept_and_learning_goes_on() {
    let mix = speech_mix(48000, 3.0, NoiseKind::White, 12);
    let mut p = LoadedPlugin::new();
    p.set_render_mode(true);
    p.activate(48000.0, 512);
    let events = reference_learning(&mut p, true);
    p.process(&stereo(&mix.noisy), Some(&stereo(&mix.clean)), 512, &events);
    let (taps, made_at) = saved_taps(&mut p);
    assert_eq!((taps.len(), made_at), (256, 48000.0));
    // The session moves to another rate: the same response, from the taps carried to it; to
    // 22.05 kHz they would change too much (their first taps fall between samples), so the
    // input passes.
    for (rate, carried) in [(44100.0, true), (96000.0, true), (22050.0, false)] {
        let (out, noise) = filter_noise(&mut p, rate);
        let moved = resample_taps(&taps, 48000.0, rate as f32);
        eprintln!("48 kHz taps at {rate} Hz: error {:.1} dB", moved.error_db);
        let expected = match carried {
            true => convolve(&moved.taps, &noise),
            false => noise,
        };
        let err = relative_error_db(&out, &expected);
        assert!(err < -90.0, "{rate} Hz: {err:.1} dB from what was expected");
        // The project keeps the taps as they were made.
        assert_eq!(saved_taps(&mut p), (taps.clone(), 48000.0), "{rate} Hz");
    }
    // Back at 48 kHz they are used as they are.
    let (out, noise) = filter_noise(&mut p, 48000.0);
    let err = relative_error_db(&out, &convolve(&taps, &noise));
    assert!(err < -90.0, "48 kHz again: {err:.1} dB");
    // Learning at the new rate starts over and cleans the speech there.
    let rate = 44100;
    let mix = speech_mix(rate, 3.0, NoiseKind::White, 13);
    p.activate(rate as f64, 512);
    let events = reference_learning(&mut p, true);
    let out = p.process(&stereo(&mix.noisy), Some(&stereo(&mix.clean)), 512, &events);
    let gain = improvement_after_a_second(&mix, &out[0], rate);
    eprintln!("learning again at 44.1 kHz: {gain:.2} dB");
    assert!(gain < -2.0, "{gain:.2} dB");
    assert_eq!(saved_taps(&mut p).1, 44100.0);
}

#[test]
fn a_mono_track_has_one_channel_in_and_out_and_learns_from_the_stereo_reference() {
    let rate = 48000;
    let mix = speech_mix(rate, 3.0, NoiseKind::White, 14);
    let mut p = LoadedPlugin::new();
    p.select_main_channels(1);
    let channels = |ports: Vec<common::clap_host::PortDesc>| {
        ports.iter().map(|d| d.channels).collect::<Vec<_>>()
    };
    assert_eq!(channels(p.ports(true)), [1, 2]);
    assert_eq!(channels(p.ports(false)), [1]);
    p.set_render_mode(true);
    p.activate(rate as f64, 512);
    // Nothing on: the input passes.
    let mono = vec![mix.noisy.clone()];
    let out = p.process(&mono, None, 512, &[]);
    assert_eq!(out.len(), 1);
    let err = relative_error_db(&out[0][LATENCY..], &mix.noisy[..mix.noisy.len() - LATENCY]);
    assert!(err < -100.0, "mono pass-through: {err:.1} dB");
    // Reference learning from the stereo sidechain cleans the mono track.
    p.stop_processing();
    let events = reference_learning(&mut p, true);
    let out = p.process(&mono, Some(&stereo(&mix.clean)), 512, &events);
    let gain = improvement_after_a_second(&mix, &out[0], rate);
    eprintln!("mono, reference learning: {gain:.2} dB");
    assert!(gain < -2.0, "{gain:.2} dB");
}

#[test]
fn a_sidechain_the_host_has_not_connected_reads_as_silence_and_teaches_nothing() {
    let rate = 48000;
    let mix = speech_mix(rate, 2.0, NoiseKind::White, 15);
    let mut p = LoadedPlugin::new();
    p.set_render_mode(true);
    p.activate(rate as f64, 512);
    // Reference learning with no reference: no taps are made, the input passes.
    let events = reference_learning(&mut p, true);
    let out = p.process_with_sidechain(&stereo(&mix.noisy), &[], &[512], &events);
    assert!(p.errors().is_empty(), "{:?}", p.errors());
    let n = mix.noisy.len() - LATENCY;
    let err = relative_error_db(&out[0][LATENCY..], &mix.noisy[..n]);
    assert!(
        err < -100.0,
        "unconnected sidechain: {err:.1} dB from the input"
    );
    // Connected later, the reference is heard: learning cleans the speech.
    let out = p.process(&stereo(&mix.noisy), Some(&stereo(&mix.clean)), 512, &[]);
    let gain = improvement_after_a_second(&mix, &out[0], rate);
    eprintln!("the reference connected: {gain:.2} dB");
    assert!(gain < -2.0, "{gain:.2} dB");
}
