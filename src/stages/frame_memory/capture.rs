//! Capture mode: the memory records until the capture switch freezes it, then loops it in its
//! order, crossfaded in and out.

use super::{draw_order, FrameMemory, FrameOrder, LoopFrame, OrderKey};
use crate::dsp::stft::FrameBuffers;

impl FrameMemory {
    /// At a chunk start: freezes the memory when the switch turns on, and orders the frozen
    /// memory again when the settings change.
    pub(super) fn service_capture(&mut self) {
        if self.capture && !self.frozen && self.written > 0 {
            // The last `frames` frames, or every frame so far; oldest first.
            self.frozen = true;
            self.captures += 1;
            self.passes = 0;
            self.position = 0;
            self.ordered_with = None;
            self.frozen_len = (self.written as usize).min(self.slots);
            self.frozen_start = (self.written as usize + self.slots - self.frozen_len) % self.slots;
            self.order[..self.frozen_len]
                .iter_mut()
                .enumerate()
                .for_each(|(i, o)| *o = i);
        }
        if !(self.frozen && self.capture) || self.ordered_with == Some(self.settings) {
            return;
        }
        self.ordered_with = Some(self.settings);
        self.awaiting = None;
        self.loop_serial += 1;
        if draw_order(
            &self.settings,
            &mut self.order[..self.frozen_len],
            self.captures << 32,
        ) {
            return;
        }
        self.requests += 1;
        let key = OrderKey {
            capture: true,
            index: self.requests,
        };
        self.miss_counted = false;
        if self.request(key, self.frozen_start, self.frozen_len) {
            self.awaiting = Some(key);
        } else {
            self.misses += 1;
        }
    }

    pub(super) fn capture_frame(&mut self, frame: &mut FrameBuffers) {
        if self.frozen {
            self.gain = if self.capture {
                (self.gain + self.fade_step).min(1.0)
            } else {
                self.gain - self.fade_step
            };
            if self.gain <= 0.0 {
                self.gain = 0.0;
                self.frozen = false;
            }
        }
        self.played = None;
        if !self.frozen {
            let slot = (self.written % self.slots as u64) as usize;
            self.store(frame, slot);
            self.written += 1;
            return;
        }
        if self.awaiting.is_some() && !self.miss_counted {
            // Playing before its order is back: the last order plays meanwhile.
            self.misses += 1;
            self.miss_counted = true;
        }
        let slot = (self.frozen_start + self.order[self.position]) % self.slots;
        self.play(frame, slot, self.gain);
        let steady = self.gain >= 1.0 && self.settings.order != FrameOrder::Random;
        self.played = steady.then_some(LoopFrame {
            position: self.position,
            len: self.frozen_len,
            serial: self.loop_serial,
        });
        self.position += 1;
        if self.position == self.frozen_len {
            self.position = 0;
            self.passes += 1;
            if self.settings.order == FrameOrder::Random {
                let draw = self.captures << 32 | self.passes;
                draw_order(&self.settings, &mut self.order[..self.frozen_len], draw);
            }
        }
    }
}
