//! The editor as a user sees it: embedded by the CLAP test host in an X11 window (on `$DISPLAY`,
//! or on an Xvfb server this test starts), left to render, then captured. The capture is saved as
//! `target/editor-screenshot.png` for people to look at; the test checks that the editor drew its
//! interface (text and widgets on the dark theme), not a blank or black window.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::clap_host::LoadedPlugin;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    ConnectionExt, CreateWindowAux, EventMask, ImageFormat, WindowClass,
};

/// An X server for the test: the session's own, or an Xvfb started (and stopped) here.
struct Display {
    name: String,
    server: Option<Child>,
}

impl Display {
    fn open() -> Self {
        if let Ok(name) = std::env::var("DISPLAY") {
            if !name.is_empty() {
                return Self { name, server: None };
            }
        }
        let number = 90 + std::process::id() % 400;
        let name = format!(":{number}");
        let server = Command::new("Xvfb")
            .args([
                name.as_str(),
                "-screen",
                "0",
                "1024x768x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("no $DISPLAY and no Xvfb: install it (apt-get install xvfb libgl1-mesa-dri)");
        let socket = format!("/tmp/.X11-unix/X{number}");
        let start = Instant::now();
        while !std::path::Path::new(&socket).exists() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "Xvfb did not start on {name}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // The editor opens its own connection from $DISPLAY. This binary holds this one test, so
        // changing the process environment races with nothing.
        std::env::set_var("DISPLAY", &name);
        Self {
            name,
            server: Some(server),
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(server) = &mut self.server {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

#[test]
fn the_editor_opens_and_draws_its_interface() {
    let display = Display::open();
    let (conn, screen_index) = x11rb::connect(Some(&display.name)).expect("connect to X");
    let screen = &conn.setup().roots[screen_index];
    let (width, height) = (560u16, 420u16);
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

    let mut plugin = LoadedPlugin::new();
    plugin.activate(48000.0, 512);
    let size = plugin.open_editor(window);
    assert_eq!((size.width, size.height), (width as u32, height as u32));
    // Let egui lay out and paint a few frames.
    std::thread::sleep(Duration::from_millis(2500));
    let image = conn
        .get_image(ImageFormat::Z_PIXMAP, window, 0, 0, width, height, !0)
        .unwrap()
        .reply()
        .expect("capture the window");
    plugin.close_editor();

    // 32-bit Z-pixmap pixels are B, G, R, X.
    let rgb: Vec<u8> = image
        .data
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0]])
        .collect();
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

    let luma: Vec<f32> = rgb
        .chunks_exact(3)
        .map(|p| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32)
        .collect();
    let share =
        |f: &dyn Fn(f32) -> bool| luma.iter().filter(|l| f(**l)).count() as f32 / luma.len() as f32;
    let dark = share(&|l| l < 60.0);
    let bright = share(&|l| l > 120.0);
    // The dark theme covers the window (the parent's white shows where nothing was painted) ...
    assert!(
        dark > 0.6,
        "dark background over {:.0}% of the window",
        dark * 100.0
    );
    // ... and light text and widgets stand on it.
    assert!(
        bright > 0.01 && bright < 0.35,
        "bright pixels: {:.1}%",
        bright * 100.0
    );
}
