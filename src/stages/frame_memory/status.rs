//! What the frame memory shows the editor.

use super::FrameOrder;

/// The frame memory's figures for the editor: written by the audio thread (counts) and the
/// worker (the last order's embedding).
#[derive(Default)]
pub struct ReorderStatus {
    /// Frames per segment or capture (and their length in seconds: the memory may hold less
    /// than asked), and orders that were not back in time.
    pub frames: std::sync::atomic::AtomicU32,
    pub seconds: atomic_float::AtomicF32,
    pub misses: std::sync::atomic::AtomicU64,
    pub capturing: std::sync::atomic::AtomicBool,
    /// The latest similarity order's embedding (written by the worker).
    pub embedding: std::sync::Mutex<Option<EmbeddingView>>,
}

/// A memory's frames as the editor draws them.
pub struct EmbeddingView {
    /// Each frame's 1-D coordinate, in time order (for the walk: its step in the walk).
    pub coords: Vec<f32>,
    pub order: FrameOrder,
    pub seconds_per_frame: f32,
    /// Orders made so far.
    pub serial: u64,
}
