//! The texture's background work. The first job of a texture takes the captured loop's
//! frames (channels averaged), turns them back into the loop's audio (the circular inverse
//! STFT: exactly what the capture plays), computes its scattering coefficients and starts a
//! reconstruction from seeded noise at the loop's level. Each job runs some iterations and
//! hands back the signal reached as the loop's frames; the next job of the chain continues
//! the same reconstruction (kept on the worker side, in `Reconstruction`), so the texture
//! comes into focus while it plays. Offline one job runs every iteration.
//!
//! The loop must loop without a click: the reconstruction covers the captured loop played on
//! across its seam on both sides (a margin of two seams before and after), and the stretch
//! after the loop's end is crossfaded (equal power) over its start, so the texture runs on
//! across its seam. The margins keep both away from the reconstruction's own ends, which the
//! coefficients constrain less (there the texture turns hissy).

use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};

use realfft::num_complex::Complex32;

use super::{TextureSettings, TextureStatus};
use crate::analysis::phase::gaussian_noise;
use crate::analysis::scattering::{ReconstructionSettings, Reconstructor, Scattering};
use crate::dsp::stft::{FrameBuffers, SignalTransform, StftLayout};
use crate::engine::job_slot::Work;
use crate::engine::EngineShared;
use crate::stages::frame_memory::LoopFrame;
use crate::stages::loop_recorder::LoopWork;
use crate::worker::{Cancel, Lane};

/// Which texture a job belongs to: its loop, its settings and the request that began it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextureKey {
    pub serial: u64,
    pub settings: TextureSettings,
    pub texture: u64,
}

pub struct TextureWork {
    pub key: TextureKey,
    /// Frames of the loop.
    pub frames: usize,
    bins: usize,
    layout: StftLayout,
    /// Frame-major: the captured loop going out with a texture's first job, the texture's
    /// frames coming back from every job.
    pub(super) spectra: Box<[Complex32]>,
    /// True for a texture's first job: `spectra` holds the captured loop.
    pub begins: bool,
    /// Run every iteration in this job (offline).
    pub all_at_once: bool,
    /// `spectra` holds the texture, and whether its reconstruction is complete.
    pub ready: bool,
    pub complete: bool,
    /// The reconstruction in progress, shared by the stage's requests; only the worker (or
    /// the offline render, running jobs inline) locks it.
    reconstruction: Arc<Mutex<Option<Reconstruction>>>,
    shared: Arc<EngineShared>,
}

impl TextureWork {
    /// Room for a loop of `max_frames` frames (allocates: not for the audio thread).
    pub fn new(
        layout: StftLayout,
        max_frames: usize,
        reconstruction: Arc<Mutex<Option<Reconstruction>>>,
        shared: Arc<EngineShared>,
    ) -> Self {
        let bins = layout.n_fft / 2 + 1;
        Self {
            key: TextureKey {
                serial: 0,
                settings: TextureSettings::default(),
                texture: 0,
            },
            frames: 0,
            bins,
            layout,
            spectra: vec![Complex32::default(); max_frames * bins].into_boxed_slice(),
            begins: false,
            all_at_once: false,
            ready: false,
            complete: false,
            reconstruction,
            shared,
        }
    }

    /// The loop's frame at `position`.
    pub(super) fn frame(&self, position: usize) -> &[Complex32] {
        &self.spectra[position * self.bins..(position + 1) * self.bins]
    }

    fn loop_spectra(&self) -> Vec<Vec<Complex32>> {
        self.spectra[..self.frames * self.bins]
            .chunks(self.bins)
            .map(<[Complex32]>::to_vec)
            .collect()
    }
}

impl LoopWork for TextureWork {
    fn begin(&mut self, at: LoopFrame) {
        self.key.serial = at.serial;
        self.frames = at.len;
    }

    fn records(&self, at: LoopFrame) -> bool {
        self.key.serial == at.serial && self.frames == at.len
    }

    /// Keeps the channels' mean.
    fn store(&mut self, position: usize, frame: &FrameBuffers) {
        let channels = frame.channels();
        let start = position * self.bins;
        let row = &mut self.spectra[start..start + self.bins];
        row.copy_from_slice(&frame.spectrum(0)[..self.bins]);
        for ch in 1..channels {
            for (r, c) in row.iter_mut().zip(frame.spectrum(ch)) {
                *r += c;
            }
        }
        let scale = 1.0 / channels as f32;
        row.iter_mut().for_each(|r| *r *= scale);
    }
}

impl Work for TextureWork {
    const LANE: Lane = Lane::Long;

