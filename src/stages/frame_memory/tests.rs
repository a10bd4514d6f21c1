use super::*;
use crate::worker::Job;

/// The worker's part, done here: runs the request and hands the answer to the stage.
fn answer(stage: &mut FrameMemory, mut request: Box<Request<OrderWork>>) {
    request.run();
    stage.receive(request);
}

const BINS: usize = 33;

/// A stage whose memory holds `frames` frames of 64-sample windows (hop 16 at 1 kHz: a frame
/// every 16 ms).
fn stage(mode: ReorderMode, frames: usize, order: FrameOrder) -> FrameMemory {
    let layout = MemoryLayout {
        mode,
        seconds: frames as f32 * 0.016,
        sample_rate: 1000.0,
        channels: 2,
        window: 64,
        hop: 16,
    };
    let mut stage = FrameMemory::new(layout, 0, Arc::new(EngineShared::default()));
    assert_eq!(stage.frames(), frames);
    stage.set(ParamId::ReorderOrder, order as usize as f32);
    stage
}

/// Frame `f` of a test stream: a spectrum that names the frame, and differs per channel and
/// (for similarity orders) in shape: frames 0, 2, 4, ... are low, the others high.
fn frame(f: usize) -> FrameBuffers {
    let mut frame = FrameBuffers::new(2, BINS);
    for ch in 0..2 {
        let spectrum = frame.channel(ch);
        let band = if f.is_multiple_of(2) { 2..6 } else { 20..26 };
        for k in band {
            spectrum[k] = Complex32::new(1.0 + f as f32, ch as f32);
        }
    }
    frame
}

/// Which input frame an output frame is, or None for silence.
fn name(frame: &mut FrameBuffers) -> Option<usize> {
    let spectrum = frame.channel(0);
    let peak = spectrum.iter().map(|c| c.re).fold(0.0f32, f32::max);
    (peak > 0.0).then(|| (peak - 1.0).round() as usize)
}

/// Runs `count` frames through, doing the engine's chores (and the worker's, inline) at
/// every frame; returns the names of the output frames.
fn run(stage: &mut FrameMemory, from: usize, count: usize, worker: bool) -> Vec<Option<usize>> {
    (from..from + count)
        .map(|f| {
            if let Some(request) = stage.take_request() {
                if worker {
                    answer(stage, request);
                }
            }
            let mut frame = frame(f);
            stage.apply(&mut frame);
            name(&mut frame)
        })
        .collect()
}

#[test]
fn segments_play_reversed_two_segments_late() {
    let n = 5;
    let mut stage = stage(ReorderMode::Segment, n, FrameOrder::Reverse);
    assert_eq!(stage.latency_frames(), 2 * n);
    let out = run(&mut stage, 0, 6 * n, false);
    assert!(out[..2 * n].iter().all(Option::is_none));
    for (a, played) in out.iter().enumerate().skip(2 * n) {
        let segment = a / n - 2;
        assert_eq!(*played, Some(segment * n + (n - 1 - a % n)), "frame {a}");
    }
    assert_eq!(stage.misses(), 0);
}

#[test]
fn every_order_plays_each_frame_of_a_segment_once() {
    let n = 8;
    for order in [
        FrameOrder::Reverse,
        FrameOrder::Random,
        FrameOrder::Pca,
        FrameOrder::Tsne,
        FrameOrder::Walk,
    ] {
        let mut stage = stage(ReorderMode::Segment, n, order);
        stage.set(ParamId::ReorderPerplexity, 3.0);
        let out = run(&mut stage, 0, 5 * n, true);
        for segment in 0..3 {
            let mut played: Vec<usize> = out[(segment + 2) * n..(segment + 3) * n]
                .iter()
                .map(|p| p.unwrap())
                .collect();
            played.sort();
            let expected: Vec<usize> = (segment * n..(segment + 1) * n).collect();
            assert_eq!(played, expected, "{order:?} segment {segment}");
        }
        assert_eq!(stage.misses(), 0, "{order:?}");
        if order == FrameOrder::Pca {
            // Low and high frames are the two ends of the first principal axis.
            let first: Vec<usize> = out[2 * n..3 * n].iter().map(|p| p.unwrap() % 2).collect();
            let changes = first.windows(2).filter(|w| w[0] != w[1]).count();
            assert_eq!(changes, 1, "{first:?}");
        }
    }
}

#[test]
fn a_late_order_is_a_miss_and_the_last_order_plays() {
    let n = 4;
    let mut stage = stage(ReorderMode::Segment, n, FrameOrder::Pca);
    // No worker: every segment misses and plays the starting (time) order.
    let out = run(&mut stage, 0, 5 * n, false);
    assert_eq!(stage.misses(), 3);
    let expected: Vec<Option<usize>> = (0..3 * n).map(Some).collect();
    assert_eq!(out[2 * n..], expected[..]);
}

