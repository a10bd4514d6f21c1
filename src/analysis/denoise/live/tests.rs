use super::*;

fn tag(epoch: u32, mode: LearnMode, learning: bool) -> FeedTag {
    FeedTag {
        epoch,
        anchor: 0,
        mode,
        taps: 32,
        learning,
    }
}

#[test]
fn reference_mode_learns_a_gain_from_the_sidechain() {
    let (learner, mut writer) = Learner::new(16000.0);
    let status = LearnStatus::default();
    let input: Vec<f32> = (0..20000)
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
        .collect();
    let target: Vec<f32> = input.iter().map(|x| 0.5 * x).collect();
    for (x, d) in input.chunks(300).zip(target.chunks(300)) {
        writer.push(x, Some(d), tag(1, LearnMode::Reference, true));
    }
    writer.flush();
    let (taps, meta) = learner.run(&status).unwrap();
    assert!((taps[0] - 0.5).abs() < 1e-4, "{}", taps[0]);
    assert!(taps[1..].iter().all(|t| t.abs() < 1e-4));
    assert_eq!(meta["method"], "reference");
    assert_eq!(status.material_ms.load(Ordering::Relaxed), 1250);
    // Nothing new: no new taps.
    assert!(learner.run(&status).is_none());
}

#[test]
fn a_silent_reference_teaches_nothing() {
    let (learner, mut writer) = Learner::new(16000.0);
    let status = LearnStatus::default();
    let input = vec![0.25f32; 5000];
    writer.push(&input, None, tag(1, LearnMode::Reference, true));
    writer.flush();
    assert!(learner.run(&status).is_none());
    assert!(status.note().contains("silent"), "{}", status.note());
}

#[test]
fn noise_profile_waits_for_a_profile_and_keeps_it_across_tap_counts() {
    let (learner, mut writer) = Learner::new(16000.0);
    let status = LearnStatus::default();
    let noise: Vec<f32> = (0..16000)
        .map(|i| (((i * 7919) % 1000) as f32 / 1000.0 - 0.5) * 0.1)
        .collect();
    writer.push(&noise, None, tag(1, LearnMode::NoiseProfile, false));
    writer.flush();
    assert!(learner.run(&status).is_none());
    assert!(status.note().contains("noise-only"));
    writer.push(&noise, None, tag(2, LearnMode::NoiseProfile, true));
    writer.push(&noise, None, tag(2, LearnMode::NoiseProfile, false));
    writer.flush();
    assert!(learner.run(&status).is_some());
    assert_eq!(status.profile_ms.load(Ordering::Relaxed), 1000);
    // A new tap count is a new epoch, but the profile stays.
    let other = FeedTag {
        taps: 81,
        ..tag(3, LearnMode::NoiseProfile, false)
    };
    writer.push(&noise, None, other);
    writer.flush();
    let (taps, _) = learner.run(&status).unwrap();
    assert_eq!(taps.len(), 81);
}

#[test]
fn a_full_pool_loses_audio_instead_of_waiting() {
    let (learner, mut writer) = Learner::new(16000.0);
    let long = vec![0.1f32; FEED_BLOCK * (FEED_POOL + 5)];
    writer.push(&long, None, tag(1, LearnMode::Adaptive, false));
    assert!(writer.gap);
    let status = LearnStatus::default();
    learner.run(&status);
    assert_eq!(
        status.material_ms.load(Ordering::Relaxed),
        (FEED_POOL * FEED_BLOCK) as u64 * 1000 / 16000
    );
}

#[test]
fn a_jump_restarts_what_follows_the_signal_and_keeps_the_noise_profile() {
    let (learner, mut writer) = Learner::new(16000.0);
    let status = LearnStatus::default();
    let noise: Vec<f32> = (0..16000)
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
        .collect();
    let material = || status.material_ms.load(Ordering::Relaxed);
    let jumped = |tag: FeedTag| FeedTag { anchor: 1, ..tag };
    let profile = tag(1, LearnMode::NoiseProfile, false);
    writer.push(&noise, None, tag(1, LearnMode::NoiseProfile, true));
    writer.push(&noise, None, profile);
    writer.flush();
    assert!(learner.run(&status).is_some());
    assert_eq!(material(), 1000);
    writer.push(&noise[..8000], None, jumped(profile));
    writer.flush();
    assert!(
        learner.run(&status).is_some(),
        "designs from the kept profile"
    );
    assert_eq!(material(), 500);
    assert_eq!(status.profile_ms.load(Ordering::Relaxed), 1000);

    let adaptive = tag(2, LearnMode::Adaptive, false);
    writer.push(&noise, None, adaptive);
    writer.flush();
    learner.run(&status);
    assert_eq!(material(), 1000);
    writer.push(&noise[..4000], None, jumped(adaptive));
    writer.flush();
    learner.run(&status);
    assert_eq!(material(), 250);
}
