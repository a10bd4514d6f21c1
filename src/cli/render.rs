//! Offline rendering, as the command line and the tests do it: settings, automation and taps
//! applied to a whole file, latency compensated so the output lines up with the input, background
//! jobs run inline so the same input and settings always give the same bits.

use std::sync::Arc;

use serde::Deserialize;

use crate::cli::io::Audio;
use crate::engine::{Engine, EngineConfig, EngineShared, Layout};
use crate::params::{ParamId, ParamKind};
use crate::taps_file::TapsFile;
use crate::worker::Executor;

/// Automation is re-read at least this often (samples); the engine smooths in between.
const AUTOMATION_STEP: usize = 32;

/// A parameter ramp: straight lines between `(seconds, plain value)` points, held flat before the
/// first point and after the last.
#[derive(Clone, Debug, Deserialize)]
pub struct Automation {
    pub id: String,
    pub points: Vec<(f64, f32)>,
}

/// A checked automation lane.
struct Lane {
    id: ParamId,
    points: Vec<(f64, f32)>,
}

impl Lane {
    fn new(a: &Automation) -> Result<Self, String> {
        let id = ParamId::from_id(&a.id)
            .ok_or_else(|| format!("automation: unknown parameter '{}'", a.id))?;
        let spec = id.spec();
        if spec.layout {
            return Err(format!(
                "automation: '{}' sets the layout (latency, memory), which a render fixes at its start: use --set",
                spec.id
            ));
        }
        if a.points.is_empty() {
            return Err(format!("automation of '{}' has no points", spec.id));
        }
        for w in a.points.windows(2) {
            // Decreasing, or NaN.
            if w[1].0.partial_cmp(&w[0].0).is_none_or(|o| o.is_lt()) {
                return Err(format!("automation of '{}': times must increase", spec.id));
            }
        }
        for &(t, v) in &a.points {
            if !t.is_finite() {
                return Err(format!(
                    "automation of '{}': time {t} is not valid",
                    spec.id
                ));
            }
            spec.check(v).map_err(|e| format!("automation: {e}"))?;
        }
        Ok(Self {
            id,
            points: a.points.clone(),
        })
    }

    fn value_at(&self, t: f64) -> f32 {
        let p = &self.points;
        let next = p.partition_point(|&(pt, _)| pt <= t);
        if next == 0 {
            return p[0].1;
        }
        if next == p.len() {
            return p[p.len() - 1].1;
        }
        let ((t0, v0), (t1, v1)) = (p[next - 1], p[next]);
        let x = ((t - t0) / (t1 - t0)) as f32;
        v0 + x * (v1 - v0)
    }
}

pub struct RenderOptions {
    /// Plain values, applied in order.
    pub settings: Vec<(ParamId, f32)>,
    pub automation: Vec<Automation>,
    pub taps: Option<TapsFile>,
    /// Largest block handed to the engine, as a host's buffer size.
    pub block: usize,
    /// Where on the timeline the file's first sample lies (a DAW region placed there): the
    /// frame grid, segments and random draws are counted from timeline sample 0.
    pub start: u64,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            settings: Vec::new(),
            automation: Vec::new(),
            taps: None,
            block: 512,
            start: 0,
        }
    }
}

/// Reads a preset: a JSON object mapping parameter ids to values (numbers in the parameter's unit,
/// booleans for toggles, option sizes for choices).
pub fn parse_preset(json: &str) -> Result<Vec<(ParamId, f32)>, String> {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json)
        .map_err(|e| format!("preset is not a JSON object of values: {e}"))?;
    map.iter()
        .map(|(id, value)| {
            let pid =
                ParamId::from_id(id).ok_or_else(|| format!("preset: unknown parameter '{id}'"))?;
            let text = match value {
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::String(s) => s.clone(),
                other => return Err(format!("preset: '{id}' has an unusable value {other}")),
            };
            Ok((pid, pid.spec().parse(&text)?))
        })
        .collect()
}

/// Reads `ID=VALUE` as given to `--set`.
pub fn parse_assignment(text: &str) -> Result<(ParamId, f32), String> {
    let (id, value) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}': expected ID=VALUE"))?;
    let pid = ParamId::from_id(id.trim()).ok_or_else(|| {
        format!(
            "unknown parameter '{}' (see 'phasewright params')",
            id.trim()
        )
    })?;
    Ok((pid, pid.spec().parse(value)?))
}

