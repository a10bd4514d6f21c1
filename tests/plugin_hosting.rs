//! The built plugin hosted as a DAW hosts it (through CLAP): ports and parameters, real audio at
//! several rates and block sizes, sample-accurate automation, state save/restore with taps,
//! corrupt state, and offline rendering. Run with `--features assert_process_allocs` so that any
//! allocation inside `process()` aborts the test.

mod common;

use common::clap_host::{change, clap_value, LoadedPlugin};
use common::{convolve, relative_error_db, rms, stereo_excerpt};
use phasewright::cli::demo::lowpass_taps;
use phasewright::params::{ParamId, PARAMS};
use phasewright::taps_file::TapsFile;

const SPEECH: &str = "speech/espeak_01_en.wav";
const VIOLIN: &str = "music/violin.wav";

/// Output delayed by `latency` compared with the input it came from, per channel, in dB.
fn delay_error_db(
    input: &[Vec<f32>],
    output: &[Vec<f32>],
    latency: usize,
    range: std::ops::Range<usize>,
) -> f64 {
    input
        .iter()
        .zip(output)
        .map(|(i, o)| {
            relative_error_db(
                &o[range.start + latency..range.end + latency],
                &i[range.clone()],
            )
        })
        .fold(f64::MIN, f64::max)
}

/// A saved state with `taps` put where the plugin keeps them (8-byte length, then JSON).
fn with_taps(state: &[u8], taps: &TapsFile) -> Vec<u8> {
    let mut json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
    json["fields"]["denoise_taps"] =
        serde_json::Value::String(serde_json::to_string(taps).unwrap());
    let body = serde_json::to_vec(&json).unwrap();
    let mut out = (body.len() as u64).to_le_bytes().to_vec();
    out.extend(body);
    out
}

#[test]
fn exposes_stereo_ports_a_reference_sidechain_and_every_parameter() {
    let mut p = LoadedPlugin::new();
    let inputs = p.ports(true);
    assert_eq!(inputs.len(), 2);
    assert_eq!(inputs[0].channels, 2);
    assert_eq!(inputs[1].name, "Reference");
    assert_eq!(inputs[1].channels, 2);
    let outputs = p.ports(false);
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0].channels, 2);

    let params = p.params();
    assert_eq!(params.len(), PARAMS.len());
    for spec in PARAMS {
        let desc = params
            .iter()
            .find(|d| d.name == spec.name)
            .expect(spec.name);
        let automatable = desc
            .flags
            .contains(clack_extensions::params::ParamInfoFlags::IS_AUTOMATABLE);
        assert!(automatable, "{}: every parameter is automatable", spec.id);
        let (lo, hi) = spec.range();
        let id = ParamId::from_id(spec.id).unwrap();
        assert_eq!(desc.min, clap_value(id, lo), "{}", spec.id);
        assert!((desc.max - clap_value(id, hi)).abs() < 1e-6, "{}", spec.id);
        assert!(
            (desc.default - clap_value(id, spec.default)).abs() < 1e-5,
            "{}",
            spec.id
        );
    }
    let bypass = p.param("Bypass");
    assert!(bypass
        .flags
        .contains(clack_extensions::params::ParamInfoFlags::IS_BYPASS));
}

#[test]
fn passes_real_audio_through_with_the_reported_latency_at_any_block_size() {
    let (_, violin) = stereo_excerpt(VIOLIN, 0.6);
    for rate in [44100.0, 48000.0] {
        for block in [1usize, 64, 333, 512, 1021] {
            let mut p = LoadedPlugin::new();
            p.activate(rate, block.max(64) as u32);
            let latency = p.latency() as usize;
            assert_eq!(latency, 2048);
            let len = if block == 1 { 8192 } else { violin[0].len() };
            let input: Vec<Vec<f32>> = violin.iter().map(|c| c[..len].to_vec()).collect();
            let output = p.process(&input, None, block, &[]);
            let err = delay_error_db(&input, &output, latency, 0..len - latency);
            assert!(err < -100.0, "rate {rate} block {block}: {err:.1} dB");
            assert!(p.errors().is_empty(), "{:?}", p.errors());
        }
    }
}

