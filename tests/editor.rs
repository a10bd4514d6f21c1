//! The editor as a user sees it: embedded by the CLAP test host in an X11 window (on `$DISPLAY`,
//! or on an Xvfb server this test starts), left to render, then captured. The capture is saved as
//! `target/editor-screenshot.png` for people to look at; the test checks that the editor drew its
//! interface (text and widgets on the dark theme, the learned filter's response, the frames of a
//! captured memory's order), not a blank or black window.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::clap_host::{change, LoadedPlugin};
use common::{add_noise, stereo_excerpt};
use phasewright::params::ParamId;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    ConnectionExt, CreateWindowAux, EventMask, ImageFormat, WindowClass,
};

/// An X server for the test: the session's own, or an Xvfb started here with `-terminate`, so it
/// exits by itself when its last client (this process, at the latest when it exits) disconnects.
/// Killing it earlier would pull the server from under the editor's window thread, which closes
/// asynchronously.
struct Display {
    name: String,
}

impl Display {
    fn open() -> Self {
        if let Ok(name) = std::env::var("DISPLAY") {
            if !name.is_empty() {
                return Self { name };
            }
        }
        // `-displayfd 1`: Xvfb picks a free display and writes its number to its standard output.
        // Its pid is not kept: `-terminate` ends it, and nothing here may stop it sooner.
        #[allow(clippy::zombie_processes)]
        let mut server = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1024x768x24",
                "-nolisten",
                "tcp",
                "-terminate",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("no $DISPLAY and no Xvfb: install it (apt-get install xvfb libgl1-mesa-dri)");
        let mut line = String::new();
        BufReader::new(server.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let number: u32 = line
            .trim()
            .parse()
            .expect("Xvfb did not report its display");
        let name = format!(":{number}");
        // The editor opens its own connection from $DISPLAY. This binary holds this one test, so
        // changing the process environment races with nothing.
        std::env::set_var("DISPLAY", &name);
        Self { name }
    }
}

#[test]
fn the_editor_opens_and_draws_its_interface() {
    let display = Display::open();
    let (conn, screen_index) = x11rb::connect(Some(&display.name)).expect("connect to X");
    let screen = &conn.setup().roots[screen_index];
    let (width, height) = (980u16, 720u16);
    let window = conn.generate_id().unwrap();
    conn.create_window(
        screen.root_depth,
        window,
        screen.root,
        0,
        0,
        width,
        height,
        0,
        WindowClass::INPUT_OUTPUT,
        screen.root_visual,
        &CreateWindowAux::new()
            .background_pixel(screen.white_pixel)
            .event_mask(EventMask::EXPOSURE),
    )
    .unwrap();
    conn.map_window(window).unwrap();
    conn.flush().unwrap();

    // Something learned to show: two seconds of noisy speech in adaptive mode, the second of
    // them captured and ordered by PCA (Capture mode needs a restart, as a host does it).
    let mut plugin = LoadedPlugin::new();
    plugin.set_render_mode(true);
    let (rate, speech) = stereo_excerpt("speech/espeak_00_en.wav", 2.0);
    plugin.activate(rate as f64, 512);
    let capture_mode = [change(&mut plugin, 0, ParamId::ReorderMode, 2.0)];
    plugin.process(&[vec![0.0; 64], vec![0.0; 64]], None, 64, &capture_mode);
    assert!(plugin.take_restart_request());
    plugin.activate(rate as f64, 512);
    let noisy = add_noise(&speech, 0.05, 1);
    let events = [
        change(&mut plugin, 0, ParamId::DenoiseMode, 3.0),
        change(&mut plugin, rate as usize, ParamId::ReorderCapture, 1.0),
    ];
    plugin.process(&noisy, None, 512, &events);
    let threads_before = thread_count();
    let size = plugin.open_editor(window);
    assert_eq!((size.width, size.height), (width as u32, height as u32));
    // Capture the window until egui has painted everything (a busy machine only takes longer).
    let capture = || -> Vec<u8> {
        let image = conn
            .get_image(ImageFormat::Z_PIXMAP, window, 0, 0, width, height, !0)
            .unwrap()
            .reply()
            .expect("capture the window");
        // 32-bit Z-pixmap pixels are B, G, R, X.
        (image.data.chunks_exact(4))
            .flat_map(|p| [p[2], p[1], p[0]])
            .collect()
    };
    let start = std::time::Instant::now();
    let (mut rgb, mut picture);
    loop {
        std::thread::sleep(Duration::from_millis(200));
        rgb = capture();
        picture = Picture::of(&rgb);
        if picture.complete() || start.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    eprintln!("painted after {:.1} s", start.elapsed().as_secs_f32());
    plugin.close_editor();
    // The editor's window thread tears its GL context down after `destroy` returns; exiting the
    // process under it crashes Mesa's finalizers. A host stays alive; the test waits it out.
    let start = std::time::Instant::now();
    while thread_count() > threads_before && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        thread_count() <= threads_before,
        "the editor's threads outlived it"
    );

    let shot =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/editor-screenshot.png");
    image::save_buffer(
        &shot,
        &rgb,
        width as u32,
        height as u32,
        image::ColorType::Rgb8,
    )
    .unwrap();
    eprintln!("editor screenshot: {}", shot.display());
    let Picture {
        dark,
        bright,
        curve,
        points,
    } = picture;
    // The dark theme covers the window (the parent's white shows where nothing was painted) ...
    assert!(
        dark > 0.6,
        "dark background over {:.0}% of the window",
        dark * 100.0
    );
    // ... the learned filter's response curve is drawn ...
    assert!(curve > 300, "response curve pixels: {curve}");
    // ... the captured frames are points coloured by time (green the middle, red the end) ...
    assert!(
        points > 150,
        "green and red embedding points: {points} pixels"
    );
    // ... and light text and widgets stand on it.
    assert!(
        bright > 0.01 && bright < 0.35,
        "bright pixels: {:.1}%",
        bright * 100.0
    );
}

/// What a capture of the editor shows.
struct Picture {
    /// Shares of dark and of bright pixels.
    dark: f32,
    bright: f32,
    /// Pixels of the response curve's colour, and of the embedding points' colours.
    curve: usize,
    points: usize,
}

impl Picture {
    fn of(rgb: &[u8]) -> Self {
        let luma: Vec<f32> = rgb
            .chunks_exact(3)
            .map(|p| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32)
            .collect();
        let share = |f: &dyn Fn(f32) -> bool| {
            luma.iter().filter(|l| f(**l)).count() as f32 / luma.len() as f32
        };
        let count = |f: &dyn Fn(&[u8]) -> bool| rgb.chunks_exact(3).filter(|p| f(p)).count();
        Self {
            dark: share(&|l| l < 60.0),
            bright: share(&|l| l > 120.0),
            curve: count(&|p| p[2] > 200 && p[0] > 80 && p[0] < 160 && p[1] > 160),
            points: count(&|p| {
                (p[1] > 180 && p[0] < 140 || p[0] > 200 && p[1] < 110) && p[2] < 110
            }),
        }
    }

    /// Everything the test looks for is there.
    fn complete(&self) -> bool {
        self.dark > 0.6 && self.curve > 300 && self.points > 150 && self.bright > 0.01
    }
}

/// Threads of this process right now.
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}
