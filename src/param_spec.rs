//! Every parameter of Phasewright, independent of any plugin framework: the plugin builds its host
//! parameters from this table, the command line validates `--set` and presets against it, and
//! `phasewright params` prints it. Ids are stable: they are saved in projects and presets.

use crate::dsp::stft::{OVERLAPS, WINDOW_SIZES};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamKind {
    /// A level in dB; `min` reads as silence.
    Decibels {
        min: f32,
        max: f32,
    },
    /// 0 to 1, shown as a percentage.
    Fraction,
    Toggle,
    /// One of a list of sizes; the plain value is the index into `options`.
    Choice {
        options: &'static [usize],
    },
    /// One of a list of named modes; the plain value is the index into `names`.
    Named {
        names: &'static [&'static str],
    },
    /// A whole number from `min` to `max` (seeds, counts).
    Integer {
        min: u32,
        max: u32,
    },
    /// A duration in seconds.
    Seconds {
        min: f32,
        max: f32,
    },
}

#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub kind: ParamKind,
    /// Plain value: dB, fraction, 0/1, or option index.
    pub default: f32,
    /// Settings that change latency or allocate cannot follow host automation.
    pub automatable: bool,
}

/// Position of each parameter in `PARAMS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamId {
    Bypass,
    DenoiseEnable,
    DenoiseAmount,
    DenoiseMode,
    DenoiseTaps,
    DenoiseLearn,
    DenoiseListen,
    SpecWindow,
    SpecOverlap,
    SpecPhase,
    SpecPermute,
    SpecReverse,
    SpecCheckerboard,
    SpecSeed,
    ReorderMode,
    ReorderOrder,
    ReorderLength,
    ReorderCapture,
    ReorderWeighting,
    ReorderPerplexity,
    ReorderTsne,
    ReorderNeighbours,
    OutMix,
    OutGain,
}

pub const PARAM_COUNT: usize = 24;

/// What the spectral stage does to each frame's phase; the `spec_phase` names, in order.
pub const PHASE_MODES: [&str; 4] = ["Keep", "Zero", "Conjugate", "Random"];

/// Filter lengths the learn modes offer (81 is the classic lab's).
pub const LEARN_TAPS: [usize; 9] = [16, 32, 64, 81, 128, 256, 512, 1024, 2048];

/// Where the denoiser's taps come from; the `denoise_mode` names, in order.
pub const LEARN_MODES: [&str; 4] = ["File", "Reference", "Noise profile", "Adaptive"];

/// How the frame memory is used; the `reorder_mode` names, in order.
pub const REORDER_MODES: [&str; 3] = ["Off", "Segment", "Capture"];

/// The order frames of the memory play in; the `reorder_order` names, in order.
pub const FRAME_ORDERS: [&str; 5] = ["Reverse", "Random", "PCA", "t-SNE", "Walk"];

/// How t-SNE computes its gradient; the `reorder_tsne` names, in order.
pub const TSNE_METHODS: [&str; 2] = ["Exact", "Barnes-Hut"];

/// Feature weightings of the similarity orders; the `reorder_weighting` names, in order.
pub const WEIGHTINGS: [&str; 4] = ["None", "Volume", "Log-freq", "Both"];