#[test]
fn a_capture_loops_its_memory_and_fades_in_and_out() {
    let n = 6;
    let mut stage = stage(ReorderMode::Capture, n, FrameOrder::Reverse);
    stage.fade_step = 0.5;
    let live = run(&mut stage, 0, 10, false);
    assert_eq!(live, (0..10).map(Some).collect::<Vec<_>>());
    stage.capture = true;
    let mut frame = frame(10);
    stage.take_request();
    stage.apply(&mut frame);
    // Half live frame 10 (low bins), half the newest frame (9, high bins) of memory 4..=9
    // played backwards.
    let spectrum = frame.channel(0);
    assert!((spectrum[2].re - 0.5 * 11.0).abs() < 1e-5);
    assert!((spectrum[20].re - 0.5 * 10.0).abs() < 1e-5);
    let frozen = run(&mut stage, 11, 2 * n, false);
    let lap: Vec<Option<usize>> = (4..10).rev().map(Some).collect();
    assert_eq!(frozen[..n - 1], lap[1..]);
    assert_eq!(frozen[n - 1..2 * n - 1], lap[..]);
    stage.capture = false;
    let released = run(&mut stage, 30, 4, false);
    // One frame at half level, then live again, recording from there.
    assert_eq!(released[1..], [Some(31), Some(32), Some(33)]);
    assert!(!stage.is_frozen());
}

#[test]
fn a_capture_asks_the_worker_and_uses_the_order_once_it_is_in() {
    let n = 8;
    let mut stage = stage(ReorderMode::Capture, n, FrameOrder::Pca);
    stage.fade_step = 1.0;
    run(&mut stage, 0, n, false);
    stage.capture = true;
    let request = stage.take_request().expect("a capture asks for its order");
    assert_eq!(request.work.frames, n);
    // Before the order is in: time order, counted as one miss.
    let waiting = run(&mut stage, n, 3, false);
    assert_eq!(waiting, [Some(0), Some(1), Some(2)]);
    assert_eq!(stage.misses(), 1);
    answer(&mut stage, request);
    assert!(
        stage.jobs.all_home(),
        "the answer is used and its request reused"
    );
    let ordered = run(&mut stage, n + 3, n, false);
    let parity: Vec<usize> = ordered.iter().map(|p| p.unwrap() % 2).collect();
    assert_eq!(
        parity.windows(2).filter(|w| w[0] != w[1]).count(),
        1,
        "{parity:?}"
    );
    // A new order setting orders the frozen memory again.
    stage.set(ParamId::ReorderOrder, FrameOrder::Walk as usize as f32);
    assert!(stage.take_request().is_some());
    assert_eq!(stage.misses(), 1);
}

#[test]
fn a_reset_empties_the_memory_and_orders_still_out_are_not_used() {
    let n = 4;
    let mut stage = stage(ReorderMode::Segment, n, FrameOrder::Pca);
    run(&mut stage, 0, 3 * n, true);
    // Segment 2's order is out, segment 1's waits, when the host resets.
    let request = stage.take_request().expect("segment 2 asks for its order");
    stage.reset();
    assert_eq!(
        stage.jobs.home(),
        POOL - 1,
        "segment 1's order is handed back"
    );
    answer(&mut stage, request);
    assert!(
        stage.next.iter().all(Option::is_none) && stage.jobs.all_home(),
        "a stale order is refused"
    );
    let out = run(&mut stage, 100, 3 * n, true);
    assert!(out[..2 * n].iter().all(Option::is_none), "{out:?}");
    let mut played: Vec<usize> = out[2 * n..].iter().map(|p| p.unwrap()).collect();
    played.sort();
    assert_eq!(played, (100..100 + n).collect::<Vec<_>>());
}

#[test]
fn orders_and_their_parameter_values_correspond() {
    for i in 0..FrameOrder::NAMES.len() {
        assert_eq!(FrameOrder::from_index(i) as usize, i);
    }
}

#[test]
fn the_memory_fits_the_budget() {
    // 8 s of 16384-point frames every 1024 samples, stereo, three segments and the requests.
    let frames = memory_frames(8.0, 48000.0, 1024, 2, 8193, SEGMENT_COPIES);
    assert!(
        frames * SEGMENT_COPIES * 2 * 8193 <= MEMORY_BUDGET,
        "{frames}"
    );
    assert_eq!(memory_frames(1.0, 48000.0, 512, 2, 1025, 3), 94);
    assert_eq!(memory_frames(100.0, 48000.0, 16, 1, 129, 1), MAX_FRAMES);
}