#[test]
fn automation_events_act_at_their_sample_and_bypass_crossfades_back_to_the_input() {
    let (rate, speech) = stereo_excerpt(SPEECH, 1.5);
    let mut p = LoadedPlugin::new();
    p.activate(rate as f64, 512);
    let latency = p.latency() as usize;
    let mute_at = 20_011;
    let bypass_at = 45_007;
    let changes = [
        change(&mut p, mute_at, ParamId::OutGain, -60.0),
        change(&mut p, bypass_at, ParamId::Bypass, 1.0),
    ];
    let out = p.process(&speech, None, 512, &changes);
    let smoothing = (0.02 * rate as f32) as usize;
    // Untouched until the event's own sample ...
    let before = delay_error_db(&speech, &out, latency, 0..mute_at - latency);
    assert!(before < -100.0, "{before:.1} dB");
    // ... then a straight 20 ms ramp of the gain from 1 to 0 (-60 dB is silence), starting at
    // the event: each sample is the delayed input times 1 - (j + 1) / ramp, ...
    let ramp = |at: usize, gain: &dyn Fn(f32) -> f32, what: &str| {
        for (input, output) in speech.iter().zip(&out) {
            for j in 0..smoothing + 8 {
                let expected = gain(((j + 1) as f32 / smoothing as f32).min(1.0));
                let (x, y) = (input[at + j - latency], output[at + j]);
                assert!(
                    (y - expected * x).abs() <= 1e-5 * (1.0 + x.abs()),
                    "{what}, sample {j} of the ramp: {y} vs {expected} x {x}"
                );
            }
        }
    };
    ramp(mute_at, &|t| 1.0 - t, "mute");
    // ... silent once the ramp is done ...
    for ch in &out {
        assert!(rms(&ch[mute_at + smoothing..bypass_at]) < 1e-6);
    }
    // ... and bypass crossfades to the input along the same ramp ...
    ramp(bypass_at, &|t| t, "bypass");
    // ... and stays on the (latency-aligned) input.
    let start = bypass_at + smoothing;
    let bypassed = delay_error_db(
        &speech,
        &out,
        latency,
        start - latency..out[0].len() - latency,
    );
    assert!(bypassed < -100.0, "{bypassed:.1} dB");
}

#[test]
fn state_restores_parameters_and_taps_into_a_fresh_instance() {
    let (rate, speech) = stereo_excerpt(SPEECH, 1.0);
    let taps = lowpass_taps(3000.0, rate, 63);
    let mut a = LoadedPlugin::new();
    a.activate(rate as f64, 512);
    let changes = [
        change(&mut a, 0, ParamId::OutGain, -6.0),
        change(&mut a, 0, ParamId::SpecWindow, 4.0), // 4096
    ];
    a.process(&speech, None, 512, &changes);
    assert!(
        a.take_restart_request(),
        "a new window size must ask the host for a restart"
    );
    // Saved as the format before versions was (parameters and taps, no version), which
    // every later version loads.
    let saved = with_taps(&a.save_state(), &taps);
    let mut json: serde_json::Value = serde_json::from_slice(&saved[8..]).unwrap();
    assert_eq!(json["fields"]["state_version"], "3");
    let fields = json["fields"].as_object_mut().unwrap();
    fields.remove("state_version");
    fields.remove("noise_profile");
    let body = serde_json::to_vec(&json).unwrap();
    let saved = [(body.len() as u64).to_le_bytes().to_vec(), body].concat();

    // Offline, so the taps are installed before the first sample (in real time they would
    // come when the worker has them: a race with the render).
    let mut b = LoadedPlugin::new();
    b.set_render_mode(true);
    b.load_state(&saved).unwrap();
    b.activate(rate as f64, 512);
    assert_eq!(b.latency(), 4096);
    let gain_id = b.param("Output Gain").id;
    assert!((b.param_value(gain_id) - clap_value(ParamId::OutGain, -6.0)).abs() < 1e-6);
    let out_b = b.process(&speech, None, 512, &[]);

    let mut c = LoadedPlugin::new();
    c.set_render_mode(true);
    c.load_state(&b.save_state()).unwrap();
    c.activate(rate as f64, 512);
    let out_c = c.process(&speech, None, 512, &[]);
    assert_eq!(out_b, out_c, "the restored instance sounds identical");

    // And the sound is the filtered input at -6 dB, delayed by the reported latency, from the
    // first sample on.
    let gain = 10f32.powf(-6.0 / 20.0);
    let expected: Vec<Vec<f32>> = speech
        .iter()
        .map(|ch| convolve(&taps.taps, ch).iter().map(|v| v * gain).collect())
        .collect();
    let n = speech[0].len();
    let err = delay_error_db(&expected, &out_b, 4096, 0..n - 4096);
    assert!(err < -90.0, "{err:.1} dB");
}