pub const PARAMS: [ParamSpec; PARAM_COUNT] = [
    ParamSpec {
        id: "bypass",
        name: "Bypass",
        kind: ParamKind::Toggle,
        default: 0.0,
        automatable: true,
    },
    ParamSpec {
        id: "denoise_enable",
        name: "Denoise",
        kind: ParamKind::Toggle,
        default: 1.0,
        automatable: true,
    },
    ParamSpec {
        id: "denoise_amount",
        name: "Denoise Amount",
        kind: ParamKind::Fraction,
        default: 1.0,
        automatable: true,
    },
    // Changing the mode or the length restarts learning, so neither follows automation.
    ParamSpec {
        id: "denoise_mode",
        name: "Learn Mode",
        kind: ParamKind::Named {
            names: &LEARN_MODES,
        },
        default: 0.0,
        automatable: false,
    },
    ParamSpec {
        id: "denoise_taps",
        name: "Learned Taps",
        kind: ParamKind::Choice {
            options: &LEARN_TAPS,
        },
        default: 5.0, // 256
        automatable: false,
    },
    // Automatable so that a project can mark its noise-only passages.
    ParamSpec {
        id: "denoise_learn",
        name: "Learn",
        kind: ParamKind::Toggle,
        default: 0.0,
        automatable: true,
    },
    ParamSpec {
        id: "denoise_listen",
        name: "Listen to Removed",
        kind: ParamKind::Toggle,
        default: 0.0,
        automatable: true,
    },
    ParamSpec {
        id: "spec_window",
        name: "STFT Window",
        kind: ParamKind::Choice {
            options: &WINDOW_SIZES,
        },
        default: 3.0, // 2048
        automatable: false,
    },
    ParamSpec {
        id: "spec_overlap",
        name: "STFT Overlap",
        kind: ParamKind::Choice { options: &OVERLAPS },
        default: 1.0, // 4
        automatable: false,
    },
    ParamSpec {
        id: "spec_phase",
        name: "Phase",
        kind: ParamKind::Named {
            names: &PHASE_MODES,
        },
        default: 0.0,
        automatable: true,
    },
    ParamSpec {
        id: "spec_permute",
        name: "Permute Bins",
        kind: ParamKind::Toggle,
        default: 0.0,
        automatable: true,
    },
    ParamSpec {
        id: "spec_reverse",
        name: "Reverse Bins",
        kind: ParamKind::Toggle,
        default: 0.0,
        automatable: true,
    },
    ParamSpec {
        id: "spec_checkerboard",
        name: "Checkerboard",
        kind: ParamKind::Toggle,
        default: 0.0,
        automatable: true,
    },
    // Every random choice of the spectral stage comes from here; a new value re-draws them.
    ParamSpec {
        id: "spec_seed",
        name: "Seed",
        kind: ParamKind::Integer { min: 0, max: 65535 },
        default: 0.0,
        automatable: true,
    },
    // Segment mode adds latency that depends on the length, so mode and length wait for the
    // host to re-activate the plugin, like the STFT layout.
    ParamSpec {
        id: "reorder_mode",
        name: "Reorder Mode",
        kind: ParamKind::Named {
            names: &REORDER_MODES,
        },
        default: 0.0,
        automatable: false,
    },
    // Takes effect at the next segment, or for the next capture.
    ParamSpec {
        id: "reorder_order",
        name: "Frame Order",
        kind: ParamKind::Named {
            names: &FRAME_ORDERS,
        },
        default: 2.0, // PCA
        automatable: true,
    },
    ParamSpec {
        id: "reorder_length",
        name: "Reorder Length",
        kind: ParamKind::Seconds { min: 0.1, max: 8.0 },
        default: 1.0,
        automatable: false,
    },
    // Automatable so that a project can freeze a texture where it wants one.
    ParamSpec {
        id: "reorder_capture",
        name: "Capture",
        kind: ParamKind::Toggle,
        default: 0.0,
        automatable: true,
    },
    ParamSpec {
        id: "reorder_weighting",
        name: "Feature Weighting",
        kind: ParamKind::Named { names: &WEIGHTINGS },
        default: 0.0,
        automatable: true,
    },
    ParamSpec {
        id: "reorder_perplexity",
        name: "t-SNE Perplexity",
        kind: ParamKind::Integer { min: 2, max: 100 },
        default: 30.0,
        automatable: true,
    },
    ParamSpec {
        id: "reorder_tsne",
        name: "t-SNE Method",
        kind: ParamKind::Named {
            names: &TSNE_METHODS,
        },
        default: 1.0, // Barnes-Hut
        automatable: true,
    },
    ParamSpec {
        id: "reorder_neighbours",
        name: "Walk Neighbours",
        kind: ParamKind::Integer { min: 1, max: 32 },
        default: 5.0,
        automatable: true,
    },
    ParamSpec {
        id: "out_mix",
        name: "Dry/Wet",
        kind: ParamKind::Fraction,
        default: 1.0,
        automatable: true,
    },
    ParamSpec {
        id: "out_gain",
        name: "Output Gain",
        kind: ParamKind::Decibels {
            min: -60.0,
            max: 24.0,
        },
        default: 0.0,
        automatable: true,
    },
];

