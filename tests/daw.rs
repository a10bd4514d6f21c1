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

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::load;
use phasewright::cli::io::{read_wav, write_wav, Audio, SampleFormat};
use phasewright::cli::render::{render, Automation, RenderOptions};
use phasewright::params::{ParamId, PARAMS};

/// Where render.lua places the input on the timeline (its `PAD`).
const PAD: u64 = 16384;

/// A name, the settings as Ardour names them, and as the command line does.
type Case = (&'static str, &'static str, &'static [(ParamId, f32)]);

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
        let audio = Audio {
            sample_rate: trumpet.sample_rate,
            channels: vec![trumpet.channels[0][..3 * trumpet.sample_rate as usize].to_vec()],
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
    /// `param` ramped from `a` to `b` over the file; returns the left channel and the log of
    /// the session build.
    fn export(&self, name: &str, set: &str, param: &str, a: f32, b: f32) -> (Vec<f32>, String) {
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
        (audio.channels.swap_remove(0), log)
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

fn error_db(output: &[f32], reference: &[f32]) -> f64 {
    assert_eq!(output.len(), reference.len());
    common::relative_error_db(output, reference)
}

#[test]
fn in_ardour_every_parameter_is_listed_and_exports_repeat_and_equal_the_command_line() {
    let daw = Daw::new();
    let seconds = daw.audio.frames() as f64 / daw.audio.sample_rate as f64;

    // Gain automation: Ardour steps it every 64-sample cycle, the render ramps it.
    let (exported, log) = daw.export("gain", "", "Output Gain", -6.0, 0.0);
    let listed: Vec<&str> = (log.lines())
        .filter_map(|l| l.trim().strip_prefix("param #"))
        .filter_map(|l| l.split('\'').nth(1))
        .collect();
    let names: Vec<&str> = PARAMS.iter().map(|p| p.name).collect();
    assert_eq!(listed, names, "Ardour's controls");
    let ramp = Automation {
        id: "out_gain".into(),
        points: vec![(0.0, -6.0), (seconds, 0.0)],
    };
    let gain_db = error_db(&exported, &daw.cli(&[], vec![ramp]));
    eprintln!("gain ramp: export vs command line {gain_db:.1} dB");
    assert!(gain_db < -40.0, "{gain_db}");

    // Learning, a frame operation and a reordering: exact, twice. Ardour exports in real-time
    // mode as fast as it can; the plugin waits for its jobs once ahead of real time.
    let cases: [Case; 3] = [
        (
            "adaptive-learning",
            "Learn Mode=3",
            &[(ParamId::DenoiseMode, 3.0)],
        ),
        (
            "phase-zero-checkerboard",
            "Phase=1;Checkerboard=1",
            &[(ParamId::SpecPhase, 1.0), (ParamId::SpecCheckerboard, 1.0)],
        ),
        (
            "random-segments",
            "Reorder Mode=1;Reorder Length=0.25;Frame Order=1",
            &[
                (ParamId::ReorderMode, 1.0),
                (ParamId::ReorderLength, 0.25),
                (ParamId::ReorderOrder, 1.0),
            ],
        ),
    ];
    // Ardour itself now and then exports a session with settings it did not hand the plugin
    // (seen: one export in a few played the defaults). So a third export is made when two
    // differ; the plugin passes when two exports are identical and equal the command line.
    for (name, set, settings) in cases {
        let cli = daw.cli(settings, Vec::new());
        let mut exports = Vec::new();
        for attempt in 0..3 {
            let (export, _) =
                daw.export(&format!("{name}-{attempt}"), set, "Output Gain", 0.0, 0.0);
            let db = error_db(&export, &cli);
            eprintln!("{name}, export {attempt}: against the command line {db:.1} dB");
            exports.push(export);
            if exports.len() >= 2 && exports.iter().filter(|e| **e == cli).count() >= 2 {
                break;
            }
        }
        let matching = exports.iter().filter(|e| **e == cli).count();
        assert!(
            matching >= 2,
            "{name}: {matching} of {} exports equal the command line",
            exports.len()
        );
    }
}
