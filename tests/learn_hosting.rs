//! The learn modes of the denoiser, hosted through CLAP as a DAW runs them, on mixes of real
//! speech in noise: each mode lowers the error to the clean speech, offline renders repeat bit
//! for bit whatever the block size, learned taps are saved with the project, and "listen to
//! removed" outputs exactly what the filter takes out. Run with `--features
//! assert_process_allocs`, so any allocation in `process()` aborts.

mod common;

use common::clap_host::{change, LoadedPlugin, ParamChange};
use common::{relative_error_db, speech_mix, stereo, LEAD_IN};
use phasewright::cli::mixes::{Mix, NoiseKind};
use phasewright::params::{ParamId, LEARN_TAPS};

const RATE: u32 = 48000;

fn mix(seconds: f64, noise: NoiseKind, seed: u64) -> Mix {
    speech_mix(RATE, seconds, noise, seed)
}

/// Mode `mode` (its `denoise_mode` index) with 256 taps from sample `at`, and Learn as the
/// mode wants it: on for the noise-only lead-in (noise profile), on throughout (reference).
fn learn_events(p: &mut LoadedPlugin, mode: f32, at: usize) -> Vec<ParamChange> {
    let taps = LEARN_TAPS.iter().position(|t| *t == 256).unwrap() as f32;
    let mut events = vec![
        change(p, at, ParamId::DenoiseMode, mode),
        change(p, at, ParamId::DenoiseTaps, taps),
    ];
    match mode as usize {
        1 => events.push(change(p, at, ParamId::DenoiseLearn, 1.0)),
        2 => {
            events.push(change(p, at, ParamId::DenoiseLearn, 1.0));
            let end = at + (LEAD_IN * RATE as f64) as usize;
            events.push(change(p, end, ParamId::DenoiseLearn, 0.0));
        }
        _ => {}
    }
    events
}

/// How a test host hands blocks over.
#[derive(Clone, Copy, PartialEq)]
enum Host {
    Offline,
    /// Real-time mode, each block no sooner than a sound card would ask for it.
    Live,
    /// Real-time mode, as fast as it can (an export a host does not call offline).
    Export,
}

/// Renders `mix` in `mode` from sample `at`, with host blocks of `block`; returns the left
/// output, moved back by the reported latency.
fn render_from(
    mix: &Mix,
    mode: f32,
    at: usize,
    host: Host,
    block: usize,
    extra: &[(usize, ParamId, f32)],
) -> Vec<f32> {
    let mut p = LoadedPlugin::new();
    p.set_render_mode(host == Host::Offline);
    p.pace_in_real_time(host == Host::Live);
    p.activate(RATE as f64, block as u32);
    let latency = p.latency() as usize;
    let mut events = learn_events(&mut p, mode, at);
    for &(sample, id, value) in extra {
        events.push(change(&mut p, sample, id, value));
    }
    events.sort_by_key(|e| e.sample);
    let mut input = mix.noisy.clone();
    input.resize(mix.noisy.len() + latency, 0.0);
    let mut reference = mix.clean.clone();
    reference.resize(input.len(), 0.0);
    let out = p.process(&stereo(&input), Some(&stereo(&reference)), block, &events);
    out[0][latency..].to_vec()
}

/// `render_from` with the mode set and learning started at the first sample.
fn render(
    mix: &Mix,
    mode: f32,
    offline: bool,
    block: usize,
    extra: &[(usize, ParamId, f32)],
) -> Vec<f32> {
    let host = if offline { Host::Offline } else { Host::Live };
    render_from(mix, mode, 0, host, block, extra)
}

/// Error of `output` to the clean speech after the first `from` seconds, against the noisy
/// input's, in dB (negative: cleaner).
fn improvement_db(mix: &Mix, output: &[f32], from: f64) -> f64 {
    let start = (from * RATE as f64) as usize;
    relative_error_db(&output[start..], &mix.clean[start..])
        - relative_error_db(&mix.noisy[start..], &mix.clean[start..])
}

