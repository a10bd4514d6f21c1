//! The parameter table: every parameter of Phasewright, declared once, in host order. The
//! `ParamId` enum, `PARAMS`, `ALL_PARAMS` and `PARAM_COUNT` are generated from it. Ids are
//! stable: they are saved in projects and presets.

use super::{Choice, Group, ParamKind, ParamSpec};
use crate::analysis::denoise::live::LearnMode;
use crate::analysis::order::features::Weighting;
use crate::analysis::order::tsne::TsneMethod;
use crate::dsp::stft::{OVERLAPS, WINDOW_SIZES};
use crate::stages::frame_memory::{FrameOrder, ReorderMode};
use crate::stages::frame_ops::PhaseMode;
use crate::stages::phase::PhaseRebuild;
use crate::stages::texture::TextureMethod;

/// Filter lengths the learn modes offer (81 is the classic lab's).
pub const LEARN_TAPS: [usize; 9] = [16, 32, 64, 81, 128, 256, 512, 1024, 2048];

macro_rules! param_table {
    ($($variant:ident: $spec:expr,)+) => {
        /// Position of each parameter in `PARAMS`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ParamId {
            $($variant),+
        }

        pub const PARAM_COUNT: usize = [$(stringify!($variant)),+].len();

        pub const PARAMS: [ParamSpec; PARAM_COUNT] = [$($spec),+];

        pub const ALL_PARAMS: [ParamId; PARAM_COUNT] = [$(ParamId::$variant),+];
    };
}

/// A parameter; every one is automatable, so hosts list them all (some hide the others).
const fn param(
    id: &'static str,
    name: &'static str,
    group: Group,
    kind: ParamKind,
    default: f32,
) -> ParamSpec {
    ParamSpec {
        id,
        name,
        group,
        kind,
        default,
        layout: false,
    }
}

const fn named<C: Choice>() -> ParamKind {
    ParamKind::Named { names: C::NAMES }
}

use Group::{Denoise, Output, Phase, Reorder, Spectral, Texture};
use ParamKind::{Fraction, Toggle};