#[test]
fn corrupt_state_is_refused_and_the_plugin_keeps_working() {
    let (rate, speech) = stereo_excerpt(SPEECH, 0.5);
    let mut p = LoadedPlugin::new();
    let good = p.save_state();
    let mut bad_taps = with_taps(&good, &lowpass_taps(3000.0, rate, 31));
    // Corrupt the taps inside an otherwise valid state: an empty filter.
    let text = String::from_utf8(bad_taps[8..].to_vec()).unwrap();
    let broken = text.replacen("\\\"taps\\\":[", "\\\"taps\\\":[],\\\"x\\\":[", 1);
    assert_ne!(broken, text);
    bad_taps = (broken.len() as u64).to_le_bytes().to_vec();
    bad_taps.extend(broken.as_bytes());
    // A noise profile of two bins, one negative.
    let mut json: serde_json::Value = serde_json::from_slice(&good[8..]).unwrap();
    json["fields"]["noise_profile"] =
        r#"{"sample_rate":48000,"spectrum":[-1,2],"frames":3,"samples":9}"#.into();
    let body = serde_json::to_vec(&json).unwrap();
    let bad_profile = [(body.len() as u64).to_le_bytes().to_vec(), body].concat();
    let garbage: Vec<Vec<u8>> = vec![
        vec![],
        vec![0xff; 3],
        (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
            .collect(),
        [u64::MAX.to_le_bytes().to_vec(), b"{}".to_vec()].concat(),
        [12u64.to_le_bytes().to_vec(), b"not json at!".to_vec()].concat(),
        bad_taps,
        bad_profile,
    ];
    // A session with a setting of its own: what is not a state at all is refused and leaves it
    // as it was.
    p.activate(rate as f64, 512);
    let quieter = change(&mut p, 0, ParamId::OutGain, -6.0);
    p.process(&speech, None, 512, &[quieter]);
    p.deactivate();
    let gain = p.param("Output Gain").id;
    let (bad_taps, bad_profile) = (&garbage[5], &garbage[6]);
    for (k, bytes) in garbage[..5].iter().enumerate() {
        assert!(p.load_state(bytes).is_err(), "garbage {k} was accepted");
        let value = p.param_value(gain);
        assert!(
            (value - clap_value(ParamId::OutGain, -6.0)).abs() < 1e-6,
            "garbage {k}"
        );
    }
    // A valid state whose taps or profile are corrupt loads its settings (the defaults here)
    // without them.
    for bytes in [bad_taps, bad_profile] {
        p.load_state(bytes).unwrap();
        assert!((p.param_value(gain) - clap_value(ParamId::OutGain, 0.0)).abs() < 1e-6);
    }
    p.activate(rate as f64, 512);
    let out = p.process(&speech, None, 512, &[]);
    let latency = p.latency() as usize;
    let err = delay_error_db(&speech, &out, latency, 0..speech[0].len() - latency);
    assert!(err < -100.0, "still the identity chain: {err:.1} dB");
}

#[test]
fn offline_rendering_uses_new_taps_from_the_first_sample_and_repeats_bit_for_bit() {
    let (rate, speech) = stereo_excerpt(SPEECH, 0.8);
    let taps = lowpass_taps(2000.0, rate, 127);
    let render = || {
        let mut p = LoadedPlugin::new();
        p.set_render_mode(true);
        let state = with_taps(&p.save_state(), &taps);
        p.load_state(&state).unwrap();
        p.activate(rate as f64, 256);
        let latency = p.latency() as usize;
        (p.process(&speech, None, 256, &[]), latency)
    };
    let (first, latency) = render();
    let (second, _) = render();
    assert_eq!(first, second);
    let expected: Vec<Vec<f32>> = speech.iter().map(|ch| convolve(&taps.taps, ch)).collect();
    let err = delay_error_db(&expected, &first, latency, 0..speech[0].len() - latency);
    assert!(err < -90.0, "filtered from the very start: {err:.1} dB");
}