pub const ALL_PARAMS: [ParamId; PARAM_COUNT] = [
    ParamId::Bypass,
    ParamId::DenoiseEnable,
    ParamId::DenoiseAmount,
    ParamId::DenoiseMode,
    ParamId::DenoiseTaps,
    ParamId::DenoiseLearn,
    ParamId::DenoiseListen,
    ParamId::SpecWindow,
    ParamId::SpecOverlap,
    ParamId::SpecPhase,
    ParamId::SpecPermute,
    ParamId::SpecReverse,
    ParamId::SpecCheckerboard,
    ParamId::SpecSeed,
    ParamId::ReorderMode,
    ParamId::ReorderOrder,
    ParamId::ReorderLength,
    ParamId::ReorderCapture,
    ParamId::ReorderWeighting,
    ParamId::ReorderPerplexity,
    ParamId::ReorderTsne,
    ParamId::ReorderNeighbours,
    ParamId::OutMix,
    ParamId::OutGain,
];

impl ParamId {
    pub fn spec(self) -> &'static ParamSpec {
        &PARAMS[self as usize]
    }

    /// The option a choice parameter's plain value selects (e.g. 2048 for `spec_window` = 3),
    /// nearest valid one for out-of-range values.
    pub fn option(self, plain: f32) -> usize {
        match self.spec().kind {
            ParamKind::Choice { options } => {
                options[(plain.round().max(0.0) as usize).min(options.len() - 1)]
            }
            _ => panic!("{} is not a choice", self.spec().id),
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        ALL_PARAMS.into_iter().find(|p| p.spec().id == id)
    }
}

