//! Phasewright's VST3 build inside a real DAW: Ardour 7, headless, through the harness in
//! `../shared/daw` (`render.sh` builds a session with the plugin on a track, sets parameters,
//! automates one with a linear ramp and exports the master bus; see its README). Checks what a
//! DAW user relies on: every parameter listed among Ardour's controls, exports that repeat bit
//! for bit, and exports equal to `phasewright render` of the same audio with the same settings
//! (the harness places the file at timeline sample PAD: the render is given what the track
//! plays, PAD samples of silence and the file, and the silence is cut off after; adaptive
//! learning hears that silence too). The plugin is this test run's own library (with the allocation guard when the
//! suite runs with `assert_process_allocs`), bundled as a VST3. Needs Ardour (`apt-get install
//! ardour`; `.ci/run` installs it).
//!
//! Ardour's Lua tool saves the session right after the harness sets the parameters. When the
//! machine is busy the plugin has not yet run a cycle with them, and its saved state still
//! holds the defaults (the session's own controls hold the settings): loading that session
//! activates the plugin with the default layout and races the restart a layout parameter
//! (`ParamSpec::layout`) asks for against the start of the export. That race is the host's,
//! told apart by the saved state (seen: every random-segments export that differed came from
//! such a session, none from another), so such a session is built again; every export of a
//! session that holds its layout must equal the command line.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::Value;

use common::load;
use phasewright::cli::io::{read_wav, write_wav, Audio, SampleFormat};
use phasewright::cli::render::{render, Automation, RenderOptions};
use phasewright::params::{ParamId, PARAMS};

/// Where render.lua places the input on the timeline (its `PAD`).
const PAD: u64 = 16384;
/// Seconds of silence the test's file starts with.
const LEAD_IN_S: usize = 1;

/// A name, the settings as Ardour names them, as the command line does, and whether the
/// worker's results shape the sound (then a real-time export may differ, see below).
type Case = (&'static str, &'static str, &'static [(ParamId, f32)], bool);

/// The library cargo built for this test run, as a VST3 bundle.
fn vst3_bundle(dir: &Path) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let library = exe.parent().unwrap().join("libphasewright.so");
    assert!(library.exists(), "{} not built", library.display());
    let bundle = dir.join("Phasewright.vst3");
    let arch = bundle.join("Contents/x86_64-linux");
    std::fs::create_dir_all(&arch).unwrap();
    std::fs::copy(&library, arch.join("Phasewright.so")).unwrap();
    bundle
}

struct Daw {
    dir: tempfile::TempDir,
    bundle: PathBuf,
    input: PathBuf,
    audio: Audio,
}