/// Renders `input` through the engine. `reference` feeds the sidechain; `progress` is called
/// with the number of frames done.
pub fn render(
    input: &Audio,
    reference: Option<&Audio>,
    options: &RenderOptions,
    mut progress: impl FnMut(usize),
) -> Result<Audio, String> {
    let lanes: Vec<Lane> = options
        .automation
        .iter()
        .map(Lane::new)
        .collect::<Result<_, _>>()?;
    if let Some(r) = reference {
        if r.sample_rate != input.sample_rate {
            return Err(format!(
                "the sidechain runs at {} Hz, the input at {} Hz",
                r.sample_rate, input.sample_rate
            ));
        }
    }
    if options.block == 0 {
        return Err("block size must be at least 1".into());
    }
    let channels = input.channels.len();
    let shared = Arc::new(EngineShared::default());
    let setting = |id: ParamId| {
        let last = options.settings.iter().rev().find(|(p, _)| *p == id);
        last.map_or(id.spec().default, |(_, v)| *v)
    };
    let offline = Executor::Inline {
        permit: |job| job(),
    };
    let config = EngineConfig::new(input.sample_rate as f32, channels, offline)
        .with_layout(Layout::from_values(setting));
    let mut engine = Engine::new(config, shared.clone())?;
    engine.locate(options.start);
    for &(id, value) in &options.settings {
        engine.set(id, value);
    }
    if let Some(taps) = &options.taps {
        taps.validate()?;
        shared.taps.set(Some(taps.clone()));
    }

    let latency = engine.latency();
    let frames = input.frames();
    let total = frames + latency;
    let sr = input.sample_rate as f64;
    // Input followed by `latency` samples of silence flushes the last input through.
    let padded = |c: &Vec<f32>| {
        let mut v = c.clone();
        v.resize(total, 0.0);
        v
    };
    let mut io: Vec<Vec<f32>> = input.channels.iter().map(padded).collect();
    let side: Option<Vec<Vec<f32>>> = reference.map(|r| {
        (0..channels)
            .map(|c| padded(&r.channels[c.min(r.channels.len() - 1)]))
            .collect()
    });
    let mut pos = 0;
    while pos < total {
        let mut end = (pos + options.block).min(total);
        if !lanes.is_empty() {
            end = end.min(pos + AUTOMATION_STEP);
            for lane in &lanes {
                engine.set(lane.id, automation_value(lane, pos as f64 / sr));
            }
        }
        let mut block: Vec<&mut [f32]> = io.iter_mut().map(|c| &mut c[pos..end]).collect();
        let side_block: Option<Vec<&[f32]>> = side
            .as_ref()
            .map(|s| s.iter().map(|c| &c[pos..end]).collect());
        engine.process(&mut block, side_block.as_deref());
        pos = end;
        progress(pos.min(frames));
    }
    let channels = io.into_iter().map(|c| c[latency..].to_vec()).collect();
    Ok(Audio {
        sample_rate: input.sample_rate,
        channels,
        format: input.format,
    })
}

/// A lane's value at time `t`, snapped to what the parameter can hold.
fn automation_value(lane: &Lane, t: f64) -> f32 {
    let v = lane.value_at(t);
    match lane.id.spec().kind {
        ParamKind::Toggle
        | ParamKind::Choice { .. }
        | ParamKind::Named { .. }
        | ParamKind::Integer { .. } => v.round(),
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_interpolate_and_hold_their_ends() {
        let a = Automation {
            id: "out_gain".into(),
            points: vec![(1.0, -12.0), (2.0, 0.0)],
        };
        let lane = Lane::new(&a).unwrap();
        assert_eq!(lane.value_at(0.0), -12.0);
        assert_eq!(lane.value_at(1.5), -6.0);
        assert_eq!(lane.value_at(9.0), 0.0);
    }

    #[test]
    fn bad_automation_and_presets_are_refused() {
        let lane = |id: &str, points: Vec<(f64, f32)>| {
            Lane::new(&Automation {
                id: id.into(),
                points,
            })
        };
        assert!(lane("spec_window", vec![(0.0, 1.0)]).is_err());
        assert!(lane("nope", vec![(0.0, 1.0)]).is_err());
        assert!(lane("out_gain", vec![(1.0, 0.0), (0.5, 0.0)]).is_err());
        assert!(lane("out_gain", vec![(0.0, 99.0)]).is_err());
        assert!(parse_preset("[1, 2]").is_err());
        assert!(parse_preset(r#"{"out_gain": "loud"}"#).is_err());
        assert_eq!(
            parse_preset(r#"{"spec_window": 4096, "bypass": true}"#).unwrap(),
            vec![(ParamId::Bypass, 1.0), (ParamId::SpecWindow, 4.0)]
        );
        assert_eq!(
            parse_assignment("out_mix=0.25").unwrap(),
            (ParamId::OutMix, 0.25)
        );
        assert!(parse_assignment("out_mix").is_err());
    }
}
