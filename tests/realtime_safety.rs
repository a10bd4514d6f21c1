//! The engine's audio path under the allocation guard (nice-plug's, installed by the
//! `assert_process_allocs` feature this test requires: any allocation or free inside
//! `assert_no_alloc` aborts the test), on real audio, with every parameter moving, odd block
//! sizes, taps swapped in by the worker thread, and hostile input.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use common::{add_noise, relative_error_db, stereo_excerpt};
use nice_assert_no_alloc::assert_no_alloc;
use phasewright::cli::demo::lowpass_taps;
use phasewright::engine::{Engine, EngineConfig, EngineShared, Layout};
use phasewright::params::ParamId;
use phasewright::worker::Executor;

const BLOCKS: [usize; 7] = [1, 17, 64, 333, 512, 2048, 4096];

fn realtime_engine(rate: u32) -> (Engine, Arc<EngineShared>) {
    let shared = Arc::new(EngineShared::default());
    let engine = Engine::new(
        EngineConfig::new(rate as f32, 2, Executor::Thread),
        shared.clone(),
    )
    .unwrap();
    (engine, shared)
}

/// Processes `len` frames of `chans` from `pos` under the guard, in one call.
/// NaN or infinite samples the output stage had to silence: a bug wherever the input is valid
/// (checking the output itself would not see it, as those samples leave as silence).
fn non_finite(shared: &EngineShared) -> u64 {
    shared.status.non_finite_outputs.load(Ordering::Relaxed)
}

fn guarded_block(
    engine: &mut Engine,
    chans: &mut [Vec<f32>; 2],
    reference: &[Vec<f32>; 2],
    pos: usize,
    len: usize,
) {
    let [l, r] = chans;
    let mut block = [&mut l[pos..pos + len], &mut r[pos..pos + len]];
    let side = [&reference[0][pos..pos + len], &reference[1][pos..pos + len]];
    assert_no_alloc(|| engine.process(&mut block, Some(&side)));
}

