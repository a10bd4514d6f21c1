//! Segment mode: each segment plays in its order two segments after it was recorded.

use realfft::num_complex::Complex32;

use super::{FrameMemory, OrderKey};
use crate::dsp::stft::FrameBuffers;

impl FrameMemory {
    pub(super) fn segment_frame(&mut self, frame: &mut FrameBuffers) {
        let n = self.frames;
        let a = self.written;
        self.store(frame, (a % self.slots as u64) as usize);
        self.written += 1;
        let segment = a / n as u64;
        if (a + 1).is_multiple_of(n as u64) && self.settings.order.embedding().is_some() {
            let key = OrderKey {
                capture: false,
                index: segment,
            };
            let start = (segment % 3) as usize * n;
            self.request(key, start, n);
        }
        if segment < 2 {
            // The first two segments are the stage's latency: silence.
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
    }

    /// Picks the order of segment `index` as it starts to play.
    fn start_segment(&mut self, index: u64) {
        if self.draw_order(self.frames, index) {
            return;
        }
        let wanted = OrderKey {
            capture: false,
            index,
        };
        let next = self.next[(index % 2) as usize].take();
        if next.as_ref().is_some_and(|n| n.work.key == wanted) {
            if let Some(next) = &next {
                self.adopt(&next.work.order, self.frames);
            }
        } else {
            // Not back in time (or never asked for): the last order plays again.
            self.misses += 1;
        }
        if let Some(next) = next {
            self.jobs.recycle(next);
        }
    }
}
