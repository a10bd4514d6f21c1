//! Frame reordering hosted through CLAP as a DAW runs it, on real music and on a file of two
//! alternating notes: Segment and Capture modes with every order report the right latency,
//! render bit-identically offline whatever the block size, and do what they say to the sound.
//! Run with `--features assert_process_allocs`, so any allocation in `process()` aborts.

mod common;

use common::clap_host::{change, LoadedPlugin};
use common::{load, relative_error_db};
use phasewright::params::{Choice, ParamId};
use phasewright::stages::frame_memory::FrameOrder;

const RATE: u32 = 44100;
const WINDOW: usize = 2048;
const HOP: usize = 512;

/// A plugin set to reorder `mode` (its `reorder_mode` index) over `seconds`, re-activated as a
/// host does when the plugin asks (the mode fixes the latency), offline or not.
fn configured(mode: f32, seconds: f32, offline: bool, block: usize) -> LoadedPlugin {
    let mut p = LoadedPlugin::new();
    p.set_render_mode(offline);
    p.activate(RATE as f64, block as u32);
    assert_eq!(p.latency() as usize, WINDOW);
    let changes = [
        change(&mut p, 0, ParamId::ReorderMode, mode),
        change(&mut p, 0, ParamId::ReorderLength, seconds),
    ];
    p.process(&[vec![0.0; 64], vec![0.0; 64]], None, 64, &changes);
    assert!(
        p.take_restart_request(),
        "a new reorder mode asks for a restart"
    );
    p.activate(RATE as f64, block as u32);
    p
}

/// Renders `input` (stereo) through `p` with `order` and further `(sample, id, value)` changes.
fn render(
    p: &mut LoadedPlugin,
    input: &[Vec<f32>],
    block: usize,
    order: usize,
    extra: &[(usize, ParamId, f32)],
) -> Vec<Vec<f32>> {
    let mut changes = vec![change(p, 0, ParamId::ReorderOrder, order as f32)];
    for &(sample, id, value) in extra {
        changes.push(change(p, sample, id, value));
    }
    changes.sort_by_key(|c| c.sample);
    let output = p.process(input, None, block, &changes);
    assert!(p.errors().is_empty(), "{:?}", p.errors());
    assert!(output.iter().flatten().all(|x| x.is_finite()));
    output
}

fn trumpet(seconds: f32) -> Vec<Vec<f32>> {
    let audio = load("music/trumpet.wav");
    assert_eq!(audio.sample_rate, RATE);
    let x = audio.channels[0][..(seconds * RATE as f32) as usize].to_vec();
    vec![x.clone(), x]
}

/// Alternating notes of 0.1 s, 440 Hz and 1320 Hz, with a short fade at each edge.
fn two_notes(seconds: f32) -> Vec<f32> {
    let note = (0.1 * RATE as f32) as usize;
    (0..(seconds * RATE as f32) as usize)
        .map(|n| {
            let hz = if (n / note).is_multiple_of(2) {
                440.0
            } else {
                1320.0
            };
            let edge = ((n % note).min(note - n % note) as f32 / 200.0).min(1.0);
            0.5 * edge * (std::f32::consts::TAU * hz * n as f32 / RATE as f32).sin()
        })
        .collect()
}

/// Which note each hop of `x` holds (true: the high one), by correlation with both.
fn note_labels(x: &[f32]) -> Vec<bool> {
    x.chunks_exact(HOP)
        .map(|hop| {
            let power = |hz: f32| {
                let (mut c, mut s) = (0.0f32, 0.0f32);
                for (n, v) in hop.iter().enumerate() {
                    let phase = std::f32::consts::TAU * hz * n as f32 / RATE as f32;
                    c += v * phase.cos();
                    s += v * phase.sin();
                }
                c * c + s * s
            };
            power(1320.0) > power(440.0)
        })
        .collect()
}

/// How grouped the notes are: the longest run of each note, together, as a share of all hops
/// (about 0.2 for notes alternating every 0.1 s over a second, 1 when each note is one run).
fn grouping(labels: &[bool]) -> f32 {
    let longest = |note: bool| {
        let (mut best, mut run) = (0, 0);
        for l in labels {
            run = if *l == note { run + 1 } else { 0 };
            best = best.max(run);
        }
        best
    };
    (longest(false) + longest(true)) as f32 / labels.len() as f32
}

