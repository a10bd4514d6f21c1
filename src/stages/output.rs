//! The output stage: dry/wet against the input delayed by the chain's latency, output gain, and
//! a crossfaded bypass; the last place every sample is made safe (no NaN, infinity or
//! subnormal leaves the plugin). Non-finite samples are counted as they are silenced: on valid
//! input there are none, so the count exposes a bug the silencing would hide.

use std::sync::atomic::Ordering;

use super::{Clock, Stage};
use crate::dsp::denormal::sanitize_output;
use crate::dsp::smoother::Smoother;
use crate::dsp::wide::with_avx;
use crate::engine::{EngineShared, CHUNK, MAX_CHANNELS, SMOOTH_MS};
use crate::params::{Group, ParamId, ParamKind};

/// The dry path's delay, equal to the engine's latency, so dry and wet stay aligned.
struct DryDelay {
    rings: Vec<Vec<f32>>,
    pos: usize,
}

impl DryDelay {
    fn new(channels: usize, delay: usize) -> Self {
        Self {
            rings: vec![vec![0.0; delay.max(1)]; channels],
            pos: 0,
        }
    }

    fn reset(&mut self) {
        self.rings.iter_mut().for_each(|r| r.fill(0.0));
    }

    /// Replaces each sample of `io` by the one a ring's length earlier.
    fn process(&mut self, io: &mut [&mut [f32]]) {
        let len = io.first().map_or(0, |c| c.len());
        for (chan, ring) in io.iter_mut().zip(&mut self.rings) {
            // Up to the ring's end, then on from its start: whole slices swap fast.
            let mut pos = self.pos;
            for part in chan.chunks_mut(ring.len()) {
                let first = part.len().min(ring.len() - pos);
                let (head, rest) = part.split_at_mut(first);
                head.swap_with_slice(&mut ring[pos..pos + first]);
                rest.swap_with_slice(&mut ring[..rest.len()]);
                pos = (pos + part.len()) % ring.len();
            }
        }
        if let Some(ring) = self.rings.first() {
            self.pos = (self.pos + len) % ring.len();
        }
    }
}

fn db_to_gain(db: f32, floor_db: f32) -> f32 {
    if db <= floor_db {
        0.0
    } else {
        10f32.powf(db / 20.0)
    }
}

pub struct OutputStage {
    dry_delay: DryDelay,
    mix: Smoother,
    gain: Smoother,
    bypass: Smoother,
    ramps: [[f32; CHUNK]; 3],
    /// Non-finite samples silenced since the engine started.
    non_finite: u64,
}

impl OutputStage {
    /// For `channels` channels after a chain of `latency` samples.
    pub fn new(sample_rate: f32, channels: usize, latency: usize) -> Self {
        let smoother = |v: f32| Smoother::new(v, sample_rate, SMOOTH_MS);
        Self {
            dry_delay: DryDelay::new(channels, latency),
            mix: smoother(1.0),
            gain: smoother(1.0),
            bypass: smoother(0.0),
            ramps: [[0.0; CHUNK]; 3],
            non_finite: 0,
        }
    }

    /// Writes a chunk to `out` (one slice per channel the host sent) from the chain's input
    /// `dry` (delayed here) and its output `wet`.
    pub fn process(
        &mut self,
        out: &mut [&mut [f32]],
        start: usize,
        dry: &mut [&mut [f32]; MAX_CHANNELS],
        wet: &[&mut [f32]; MAX_CHANNELS],
    ) {
        let channels = out.len();
        let n = dry[0].len();
        if self.all_wet() {
            // The dry path still runs, so a later mix or bypass finds it aligned.
            self.dry_delay.process(&mut dry[..channels]);
            for (out, wet) in out.iter_mut().zip(wet) {
                let out = &mut out[start..start + n];
                self.non_finite += with_avx(
                    #[inline(always)]
                    || {
                        let mut bad = 0u32;
                        for (o, w) in out.iter_mut().zip(wet.iter()) {
                            bad += !w.is_finite() as u32;
                            *o = sanitize_output(*w);
                        }
                        bad as u64
                    },
                );
            }
            return;
        }
        let [mix, gain, bypass] = &mut self.ramps;
        self.mix.fill(&mut mix[..n]);
        self.gain.fill(&mut gain[..n]);
        self.bypass.fill(&mut bypass[..n]);
        self.dry_delay.process(&mut dry[..channels]);
        let (mix, gain, bypass) = (&mix[..n], &gain[..n], &bypass[..n]);
        for ((out, dry), wet) in out.iter_mut().zip(dry.iter()).zip(wet) {
            let out = &mut out[start..start + n];
            // One zipped slice loop, so it is vectorised (eight wide under `with_avx`).
            self.non_finite += with_avx(
                #[inline(always)]
                || {
                    let mut bad = 0u32;
                    let ramps = mix.iter().zip(gain).zip(bypass);
                    for ((o, (d, w)), ((m, g), b)) in
                        out.iter_mut().zip(dry.iter().zip(wet.iter())).zip(ramps)
                    {
                        let y = (d + m * (w - d)) * g;
                        let y = y + b * (d - y);
                        bad += !y.is_finite() as u32;
                        *o = sanitize_output(y);
                    }
                    bad as u64
                },
            );
        }
    }
}

