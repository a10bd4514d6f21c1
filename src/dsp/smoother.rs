//! Parameter smoothing: every continuous parameter moves along a short linear ramp, so automation
//! and knob moves never step (a step in gain is a click).

/// Linear ramp towards a target over a fixed time.
#[derive(Clone, Debug)]
pub struct Smoother {
    current: f32,
    target: f32,
    step: f32,
    remaining: u32,
    ramp_samples: u32,
}

impl Smoother {
    pub fn new(value: f32, sample_rate: f32, ramp_ms: f32) -> Self {
        Self {
            current: value,
            target: value,
            step: 0.0,
            remaining: 0,
            ramp_samples: ((sample_rate * ramp_ms / 1000.0).round() as u32).max(1),
        }
    }

    /// Starts a ramp from wherever the value is now.
    pub fn set_target(&mut self, target: f32) {
        if target != self.target {
            self.target = target;
            self.remaining = self.ramp_samples;
            self.step = (target - self.current) / self.ramp_samples as f32;
        }
    }

    /// Jumps to `value` without a ramp (start of a render, reset).
    pub fn reset(&mut self, value: f32) {
        self.current = value;
        self.target = value;
        self.remaining = 0;
    }

    pub fn target(&self) -> f32 {
        self.target
    }

    pub fn is_settled(&self) -> bool {
        self.remaining == 0
    }

    #[inline]
    pub fn step(&mut self) -> f32 {
        if self.remaining > 0 {
            self.remaining -= 1;
            self.current = if self.remaining == 0 {
                self.target
            } else {
                self.current + self.step
            };
        }
        self.current
    }

    /// Fills `out` with the next values of the ramp.
    pub fn fill(&mut self, out: &mut [f32]) {
        if self.is_settled() {
            out.fill(self.current);
        } else {
            for v in out {
                *v = self.step();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_linearly_and_lands_exactly_on_target() {
        let mut s = Smoother::new(0.0, 1000.0, 4.0); // 4-sample ramp
        s.set_target(1.0);
        let mut out = [0.0; 6];
        s.fill(&mut out);
        assert_eq!(out, [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]);
        assert!(s.is_settled());
    }
}