param_table! {
    Bypass: param("bypass", "Bypass", Output, Toggle, 0.0),
    DenoiseEnable: param("denoise_enable", "Denoise", Denoise, Toggle, 1.0),
    DenoiseAmount: param("denoise_amount", "Denoise Amount", Denoise, Fraction, 1.0),
    // Changing the mode or the length restarts learning.
    DenoiseMode: param("denoise_mode", "Learn Mode", Denoise, named::<LearnMode>(), 0.0),
    DenoiseTaps: param(
        "denoise_taps",
        "Learned Taps",
        Denoise,
        ParamKind::Choice { options: &LEARN_TAPS },
        5.0, // 256
    ),
    // Automatable so that a project can mark its noise-only passages.
    DenoiseLearn: param("denoise_learn", "Learn", Denoise, Toggle, 0.0),
    DenoiseListen: param("denoise_listen", "Listen to Removed", Denoise, Toggle, 0.0),
    SpecWindow: param(
        "spec_window",
        "STFT Window",
        Spectral,
        ParamKind::Choice { options: &WINDOW_SIZES },
        3.0, // 2048
    )
    .sets_layout(),
    SpecOverlap: param(
        "spec_overlap",
        "STFT Overlap",
        Spectral,
        ParamKind::Choice { options: &OVERLAPS },
        1.0, // 4
    )
    .sets_layout(),
    SpecPhase: param("spec_phase", "Phase", Spectral, named::<PhaseMode>(), 0.0),
    SpecPermute: param("spec_permute", "Permute Bins", Spectral, Toggle, 0.0),
    SpecReverse: param("spec_reverse", "Reverse Bins", Spectral, Toggle, 0.0),
    SpecCheckerboard: param("spec_checkerboard", "Checkerboard", Spectral, Toggle, 0.0),
    // Every random choice of the spectral stages comes from here; a new value re-draws them.
    SpecSeed: param(
        "spec_seed",
        "Seed",
        Spectral,
        ParamKind::Integer { min: 0, max: 65535 },
        0.0,
    ),
    // Segment mode adds latency that depends on the length, so mode and length wait for the
    // host to re-activate the plugin, like the STFT layout.
    ReorderMode: param("reorder_mode", "Reorder Mode", Reorder, named::<ReorderMode>(), 0.0)
        .sets_layout(),
    // Takes effect at the next segment, or for the next capture.
    ReorderOrder: param(
        "reorder_order",
        "Frame Order",
        Reorder,
        named::<FrameOrder>(),
        2.0, // PCA
    ),
    ReorderLength: param(
        "reorder_length",
        "Reorder Length",
        Reorder,
        ParamKind::Seconds { min: 0.1, max: 8.0 },
        1.0,
    )
    .sets_layout(),
    // Automatable so that a project can freeze a texture where it wants one.
    ReorderCapture: param("reorder_capture", "Capture", Reorder, Toggle, 0.0),
    ReorderWeighting: param(
        "reorder_weighting",
        "Feature Weighting",
        Reorder,
        named::<Weighting>(),
        0.0,
    ),
    ReorderPerplexity: param(
        "reorder_perplexity",
        "t-SNE Perplexity",
        Reorder,
        ParamKind::Integer { min: 2, max: 100 },
        30.0,
    ),
    ReorderTsne: param(
        "reorder_tsne",
        "t-SNE Method",
        Reorder,
        named::<TsneMethod>(),
        2.0, // FFT
    ),
    ReorderNeighbours: param(
        "reorder_neighbours",
        "Walk Neighbours",
        Reorder,
        ParamKind::Integer { min: 1, max: 32 },
        5.0,
    ),
    // Rebuilds each frame's phase from its magnitude, after reordering and frame operations.
    PhaseMode: param("phase_mode", "Phase Rebuild", Phase, named::<PhaseRebuild>(), 0.0),
    // Fast GLA iterations of a background loop reconstruction (Reconstruct mode).
    PhaseIterations: param(
        "phase_iterations",
        "Phase Iterations",
        Phase,
        ParamKind::Integer { min: 0, max: 500 },
        32.0,
    ),
    // Holds each frame a hop so RTPGHI can look one frame ahead: one hop more latency, so it
    // waits for the host to re-activate the plugin, like the STFT layout.
    PhaseLookahead: param("phase_lookahead", "Phase Look-ahead", Phase, Toggle, 0.0)
        .sets_layout(),
    // The texture of a frozen capture (frame order Texture): a new setting starts it over.
    TextureJ: param(
        "texture_j",
        "Texture J",
        Texture,
        ParamKind::Integer { min: 1, max: 14 },
        8.0,
    ),
    TextureQ: param(
        "texture_q",
        "Texture Q",
        Texture,
        ParamKind::Integer { min: 1, max: 32 },
        8.0,
    ),
    TextureIterations: param(
        "texture_iterations",
        "Texture Iterations",
        Texture,
        ParamKind::Integer { min: 1, max: 1000 },
        100.0,
    ),
    TextureMethod: param(
        "texture_method",
        "Texture Method",
        Texture,
        named::<TextureMethod>(),
        1.0, // L-BFGS
    ),
    OutMix: param("out_mix", "Dry/Wet", Output, Fraction, 1.0),
    OutGain: param(
        "out_gain",
        "Output Gain",
        Output,
        ParamKind::Decibels { min: -60.0, max: 24.0 },
        0.0,
    ),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::choice::round_trips;

    #[test]
    fn table_order_matches_ids_and_ids_are_unique() {
        for (i, p) in ALL_PARAMS.iter().enumerate() {
            assert_eq!(*p as usize, i);
            assert_eq!(ParamId::from_id(p.spec().id), Some(*p));
            let d = p.spec().default;
            assert_eq!(p.spec().check(d), Ok(d));
        }
    }

    #[test]
    fn every_named_choice_maps_its_plain_values_both_ways() {
        round_trips::<LearnMode>();
        round_trips::<PhaseMode>();
        round_trips::<ReorderMode>();
        round_trips::<FrameOrder>();
        round_trips::<Weighting>();
        round_trips::<TsneMethod>();
        round_trips::<PhaseRebuild>();
        round_trips::<TextureMethod>();
    }

    #[test]
    fn every_parameter_sits_in_its_stage_group() {
        for p in PARAMS {
            let prefix = p.id.split('_').next().unwrap();
            let expected = match prefix {
                "denoise" => Group::Denoise,
                "spec" => Group::Spectral,
                "reorder" => Group::Reorder,
                "phase" => Group::Phase,
                "texture" => Group::Texture,
                _ => Group::Output,
            };
            assert_eq!(p.group, expected, "{}", p.id);
        }
    }
}
