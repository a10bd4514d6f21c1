//! Stand-ins for libm's `ln`, `sin_cos` and `%` by a whole turn in the per-bin loops of the
//! phase rebuild. They are plain arithmetic and bit operations (no calls, no branches), so a
//! slice loop over them is vectorised, and each costs a few nanoseconds where libm's took tens.
//! Errors are a few units in the last place of an f32 (about 1e-7), far below audibility.

use std::f32::consts::{FRAC_2_PI, LN_2};

/// 1.5 · 2²³: a float below 2²² plus this is rounded to a whole number, whose low bits are
/// then the low bits of the sum's mantissa.
const ROUNDER: f32 = 12_582_912.0;
/// A whole turn and a quarter turn, each split in a part with few mantissa bits (whole
/// multiples of it are exact) and the rest, so reducing by them loses no precision.
const TAU_HI: f32 = 6.28125;
const TAU_LO: f32 = 0.001_935_307_2;
const QUARTER_HI: f32 = 1.570_312_5;
const QUARTER_LO: f32 = 0.000_483_826_8;

/// The whole number nearest `x` (|x| < 2²²), and bits whose lowest are its own.
#[inline(always)]
fn round(x: f32) -> (f32, u32) {
    let shifted = x + ROUNDER;
    (shifted - ROUNDER, shifted.to_bits())
}

/// The angle `x` less the whole turns nearest it: the same angle in [-π, π].
#[inline(always)]
pub fn wrap_phase(x: f32) -> f32 {
    let (turns, _) = round(x * (1.0 / std::f32::consts::TAU));
    (x - turns * TAU_HI) - turns * TAU_LO
}

/// (sin x, cos x): x is reduced by the nearest quarter turns to [-π/4, π/4], where Taylor
/// series to the 9th and 10th powers are exact to f32 precision, then the quadrant swaps and
/// negates them.
#[inline(always)]
pub fn sin_cos(x: f32) -> (f32, f32) {
    let (quarters, bits) = round(x * FRAC_2_PI);
    let r = (x - quarters * QUARTER_HI) - quarters * QUARTER_LO;
    let r2 = r * r;
    let sin =
        r + r * r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 / 362_880.0)));
    let cos = 1.0
        + r2 * (-0.5
            + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40_320.0 - r2 / 3_628_800.0))));
    // Quadrant q: (sin, cos) of x are (s, c), (c, -s), (-s, -c), (-c, s).
    let (s, c) = if bits & 1 == 1 {
        (cos, sin)
    } else {
        (sin, cos)
    };
    let sin_sign = (bits & 2) << 30;
    let cos_sign = (bits.wrapping_add(1) & 2) << 30;
    (
        f32::from_bits(s.to_bits() ^ sin_sign),
        f32::from_bits(c.to_bits() ^ cos_sign),
    )
}

/// ln x for a positive normal `x`: the exponent's share, plus ln of the mantissa taken to
/// [√½, √2) from the series of 2·atanh((m − 1)/(m + 1)) to the 9th power.
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    // Bits of √½: a mantissa at or above √2 moves to the next exponent.
    const SQRT_HALF: u32 = 0x3f35_04f3;
    let bits = x.to_bits().wrapping_add(0x3f80_0000 - SQRT_HALF);
    let exponent = (bits >> 23) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) + SQRT_HALF);
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let series = 1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0 + t2 / 9.0)));
    exponent as f32 * LN_2 + 2.0 * t * series
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Arguments from `from` to `to` in `steps` steps, and some irregular ones between.
    fn sweep(from: f64, to: f64, steps: usize) -> impl Iterator<Item = f32> {
        (0..=steps).map(move |i| (from + (to - from) * (i as f64 / steps as f64).powf(1.3)) as f32)
    }

    #[test]
    fn sin_cos_is_within_a_few_ulp_of_libm() {
        let mut worst = 0.0f64;
        for x in sweep(-2000.0, 2000.0, 400_000) {
            let (s, c) = sin_cos(x);
            let (s64, c64) = (x as f64).sin_cos();
            worst = worst
                .max((s as f64 - s64).abs())
                .max((c as f64 - c64).abs());
        }
        assert!(worst < 3e-7, "{worst:e}");
    }

    #[test]
    fn wrapping_keeps_the_angle_and_lands_within_half_a_turn() {
        for x in sweep(-5000.0, 5000.0, 200_000) {
            let w = wrap_phase(x) as f64;
            // Half a turn, or an ulp of x more where x / 2π rounds the other way.
            let ulp = 1.2e-7 * x.abs() as f64;
            assert!(w.abs() <= std::f64::consts::PI + 1e-6 + ulp, "{x} -> {w}");
            let turns = (x as f64 - w) / std::f64::consts::TAU;
            // Whole turns, to within an ulp of x.
            let off = (turns - turns.round()).abs() * std::f64::consts::TAU;
            assert!(off < 1e-6 + ulp, "{x}: {off:e}");
        }
    }

    #[test]
    fn ln_is_within_a_few_ulp_of_libm_over_the_normal_range() {
        let mut x = f32::MIN_POSITIVE;
        while x < 1e30 {
            // Either side of √2, where the mantissa moves to the next exponent.
            let root = x * std::f32::consts::SQRT_2;
            for y in [x, x * 1.2345, root * 0.999_999, root * 1.000_001, x * 1.7] {
                let err = (ln(y) as f64 - (y as f64).ln()).abs();
                assert!(err < 2e-7 * (y as f64).ln().abs().max(1.0), "{y}: {err:e}");
            }
            x *= 3.7;
        }
    }
}
