//! A long offline render with every stage busy: adaptive learning, checkerboard, segments
//! reordered by PCA, phases rebuilt live. Over ten minutes of audio (an hour with
//! `cargo test --release --test soak -- --ignored`), minute by minute: the level stays where
//! it was, the latency does not move, no sample is NaN or infinite, and the resident memory at
//! the end of each minute does not grow. The time each minute takes is printed, not asserted (the
//! machine may be busy), as are the figures.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use phasewright::cli::io::read_wav;
use phasewright::engine::{Engine, EngineConfig, EngineShared, Layout};
use phasewright::params::ParamId;
use phasewright::worker::Executor;

/// Resident memory of this process (Linux), in bytes: a leak shows as growth. (A counting
/// allocator would be exact, but the suite's allocation guard owns the global allocator.)
fn resident_bytes() -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kb: i64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

const BLOCK: usize = 512;

/// Music and speech from the data folder, one after the other, looped; with seeded noise added
/// as it plays so no two loops are the same.
struct Source {
    material: Vec<f32>,
    pos: usize,
    seed: u32,
}

impl Source {
    fn new() -> (Self, u32) {
        let mut material = Vec::new();
        let mut rate = 0;
        for name in [
            "music/trumpet.wav",
            "speech/espeak_01_en.wav",
            "music/violin.wav",
        ] {
            let path = format!("{}/../shared/data/{name}", env!("CARGO_MANIFEST_DIR"));
            let audio = read_wav(std::path::Path::new(&path)).unwrap();
            // Every file at the first one's rate (the soak is about time, not pitch).
            rate = if rate == 0 { audio.sample_rate } else { rate };
            material.extend(&audio.channels[0]);
        }
        (
            Self {
                material,
                pos: 0,
                seed: 1,
            },
            rate,
        )
    }

    fn fill(&mut self, block: &mut [Vec<f32>]) {
        for i in 0..block[0].len() {
            self.seed = self.seed.wrapping_mul(1664525).wrapping_add(1013904223);
            let noise = 0.02 * ((self.seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5);
            let x = self.material[self.pos] + noise;
            self.pos = (self.pos + 1) % self.material.len();
            block[0][i] = x;
            block[1][i] = -x;
        }
    }
}

fn soak(minutes: usize) {
    let (mut source, rate) = Source::new();
    let layout = Layout::from_values(|id| match id {
        ParamId::ReorderMode => 1.0,
        ParamId::ReorderLength => 0.5,
        _ => id.spec().default,
    });
    let shared = Arc::new(EngineShared::default());
    let offline = Executor::Inline {
        permit: |job| job(),
    };
    let config = EngineConfig::new(rate as f32, 2, offline).with_layout(layout);
    let mut engine = Engine::new(config, shared.clone()).unwrap();
    for (id, value) in [
        (ParamId::DenoiseMode, 3.0),
        (ParamId::SpecCheckerboard, 1.0),
        (ParamId::ReorderOrder, 2.0),
        (ParamId::PhaseMode, 1.0),
    ] {
        engine.set(id, value);
    }
    let latency = engine.latency();
    let per_minute = 60 * rate as usize / BLOCK;
    let mut block = vec![vec![0.0f32; BLOCK]; 2];
    let (mut levels, mut held) = (Vec::new(), Vec::new());
    for minute in 0..minutes {
        let began = Instant::now();
        let (mut energy_in, mut energy_out) = (0.0f64, 0.0f64);
        for _ in 0..per_minute {
            source.fill(&mut block);
            energy_in += block[0].iter().map(|x| (*x as f64).powi(2)).sum::<f64>();
            let mut io: Vec<&mut [f32]> = block.iter_mut().map(|c| &mut c[..]).collect();
            engine.process(&mut io, None::<&[&[f32]]>);
            for x in block.iter().flatten() {
                assert!(x.is_finite(), "minute {minute}: {x}");
            }
            energy_out += block[0].iter().map(|x| (*x as f64).powi(2)).sum::<f64>();
        }
        let seconds = began.elapsed().as_secs_f64();
        let level = 10.0 * (energy_out / energy_in).log10();
        let bytes = resident_bytes();
        eprintln!(
            "minute {minute}: level {level:+.2} dB against the input, {seconds:.2} s ({:.0}x real time), {:.1} MB resident",
            60.0 / seconds,
            bytes as f64 / 1e6
        );
        assert_eq!(engine.latency(), latency, "minute {minute}");
        levels.push(level);
        held.push(bytes);
    }
    let status = &shared.status;
    assert_eq!(status.non_finite_outputs.load(Ordering::Relaxed), 0);
    let first = levels[1];
    for (minute, level) in levels.iter().enumerate().skip(1) {
        assert!(
            (level - first).abs() < 1.0,
            "minute {minute}: level {level:.2} dB vs {first:.2}"
        );
    }
    // After the first minute (plans, pools, orders all made), nothing accumulates (4 MB of
    // slack for the allocator's own caching).
    let settled = held[1];
    for (minute, bytes) in held.iter().enumerate().skip(1) {
        assert!(
            *bytes <= settled + (4 << 20),
            "minute {minute}: {bytes} bytes resident against {settled}"
        );
    }
}

#[test]
fn ten_minutes_of_every_stage_keep_level_latency_and_memory_and_never_a_nan() {
    soak(10);
}

#[test]
#[ignore = "an hour of audio: run by hand in release (see the module's comment)"]
fn an_hour_of_every_stage_keeps_level_latency_and_memory_and_never_a_nan() {
    soak(60);
}
