//! RTPGHI's integration order: bins taken largest magnitude first, from buckets (each octave
//! cut into 16 by the float's top mantissa bits) instead of a binary heap. Push and pop cost a
//! few instructions whatever the count (a heap's sift through ~11 levels made up most of the
//! phase stage's time). Within a bucket the last pushed comes first, so a bin may go before one
//! up to 1/16 (0.53 dB) larger: the order the integration follows is that much coarser, which
//! `tests/phase.rs` measures.

/// Mantissa bits kept in a bucket's key: 2⁴ buckets per octave.
const SUB_OCTAVE_BITS: u32 = 4;
/// Buckets for every non-negative finite f32 (8 exponent bits and the mantissa bits kept).
const BUCKETS: usize = 1 << (8 + SUB_OCTAVE_BITS);
const WORDS: usize = BUCKETS / 64;
const NONE: u32 = u32::MAX;

/// A max-queue of entries (0 .. capacity), each pushed at most once between clears.
pub(super) struct BucketQueue {
    /// Per bucket, its last pushed entry; per entry, the one pushed before it in its bucket.
    head: Vec<u32>,
    next: Vec<u32>,
    /// Bit b of word w: bucket 64w + b holds entries; bit w of `summary`: word w is not 0.
    occupied: Vec<u64>,
    summary: u64,
}

impl BucketQueue {
    /// For entries 0 .. `capacity`. Allocates.
    pub fn new(capacity: usize) -> Self {
        Self {
            head: vec![NONE; BUCKETS],
            next: vec![NONE; capacity],
            occupied: vec![0; WORDS],
            summary: 0,
        }
    }

    pub fn clear(&mut self) {
        self.occupied.fill(0);
        self.summary = 0;
    }

    /// Queues `entry` at `magnitude` (non-negative and finite).
    pub fn push(&mut self, entry: usize, magnitude: f32) {
        let bucket = (magnitude.to_bits() >> (23 - SUB_OCTAVE_BITS)) as usize;
        let (word, bit) = (bucket / 64, bucket % 64);
        if self.occupied[word] >> bit & 1 == 0 {
            self.next[entry] = NONE;
            self.occupied[word] |= 1 << bit;
            self.summary |= 1 << word;
        } else {
            self.next[entry] = self.head[bucket];
        }
        self.head[bucket] = entry as u32;
    }

    /// The entry in the highest bucket (the last pushed there), or None when empty.
    pub fn pop(&mut self) -> Option<usize> {
        if self.summary == 0 {
            return None;
        }
        let word = 63 - self.summary.leading_zeros() as usize;
        let bit = 63 - self.occupied[word].leading_zeros() as usize;
        let bucket = word * 64 + bit;
        let entry = self.head[bucket];
        let next = self.next[entry as usize];
        if next == NONE {
            self.occupied[word] &= !(1 << bit);
            if self.occupied[word] == 0 {
                self.summary &= !(1 << word);
            }
        } else {
            self.head[bucket] = next;
        }
        Some(entry as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_out_largest_first_to_within_a_bucket() {
        let magnitudes: Vec<f32> = (0..500)
            .map(|i| ((i * 7919) % 1000) as f32 * 1e-3 + 1e-6 * (i % 3) as f32)
            .collect();
        let mut queue = BucketQueue::new(magnitudes.len());
        for (i, m) in magnitudes.iter().enumerate() {
            queue.push(i, *m);
        }
        let mut last = f32::INFINITY;
        let mut count = 0;
        while let Some(i) = queue.pop() {
            // Never more than a bucket's width (1/16) above the one before.
            assert!(magnitudes[i] <= last * (1.0 + 1.0 / 16.0), "{i}");
            last = magnitudes[i];
            count += 1;
        }
        assert_eq!(count, magnitudes.len());
        // Pushes between pops go to their place.
        queue.clear();
        queue.push(0, 0.5);
        queue.push(1, 0.25);
        assert_eq!(queue.pop(), Some(0));
        queue.push(2, 4.0);
        assert_eq!(
            (queue.pop(), queue.pop(), queue.pop()),
            (Some(2), Some(1), None)
        );
    }
}