    fn run(&mut self, cancel: &Cancel) {
        (self.ready, self.complete) = (false, false);
        let status = &self.shared.texture;
        let reconstruction = self.reconstruction.clone();
        let mut slot = reconstruction.lock().unwrap_or_else(|e| e.into_inner());
        if self.begins {
            // The last texture's reconstruction is freed here, on the worker.
            *slot = None;
            match Reconstruction::new(self, status) {
                Ok(begun) => *slot = Some(begun),
                Err(e) => {
                    status.set_message(&e);
                    return;
                }
            }
        }
        let Some(texture) = slot.as_mut().filter(|r| r.key == self.key) else {
            return;
        };
        let done = texture.reconstructor.loss().len();
        let more = if self.all_at_once {
            usize::MAX
        } else {
            // Often at first, while the texture changes fast.
            done.clamp(5, 40)
        };
        let iterations = self.key.settings.iterations.max(1) as f32;
        let norm = texture.reconstructor.target_norm().max(f64::MIN_POSITIVE);
        let mut curve = Vec::new();
        self.complete =
            texture
                .reconstructor
                .run(more, &|| cancel.is_cancelled(), &mut |k, loss| {
                    status
                        .progress
                        .store((k as f32 / iterations).min(1.0), Relaxed);
                    curve.push((loss / norm) as f32);
                });
        status.extend_curve(&curve);
        if cancel.is_cancelled() {
            return;
        }
        let error = texture.play(&mut self.spectra[..self.frames * self.bins]);
        status.relative_error.store(error as f32, Relaxed);
        self.ready = true;
    }
}

/// A texture's reconstruction, carried from job to job, with what its results need.
pub struct Reconstruction {
    key: TextureKey,
    reconstructor: Reconstructor,
    /// Samples crossfaded over the loop's start, and where the loop begins in the signal
    /// reconstructed (after a margin).
    seam: usize,
    margin: usize,
    transform: SignalTransform,
    spectra: Vec<Vec<Complex32>>,
    looped: Vec<f32>,
    /// The transform at the loop's length, the captured loop's coefficients under it, and
    /// room for the texture's: the error reported is that of what plays.
    measure: Scattering,
    captured: Vec<f64>,
    coefficients: Vec<f64>,
}

impl Reconstruction {
    fn new(work: &TextureWork, status: &TextureStatus) -> Result<Self, String> {
        let settings = work.key.settings;
        let mut transform = SignalTransform::circular(work.layout, work.frames)?;
        let spectra = work.loop_spectra();
        let len = transform.len();
        let mut looped = vec![0.0; len];
        transform.synthesize(&spectra, &mut looped);
        let seam = work.layout.n_fft.min(len / 2);
        let margin = 2 * seam;
        let total = len + 2 * margin;
        let extended: Vec<f64> = (0..total)
            .map(|i| looped[(i + len - margin % len) % len] as f64)
            .collect();
        // The finest J the settings allow at this length, down to 1.
        let (j, mut scattering, measure) = (1..=settings.j)
            .rev()
            .find_map(|j| {
                let q = (settings.q, 1);
                let long = Scattering::new(j, total, q).ok()?;
                Some((j, long, Scattering::new(j, len, q).ok()?))
            })
            .ok_or_else(|| format!("a loop of {len} samples is too short for a texture"))?;
        status.j.store(j, Relaxed);
        let mut target = vec![0.0; scattering.paths().len() * scattering.frames()];
        scattering.transform(&extended, &mut target);
        let mut captured = vec![0.0; measure.paths().len() * measure.frames()];
        let mut measure = measure;
        let x: Vec<f64> = looped.iter().map(|v| *v as f64).collect();
        measure.transform(&x, &mut captured);
        let level = (x.iter().map(|v| v * v).sum::<f64>() / len as f64).sqrt();
        let start = gaussian_noise(total, level, settings.seed)
            .iter()
            .map(|v| *v as f64)
            .collect();
        let method = ReconstructionSettings {
            method: settings.method.method(),
            iterations: settings.iterations,
            ..Default::default()
        };
        status.begin();
        Ok(Self {
            key: work.key,
            reconstructor: Reconstructor::new(scattering, target, start, &method)?,
            seam,
            margin,
            transform,
            spectra,
            coefficients: vec![0.0; captured.len()],
            captured,
            measure,
            looped,
        })
    }

    /// The loop of the signal reached, as frames into `out` (frame-major); returns its
    /// relative scattering error against the captured loop.
    fn play(&mut self, out: &mut [Complex32]) -> f64 {
        let (len, seam) = (self.looped.len(), self.seam);
        let signal = &self.reconstructor.signal()[self.margin..];
        for (i, l) in self.looped.iter_mut().enumerate() {
            *l = signal[i] as f32;
        }
        for i in 0..seam {
            let t = std::f64::consts::FRAC_PI_2 * (i as f64 + 0.5) / seam as f64;
            self.looped[i] = (signal[len + i] * t.cos() + signal[i] * t.sin()) as f32;
        }
        self.transform.analyze(&self.looped, &mut self.spectra);
        for (row, spectrum) in out.chunks_mut(self.spectra[0].len()).zip(&self.spectra) {
            row.copy_from_slice(spectrum);
        }
        let y: Vec<f64> = self.looped.iter().map(|v| *v as f64).collect();
        self.measure.transform(&y, &mut self.coefficients);
        let (mut difference, mut norm) = (0.0, 0.0);
        for (c, x) in self.coefficients.iter().zip(&self.captured) {
            difference += (c - x) * (c - x);
            norm += x * x;
        }
        (difference / norm.max(f64::MIN_POSITIVE)).sqrt()
    }
}
