//! Reconstruct mode's loop side, on the audio thread. While a frozen capture loops steadily
//! (`LoopFrame`), the magnitudes of every position of the loop are recorded as they arrive
//! here (after reordering and frame operations: exactly what plays); once every position has
//! been seen, the worker rebuilds the loop's phases (`rebuild_job`), and the result is
//! crossfaded in over RTPGHI, which plays until then. A new loop (capture, order) or a new
//! iteration count starts over; a result for a loop no longer playing fades out unused.

use realfft::num_complex::Complex32;

use super::rebuild_job::RebuildWork;
use crate::dsp::stft::FrameBuffers;
use crate::engine::job_slot::{JobSlot, Request};
use crate::stages::frame_memory::LoopFrame;
use crate::stages::loop_recorder::LoopRecorder;
use crate::worker::{Job, Worker};

/// Requests in circulation: one recording or out, one waiting to play, one playing.
pub(super) const POOL: usize = 3;

pub(super) struct LoopRebuild {
    jobs: JobSlot<RebuildWork>,
    recorder: LoopRecorder<RebuildWork>,
    /// A complete recording waiting for the next chunk start, to go to the worker.
    outgoing: Option<Box<Request<RebuildWork>>>,
    /// The loop and iteration count last sent (or playing), so it is asked once.
    asked: Option<(u64, usize)>,
    playing: Option<Box<Request<RebuildWork>>>,
    /// A result that plays once the one playing has faded out.
    waiting: Option<Box<Request<RebuildWork>>>,
    /// Share of the rebuilt phases in the output.
    gain: f32,
    fade_step: f32,
    pub iterations: usize,
}

impl LoopRebuild {
    /// For loops of up to `max_frames` frames (0: no capture, nothing is allocated).
    pub fn new(jobs: JobSlot<RebuildWork>, max_frames: usize, fade_step: f32) -> Self {
        Self {
            jobs,
            recorder: LoopRecorder::new(max_frames),
            outgoing: None,
            asked: None,
            playing: None,
            waiting: None,
            gain: 0.0,
            fade_step,
            iterations: 32,
        }
    }

    /// Records the frame (its magnitudes at its loop position) and, once the rebuilt loop is
    /// in, puts its phases under the frame's magnitudes `gain` of the way.
    pub fn apply(&mut self, looping: Option<LoopFrame>, frame: &mut FrameBuffers) {
        if let Some(at) = looping {
            self.record(at, frame);
        }
        let current = |r: &Request<RebuildWork>| {
            looping.is_some_and(|at| at.serial == r.work.serial && at.len == r.work.frames)
        };
        let keep = self.waiting.is_none() && self.playing.as_deref().is_some_and(current);
        let target = keep as u8 as f32;
        self.gain = if target > self.gain {
            (self.gain + self.fade_step).min(1.0)
        } else {
            (self.gain - self.fade_step).max(0.0)
        };
        if self.gain <= 0.0 && !keep {
            // Faded out: what waited takes its place (and fades in from the next frame).
            if let Some(old) = std::mem::replace(&mut self.playing, self.waiting.take()) {
                self.jobs.recycle(old);
            }
            return;
        }
        let (Some(at), Some(playing)) = (looping, self.playing.as_deref()) else {
            return;
        };
        for ch in 0..frame.channels() {
            let range = playing.work.range(ch, at.position);
            let Some(phase) = playing.work.phase.get(range) else {
                continue;
            };
            for (c, p) in frame.channel(ch).iter_mut().zip(phase) {
                let rebuilt = Complex32::from_polar(c.norm_sqr().sqrt(), *p);
                *c += (rebuilt - *c) * self.gain;
            }
        }
    }

    fn record(&mut self, at: LoopFrame, frame: &FrameBuffers) {
        if self.asked == Some((at.serial, self.iterations)) {
            return;
        }
        if let Some(mut request) = self.recorder.record(at, frame, &mut self.jobs) {
            request.work.iterations = self.iterations;
            self.asked = Some((at.serial, self.iterations));
            if let Some(stale) = self.outgoing.replace(request) {
                self.jobs.recycle(stale);
            }
        }
    }

    /// Sends a complete recording; at chunk starts.
    pub fn submit(&mut self, worker: &Worker) {
        if let Some(request) = self.outgoing.take() {
            if !self.jobs.submit(request, worker) {
                // Refused: record and ask again.
                self.asked = None;
            }
        }
    }

    pub fn owns(&self, job: &dyn Job) -> bool {
        self.jobs.owns(job)
    }

    /// Takes in a rebuilt loop; it plays (crossfading in) while its loop does, after the one
    /// playing has faded out.
    pub fn receive(&mut self, job: Box<dyn Job>) {
        let Some(result) = self.jobs.receive(job) else {
            return;
        };
        if !result.work.done {
            self.asked = None;
            self.jobs.recycle(result);
        } else if self.playing.is_none() {
            self.playing = Some(result);
        } else if let Some(stale) = self.waiting.replace(result) {
            self.jobs.recycle(stale);
        }
    }

    /// Forgets loops and results; jobs still out come back stale.
    pub fn reset(&mut self) {
        self.jobs.supersede();
        self.recorder.clear(&mut self.jobs);
        let held = [
            self.outgoing.take(),
            self.playing.take(),
            self.waiting.take(),
        ];
        for request in held.into_iter().flatten() {
            self.jobs.recycle(request);
        }
        self.asked = None;
        self.gain = 0.0;
    }

    /// True while rebuilt phases are heard.
    pub fn is_playing(&self) -> bool {
        self.gain > 0.0
    }
}