#[test]
fn segments_play_in_each_order_with_the_reported_latency_and_repeat_bit_for_bit() {
    let seconds = 1.0;
    let n = (seconds * RATE as f32 / HOP as f32).round() as usize;
    let latency = WINDOW + 2 * n * HOP;
    let notes = two_notes(7.0);
    let input = vec![notes.clone(), notes];
    for (order, name) in FrameOrder::NAMES.iter().enumerate() {
        let mut a = configured(1.0, seconds, true, 512);
        assert_eq!(a.latency() as usize, latency, "{name}");
        let out = render(&mut a, &input, 512, order, &[]);
        let mut b = configured(1.0, seconds, true, 333);
        assert_eq!(out, render(&mut b, &input, 333, order, &[]), "{name}");
        // All dry: the input, delayed by exactly the reported latency.
        let mut dry = configured(1.0, seconds, true, 512);
        let dry_out = render(&mut dry, &input, 512, order, &[(0, ParamId::OutMix, 0.0)]);
        let tail = input[0].len() - latency;
        assert!(dry_out[0][..latency].iter().all(|x| *x == 0.0));
        assert_eq!(dry_out[0][latency..], input[0][..tail], "{name}");

        // Each of segments 1 to 3, where its output lands: the same frames, so the energy of
        // the input up to the partial cancellation of frames overlapped out of order, and (for
        // similarity orders) notes grouped instead of alternating.
        for segment in 1..4 {
            let start = segment * n * HOP;
            let range = start + WINDOW..start + n * HOP;
            let dry = &input[0][range.clone()];
            let wet = &out[0][range.start + latency..range.end + latency];
            let energy = |x: &[f32]| x.iter().map(|v| v * v).sum::<f32>();
            let ratio_db = 10.0 * (energy(wet) / energy(dry)).log10();
            assert!(
                (-6.0..1.0).contains(&ratio_db),
                "{name} segment {segment}: {ratio_db:.2} dB"
            );
            let (before, after) = (grouping(&note_labels(dry)), grouping(&note_labels(wet)));
            eprintln!(
                "{name:8} segment {segment}: energy {ratio_db:+.2} dB, grouping {before:.2} -> {after:.2}"
            );
            match *name {
                "PCA" | "t-SNE" => assert!(after > 0.55, "{name}: {after:.2}"),
                "Walk" => assert!(after > 2.0 * before, "{name}: {after:.2} vs {before:.2}"),
                _ => assert!(after < 0.4, "{name}: {after:.2}"),
            }
        }
    }
}

#[test]
fn a_capture_loops_exactly_in_each_order_and_lets_the_input_through_before_and_after() {
    let seconds = 0.5;
    let frames = (seconds * RATE as f32 / HOP as f32).round() as usize;
    let period = frames * HOP;
    let input = trumpet(6.0);
    let (on, off) = (2 * RATE as usize, 4 * RATE as usize);
    let capture = [
        (on, ParamId::ReorderCapture, 1.0),
        (off, ParamId::ReorderCapture, 0.0),
    ];
    for (order, name) in FrameOrder::NAMES.iter().enumerate() {
        let mut a = configured(2.0, seconds, true, 512);
        assert_eq!(
            a.latency() as usize,
            WINDOW,
            "{name}: capture adds no latency"
        );
        let out = render(&mut a, &input, 512, order, &capture);
        let mut b = configured(2.0, seconds, true, 333);
        assert_eq!(out, render(&mut b, &input, 333, order, &capture), "{name}");

        let delayed = |range: std::ops::Range<usize>| -> f64 {
            relative_error_db(
                &out[0][range.start + WINDOW..range.end + WINDOW],
                &input[0][range],
            )
        };
        let before = delayed(WINDOW..on - WINDOW);
        let after = delayed(off + 2 * WINDOW + RATE as usize / 10..input[0].len() - WINDOW);
        // While frozen (past the fade-in): a loop of `frames` hops, except Random, which draws
        // a new permutation each pass. Texture plays the captured loop once, then its texture.
        let mut looped = on + WINDOW + RATE as usize / 5;
        if *name == "Texture" {
            looped += period;
        }
        let loop_db = relative_error_db(
            &out[0][looped + period..looped + 2 * period],
            &out[0][looped..looped + period],
        );
        eprintln!("{name:8}: before {before:.0} dB, after {after:.0} dB, loop {loop_db:.1} dB");
        assert!(
            before < -100.0 && after < -100.0,
            "{name}: {before} / {after}"
        );
        if *name == "Random" {
            assert!(loop_db > -20.0, "{name}: {loop_db:.1} dB");
        } else {
            assert!(loop_db < -100.0, "{name}: {loop_db:.1} dB");
        }
        let level = out[0][looped..looped + period]
            .iter()
            .map(|v| v * v)
            .sum::<f32>();
        assert!(level > 1e-3, "{name}: the loop is silent");
    }
}

