//! The WebDriver side of the browser test: find Chromium and ChromeDriver, run ChromeDriver
//! on a free port (killed on drop), open a headless session, and bounded waits.

use std::error::Error;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

pub(crate) type TestResult<T = ()> = Result<T, Box<dyn Error + Send + Sync>>;

/// The longest one wait (page load, reload after a choice, element) may take.
pub(crate) const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// Polls `script` until it returns `true`, for at most [`STEP_TIMEOUT`].
pub(crate) async fn wait_until(c: &Client, script: &str) -> TestResult {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        // During a navigation the script may fail: that is "not yet".
        if let Ok(Ok(Value::Bool(true))) =
            tokio::time::timeout(STEP_TIMEOUT, c.execute(script, vec![])).await
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            let url = c.current_url().await.map(|u| u.to_string());
            let source = c.source().await.unwrap_or_default();
            let source: String = source.chars().take(600).collect();
            return Err(format!(
                "timed out waiting for `{script}` on {url:?}; page starts with: {source}"
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs one WebDriver command with [`STEP_TIMEOUT`].
pub(crate) async fn step<T, E>(command: impl Future<Output = Result<T, E>>) -> TestResult<T>
where
    E: Error + Send + Sync + 'static,
{
    match tokio::time::timeout(STEP_TIMEOUT, command).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(format!("a WebDriver command took longer than {STEP_TIMEOUT:?}").into()),
    }
}

pub(crate) fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots")
}

pub(crate) async fn save_screenshot(c: &Client, path: &Path) -> TestResult {
    let png = step(c.screenshot()).await?;
    std::fs::create_dir_all(path.parent().unwrap())?;
    std::fs::write(path, png)?;
    println!("screenshot: {}", path.display());
    Ok(())
}

/// Chromium and ChromeDriver, or `None` (with a notice) when either is missing. Under
/// `CI=true` a missing browser fails the test instead.
pub(crate) fn find_browser() -> Option<(PathBuf, PathBuf)> {
    let find = |var: &str, candidates: &[&str]| -> Option<PathBuf> {
        if let Some(path) = std::env::var_os(var) {
            return Some(PathBuf::from(path)).filter(|p| p.is_file());
        }
        candidates.iter().map(PathBuf::from).find(|p| p.is_file())
    };
    let chromium = find(
        "CHROMIUM",
        &[
            "/usr/bin/chromium",
            "/usr/bin/chromium-browser",
            "/usr/bin/google-chrome",
        ],
    );
    let chromedriver = find("CHROMEDRIVER", &["/usr/bin/chromedriver"]);
    match (chromium, chromedriver) {
        (Some(chromium), Some(chromedriver)) => Some((chromium, chromedriver)),
        (chromium, chromedriver) => {
            let state = |found: bool| if found { "found" } else { "missing" };
            let message = format!(
                "chromium {}, chromedriver {} (install the Debian packages `chromium` and \
                 `chromium-driver`, or point CHROMIUM and CHROMEDRIVER at them)",
                state(chromium.is_some()),
                state(chromedriver.is_some()),
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true and no browser to test the demo with: {message}");
            }
            eprintln!("NOTICE: browser test skipped: {message}");
            None
        }
    }
}

/// A ChromeDriver process on a free port, killed (with its process group, so Chromium
/// too) when dropped; plus Chromium's throw-away profile directory.
pub(crate) struct ChromeDriver {
    child: Child,
    port: u16,
    profile: PathBuf,
}

impl ChromeDriver {
    pub(crate) fn start(binary: &Path) -> TestResult<Self> {
        use std::os::unix::process::CommandExt;
        let port = StdListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let profile = std::env::temp_dir().join(format!(
            "tower-cookie-consent-chromium-{}-{port}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile)?;
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        let driver = Self {
            child,
            port,
            profile,
        };
        let deadline = Instant::now() + STEP_TIMEOUT;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if Instant::now() > deadline {
                return Err("chromedriver did not listen in time".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The whole process group we started: chromedriver and any Chromium left behind.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

pub(crate) async fn connect(driver: &ChromeDriver, chromium: &Path) -> TestResult<Client> {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-proxy-server",
        "--window-size=1100,800",
    ]
    .iter()
    .map(|a| a.to_string())
    .chain([format!("--user-data-dir={}", driver.profile.display())])
    .collect::<Vec<_>>();
    let capabilities = json!({
        "browserName": "chrome",
        "pageLoadStrategy": "normal",
        "timeouts": { "pageLoad": 20_000, "script": 10_000 },
        "goog:chromeOptions": { "binary": chromium, "args": args },
    });
    let Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await?;
    Ok(client)
}
