//! Records a frozen capture's loop as it plays, for background work on the whole loop (the
//! phase stage's loop rebuild, the texture): each frame is stored at its loop position in a
//! request of the stage's job slot, and once every position has been seen the request is
//! complete and goes to the worker. A new loop (capture, order) starts the recording over.

use crate::dsp::stft::FrameBuffers;
use crate::engine::job_slot::{JobSlot, Request, Work};
use crate::stages::frame_memory::LoopFrame;

/// Work that takes a whole loop as its input.
pub trait LoopWork: Work {
    /// Makes the request ready to record `at`'s loop (its serial and length).
    fn begin(&mut self, at: LoopFrame);
    /// True when the request is recording `at`'s loop.
    fn records(&self, at: LoopFrame) -> bool;
    /// Stores `frame`, the loop's frame at `position`.
    fn store(&mut self, position: usize, frame: &FrameBuffers);
}

pub struct LoopRecorder<W> {
    recording: Option<Box<Request<W>>>,
    seen: Vec<bool>,
    seen_count: usize,
}

impl<W: LoopWork> LoopRecorder<W> {
    /// For loops of up to `max_frames` frames (allocates: not for the audio thread).
    pub fn new(max_frames: usize) -> Self {
        Self {
            recording: None,
            seen: vec![false; max_frames],
            seen_count: 0,
        }
    }

    /// Stores `frame`, at `at` in its loop, taking a request from `jobs` when a new loop
    /// begins. Returns the request once every position of the loop is in.
    pub fn record(
        &mut self,
        at: LoopFrame,
        frame: &FrameBuffers,
        jobs: &mut JobSlot<W>,
    ) -> Option<Box<Request<W>>> {
        if at.len > self.seen.len() {
            return None;
        }
        if !(self.recording.as_ref()).is_some_and(|r| r.work.records(at)) {
            let mut request = self.recording.take().or_else(|| jobs.take())?;
            request.work.begin(at);
            self.seen[..at.len].fill(false);
            self.seen_count = 0;
            self.recording = Some(request);
        }
        let request = self.recording.as_mut()?;
        request.work.store(at.position, frame);
        if !self.seen[at.position] {
            self.seen[at.position] = true;
            self.seen_count += 1;
        }
        if self.seen_count == at.len {
            self.recording.take()
        } else {
            None
        }
    }

    /// Drops the recording in progress (its request goes back to `jobs`).
    pub fn clear(&mut self, jobs: &mut JobSlot<W>) {
        if let Some(request) = self.recording.take() {
            jobs.recycle(request);
        }
    }
}
