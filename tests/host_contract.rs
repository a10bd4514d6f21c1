//! What hosts and projects rely on, pinned in committed fixtures rather than checked against
//! the parameter table itself: every parameter's CLAP id, name, range and default as the
//! plugin reports them, and a project saved by state version 3 that every later version must
//! load with the same settings and the same sound. A deliberate change re-records them
//! (`PHASEWRIGHT_RECORD_CONTRACT=1 cargo test --test host_contract`) and says so in its note:
//! every saved session out there depends on them.

mod common;

use std::path::PathBuf;

use common::clap_host::{change, clap_value, LoadedPlugin};
use common::{lcg_noise, stereo_excerpt};
use phasewright::cli::demo::lowpass_taps;
use phasewright::params::ParamId;
use serde_json::{json, Value};

const PARAMS_FIXTURE: &str = "tests/data/host_params.json";
const STATE_FIXTURE: &str = "tests/data/state_v3.json";
const RATE: f64 = 48000.0;

/// Settings the fixture project was saved with (plain values), none of them a default.
const SAVED: [(ParamId, f32); 7] = [
    (ParamId::OutGain, -6.0),
    (ParamId::OutMix, 0.75),
    (ParamId::SpecReverse, 1.0),
    (ParamId::SpecSeed, 7.0),
    (ParamId::DenoiseAmount, 0.8),
    (ParamId::ReorderPerplexity, 12.0),
    (ParamId::TextureIterations, 250.0),
];

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn recording() -> bool {
    std::env::var_os("PHASEWRIGHT_RECORD_CONTRACT").is_some()
}

/// Compares `value` with the committed fixture, or records it.
fn pinned(rel: &str, value: &Value) {
    let path = fixture(rel);
    if recording() {
        std::fs::write(&path, serde_json::to_string_pretty(value).unwrap() + "\n").unwrap();
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let recorded: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value, &recorded, "{rel} changed");
}

#[test]
fn every_parameter_keeps_its_clap_id_name_range_and_default() {
    let mut p = LoadedPlugin::new();
    let params: Vec<Value> = p
        .params()
        .iter()
        .map(|d| {
            json!({
                "clap_id": u32::from(d.id), "name": d.name, "min": d.min, "max": d.max,
                "default": d.default, "flags": d.flags.bits(),
            })
        })
        .collect();
    pinned(PARAMS_FIXTURE, &Value::Array(params));
}

/// A noise burst to learn a profile from.
fn noise(len: usize) -> Vec<Vec<f32>> {
    let x: Vec<f32> = lcg_noise(99, len).iter().map(|v| 0.1 * v).collect();
    vec![x.clone(), x]
}

/// The fixture project: the settings above, taps of a 3 kHz low-pass, and a noise profile
/// learned over half a second of noise.
fn record_state() -> Value {
    let mut p = LoadedPlugin::new();
    p.set_render_mode(true);
    p.activate(RATE, 512);
    let half = (RATE / 2.0) as usize;
    let mut events = vec![
        change(&mut p, 0, ParamId::DenoiseMode, 2.0),
        change(&mut p, 0, ParamId::DenoiseLearn, 1.0),
        change(&mut p, half, ParamId::DenoiseLearn, 0.0),
        change(&mut p, half + 1, ParamId::DenoiseMode, 0.0),
    ];
    for (id, value) in SAVED {
        events.push(change(&mut p, half + 2, id, value));
    }
    p.process(&noise(half + 512), None, 512, &events);
    let mut state: Value = serde_json::from_slice(&p.save_state()[8..]).unwrap();
    let taps = lowpass_taps(3000.0, RATE as u32, 63);
    state["fields"]["denoise_taps"] = serde_json::to_string(&taps).unwrap().into();
    state
}

fn state_bytes(state: &Value) -> Vec<u8> {
    let body = serde_json::to_vec(state).unwrap();
    [(body.len() as u64).to_le_bytes().to_vec(), body].concat()
}

/// FNV-1a of the samples' bits: the sound, to the last bit.
fn fingerprint(channels: &[Vec<f32>]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in channels
        .iter()
        .flatten()
        .flat_map(|x| x.to_bits().to_le_bytes())
    {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[test]
fn a_project_saved_by_state_version_3_loads_with_the_same_settings_and_sound() {
    let state = if recording() {
        let state = record_state();
        pinned(STATE_FIXTURE, &state);
        state
    } else {
        serde_json::from_str(&std::fs::read_to_string(fixture(STATE_FIXTURE)).unwrap()).unwrap()
    };
    assert_eq!(state["fields"]["state_version"], "3");
    let mut p = LoadedPlugin::new();
    p.set_render_mode(true);
    p.load_state(&state_bytes(&state)).unwrap();
    for (id, plain) in SAVED {
        let clap = p.param(id.spec().name).id;
        let value = p.param_value(clap);
        assert!(
            (value - clap_value(id, plain)).abs() < 1e-6,
            "{}: {value}",
            id.spec().id
        );
    }
    // The profile comes back as it was saved.
    let resaved: Value = serde_json::from_slice(&p.save_state()[8..]).unwrap();
    let profile = |s: &Value| {
        serde_json::from_str::<Value>(s["fields"]["noise_profile"].as_str().unwrap()).unwrap()
    };
    assert!(profile(&state)["samples"].as_u64().unwrap() > 20000);
    assert_eq!(profile(&resaved), profile(&state));
    // The sound: an offline render of violin, pinned.
    p.activate(RATE, 512);
    let (_, violin) = stereo_excerpt("music/violin.wav", 1.0);
    let out = p.process(&violin, None, 512, &[]);
    assert!(out[0].iter().any(|x| *x != 0.0));
    let sound = json!({ "violin_1s_offline": fingerprint(&out) });
    pinned("tests/data/state_v3_sound.json", &sound);
}
