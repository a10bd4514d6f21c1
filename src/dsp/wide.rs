//! Runtime dispatch to wider vector instructions. The crate is compiled for the baseline of
//! its target (SSE2 on x86-64), so a plugin loads on any machine; the hot loops of the
//! iterative methods are plain arithmetic on arrays, which the compiler vectorises twice as
//! wide, with fused multiply-adds, when allowed AVX2 and FMA. `with_avx` runs a closure so
//! compiled when the CPU has them.

/// Runs `f`, compiled for AVX2 and FMA when this CPU has them. Only code inlined into `f` is
/// compiled so: mark `f` and the helpers of its hot loops `#[inline(always)]`.
#[inline(always)]
pub fn with_avx<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features `avx_fma` is compiled for.
        return unsafe { avx_fma(f) };
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx,avx2,fma")]
unsafe fn avx_fma<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_is_the_closures_whichever_way_it_runs() {
        let x: Vec<f32> = (0..1000).map(|i| i as f32 * 0.5).collect();
        let sum = with_avx(
            #[inline(always)]
            || x.iter().map(|v| v * 2.0).sum::<f32>(),
        );
        assert_eq!(sum, x.iter().map(|v| v * 2.0).sum::<f32>());
    }
}
