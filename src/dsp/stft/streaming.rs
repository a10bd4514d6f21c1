//! Streaming short-time Fourier transform: Hann-windowed frames of the incoming audio, a hook that
//! may change each frame's spectrum, and overlap-add resynthesis. With the hook doing nothing the
//! output is the input delayed by exactly one window (`latency()` samples).
//!
//! Every window size and overlap is planned at construction, so switching them on the audio thread
//! allocates nothing. All channels are framed in lock-step, so a frame operation sees the same
//! instant on every channel.

use realfft::num_complex::Complex32;
use rustfft::FftPlanner;

use super::frame::{FrameAnalysis, FrameSynthesis};
use super::window;
use crate::dsp::wide::with_avx;

/// Window sizes the stage supports, in samples.
pub const WINDOW_SIZES: [usize; 7] = [256, 512, 1024, 2048, 4096, 8192, 16384];
/// Overlaps (window / hop) the stage supports.
pub const OVERLAPS: [usize; 4] = [2, 4, 8, 16];
pub const MAX_WINDOW: usize = WINDOW_SIZES[WINDOW_SIZES.len() - 1];

/// The spectra of one frame, one per channel, as seen by a frame operation.
pub struct FrameBuffers {
    spectra: Vec<Vec<Complex32>>,
    bins: usize,
}

impl FrameBuffers {
    /// Zeroed spectra of `bins` bins for `channels` channels (allocates: not for the audio thread).
    pub fn new(channels: usize, bins: usize) -> Self {
        Self {
            spectra: vec![vec![Complex32::default(); bins]; channels],
            bins,
        }
    }

    pub fn channels(&self) -> usize {
        self.spectra.len()
    }

    /// Bins 0 (DC) to window/2 (Nyquist) of one channel.
    pub fn channel(&mut self, ch: usize) -> &mut [Complex32] {
        &mut self.spectra[ch][..self.bins]
    }

    /// The same bins, to read.
    pub fn spectrum(&self, ch: usize) -> &[Complex32] {
        &self.spectra[ch][..self.bins]
    }
}

struct Plan {
    analysis: FrameAnalysis<f32>,
    inverse: FrameSynthesis<f32>,
    /// One synthesis window per entry of `OVERLAPS`.
    synthesis: Vec<Vec<f32>>,
}

pub struct StreamingStft {
    plans: Vec<Plan>,
    window: usize,
    hop: usize,
    plan: usize,
    overlap_index: usize,
    /// Per channel: the last `window` input samples, a ring indexed by `pos`.
    input: Vec<Vec<f32>>,
    /// Per channel: overlap-add accumulator, a ring indexed by `pos`.
    output: Vec<Vec<f32>>,
    pos: usize,
    since_frame: usize,
    frames: FrameBuffers,
}

/// Index of `value` in `table`, or an error naming the allowed values.
fn position(table: &[usize], value: usize, what: &str) -> Result<usize, String> {
    table
        .iter()
        .position(|&v| v == value)
        .ok_or_else(|| format!("{what} {value} is not supported (use one of {table:?})"))
}

impl StreamingStft {
    pub fn new(channels: usize, window: usize, overlap: usize) -> Result<Self, String> {
        let mut planner = FftPlanner::<f32>::new();
        let plans: Vec<Plan> = WINDOW_SIZES
            .iter()
            .map(|&n| {
                let analysis = window::hann(n);
                let synthesis = OVERLAPS
                    .iter()
                    .map(|o| window::synthesis(&analysis, n / o))
                    .collect();
                Plan {
                    analysis: FrameAnalysis::new(&mut planner, analysis),
                    inverse: FrameSynthesis::new(&mut planner, n),
                    synthesis,
                }
            })
            .collect();
        let bins = MAX_WINDOW / 2 + 1;
        let mut stft = Self {
            plans,
            window: 0,
            hop: 0,
            plan: 0,
            overlap_index: 0,
            input: vec![vec![0.0; MAX_WINDOW]; channels],
            output: vec![vec![0.0; MAX_WINDOW]; channels],
            pos: 0,
            since_frame: 0,
            frames: FrameBuffers {
                spectra: vec![vec![Complex32::default(); bins]; channels],
                bins,
            },
        };
        stft.configure(window, overlap)?;
        Ok(stft)
    }

    /// Selects a planned window size and overlap and clears the state.
    fn configure(&mut self, window: usize, overlap: usize) -> Result<(), String> {
        self.plan = position(&WINDOW_SIZES, window, "window size")?;
        self.overlap_index = position(&OVERLAPS, overlap, "overlap")?;
        self.window = window;
        self.hop = window / overlap;
        self.frames.bins = window / 2 + 1;
        self.reset();
        Ok(())
    }

    pub fn reset(&mut self) {
        for ring in self.input.iter_mut().chain(self.output.iter_mut()) {
            ring.fill(0.0);
        }
        self.pos = 0;
        self.since_frame = 0;
    }