#[test]
fn at_real_time_pace_every_order_is_back_in_time_so_the_sound_is_the_offline_render() {
    // Segments of 0.5 s ordered by t-SNE (Barnes-Hut) on the worker thread, played as a sound
    // card would; an order that missed its segment would play the last one instead and change
    // the sound.
    let notes = two_notes(3.0);
    let input = vec![notes.clone(), notes];
    let tsne = FrameOrder::NAMES
        .iter()
        .position(|o| *o == "t-SNE")
        .unwrap();
    let mut offline = configured(1.0, 0.5, true, 512);
    let expected = render(&mut offline, &input, 512, tsne, &[]);
    let mut live = configured(1.0, 0.5, false, 512);
    live.pace_in_real_time(true);
    let heard = render(&mut live, &input, 512, tsne, &[]);
    assert_eq!(heard, expected);
}

#[test]
fn a_saved_project_reopens_in_its_reorder_mode_with_its_latency_and_sound() {
    let seconds = 0.5;
    let n = (seconds * RATE as f32 / HOP as f32).round() as usize;
    let input = trumpet(3.0);
    let walk = FrameOrder::NAMES.iter().position(|o| *o == "Walk").unwrap();
    let mut a = configured(1.0, seconds, true, 512);
    let first = render(&mut a, &input, 512, walk, &[(0, ParamId::SpecSeed, 77.0)]);
    let saved = a.save_state();

    let mut b = LoadedPlugin::new();
    b.load_state(&saved).unwrap();
    b.set_render_mode(true);
    b.activate(RATE as f64, 512);
    assert_eq!(b.latency() as usize, WINDOW + 2 * n * HOP);
    // The same settings (order, seed) came back: the same samples come out.
    let again = b.process(&input, None, 512, &[]);
    assert_eq!(again, first);
}

/// A frozen capture with phase reset, its loop's phases rebuilt in the background
/// (Reconstruct) and RTPGHI looking a frame ahead, hosted offline: the look-ahead's hop is
/// reported, the rebuilt loop comes in once the loop has played through, crossfaded (no step
/// larger than RTPGHI's own output has), and renders repeat bit for bit at any block size.
#[test]
fn a_capture_rebuilt_in_the_background_crossfades_in_and_renders_the_same_at_any_block_size() {
    let input = trumpet(6.0);
    let on = 2 * RATE as usize;
    let reverse = FrameOrder::NAMES.iter().position(|o| *o == "Reverse");
    let run = |phase_mode: f32, block: usize| {
        let mut p = configured(2.0, 1.0, true, block);
        let ahead = [change(&mut p, 0, ParamId::PhaseLookahead, 1.0)];
        p.process(&[vec![0.0; 64], vec![0.0; 64]], None, 64, &ahead);
        assert!(p.take_restart_request(), "look-ahead asks for a restart");
        p.activate(RATE as f64, block as u32);
        assert_eq!(p.latency() as usize, WINDOW + HOP);
        let settings = [
            (0, ParamId::SpecPhase, 1.0),
            (0, ParamId::PhaseMode, phase_mode),
            (on, ParamId::ReorderCapture, 1.0),
        ];
        render(&mut p, &input, block, reverse.unwrap(), &settings)
    };
    let rebuilt = run(2.0, 512);
    assert!(rebuilt == run(2.0, 333), "two offline renders differ");
    let rtpghi = run(1.0, 512);
    // RTPGHI alone until the loop (1 s) has played through after its 50-ms fade-in.
    let differs = (rebuilt[0].iter().zip(&rtpghi[0])).position(|(a, b)| (a - b).abs() > 1e-6);
    let latency = WINDOW + HOP;
    let at = (differs.expect("the rebuilt loop never came in") - latency - on) as f32;
    let at = at / RATE as f32;
    assert!(
        (0.9..1.3).contains(&at),
        "the rebuilt loop came in {at:.3} s after the freeze"
    );
    let largest_step = |y: &[f32]| {
        y[on..on + 3 * RATE as usize]
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max)
    };
    let (ours, theirs) = (largest_step(&rebuilt[0]), largest_step(&rtpghi[0]));
    eprintln!("largest step: {ours:.3} with the rebuilt loop, {theirs:.3} with RTPGHI alone");
    assert!(ours <= 1.1 * theirs, "{ours} vs {theirs}");
}
