//! Segment mode: each segment plays in its order two segments after it was recorded.

use realfft::num_complex::Complex32;

use super::{draw_order, FrameMemory, OrderKey};
use crate::dsp::stft::FrameBuffers;

impl FrameMemory {
    pub(super) fn segment_frame(&mut self, frame: &mut FrameBuffers) {
        let n = self.frames;
        let a = self.origin + self.written;
        self.store(frame, (a % self.slots as u64) as usize);
        self.written += 1;
        let segment = a / n as u64;
        let asks = self.settings.order.embedding().is_some() || self.rebuild_phases;
        if (a + 1).is_multiple_of(n as u64) && asks {
            let key = OrderKey {
                capture: false,
                index: segment,
            };
            let start = (segment % 3) as usize * n;
            self.request(key, start, n);
        }
        self.segment_position = None;
        // The first two segments are the stage's latency: silence.
        if segment < self.origin / n as u64 + 2 {
            for ch in 0..frame.channels() {
                frame.channel(ch).fill(Complex32::default());
            }
            return;
        }
        let playing = segment - 2;
        let position = (a % n as u64) as usize;
        if position == 0 {
            self.start_segment(playing);
        }
        let slot = (playing % 3) as usize * n + self.order[position];
        self.play(frame, slot, 1.0);
        self.segment_position = Some(position);
    }

    /// Picks the order of segment `index` as it starts to play: the one the worker sent back
    /// for it (which also carries its rebuilt phases), or a reverse or random order drawn now.
    fn start_segment(&mut self, index: u64) {
        if let Some(done) = self.playing_segment.take() {
            self.jobs.recycle(done);
        }
        let wanted = OrderKey {
            capture: false,
            index,
        };
        let next = self.next[(index % 2) as usize].take();
        let (fits, stale): (Option<_>, Option<_>) = match next {
            Some(n) if n.work.key == wanted => (Some(n), None),
            other => (None, other),
        };
        if let Some(stale) = stale {
            self.jobs.recycle(stale);
        }
        if let Some(next) = fits {
            self.adopt(&next.work.order, self.frames);
            self.playing_segment = Some(next);
        } else if !draw_order(&self.settings, &mut self.order[..self.frames], index) {
            // Not back in time (or never asked for): the last order plays again.
            self.misses += 1;
        }
    }
}