    /// Clears the state for a stream whose next sample is sample `position` of the timeline:
    /// frames end on multiples of the hop. Returns the index of the next frame.
    pub fn locate(&mut self, position: u64) -> u64 {
        self.reset();
        self.since_frame = (position % self.hop as u64) as usize;
        position / self.hop as u64
    }

    pub fn window(&self) -> usize {
        self.window
    }

    pub fn overlap(&self) -> usize {
        self.window / self.hop
    }

    /// Delay from input to output, in samples.
    pub fn latency(&self) -> usize {
        self.window
    }

    /// Runs `io` (one equally long slice per channel) through the transform in place; `on_frame`
    /// sees every frame's spectra before resynthesis.
    pub fn process(&mut self, io: &mut [&mut [f32]], mut on_frame: impl FnMut(&mut FrameBuffers)) {
        let len = io.first().map_or(0, |c| c.len());
        let mut done = 0;
        while done < len {
            let run = (len - done)
                .min(self.hop - self.since_frame)
                .min(self.window - self.pos);
            for ((chan, input), output) in io.iter_mut().zip(&mut self.input).zip(&mut self.output)
            {
                let samples = &mut chan[done..done + run];
                let output = &mut output[self.pos..self.pos + run];
                input[self.pos..self.pos + run].copy_from_slice(samples);
                samples.copy_from_slice(output);
                output.fill(0.0);
            }
            done += run;
            self.pos = (self.pos + run) % self.window;
            self.since_frame += run;
            if self.since_frame == self.hop {
                self.since_frame = 0;
                self.frame(&mut on_frame);
            }
        }
    }

    /// Analyses the last `window` input samples, lets `on_frame` act, and overlap-adds the result.
    /// The transforms' own loops (windowing, real-FFT separation, overlap-add) run `with_avx`.
    fn frame(&mut self, on_frame: &mut impl FnMut(&mut FrameBuffers)) {
        let n = self.window;
        let plan = &mut self.plans[self.plan];
        let (pos, bins) = (self.pos, self.frames.bins);
        let (inputs, spectra) = (&self.input, &mut self.frames.spectra);
        with_avx(
            #[inline(always)]
            || {
                for (input, spectrum) in inputs.iter().zip(spectra.iter_mut()) {
                    // Oldest sample first: the ring from `pos` to its end, then its start.
                    let (older, newer) = input[..n].split_at(pos);
                    plan.analysis.analyze(newer, older, &mut spectrum[..bins]);
                }
            },
        );
        on_frame(&mut self.frames);
        let synthesis = &plan.synthesis[self.overlap_index];
        let (outputs, spectra) = (&mut self.output, &mut self.frames.spectra);
        with_avx(
            #[inline(always)]
            || {
                for (output, spectrum) in outputs.iter_mut().zip(spectra.iter_mut()) {
                    let time = plan.inverse.synthesize(&mut spectrum[..bins]);
                    // Two plain loops (a chained iterator would not be vectorised).
                    let (older, newer) = output[..n].split_at_mut(pos);
                    let (time_newer, time_older) = time.split_at(newer.len());
                    let (w_newer, w_older) = synthesis.split_at(newer.len());
                    for ((o, t), w) in newer.iter_mut().zip(time_newer).zip(w_newer) {
                        *o += t * w;
                    }
                    for ((o, t), w) in older.iter_mut().zip(time_older).zip(w_older) {
                        *o += t * w;
                    }
                }
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(len: usize) -> Vec<f32> {
        (0..len)
            .map(|n| (n as f32 * 0.05).sin() + 0.3 * (n as f32 * 0.31).cos())
            .collect()
    }

    #[test]
    fn a_frame_hook_sees_every_channel_and_its_changes_are_heard() {
        let (window, len) = (512, 8192);
        let mut stft = StreamingStft::new(2, window, 4).unwrap();
        let input = tone(len);
        let (mut left, mut right) = (input.clone(), input.clone());
        let mut frames = 0;
        // Halve the left channel, silence the right, in the spectral domain.
        stft.process(&mut [&mut left, &mut right], |f| {
            assert_eq!(f.channels(), 2);
            assert_eq!(f.channel(0).len(), window / 2 + 1);
            f.channel(0).iter_mut().for_each(|c| *c *= 0.5);
            f.channel(1).fill(Complex32::default());
            frames += 1;
        });
        assert_eq!(frames, len / (window / 4));
        for n in window..len {
            assert!(
                (left[n] - 0.5 * input[n - window]).abs() < 1e-4,
                "sample {n}"
            );
            assert_eq!(right[n], 0.0);
        }
    }

    #[test]
    fn unsupported_layouts_are_refused_with_the_allowed_values() {
        let err = StreamingStft::new(1, 1000, 4).err().unwrap();
        assert!(err.contains("1000") && err.contains("256"), "{err}");
        assert!(StreamingStft::new(1, 1024, 3).is_err());
    }
}