#[test]
fn each_learn_mode_lowers_the_error_to_the_clean_speech_and_renders_repeat() {
    let white = mix(4.0, NoiseKind::White, 1);
    for (mode, name) in [
        (1.0, "reference"),
        (2.0, "noise profile"),
        (3.0, "adaptive"),
    ] {
        let first = render(&white, mode, true, 512, &[]);
        let gain = improvement_db(&white, &first, 1.0);
        eprintln!("{name}: error to clean {gain:.2} dB against the noisy input");
        assert!(gain < -2.0, "{name}: {gain:.2} dB");
        // Offline, learning finishes before its taps are used, at fixed sample positions: the
        // same bits again, and with other host block sizes.
        assert_eq!(render(&white, mode, true, 512, &[]), first, "{name}");
        assert_eq!(
            render(&white, mode, true, 333, &[]),
            first,
            "{name}, 333-frame blocks"
        );
    }
    // The file mode without taps leaves the signal alone.
    let none = render(&white, 0.0, true, 512, &[]);
    assert!(improvement_db(&white, &none, 1.0).abs() < 1e-3);
}

#[test]
fn adaptive_learning_in_real_time_cleans_the_signal_too() {
    // Paced as a sound card would: the worker has real time to keep up.
    let pink = mix(3.0, NoiseKind::Pink, 2);
    let out = render(&pink, 3.0, false, 512, &[]);
    let gain = improvement_db(&pink, &out, 1.0);
    let offline = improvement_db(&pink, &render(&pink, 3.0, true, 512, &[]), 1.0);
    eprintln!("adaptive, pink noise: real time {gain:.2} dB, offline {offline:.2} dB");
    // Results reach the audio thread a little later in real time; a busy machine may skip a few.
    assert!(gain < -1.5 && gain < 0.6 * offline, "{gain:.2} dB");
}

#[test]
fn an_export_the_host_does_not_call_offline_waits_for_learning_and_equals_offline() {
    // Ardour exports a VST3 in real-time mode, as fast as it can. The plugin sees its lead
    // over real time build up and, once it passes the margin (0.4 s), waits for every job, as
    // offline rendering does: learning that starts after that sounds exactly as offline. Here
    // it starts 2 s in, which any machine reaches ahead of real time (even with both cores
    // busy: this render runs tens of times faster than real time on one).
    let white = mix(5.0, NoiseKind::White, 5);
    let at = 2 * RATE as usize;
    for (mode, name) in [(1.0, "reference"), (3.0, "adaptive")] {
        let offline = render_from(&white, mode, at, Host::Offline, 512, &[]);
        let export = render_from(&white, mode, at, Host::Export, 512, &[]);
        let gain = improvement_db(&white, &offline, 3.0);
        eprintln!("{name} learning from 2 s: export {gain:.2} dB, equal to offline");
        assert!(gain < -2.0, "{name}: {gain:.2} dB");
        assert!(
            export == offline,
            "{name}: {:.1} dB",
            relative_error_db(&export, &offline)
        );
    }
}

#[test]
fn listening_to_the_removed_part_gives_exactly_what_the_filter_takes_out() {
    let white = mix(2.0, NoiseKind::White, 3);
    let kept = render(&white, 3.0, true, 512, &[]);
    let removed = render(&white, 3.0, true, 512, &[(0, ParamId::DenoiseListen, 1.0)]);
    let sum: Vec<f32> = kept.iter().zip(&removed).map(|(k, r)| k + r).collect();
    let err = relative_error_db(&sum, &white.noisy);
    assert!(err < -100.0, "kept + removed = input: {err:.1} dB");
    // Half the amount leaves half of what it removes.
    let half = render(&white, 3.0, true, 512, &[(0, ParamId::DenoiseAmount, 0.5)]);
    let expected: Vec<f32> = kept
        .iter()
        .zip(&white.noisy)
        .map(|(k, x)| 0.5 * (k + x))
        .collect();
    let err = relative_error_db(&half, &expected);
    assert!(err < -100.0, "amount 50 %: {err:.1} dB");
}