impl Daw {
    fn new() -> Self {
        let ardour = ["ardour7-lua", "ardour8-lua"].iter().any(|tool| {
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success())
        });
        assert!(
            ardour,
            "Ardour is missing: apt-get install ardour (.ci/run does)"
        );
        let dir = tempfile::tempdir().unwrap();
        let bundle = vst3_bundle(dir.path());
        let trumpet = load("music/trumpet.wav");
        // A second of silence, then three of trumpet: the export gets ahead of real time
        // before the music starts even on a busy machine (see the cases below).
        let rate = trumpet.sample_rate as usize;
        let mut track = vec![0.0; LEAD_IN_S * rate];
        track.extend_from_slice(&trumpet.channels[0][..3 * rate]);
        let audio = Audio {
            sample_rate: trumpet.sample_rate,
            channels: vec![track],
            format: SampleFormat::F32,
        };
        let input = dir.path().join("input.wav");
        write_wav(&input, &audio, SampleFormat::F32).unwrap();
        Self {
            dir,
            bundle,
            input,
            audio,
        }
    }

    /// Exports the session with `set` ("Name=value;..." as Ardour names the parameters) and
    /// `param` ramped from `a` to `b` over the file; returns the left channel, the log of the
    /// session build and the plugin's parameters as Ardour saved them in the session.
    fn export(&self, name: &str, set: &str, param: &str, a: f32, b: f32) -> Export {
        let output = self.dir.path().join(format!("{name}.wav"));
        let work = self.dir.path().join(format!("{name}-work"));
        let script = common::data("../daw/render.sh");
        let result = Command::new("bash")
            .arg(&script)
            .args([&self.bundle, &PathBuf::from("Phasewright")])
            .arg(param)
            .args([&self.input, &output])
            .args([a.to_string(), b.to_string()])
            .env("RENDER_SET", set)
            // Values set while the session is built do not always reach the plugin before it
            // is saved (one export in a few played the defaults): set them again once loaded.
            .env("RENDER_SET_AGAIN", "1")
            .env("RENDER_KEEP", "1")
            .env("RENDER_WORKDIR", &work)
            .env("RENDER_NO_INSTALL", "1")
            .output()
            .unwrap();
        assert!(
            result.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
        let log = std::fs::read_to_string(work.join("build.log")).unwrap_or_default();
        let mut audio = read_wav(&output).unwrap();
        Export {
            left: audio.channels.swap_remove(0),
            log,
            saved: saved_params(&work.join("session/render.ardour")),
        }
    }

    /// `phasewright render` of what the track plays: PAD samples of silence, then the file
    /// (automation times count from the file's start).
    fn cli(&self, settings: &[(ParamId, f32)], mut automation: Vec<Automation>) -> Vec<f32> {
        let pad = PAD as f64 / self.audio.sample_rate as f64;
        for lane in &mut automation {
            lane.points.iter_mut().for_each(|(t, _)| *t += pad);
        }
        let options = RenderOptions {
            settings: settings.to_vec(),
            automation,
            ..Default::default()
        };
        let mut track = self.audio.clone();
        track.channels[0].splice(0..0, std::iter::repeat_n(0.0, PAD as usize));
        let mut out = render(&track, None, &options, |_| {}).unwrap();
        out.channels.swap_remove(0).split_off(PAD as usize)
    }
}

struct Export {
    left: Vec<f32>,
    log: String,
    /// The plugin's parameters in the state Ardour saved (id → plain value).
    saved: serde_json::Map<String, Value>,
}

impl Export {
    /// Whether the saved plugin state holds the layout parameters among `settings` (see the
    /// module's note). Ardour restores every other control from the session's own values
    /// before the first cycle, so those play right either way (seen: every such export exact).
    fn holds_layout(&self, settings: &[(ParamId, f32)]) -> bool {
        let mut layout = settings.iter().filter(|(id, _)| id.spec().layout);
        layout.all(|&(id, value)| {
            let saved = self.saved.get(id.spec().id).and_then(|v| {
                let v = v.as_object()?.values().next()?;
                v.as_f64().or(v.as_bool().map(|b| b as u8 as f64))
            });
            saved.is_some_and(|s| (s - value as f64).abs() < 1e-6)
        })
    }
}

/// The parameters of the plugin state in a saved Ardour session: its one `<chunk>`, base64 of
/// nice-plug's VST3 state, whose JSON object carries them under "params".
fn saved_params(session: &Path) -> serde_json::Map<String, Value> {
    let xml = std::fs::read_to_string(session).unwrap();
    let chunk = xml
        .split("<chunk>")
        .nth(1)
        .and_then(|c| c.split("</chunk>").next());
    let state = base64::engine::general_purpose::STANDARD
        .decode(chunk.expect("a plugin state in the session").trim())
        .unwrap();
    let json = &state[state
        .windows(10)
        .position(|w| w == b"{\"version\"")
        .unwrap()..];
    let mut values = serde_json::Deserializer::from_slice(json).into_iter::<Value>();
    match values.next() {
        Some(Ok(Value::Object(mut state))) => match state.remove("params") {
            Some(Value::Object(params)) => params,
            other => panic!("no params in the saved state: {other:?}"),
        },
        other => panic!("unreadable saved state: {other:?}"),
    }
}

fn error_db(output: &[f32], reference: &[f32]) -> f64 {
    assert_eq!(output.len(), reference.len());
    common::relative_error_db(output, reference)
}