/// Plays `chans` through the engine in blocks of every size in `BLOCKS`, all under the guard,
/// with `set(engine, block index, position)` changing parameters before each block, and pausing
/// every eight blocks so the worker gets time, as a real host's period would give it.
fn play_paced(
    engine: &mut Engine,
    chans: &mut [Vec<f32>; 2],
    reference: &[Vec<f32>; 2],
    mut set: impl FnMut(&mut Engine, usize, usize),
) {
    let frames = chans[0].len();
    let (mut pos, mut k) = (0, 0);
    while pos < frames {
        let n = BLOCKS[k % BLOCKS.len()].min(frames - pos);
        assert_no_alloc(|| set(engine, k, pos));
        guarded_block(engine, chans, reference, pos, n);
        pos += n;
        k += 1;
        if k % 8 == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Calls `block` (which plays one guarded block), then sleeps a millisecond, until `done`
/// holds: a worker's result reaches the engine at a block start. The two-minute deadline is
/// far beyond what any machine needs, so a busy one only takes longer.
fn play_until(mut block: impl FnMut(usize), done: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    let mut round = 0;
    while !done() && start.elapsed() < Duration::from_secs(120) {
        block(round);
        round += 1;
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn the_audio_path_never_allocates_while_parameters_sweep_and_taps_swap() {
    let (rate, speech) = stereo_excerpt("speech/espeak_00_en.wav", 4.0);
    let (_, reference) = stereo_excerpt("speech/espeak_02_de.wav", 4.0);
    let (mut engine, shared) = realtime_engine(rate);
    let mut chans = speech.clone();
    let frames = chans[0].len();
    let (mut pos, mut k) = (0, 0);
    let mut last_taps = 0;
    let mut reference_peak = 0.0;
    while pos < frames {
        let n = BLOCKS[k % BLOCKS.len()].min(frames - pos);
        reference_peak = (reference.iter())
            .flat_map(|c| &c[pos..pos + n])
            .fold(0.0f32, |m, x| m.max(x.abs()));
        let t = pos as f32 / frames as f32;
        if k % 60 == 5 {
            // As the editor or a state load would: off the audio thread.
            last_taps = 31 + 2 * (k % 40);
            shared
                .taps
                .set(Some(lowpass_taps(1000.0 + 3000.0 * t, rate, last_taps)));
        }
        assert_no_alloc(|| {
            engine.set(ParamId::OutGain, -60.0 + 84.0 * t);
            engine.set(ParamId::OutMix, t);
            engine.set(ParamId::Bypass, ((k / 40) % 2) as f32);
            engine.set(ParamId::DenoiseEnable, ((k / 25) % 2) as f32);
            engine.set(ParamId::SpecWindow, (k % 7) as f32);
            engine.set(ParamId::SpecOverlap, (k % 4) as f32);
            engine.set(ParamId::SpecPhase, ((k / 10) % 4) as f32);
            engine.set(ParamId::SpecPermute, ((k / 7) % 2) as f32);
            engine.set(ParamId::SpecReverse, ((k / 11) % 2) as f32);
            engine.set(ParamId::SpecCheckerboard, ((k / 13) % 2) as f32);
            engine.set(ParamId::SpecSeed, (k / 17) as f32);
            engine.set(ParamId::PhaseMode, ((k / 19) % 3) as f32);
        });
        guarded_block(&mut engine, &mut chans, &reference, pos, n);
        pos += n;
        k += 1;
    }
    // The sidechain meter shows the last block's peak.
    let metered = shared.denoise.reference_peak.load(Ordering::Relaxed);
    assert!(
        reference_peak > 0.01 && metered == reference_peak,
        "{metered} vs {reference_peak}"
    );
    // Keep processing (guarded) until the worker's last filter is in.
    let mut tail = [vec![0.0f32; 512], vec![0.0f32; 512]];
    let silence = [vec![0.0f32; 512], vec![0.0f32; 512]];
    play_until(
        |_| guarded_block(&mut engine, &mut tail, &silence, 0, 512),
        || shared.denoise.taps_len.load(Ordering::Relaxed) as usize == last_taps,
    );
    assert_eq!(
        shared.denoise.taps_len.load(Ordering::Relaxed) as usize,
        last_taps
    );
    assert_eq!(non_finite(&shared), 0);
}

#[test]
fn learning_in_every_mode_never_allocates_while_learned_taps_swap_in() {
    let (rate, clean) = stereo_excerpt("speech/espeak_01_en.wav", 3.0);
    let frames = clean[0].len();
    let noisy: [Vec<f32>; 2] = add_noise(&clean, 0.05, 12345).try_into().unwrap();
    let taps_81 = 3.0;
    let taps_128 = 4.0;
    for (mode, name) in [
        (1.0, "reference"),
        (2.0, "noise profile"),
        (3.0, "adaptive"),
    ] {
        let (mut engine, shared) = realtime_engine(rate);
        let mut chans = noisy.clone();
        play_paced(&mut engine, &mut chans, &clean, |engine, k, pos| {
            let t = pos as f32 / rate as f32;
            engine.set(ParamId::DenoiseMode, mode);
            // A new length half-way restarts learning.
            engine.set(
                ParamId::DenoiseTaps,
                if t < 1.5 { taps_81 } else { taps_128 },
            );
            let learn = if mode == 2.0 { t < 0.4 } else { true };
            engine.set(ParamId::DenoiseLearn, learn as u8 as f32);
            engine.set(ParamId::DenoiseAmount, 0.5 + 0.5 * (k % 2) as f32);
            engine.set(ParamId::DenoiseListen, ((k / 30) % 2) as f32);
        });
        // Keep playing (guarded) until the worker's 128-tap filter is in.
        let mut more = noisy.clone();
        play_until(
            |round| {
                let start = (round * 512) % (frames - 512);
                guarded_block(&mut engine, &mut more, &clean, start, 512);
            },
            || shared.denoise.taps_len.load(Ordering::Relaxed) == 128,
        );
        assert_eq!(
            shared.denoise.taps_len.load(Ordering::Relaxed),
            128,
            "{name}"
        );
        let learned = shared.taps.get().expect("learned taps are in the slot");
        assert_eq!(learned.metadata["method"], name);
        assert!(
            shared.denoise.learn.solves.load(Ordering::Relaxed) >= 2,
            "{name}"
        );
        assert_eq!(non_finite(&shared), 0, "{name}");
    }
}

#[test]
fn reordering_never_allocates_in_segment_and_capture_modes_with_every_order() {
    let (rate, music) = stereo_excerpt("music/trumpet.wav", 4.0);
    for mode in [1.0, 2.0] {
        let layout = Layout::from_values(|id| match id {
            ParamId::ReorderMode => mode,
            ParamId::ReorderLength => 0.3,
            _ => id.spec().default,
        });
        let shared = Arc::new(EngineShared::default());
        let config = EngineConfig::new(rate as f32, 2, Executor::Thread).with_layout(layout);
        let mut engine = Engine::new(config, shared.clone()).unwrap();
        let mut chans = music.clone();
        play_paced(&mut engine, &mut chans, &music, |engine, k, _| {
            // Every order in turn (similarity orders twice as long), capture on and off, and the
            // feature settings moving.
            engine.set(ParamId::ReorderOrder, ((k / 15) % 5) as f32);
            engine.set(ParamId::ReorderCapture, ((k / 12) % 2) as f32);
            engine.set(ParamId::ReorderWeighting, ((k / 40) % 4) as f32);
            engine.set(ParamId::ReorderPerplexity, (5 + k % 30) as f32);
            engine.set(ParamId::ReorderTsne, ((k / 23) % 2) as f32);
            engine.set(ParamId::ReorderNeighbours, (1 + k % 8) as f32);
            engine.set(ParamId::SpecSeed, (k / 50) as f32);
            engine.set(ParamId::SpecPhase, ((k / 35) % 4) as f32);
            // The phase stage in every mode, so segments are rebuilt in the background too.
            engine.set(ParamId::PhaseMode, ((k / 45) % 3) as f32);
        });
        let orders = shared
            .reorder
            .embedding
            .lock()
            .unwrap()
            .as_ref()
            .map_or(0, |v| v.serial);
        let misses = shared.reorder.misses.load(Ordering::Relaxed);
        eprintln!("mode {mode}: {orders} similarity orders, {misses} misses");
        assert!(orders >= 2, "mode {mode}: {orders} orders came back");
        if mode == 1.0 {
            // Segments asked for in Reconstruct mode have their phases rebuilt by the worker.
            let sc = || shared.phase.sc_db.load(Ordering::Relaxed);
            play_until(|_| {}, || sc() < -5.0);
            assert!(
                sc() < -5.0,
                "no segment's phases were rebuilt ({} dB)",
                sc()
            );
        }
        assert_eq!(non_finite(&shared), 0, "mode {mode}");
        // Reordered frames keep the music's level.
        let energy = |x: &[f32]| x.iter().map(|v| v * v).sum::<f32>();
        let latency = engine.latency();
        let ratio = energy(&chans[0][latency..]) / energy(&music[0][..music[0].len() - latency]);
        eprintln!("mode {mode}: output energy {ratio:.2} of the input's");
        assert!((0.25..4.0).contains(&ratio), "mode {mode}: {ratio}");
    }
}

#[test]
fn a_loop_rebuilt_in_the_background_comes_in_without_allocating_on_the_audio_thread() {
    let (rate, music) = stereo_excerpt("music/trumpet.wav", 3.0);
    // RTPGHI looking a frame ahead, so the held frame and its loop place are exercised too.
    let layout = Layout::from_values(|id| match id {
        ParamId::ReorderMode => 2.0,
        ParamId::ReorderLength => 0.3,
        ParamId::PhaseLookahead => 1.0,
        _ => id.spec().default,
    });
    let shared = Arc::new(EngineShared::default());
    let config = EngineConfig::new(rate as f32, 2, Executor::Thread).with_layout(layout);
    let mut engine = Engine::new(config, shared.clone()).unwrap();
    assert_eq!(
        engine.latency(),
        2048 + 512,
        "the look-ahead's hop is reported"
    );
    engine.set(ParamId::PhaseMode, 2.0);
    engine.set(ParamId::SpecPhase, 1.0);
    let mut chans = music.clone();
    play_paced(&mut engine, &mut chans, &music, |engine, k, _| {
        // Captures held long enough to loop, released, taken again; the effort changing.
        engine.set(ParamId::ReorderCapture, ((k / 60) % 3).min(1) as f32);
        engine.set(ParamId::PhaseIterations, (8 + 8 * ((k / 90) % 2)) as f32);
    });
    // Hold a capture (guarded) until its rebuilt loop is heard.
    engine.set(ParamId::ReorderCapture, 1.0);
    let mut tail = [vec![0.0f32; 512], vec![0.0f32; 512]];
    let silence = [vec![0.0f32; 512], vec![0.0f32; 512]];
    let playing = || shared.phase.playing.load(Ordering::Relaxed);
    play_until(
        |_| guarded_block(&mut engine, &mut tail, &silence, 0, 512),
        playing,
    );
    assert!(playing(), "no rebuilt loop was heard");
    assert!(shared.phase.sc_db.load(Ordering::Relaxed) < -10.0);
    assert_eq!(non_finite(&shared), 0);
}

#[test]
fn hostile_input_never_produces_nan_inf_or_subnormal_output_and_the_engine_recovers() {
    let (rate, speech) = stereo_excerpt("speech/espeak_03_fr.wav", 2.0);
    let (mut engine, shared) = realtime_engine(rate);
    engine.set(ParamId::OutGain, 24.0);
    let frames = speech[0].len();
    let half = frames / 2;
    let mut chans = speech.clone();
    // First half: NaN, infinities, subnormals, absurd and full-scale values mixed into speech.
    let tiny = f32::MIN_POSITIVE / 8.0;
    for ch in chans.iter_mut() {
        for (i, x) in ch[..half].iter_mut().enumerate() {
            *x = match i % 7 {
                0 => f32::NAN,
                1 => f32::INFINITY,
                2 => f32::NEG_INFINITY,
                3 => tiny,
                4 => 1e30,
                5 => {
                    if i % 2 == 0 {
                        1.0
                    } else {
                        -1.0
                    }
                }
                _ => *x,
            };
        }
    }
    let silence = [vec![0.0f32; frames], vec![0.0f32; frames]];
    let (mut pos, mut k) = (0, 0);
    while pos < frames {
        let n = BLOCKS[k % BLOCKS.len()].min(frames - pos);
        guarded_block(&mut engine, &mut chans, &silence, pos, n);
        pos += n;
        k += 1;
    }
    for x in chans.iter().flatten() {
        assert!(
            x.is_finite() && (*x == 0.0 || x.abs() >= f32::MIN_POSITIVE),
            "{x}"
        );
    }
    // Made safe on the way in: nothing non-finite reached the output stage to be silenced.
    assert_eq!(non_finite(&shared), 0);
    // Once the garbage has left the window, clean speech comes out clean (at +24 dB).
    let latency = engine.latency();
    let gain = 10f32.powf(24.0 / 20.0);
    let start = half + 2 * latency;
    for (input, output) in speech.iter().zip(&chans) {
        let expected: Vec<f32> = input[start - latency..frames - latency]
            .iter()
            .map(|x| x * gain)
            .collect();
        let err = relative_error_db(&output[start..], &expected);
        assert!(err < -100.0, "{err:.1} dB");
    }
}

/// Texture order on a frozen capture: the reconstruction runs on the worker in a chain of
/// jobs, each partial texture crossfading in over the last while the loop plays, all under
/// the guard. The texture playing first is rougher than the last: it came into focus.
#[test]
fn a_texture_comes_into_focus_without_allocating_on_the_audio_thread() {
    let (rate, music) = stereo_excerpt("music/violin.wav", 2.0);
    let layout = Layout::from_values(|id| match id {
        ParamId::ReorderMode => 2.0,
        ParamId::ReorderLength => 0.25,
        _ => id.spec().default,
    });
    let shared = Arc::new(EngineShared::default());
    let config = EngineConfig::new(rate as f32, 2, Executor::Thread).with_layout(layout);
    let mut engine = Engine::new(config, shared.clone()).unwrap();
    engine.set(ParamId::ReorderOrder, 5.0);
    engine.set(ParamId::TextureJ, 6.0);
    engine.set(ParamId::TextureIterations, 40.0);
    let mut chans = music.clone();
    play_paced(&mut engine, &mut chans, &music, |engine, k, _| {
        // A capture taken, released and taken again: the first texture is superseded.
        engine.set(ParamId::ReorderCapture, ((k / 30) % 2) as f32);
    });
    engine.set(ParamId::ReorderCapture, 1.0);
    let status = &shared.texture;
    let mut tail = [vec![0.0f32; 512], vec![0.0f32; 512]];
    let silence = [vec![0.0f32; 512], vec![0.0f32; 512]];
    let error = || status.relative_error.load(Ordering::Relaxed);
    // Until a texture is heard ...
    play_until(
        |_| guarded_block(&mut engine, &mut tail, &silence, 0, 512),
        || status.playing.load(Ordering::Relaxed),
    );
    let first = error();
    assert!(
        status.playing.load(Ordering::Relaxed),
        "no texture was heard"
    );
    // ... and until the reconstruction is complete and its last texture is heard.
    let done = || status.progress.load(Ordering::Relaxed) >= 1.0 && error() < first;
    play_until(
        |_| guarded_block(&mut engine, &mut tail, &silence, 0, 512),
        done,
    );
    let last = error();
    eprintln!("relative error of the first texture heard {first:.3}, of the last {last:.3}");
    assert!(last < first, "{last} vs {first}");
    assert_eq!(non_finite(&shared), 0);
    assert!(tail[0].iter().any(|x| *x != 0.0), "the texture is silent");
}
