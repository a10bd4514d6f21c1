//! Keeps subnormal numbers out of the arithmetic (they cost up to 100x on x86) and out of the output
//! (hosts and clap-validator's fuzzer reject subnormal samples).

/// While alive, the current thread flushes subnormal results and inputs to zero (FTZ and DAZ on
/// x86, FZ on AArch64). The previous mode is restored on drop.
pub struct FlushGuard {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    previous: usize,
}

#[cfg(target_arch = "x86_64")]
const X86_FTZ_DAZ: u32 = (1 << 15) | (1 << 6);
#[cfg(target_arch = "aarch64")]
const ARM_FZ: u64 = 1 << 24;

impl FlushGuard {
    #[allow(deprecated)] // _mm_getcsr/_mm_setcsr: the intrinsics are deprecated for asm, not removed
    pub fn new() -> Self {
        #[cfg(target_arch = "x86_64")]
        unsafe {
            use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
            let previous = _mm_getcsr();
            _mm_setcsr(previous | X86_FTZ_DAZ);
            Self {
                previous: previous as usize,
            }
        }
        #[cfg(target_arch = "aarch64")]
        unsafe {
            let previous: u64;
            std::arch::asm!("mrs {}, fpcr", out(reg) previous);
            std::arch::asm!("msr fpcr, {}", in(reg) previous | ARM_FZ);
            Self {
                previous: previous as usize,
            }
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        Self {}
    }
}

impl Default for FlushGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for FlushGuard {
    #[allow(deprecated)]
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        unsafe {
            std::arch::x86_64::_mm_setcsr(self.previous as u32)
        };
        #[cfg(target_arch = "aarch64")]
        unsafe {
            std::arch::asm!("msr fpcr, {}", in(reg) self.previous as u64)
        };
    }
}

/// Largest magnitude let into the engine (about +120 dBFS): far beyond any real signal, small
/// enough that no gain or transform in the chain can overflow to infinity.
pub const MAX_INPUT: f32 = 1.0e6;

/// Makes a host's input safe to keep in filter state: NaN and infinity become silence, absurd
/// levels are clamped, so one bad sample cannot poison every later block.
#[inline(always)]
pub fn sanitize_input(x: f32) -> f32 {
    if x.is_finite() {
        x.clamp(-MAX_INPUT, MAX_INPUT)
    } else {
        0.0
    }
}

/// Output sample as it may leave the plugin: finite and never subnormal.
#[inline(always)]
pub fn sanitize_output(x: f32) -> f32 {
    if x.is_finite() && x.abs() >= f32::MIN_POSITIVE {
        x
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_never_subnormal_or_non_finite() {
        let tiny = f32::MIN_POSITIVE / 4.0;
        assert!(tiny != 0.0 && !tiny.is_normal());
        for x in [tiny, -tiny, f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            assert_eq!(sanitize_output(x), 0.0);
        }
        assert_eq!(sanitize_output(0.25), 0.25);
        assert_eq!(sanitize_input(f32::NAN), 0.0);
        assert_eq!(sanitize_input(1e30), MAX_INPUT);
    }

    #[test]
    fn guard_flushes_subnormal_arithmetic_and_restores_the_mode() {
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        let before = std::hint::black_box(tiny) * std::hint::black_box(0.5);
        assert!(before != 0.0, "subnormals are produced without the guard");
        {
            let _guard = FlushGuard::new();
            let during = std::hint::black_box(tiny) * std::hint::black_box(0.5);
            assert_eq!(during, 0.0);
        }
        let after = std::hint::black_box(tiny) * std::hint::black_box(0.5);
        assert!(after != 0.0);
    }
}