impl OutputStage {
    /// Fully wet, at unity gain, not bypassed, and no ramp under way: the output is the wet
    /// signal itself. (The mix formula would give d + (w − d), the wet signal plus rounding,
    /// for the cost of five streams per sample on the most common path.)
    fn all_wet(&self) -> bool {
        let settled = |s: &Smoother, value: f32| s.is_settled() && s.target() == value;
        settled(&self.mix, 1.0) && settled(&self.gain, 1.0) && settled(&self.bypass, 0.0)
    }
}

impl Stage for OutputStage {
    fn groups(&self) -> &'static [Group] {
        &[Group::Output]
    }

    fn set(&mut self, id: ParamId, value: f32, clock: Clock) {
        let (smoother, target) = match (id, id.spec().kind) {
            (ParamId::Bypass, _) => (&mut self.bypass, (value >= 0.5) as u8 as f32),
            (ParamId::OutMix, _) => (&mut self.mix, value),
            (ParamId::OutGain, ParamKind::Decibels { min, .. }) => {
                (&mut self.gain, db_to_gain(value, min))
            }
            _ => return,
        };
        clock.steer(smoother, target);
    }

    fn reset(&mut self) {
        self.dry_delay.reset();
    }

    fn publish(&self, shared: &EngineShared) {
        let count = &shared.status.non_finite_outputs;
        count.store(self.non_finite, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays `input` through the stage in chunks, with `wet` as the chain's output; returns
    /// what the stage wrote.
    fn play(stage: &mut OutputStage, input: &[f32], wet: &[f32]) -> Vec<f32> {
        let mut out = vec![0.0; input.len()];
        for (at, (x, w)) in input.chunks(CHUNK).zip(wet.chunks(CHUNK)).enumerate() {
            let n = x.len();
            let mut dry = [[0.0; CHUNK]; MAX_CHANNELS];
            dry[0][..n].copy_from_slice(x);
            let mut wet_buf = [[0.0; CHUNK]; MAX_CHANNELS];
            wet_buf[0][..n].copy_from_slice(w);
            let [d0, d1] = &mut dry;
            let mut dry: [&mut [f32]; MAX_CHANNELS] = [&mut d0[..n], &mut d1[..n]];
            let [w0, w1] = &mut wet_buf;
            let wet: [&mut [f32]; MAX_CHANNELS] = [&mut w0[..n], &mut w1[..n]];
            let mut chunk = vec![0.0; n];
            stage.process(&mut [&mut chunk[..]], 0, &mut dry, &wet);
            out[at * CHUNK..][..n].copy_from_slice(&chunk);
        }
        out
    }

    /// Fully wet at unity gain, the output is the chain's output to the bit (the mix formula
    /// would round it); the dry path keeps running meanwhile, so a later move to dry plays
    /// the input delayed exactly by the latency.
    #[test]
    fn all_wet_plays_the_wet_signal_exactly_and_keeps_the_dry_path_aligned() {
        // A latency longer than the ramp: the first dry samples heard were delayed while all wet.
        let (rate, latency, len) = (48000.0, 1500, 8 * CHUNK);
        let input: Vec<f32> = (0..len).map(|i| (i as f32 * 0.013).sin() * 0.7).collect();
        let wet: Vec<f32> = (0..len)
            .map(|i| (i as f32 * 0.021).cos() * 0.3 + 0.1)
            .collect();
        let mut stage = OutputStage::new(rate, 1, latency);
        let out = play(&mut stage, &input, &wet);
        assert!(out
            .iter()
            .zip(&wet)
            .all(|(o, w)| o.to_bits() == w.to_bits()));
        let started = Clock {
            processed: 1,
            position: 0,
        };
        stage.set(ParamId::OutMix, 0.0, started);
        let ramp = (rate * SMOOTH_MS / 1000.0) as usize;
        let later = play(&mut stage, &input, &wet);
        for (i, y) in later.iter().enumerate().skip(ramp + 1) {
            let delayed = input[(len + i - latency) % len];
            assert_eq!(*y, delayed, "sample {i}");
        }
    }
}
