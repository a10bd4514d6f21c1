//! The frame memory's job: order a memory's frames by similarity on the worker, and show the
//! embedding behind the order in the editor.

use std::sync::Arc;

use super::{draw_order, EmbeddingView, FrameOrderSettings};
use crate::analysis::order::{order_mel_rows, N_MELS};
use crate::engine::job_slot::Work;
use crate::engine::EngineShared;
use crate::stages::phase::SegmentPhases;
use crate::worker::{Cancel, Lane};

/// Which memory an order is for: a segment, or a capture's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderKey {
    pub capture: bool,
    pub index: u64,
}

/// Order `frames` frames from their power mel spectra. The mel rows are copied in by the audio
/// thread into a buffer made with the request; the order and the embedding come back in it.
pub struct OrderWork {
    pub key: OrderKey,
    pub frames: usize,
    /// `frames` rows of `N_MELS` mel powers (the buffer may be longer).
    pub(super) mel: Box<[f32]>,
    pub settings: FrameOrderSettings,
    /// `order[p]`: the frame to play at position p.
    pub order: Vec<usize>,
    /// Each frame's 1-D coordinate (for the walk: its position in the walk).
    pub embedding: Vec<f64>,
    /// Segment mode: the segment's magnitudes, whose phases are rebuilt once it is ordered.
    pub segment: Option<SegmentPhases>,
    shared: Arc<EngineShared>,
    seconds_per_frame: f32,
}

impl OrderWork {
    /// A request with room for `frames` frames' mel rows (allocates: not for the audio thread).
    pub fn new(
        frames: usize,
        shared: Arc<EngineShared>,
        seconds_per_frame: f32,
        segment: Option<SegmentPhases>,
    ) -> Self {
        Self {
            key: OrderKey {
                capture: false,
                index: 0,
            },
            frames: 0,
            mel: vec![0.0; frames * N_MELS].into_boxed_slice(),
            settings: FrameOrderSettings::default(),
            order: Vec::new(),
            embedding: Vec::new(),
            segment,
            shared,
            seconds_per_frame,
        }
    }
}

impl Work for OrderWork {
    const LANE: Lane = Lane::Short;

    /// Mel-dB features with the chosen weighting, then the order (a reverse or random order
    /// is drawn as the audio thread would draw it), then the segment's phases if asked; the
    /// previous answer is freed here, on the worker.
    fn run(&mut self, cancel: &Cancel) {
        let mut order: Vec<usize> = (0..self.frames).collect();
        if draw_order(&self.settings, &mut order, self.key.index) {
            self.order = order;
        } else {
            (self.order, self.embedding) =
                order_mel_rows(&self.mel, self.frames, &self.settings.similarity);
            self.publish();
        }
        if let Some(segment) = &mut self.segment {
            segment.rebuild(&self.order, cancel, &self.shared.phase);
        }
    }
}

impl OrderWork {
    /// Shows the embedding behind the order in the editor.
    fn publish(&self) {
        if let Ok(mut view) = self.shared.reorder.embedding.lock() {
            let serial = view.as_ref().map_or(0, |v| v.serial) + 1;
            *view = Some(EmbeddingView {
                coords: self.embedding.iter().map(|v| *v as f32).collect(),
                order: self.settings.order,
                seconds_per_frame: self.seconds_per_frame,
                serial,
            });
        }
    }
}
