//! Timeline-anchored processing, hosted through CLAP with a playing transport as a DAW sends
//! it: the same audio rendered from two places on the timeline (a whole export and the export
//! of a range) comes out the same, sample for sample, once the range's warm-up is over. Without
//! a transport the timeline starts at the first sample, so the range renders differently.

mod common;

use common::clap_host::{change, LoadedPlugin};
use common::load;
use phasewright::params::ParamId;

const RATE: u32 = 44100;
const WINDOW: usize = 2048;

/// A name, the reorder layout (mode, length) if any, settings, and the warm-up allowed.
type Case = (&'static str, Option<(f32, f32)>, Vec<(ParamId, f32)>, usize);

/// Renders `input` (stereo) starting at timeline sample `at` (None: no transport), offline,
/// with `settings` and the reorder `layout` (mode, length) if any.
fn render(
    input: &[Vec<f32>],
    at: Option<u64>,
    layout: Option<(f32, f32)>,
    settings: &[(ParamId, f32)],
) -> Vec<Vec<f32>> {
    let mut p = LoadedPlugin::new();
    p.set_render_mode(true);
    p.activate(RATE as f64, 512);
    if let Some((mode, seconds)) = layout {
        let changes = [
            change(&mut p, 0, ParamId::ReorderMode, mode),
            change(&mut p, 0, ParamId::ReorderLength, seconds),
        ];
        p.process(&[vec![0.0; 64], vec![0.0; 64]], None, 64, &changes);
        assert!(p.take_restart_request());
        p.activate(RATE as f64, 512);
    }
    let changes: Vec<_> = (settings.iter())
        .map(|&(id, value)| change(&mut p, 0, id, value))
        .collect();
    p.play_at(at);
    let out = p.process(input, None, 512, &changes);
    assert!(p.errors().is_empty(), "{:?}", p.errors());
    out
}

/// The first sample from which `range` (rendered from `offset` on) equals `whole`.
fn agrees_from(whole: &[Vec<f32>], range: &[Vec<f32>], offset: usize) -> Option<usize> {
    let len = range[0].len();
    let differs = |t: usize| (0..2).any(|ch| range[ch][t] != whole[ch][offset + t]);
    let last = (0..len).rev().find(|&t| differs(t)).map_or(0, |t| t + 1);
    (last < len - RATE as usize).then_some(last)
}

#[test]
fn a_range_renders_as_the_same_range_of_the_whole_once_warmed_up() {
    let audio = load("music/trumpet.wav");
    let x = audio.channels[0][..4 * RATE as usize].to_vec();
    let input = vec![x.clone(), x];
    // Not a multiple of the hop or the engine's chunk.
    let offset = 57_331;
    let range: Vec<Vec<f32>> = input.iter().map(|c| c[offset..].to_vec()).collect();
    let cases: [Case; 2] = [
        (
            "random phase, checkerboard, permuted bins",
            None,
            vec![
                (ParamId::SpecPhase, 3.0),
                (ParamId::SpecCheckerboard, 1.0),
                (ParamId::SpecPermute, 1.0),
            ],
            2 * WINDOW,
        ),
        (
            "segments of 0.25 s in random order",
            Some((1.0, 0.25)),
            vec![(ParamId::ReorderOrder, 1.0)],
            // Up to a segment begun before the range, then the two of latency.
            2 * WINDOW + 3 * 11 * 1024,
        ),
    ];
    for (name, layout, settings, warm_up) in cases {
        let whole = render(&input, Some(0), layout, &settings);
        let again = render(&input, Some(0), layout, &settings);
        assert!(whole == again, "{name}: two exports differ");
        let free = render(&input, None, layout, &settings);
        assert!(
            whole == free,
            "{name}: the timeline starts at 0 without a transport"
        );
        let part = render(&range, Some(offset as u64), layout, &settings);
        let from = agrees_from(&whole, &part, offset);
        eprintln!("{name}: the range agrees with the whole from sample {from:?} on");
        let from = from.unwrap_or_else(|| panic!("{name}: the range never agrees"));
        assert!(from <= warm_up, "{name}: warm-up {from} > {warm_up}");
        // Without the transport the range is counted from its own first sample.
        let unplaced = render(&range, None, layout, &settings);
        assert!(
            agrees_from(&whole, &unplaced, offset).is_none(),
            "{name}: agrees without a timeline"
        );
    }
}