#[test]
fn in_ardour_every_parameter_is_listed_and_exports_repeat_and_equal_the_command_line() {
    let daw = Daw::new();
    let seconds = daw.audio.frames() as f64 / daw.audio.sample_rate as f64;

    // Gain automation: Ardour steps it every 64-sample cycle, the render ramps it.
    let gain = daw.export("gain", "", "Output Gain", -6.0, 0.0);
    let listed: Vec<&str> = (gain.log.lines())
        .filter_map(|l| l.trim().strip_prefix("param #"))
        .filter_map(|l| l.split('\'').nth(1))
        .collect();
    let names: Vec<&str> = PARAMS.iter().map(|p| p.name).collect();
    assert_eq!(listed, names, "Ardour's controls");
    let ramp = Automation {
        id: "out_gain".into(),
        points: vec![(0.0, -6.0), (seconds, 0.0)],
    };
    let gain_db = error_db(&gain.left, &daw.cli(&[], vec![ramp]));
    eprintln!("gain ramp: export vs command line {gain_db:.1} dB");
    assert!(gain_db < -40.0, "{gain_db}");

    // Learning, a frame operation and a reordering: exact, twice. Ardour exports a VST3 in
    // real-time mode; the plugin waits for its jobs once the export is ahead of real time
    // (`engine::pace`), which the file's lead-in of silence leaves time for. On a machine busy
    // enough that the export is still not that far ahead when the music starts, an adaptive
    // filter the worker makes (one a chunk) can come in late: that export is near the command
    // line's (seen: -41 and -29 dB), nearer than the unlearned signal by far, but not exact,
    // and is made again. The frame operations and random segments use no worker: exact always.
    let cases: [Case; 3] = [
        (
            "adaptive-learning",
            "Learn Mode=3",
            &[(ParamId::DenoiseMode, 3.0)],
            true,
        ),
        (
            "phase-zero-checkerboard",
            "Phase=1;Checkerboard=1",
            &[(ParamId::SpecPhase, 1.0), (ParamId::SpecCheckerboard, 1.0)],
            false,
        ),
        (
            "random-segments",
            "Reorder Mode=1;Reorder Length=0.25;Frame Order=1",
            &[
                (ParamId::ReorderMode, 1.0),
                (ParamId::ReorderLength, 0.25),
                (ParamId::ReorderOrder, 1.0),
            ],
            false,
        ),
    ];
    // Two exact exports of sessions that hold their layout; the others are made again.
    const ATTEMPTS: usize = 12;
    let unlearned = daw.cli(&[], Vec::new());
    for (name, set, settings, uses_worker) in cases {
        let cli = daw.cli(settings, Vec::new());
        // A late export must be nearer the command line than this by 6 dB.
        let late_limit = error_db(&unlearned, &cli) - 6.0;
        let (mut exact, mut lost, mut late) = (0, 0, Vec::new());
        for attempt in 0..ATTEMPTS {
            if exact == 2 {
                break;
            }
            let export = daw.export(&format!("{name}-{attempt}"), set, "Output Gain", 0.0, 0.0);
            let db = error_db(&export.left, &cli);
            if !export.holds_layout(settings) {
                eprintln!("{name}, export {attempt}: saved without its layout, {db:.1} dB");
                lost += 1;
                continue;
            }
            eprintln!("{name}, export {attempt}: against the command line {db:.1} dB");
            if export.left == cli {
                exact += 1;
            } else {
                assert!(
                    uses_worker && db < late_limit,
                    "{name}, export {attempt}: {db:.1} dB from the command line (late: below {late_limit:.1})"
                );
                // A late worker is late by other amounts each time: an inexact export made
                // twice alike is the plugin's own difference from the command line.
                assert!(
                    !late.contains(&export.left),
                    "{name}, export {attempt}: the same {db:.1} dB from the command line again"
                );
                late.push(export.left);
            }
        }
        assert_eq!(
            exact,
            2,
            "{name}: {lost} sessions saved without their layout, {} late exports",
            late.len()
        );
    }
}