/// A name lower-cased with everything but letters and digits removed, so `noise_profile`,
/// `Noise profile` and `tsne` / `t-SNE` match.
fn letters(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl ParamSpec {
    /// Reads a user's value: a number in the parameter's own unit, `on`/`off` for toggles, or an
    /// option such as `2048` for choices. Errors say what is allowed.
    pub fn parse(&self, text: &str) -> Result<f32, String> {
        let text = text.trim();
        match self.kind {
            ParamKind::Toggle => match text {
                "1" | "on" | "true" => Ok(1.0),
                "0" | "off" | "false" => Ok(0.0),
                _ => Err(format!("{}: expected on or off, got '{text}'", self.id)),
            },
            ParamKind::Choice { options } => options
                .iter()
                .position(|o| text.parse::<usize>() == Ok(*o))
                .map(|i| i as f32)
                .ok_or_else(|| format!("{}: expected one of {options:?}, got '{text}'", self.id)),
            ParamKind::Named { names } => names
                .iter()
                .position(|n| letters(n) == letters(text))
                .map(|i| i as f32)
                .ok_or_else(|| format!("{}: expected one of {names:?}, got '{text}'", self.id)),
            ParamKind::Integer { min, max } => text
                .parse::<u32>()
                .ok()
                .filter(|v| (min..=max).contains(v))
                .map(|v| v as f32)
                .ok_or_else(|| {
                    format!(
                        "{}: expected a whole number {min} to {max}, got '{text}'",
                        self.id
                    )
                }),
            _ => {
                let v: f32 = text
                    .parse()
                    .map_err(|_| format!("{}: '{text}' is not a number", self.id))?;
                self.check(v)
            }
        }
    }

    /// Accepts a plain value inside the parameter's range, or says why not.
    pub fn check(&self, v: f32) -> Result<f32, String> {
        let (lo, hi) = self.range();
        if v.is_finite() && v >= lo && v <= hi {
            Ok(v)
        } else {
            Err(format!("{}: {v} is outside {lo} to {hi}", self.id))
        }
    }

    /// Smallest and largest plain value.
    pub fn range(&self) -> (f32, f32) {
        match self.kind {
            ParamKind::Decibels { min, max } | ParamKind::Seconds { min, max } => (min, max),
            ParamKind::Fraction | ParamKind::Toggle => (0.0, 1.0),
            ParamKind::Choice { options } => (0.0, (options.len() - 1) as f32),
            ParamKind::Named { names } => (0.0, (names.len() - 1) as f32),
            ParamKind::Integer { min, max } => (min as f32, max as f32),
        }
    }

    /// The parameter as `phasewright params` prints it.
    pub fn to_json(&self) -> serde_json::Value {
        let (lo, hi) = self.range();
        let mut v = serde_json::json!({
            "id": self.id,
            "name": self.name,
            "automatable": self.automatable,
        });
        let fields = match self.kind {
            ParamKind::Decibels { .. } => {
                serde_json::json!({"type": "float", "unit": "dB", "min": lo, "max": hi, "default": self.default})
            }
            ParamKind::Seconds { .. } => {
                serde_json::json!({"type": "float", "unit": "s", "min": lo, "max": hi, "default": self.default})
            }
            ParamKind::Fraction => {
                serde_json::json!({"type": "float", "unit": "fraction", "min": lo, "max": hi, "default": self.default})
            }
            ParamKind::Toggle => {
                serde_json::json!({"type": "toggle", "default": self.default != 0.0})
            }
            ParamKind::Choice { options } => {
                serde_json::json!({"type": "choice", "options": options, "default": options[self.default as usize]})
            }
            ParamKind::Named { names } => {
                serde_json::json!({"type": "choice", "options": names, "default": names[self.default as usize]})
            }
            ParamKind::Integer { .. } => {
                serde_json::json!({"type": "integer", "min": lo, "max": hi, "default": self.default})
            }
        };
        v.as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn parses_values_in_each_kind_and_rejects_the_rest() {
        assert_eq!(ParamId::SpecWindow.spec().parse("4096"), Ok(4.0));
        assert!(ParamId::SpecWindow.spec().parse("4000").is_err());
        assert_eq!(ParamId::Bypass.spec().parse("on"), Ok(1.0));
        assert_eq!(ParamId::OutGain.spec().parse("-6.5"), Ok(-6.5));
        assert!(ParamId::OutGain.spec().parse("90").is_err());
        assert!(ParamId::OutMix.spec().parse("nan").is_err());
        assert_eq!(ParamId::DenoiseMode.spec().parse("noise_profile"), Ok(2.0));
        assert_eq!(ParamId::DenoiseMode.spec().parse("Adaptive"), Ok(3.0));
        assert!(ParamId::DenoiseMode.spec().parse("magic").is_err());
        assert_eq!(ParamId::DenoiseTaps.spec().parse("81"), Ok(3.0));
        assert_eq!(ParamId::SpecSeed.spec().parse("42"), Ok(42.0));
        assert!(ParamId::SpecSeed.spec().parse("4.5").is_err());
        assert!(ParamId::SpecSeed.spec().parse("70000").is_err());
        assert_eq!(ParamId::ReorderOrder.spec().parse("tsne"), Ok(3.0));
        assert_eq!(ParamId::ReorderWeighting.spec().parse("logfreq"), Ok(2.0));
        assert_eq!(ParamId::ReorderLength.spec().parse("2.5"), Ok(2.5));
        assert!(ParamId::ReorderNeighbours.spec().parse("0").is_err());
    }
}
