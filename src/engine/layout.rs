//! What fixes an engine for its lifetime: the sample rate, the channels, how background jobs
//! run, and the layout (the settings that fix latency and memory).
//!
//! CLAP allows a latency change only while the plugin is (re)activated, so a layout set later
//! stays pending until the host re-creates the engine (the plugin asks it to restart). The
//! parameters of the layout are the ones the table marks `layout`.

use crate::params::{Choice, ParamId};
use crate::stages::frame_memory::ReorderMode;
use crate::worker::Executor;

/// The settings that fix latency and memory: they take effect when an engine is built.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    /// STFT window size and overlap (see `dsp::stft` for the allowed values).
    pub window: usize,
    pub overlap: usize,
    pub reorder: ReorderMode,
    /// Segment or capture length in seconds (0 when reordering is off).
    pub reorder_seconds: f32,
    /// RTPGHI looks a frame ahead (one hop more latency).
    pub phase_lookahead: bool,
}

impl Layout {
    /// The layout the plain values of these parameters ask for.
    pub fn from_values(value: impl Fn(ParamId) -> f32) -> Self {
        let reorder = ReorderMode::from_index(value(ParamId::ReorderMode).round() as usize);
        let (lo, hi) = ParamId::ReorderLength.spec().range();
        Self {
            window: ParamId::SpecWindow.option(value(ParamId::SpecWindow)),
            overlap: ParamId::SpecOverlap.option(value(ParamId::SpecOverlap)),
            reorder,
            reorder_seconds: match reorder {
                ReorderMode::Off => 0.0,
                _ => value(ParamId::ReorderLength).clamp(lo, hi),
            },
            phase_lookahead: value(ParamId::PhaseLookahead) >= 0.5,
        }
    }

    /// The plain value of a layout parameter in this layout (None for other parameters, and
    /// for a reorder length while reordering is off, which keeps its default).
    pub fn value(&self, id: ParamId) -> Option<f32> {
        let position =
            |options: &[usize], v: usize| options.iter().position(|&o| o == v).unwrap_or(0) as f32;
        match (id, id.spec().kind) {
            (
                ParamId::SpecWindow | ParamId::SpecOverlap,
                crate::params::ParamKind::Choice { options },
            ) => {
                let v = if id == ParamId::SpecWindow {
                    self.window
                } else {
                    self.overlap
                };
                Some(position(options, v))
            }
            (ParamId::ReorderMode, _) => Some(self.reorder.index() as f32),
            (ParamId::PhaseLookahead, _) => Some(self.phase_lookahead as u8 as f32),
            (ParamId::ReorderLength, _) if self.reorder != ReorderMode::Off => {
                Some(self.reorder_seconds)
            }
            _ => None,
        }
    }
}

impl Default for Layout {
    fn default() -> Self {
        Self::from_values(|id| id.spec().default)
    }
}

/// What the host or the command line fixes for the engine's lifetime.
#[derive(Clone, Copy, Debug)]
pub struct EngineConfig {
    pub sample_rate: f32,
    pub channels: usize,
    pub executor: Executor,
    pub layout: Layout,
    /// Whether the engine may wait for jobs when the host runs it ahead of real time (see
    /// `pace`). Off for a caller that measures the audio thread's own cost (benches).
    pub waits_when_ahead: bool,
}

impl EngineConfig {
    /// A configuration with the default layout.
    pub fn new(sample_rate: f32, channels: usize, executor: Executor) -> Self {
        Self {
            sample_rate,
            channels,
            executor,
            layout: Layout::default(),
            waits_when_ahead: true,
        }
    }

    pub fn with_layout(self, layout: Layout) -> Self {
        Self { layout, ..self }
    }

    /// Never waits for jobs, however far ahead of real time the host runs.
    pub fn never_waiting(self) -> Self {
        Self {
            waits_when_ahead: false,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ALL_PARAMS;

    #[test]
    fn every_layout_parameter_reads_back_the_layout_it_set() {
        let layout = Layout::from_values(|id| match id {
            ParamId::SpecWindow => 4.0,
            ParamId::SpecOverlap => 2.0,
            ParamId::ReorderMode => 1.0,
            ParamId::ReorderLength => 2.5,
            ParamId::PhaseLookahead => 1.0,
            _ => id.spec().default,
        });
        assert_ne!(layout, Layout::default());
        for id in ALL_PARAMS.into_iter().filter(|id| id.spec().layout) {
            assert!(
                layout.value(id).is_some(),
                "{id:?} has no value in a layout"
            );
        }
        let again = Layout::from_values(|id| layout.value(id).unwrap_or(id.spec().default));
        assert_eq!(again, layout);
    }
}
