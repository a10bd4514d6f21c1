//! The host-facing parameters, built from the framework-free table (`params::table`), plus the
//! state that is saved with a project beyond parameter values (the taps and the learned noise
//! profile).

use std::collections::BTreeMap;
use std::sync::Arc;

use nice_plug::prelude::*;
use nice_plug_egui::EguiEditorState;

use super::{ParamId, ParamKind, ParamSpec, ALL_PARAMS, PARAMS};
use crate::analysis::denoise::live::SavedProfile;
use crate::engine::EngineShared;
use crate::taps_file::TapsFile;

/// Key of the saved taps in the plugin state.
const TAPS_KEY: &str = "denoise_taps";
/// Key of the learned noise profile (from version 3 on).
const PROFILE_KEY: &str = "noise_profile";
/// Key and value of the state's format version. States without one are version 1 (before
/// versions: parameters and taps, which versions 2 and 3 read the same way); version 3 adds the
/// noise profile.
const VERSION_KEY: &str = "state_version";
const STATE_VERSION: u32 = 3;

/// One host parameter of whichever kind its spec asks for.
pub enum HostParam {
    Float(FloatParam),
    Toggle(BoolParam),
    Choice(IntParam),
}

impl HostParam {
    fn new(spec: &ParamSpec) -> Self {
        match spec.kind {
            ParamKind::Decibels { min, max } => HostParam::Float(
                FloatParam::new(spec.name, spec.default, FloatRange::Linear { min, max })
                    .with_unit(" dB")
                    .with_step_size(0.1)
                    .with_value_to_string(Arc::new(move |v| decibels_text(v, min))),
            ),
            ParamKind::Fraction => HostParam::Float(
                FloatParam::new(
                    spec.name,
                    spec.default,
                    FloatRange::Linear { min: 0.0, max: 1.0 },
                )
                .with_unit("%")
                .with_value_to_string(formatters::v2s_f32_percentage(0))
                .with_string_to_value(formatters::s2v_f32_percentage()),
            ),
            ParamKind::Toggle => {
                let p = BoolParam::new(spec.name, spec.default != 0.0);
                HostParam::Toggle(if spec.id == "bypass" {
                    p.make_bypass()
                } else {
                    p
                })
            }
            ParamKind::Choice { options } => {
                choice(spec, options.len(), move |i| options[i].to_string())
            }
            ParamKind::Named { names } => choice(spec, names.len(), move |i| names[i].to_string()),
            ParamKind::Integer { min, max } => HostParam::Choice(IntParam::new(
                spec.name,
                spec.default as i32,
                IntRange::Linear {
                    min: min as i32,
                    max: max as i32,
                },
            )),
            ParamKind::Seconds { min, max } => HostParam::Float(
                FloatParam::new(
                    spec.name,
                    spec.default,
                    FloatRange::Skewed {
                        min,
                        max,
                        factor: FloatRange::skew_factor(-1.0),
                    },
                )
                .with_unit(" s")
                .with_step_size(0.01)
                .with_value_to_string(formatters::v2s_f32_rounded(2)),
            ),
        }
    }

    /// Sets the value (engine plain units) as a user gesture the host records.
    pub fn set_plain(&self, setter: &ParamSetter, plain: f32) {
        match self {
            HostParam::Float(p) => gesture(setter, p, plain),
            HostParam::Toggle(p) => gesture(setter, p, plain >= 0.5),
            HostParam::Choice(p) => gesture(setter, p, plain.round() as i32),
        }
    }

    /// The value in the engine's plain units (see `ParamSpec`).
    pub fn plain(&self) -> f32 {
        match self {
            HostParam::Float(p) => p.value(),
            HostParam::Toggle(p) => p.value() as u8 as f32,
            HostParam::Choice(p) => p.value() as f32,
        }
    }

    fn as_ptr(&self) -> ParamPtr {
        match self {
            HostParam::Float(p) => p.as_ptr(),
            HostParam::Toggle(p) => p.as_ptr(),
            HostParam::Choice(p) => p.as_ptr(),
        }
    }
}

fn gesture<P: Param>(setter: &ParamSetter, param: &P, value: P::Plain) {
    setter.begin_set_parameter(param);
    setter.set_parameter(param, value);
    setter.end_set_parameter(param);
}

/// A list parameter whose plain value is the index of the entry labelled `label(index)`.
fn choice(
    spec: &ParamSpec,
    count: usize,
    label: impl Fn(usize) -> String + Copy + Send + Sync + 'static,
) -> HostParam {
    HostParam::Choice(
        IntParam::new(
            spec.name,
            spec.default as i32,
            IntRange::Linear {
                min: 0,
                max: count as i32 - 1,
            },
        )
        .with_value_to_string(Arc::new(move |i| label(i as usize)))
        .with_string_to_value(Arc::new(move |s| {
            (0..count)
                .position(|i| label(i).eq_ignore_ascii_case(s.trim()))
                .map(|i| i as i32)
        })),
    )
}

pub struct PluginParams {
    params: Vec<HostParam>,
    /// Taps and engine status, shared with the engine and the editor.
    pub shared: Arc<EngineShared>,
    pub editor_state: Arc<EguiEditorState>,
}

