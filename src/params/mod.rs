//! Every parameter of Phasewright, independent of any plugin framework: the plugin builds its host
//! parameters from the table (`table.rs`, through `host.rs`), the engine hands each to its
//! stage by group, the command line validates `--set` and presets against it, and
//! `phasewright params` prints it.

mod choice;
pub mod host;
pub mod presets;
mod table;

pub use choice::Choice;
pub use table::{ParamId, ALL_PARAMS, LEARN_TAPS, PARAMS, PARAM_COUNT};

/// The stage a parameter belongs to; hosts show it as the parameter's group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Denoise,
    Spectral,
    Reorder,
    Phase,
    Texture,
    Output,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Denoise => "Denoise",
            Group::Spectral => "Spectral",
            Group::Reorder => "Reorder",
            Group::Phase => "Phase",
            Group::Texture => "Texture",
            Group::Output => "Output",
        }
    }
}

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
    pub group: Group,
    pub kind: ParamKind,
    /// Plain value: dB, fraction, 0/1, or option index.
    pub default: f32,
    /// Fixes latency or memory: takes effect when the host re-activates the plugin (the
    /// plugin asks it to). Still automatable, so every host lists it among its controls.
    pub layout: bool,
}

impl ParamSpec {
    /// Part of the engine's layout (see `engine::Layout`).
    const fn sets_layout(self) -> Self {
        Self {
            layout: true,
            ..self
        }
    }
}

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
            "layout": self.layout,
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