#[test]
fn learned_taps_are_saved_with_the_project_and_sound_the_same_after_reopening() {
    let white = mix(4.0, NoiseKind::White, 4);
    let mut a = LoadedPlugin::new();
    a.set_render_mode(true);
    a.activate(RATE as f64, 512);
    let learn_part = 3 * RATE as usize;
    // Learning runs, then stops (which solves once more with all the material); the project is
    // saved and reopened in a new instance.
    let mut events = learn_events(&mut a, 1.0, 0);
    events.push(change(&mut a, learn_part - 100, ParamId::DenoiseLearn, 0.0));
    let head = |x: &[f32]| stereo(&x[..learn_part]);
    a.process(&head(&white.noisy), Some(&head(&white.clean)), 512, &events);
    let tail = stereo(&white.noisy[learn_part..]);
    let state = a.save_state();
    let json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
    let taps: serde_json::Value =
        serde_json::from_str(json["fields"]["denoise_taps"].as_str().unwrap()).unwrap();
    assert_eq!(taps["metadata"]["method"], "reference");
    // The material: what was heard with the reference, from the first talker (the lead-in's
    // silent reference is not taken for an unconnected sidechain's) to Learn's release.
    let seconds = taps["metadata"]["material_seconds"].as_f64().unwrap();
    let heard = (learn_part - 100) as f64 / RATE as f64 - LEAD_IN;
    assert!((seconds - heard).abs() < 0.01, "{seconds} s, not {heard} s");
    assert_eq!(taps["taps"].as_array().unwrap().len(), 256);

    let mut b = LoadedPlugin::new();
    b.set_render_mode(true);
    b.load_state(&state).unwrap();
    b.activate(RATE as f64, 512);
    let out_a = a.process(&tail, None, 512, &[]);
    let out_b = b.process(&tail, None, 512, &[]);
    // The first instance's filter history differs for one filter length; after it, identical.
    let skip = 4096;
    let err = relative_error_db(&out_b[0][skip..], &out_a[0][skip..]);
    assert!(
        err < -100.0,
        "reopened project sounds the same: {err:.1} dB"
    );
}

#[test]
fn a_learned_noise_profile_is_saved_with_the_project_and_goes_on_working_after_reopening() {
    let white = mix(4.0, NoiseKind::White, 6);
    let mut a = LoadedPlugin::new();
    a.set_render_mode(true);
    a.activate(RATE as f64, 512);
    // The profile is learned over the noise-only lead-in; the project is saved later.
    let events = learn_events(&mut a, 2.0, 0);
    let part = 2 * RATE as usize;
    let head = stereo(&white.noisy[..part]);
    a.process(&head, None, 512, &events);
    let state = a.save_state();
    let json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
    let profile: serde_json::Value =
        serde_json::from_str(json["fields"]["noise_profile"].as_str().unwrap()).unwrap();
    let seconds = profile["samples"].as_f64().unwrap() / RATE as f64;
    assert!((seconds - LEAD_IN).abs() < 0.01, "{seconds} s of profile");

    // Reopened in a new instance, the profile designs the filter without learning again:
    // after the input spectrum's first second, it sounds as the instance that learned it.
    let mut b = LoadedPlugin::new();
    b.set_render_mode(true);
    b.load_state(&state).unwrap();
    b.activate(RATE as f64, 512);
    let tail = stereo(&white.noisy[part..]);
    // The first instance starts again there too (a host stopping and starting the transport),
    // so both build their input spectrum from the same audio.
    a.stop_processing();
    let out_a = a.process(&tail, None, 512, &[]);
    let out_b = b.process(&tail, None, 512, &[]);
    let skip = RATE as usize;
    let same = relative_error_db(&out_b[0][skip..], &out_a[0][skip..]);
    // Against the clean speech, with the output moved back by the latency.
    let (lat, n) = (b.latency() as usize, out_b[0].len());
    let range = part + skip..part + n - lat;
    let cleaner = relative_error_db(&out_b[0][skip + lat..], &white.clean[range.clone()])
        - relative_error_db(&white.noisy[range.clone()], &white.clean[range]);
    eprintln!("reopened: {same:.1} dB from the original, {cleaner:.2} dB against the noisy input");
    assert!(same < -60.0, "{same:.1} dB");
    assert!(cleaner < -2.0, "{cleaner:.2} dB");
}