impl PluginParams {
    pub fn new(shared: Arc<EngineShared>, editor_state: Arc<EguiEditorState>) -> Self {
        Self {
            params: PARAMS.iter().map(HostParam::new).collect(),
            shared,
            editor_state,
        }
    }

    pub fn get(&self, id: ParamId) -> &HostParam {
        &self.params[id as usize]
    }
}

unsafe impl Params for PluginParams {
    fn param_map(&self) -> Vec<(String, ParamPtr, String)> {
        ALL_PARAMS
            .iter()
            .map(|p| {
                let spec = p.spec();
                (
                    spec.id.to_string(),
                    self.get(*p).as_ptr(),
                    spec.group.name().to_string(),
                )
            })
            .collect()
    }

    fn serialize_fields(&self) -> BTreeMap<String, String> {
        let json = |value: Result<String, _>| value.unwrap_or_else(|_| "null".into());
        let taps = json(serde_json::to_string(&self.shared.taps.get()));
        let profile = json(serde_json::to_string(
            &self.shared.denoise.learn.profile.get(),
        ));
        BTreeMap::from([
            (TAPS_KEY.to_string(), taps),
            (PROFILE_KEY.to_string(), profile),
            (VERSION_KEY.to_string(), STATE_VERSION.to_string()),
        ])
    }

    /// A state without taps restores the identity filter, one without a noise profile none;
    /// unreadable ones are refused with a message in the editor, never a crash.
    fn deserialize_fields(&self, serialized: &BTreeMap<String, String>) {
        let slot = &self.shared.taps;
        let version = serialized.get(VERSION_KEY).map(|v| v.parse::<u32>());
        if let Some(newer) = version.and_then(Result::ok).filter(|v| *v > STATE_VERSION) {
            slot.set_status(format!(
                "this project was saved by a newer Phasewright (state version {newer}); what \
                 this version knows of it is loaded"
            ));
        }
        let parsed = serialized
            .get(TAPS_KEY)
            .map(|json| serde_json::from_str::<Option<TapsFile>>(json))
            .unwrap_or(Ok(None));
        match parsed.map_err(|e| e.to_string()).and_then(|t| match t {
            Some(t) => t.validate().map(|_| Some(t)),
            None => Ok(None),
        }) {
            Ok(taps) => {
                slot.set(taps);
            }
            Err(e) => {
                slot.set(None);
                slot.set_status(format!("saved taps could not be restored: {e}"));
            }
        }
        let profile = serialized
            .get(PROFILE_KEY)
            .map(|json| serde_json::from_str::<Option<SavedProfile>>(json))
            .unwrap_or(Ok(None))
            .map_err(|e| e.to_string())
            .and_then(|p| p.map(|p| p.validate().map(|_| p)).transpose());
        let restored = &self.shared.denoise.learn.profile;
        match profile {
            Ok(profile) => restored.restore(profile),
            Err(e) => {
                restored.restore(None);
                slot.set_status(format!("saved noise profile could not be restored: {e}"));
            }
        }
    }
}

/// A level to a tenth of a dB; the floor is "-inf". A level just below zero reads "0.0", not
/// "-0.0", so the text reads back as the value it names.
fn decibels_text(v: f32, min: f32) -> String {
    if v <= min {
        "-inf".into()
    } else {
        // Adding zero turns a negative zero positive.
        format!("{:.1}", (v * 10.0).round() / 10.0 + 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decibels_read_to_a_tenth_without_a_negative_zero() {
        let cases = [
            (-60.0, "-inf"),
            (-0.04, "0.0"),
            (-0.06, "-0.1"),
            (0.04, "0.0"),
            (-12.34, "-12.3"),
            (6.0, "6.0"),
        ];
        for (v, text) in cases {
            assert_eq!(decibels_text(v, -60.0), text, "{v}");
        }
    }

    fn params() -> (PluginParams, Arc<EngineShared>) {
        let shared = Arc::new(EngineShared::default());
        let editor =
            EguiEditorState::from_size(nice_plug::editor::dpi::LogicalSize::new(100.0, 100.0), 1.0);
        (PluginParams::new(shared.clone(), editor), shared)
    }

    /// What a corrupt part of a saved state did is told in the status the editor shows (a CLAP
    /// host has no channel for it: nice-plug does not use the host's log).
    #[test]
    fn a_state_s_corrupt_taps_profile_or_newer_version_are_told_in_the_status() {
        let cases = [
            (TAPS_KEY, "{\"taps\":[]", "saved taps could not be restored"),
            (
                PROFILE_KEY,
                r#"{"sample_rate":48000,"spectrum":[-1,2],"frames":3,"samples":9}"#,
                "saved noise profile could not be restored",
            ),
            (VERSION_KEY, "99", "newer Phasewright (state version 99)"),
        ];
        for (key, value, told) in cases {
            let (params, shared) = params();
            params.deserialize_fields(&BTreeMap::from([(key.to_string(), value.to_string())]));
            let status = shared.taps.status();
            assert!(status.contains(told), "{key}: {status:?}");
        }
        let (params, shared) = params();
        params.deserialize_fields(&params.serialize_fields());
        assert_eq!(shared.taps.status(), "");
    }
}
