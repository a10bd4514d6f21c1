//! State shared between an engine, its worker and the outside (editor, host state): the taps
//! (saved with the project) and each stage's figures. It outlives engines: the plugin keeps one
//! and hands it to each engine it activates.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64};

use atomic_float::AtomicF32;

use crate::stages::denoise::DenoiseStatus;
use crate::stages::frame_memory::ReorderStatus;
use crate::stages::phase::PhaseStatus;
use crate::stages::texture::TextureStatus;
use crate::taps_file::TapsSlot;

#[derive(Default)]
pub struct EngineShared {
    pub taps: TapsSlot,
    pub status: EngineStatus,
    pub denoise: DenoiseStatus,
    pub reorder: ReorderStatus,
    pub phase: PhaseStatus,
    pub texture: TextureStatus,
}

/// The engine's own figures, written lock-free by the audio thread.
#[derive(Default)]
pub struct EngineStatus {
    pub sample_rate: AtomicF32,
    pub latency: AtomicU32,
    /// A new layout waits for the host to re-activate the plugin.
    pub layout_pending: AtomicBool,
    pub dropped_jobs: AtomicU64,
    /// Background jobs that panicked (a bug): their results were thrown away.
    pub failed_jobs: AtomicU64,
    /// Seconds of audio handed back ahead of real time (see `engine::pace`): near the host's
    /// buffer when playing live, growing in a faster render.
    pub ahead_s: AtomicF32,
    /// NaN or infinite output samples silenced (see `stages::output`): zero on valid input.
    pub non_finite_outputs: AtomicU64,
}
