//! How far ahead of real time the host runs the engine, so a render the host does not call
//! offline (Ardour's export of a VST3, any "freewheel") can still wait for background jobs and
//! sound like the session played live, and like the command line.
//!
//! The lead is the audio handed back minus the wall time passed, floored at zero: a live host
//! keeps it near its device buffer, a faster-than-real-time render builds it up. The engine may
//! wait for jobs while the lead exceeds `MARGIN_S`, at most down to that margin, so a host
//! playing live never waits and a render never falls behind real time.

use std::time::{Duration, Instant};

/// Above any device buffer a live host uses (8192 samples at 44.1 kHz is 0.19 s; hosts that
/// render ahead, as Reaper's anticipative processing, keep ~0.2 s by default).
pub const MARGIN_S: f64 = 0.4;

#[derive(Default)]
pub struct Pace {
    last: Option<Instant>,
    /// Seconds of audio handed back ahead of real time.
    ahead: f64,
}

impl Pace {
    /// Called as a block of `seconds` starts at `now`; returns until when the engine may wait
    /// for background jobs during this block (`None`: not at all).
    pub fn block(&mut self, now: Instant, seconds: f64) -> Option<Instant> {
        let elapsed = self.last.map_or(0.0, |last| {
            now.saturating_duration_since(last).as_secs_f64()
        });
        self.last = Some(now);
        let budget = (self.ahead - elapsed).max(0.0);
        self.ahead = budget + seconds;
        let spare = budget - MARGIN_S;
        (spare > 0.0).then(|| now + Duration::from_secs_f64(spare))
    }

    /// Seconds of audio handed back ahead of real time, as of the last block's end.
    pub fn ahead(&self) -> f64 {
        self.ahead
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: f64 = 512.0 / 48000.0;

    #[test]
    fn a_live_host_never_waits() {
        let (mut pace, start) = (Pace::default(), Instant::now());
        // Blocks on time, and bursts of 16 blocks per 8192-sample device buffer.
        for i in 0..2000 {
            let now = start + Duration::from_secs_f64(BLOCK * i as f64);
            assert_eq!(pace.block(now, BLOCK), None, "block {i}");
        }
        let start = start + Duration::from_secs(60);
        for i in 0..2000 {
            let buffer = (i / 16) as f64 * 16.0 * BLOCK;
            let now = start + Duration::from_secs_f64(buffer + 1e-5 * (i % 16) as f64);
            assert_eq!(pace.block(now, BLOCK), None, "burst block {i}");
        }
    }

    #[test]
    fn a_faster_render_may_wait_down_to_the_margin() {
        let (mut pace, start) = (Pace::default(), Instant::now());
        // Ten times real time: block i starts with 0.9 i blocks of lead, which passes the
        // margin at i = 42.
        let mut deadline = None;
        for i in 0..94 {
            let now = start + Duration::from_secs_f64(0.1 * BLOCK * i as f64);
            deadline = pace.block(now, BLOCK);
            assert_eq!(deadline.is_some(), i >= 42, "block {i}");
        }
        let now = start + Duration::from_secs_f64(0.1 * BLOCK * 93.0);
        let spare = deadline.unwrap().duration_since(now).as_secs_f64();
        let expected = 93.0 * BLOCK * 0.9 - MARGIN_S;
        assert!((spare - expected).abs() < 1e-6, "{spare} vs {expected}");
        // A wait of all that time leaves the lead of the block just rendered.
        let later = deadline.unwrap();
        let spare = pace.block(later, BLOCK).unwrap().duration_since(later);
        assert!((spare.as_secs_f64() - BLOCK).abs() < 1e-6, "{spare:?}");
        // A stall (the host stopped calling) leaves no credit behind.
        let much_later = later + Duration::from_secs(10);
        assert_eq!(pace.block(much_later, BLOCK), None);
        assert!((pace.ahead() - BLOCK).abs() < 1e-12);
    }
}
