//! The cashier's page in a real browser: Debian's headless `chromium`
//! driven over WebDriver (`chromedriver`, started here on a free loopback
//! port and killed at the end) against a real `medcode serve`. Codes are
//! typed into the field as a keyboard-style scanner types them (the code,
//! then Enter); each verdict's words, the history and the focus are
//! asserted, and each state is saved as a PNG under
//! `target/tmp/page_browser/`. A scan at the page reaches the family
//! owner's usage list (`medcode family ... usage`) with the page's business
//! type and operator.
//!
//! Without chromium and chromedriver the tests print a loud `SKIPPED` line
//! and pass, unless `MEDCODE_REQUIRE_BROWSER=1` (CI), then they fail.

mod support;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use support::cmdline::{family_bind, person_add};
use support::redis_server::find_tool;
use support::run;
use support::service::{Service, args};

/// The WebDriver key code of Enter, as a scanner ends each code.
const ENTER: char = '\u{e007}';

const OWNER: &str = "11000000000000000001";
const MOTHER: &str = "44030000000000000002";

/// Chromium and its WebDriver (on PATH or in /usr/bin: Debian's
/// `chromium` and `chromium-driver`), or `None` after a loud SKIPPED line
/// when they are absent; where the tests must run (`CI`, or
/// `MEDCODE_REQUIRE_BROWSER=1`, which `.ci/run` sets) a panic instead.
fn browser() -> Option<(PathBuf, PathBuf)> {
    if let (Some(chromium), Some(driver)) = (find_tool("chromium"), find_tool("chromedriver")) {
        return Some((chromium, driver));
    }
    let set =
        |var: &str| std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(
        !set("CI") && !set("MEDCODE_REQUIRE_BROWSER"),
        "chromium or chromedriver not found on PATH or in /usr/bin, and the cashier page tests must run here \
         (CI or MEDCODE_REQUIRE_BROWSER=1): apt-get install -y chromium chromium-driver"
    );
    // Straight to the process's stderr, past the harness's output capture.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED page_browser: chromium/chromedriver not installed, the cashier page tests did NOT run"
    );
    None
}

/// The folder of this test file's screenshots.
fn shots() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("page_browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A chromedriver on a free loopback port; killed on drop.
struct Driver {
    child: Child,
    chromium: PathBuf,
    url: String,
    profile: tempfile::TempDir,
}

impl Driver {
    fn start((chromium, chromedriver): (PathBuf, PathBuf)) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let driver = Driver {
            child,
            chromium,
            url,
            profile: tempfile::tempdir().unwrap(),
        };
        // Ready once /status answers (a start-up wait, not an assertion on time).
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = support::service::agent()
                .get(format!("{}/status", driver.url))
                .call()
                .is_ok_and(|r| r.status().as_u16() == 200);
            if ready {
                return driver;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A headless Chromium session with a fresh profile; the background
    /// networking flags keep it from hanging on this machine's closed network.
    async fn session(&self) -> Client {
        let profile = self.profile.path().to_str().unwrap().to_owned();
        let caps = json!({
            "goog:chromeOptions": {
                "binary": self.chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--window-size=1000,1100",
                    "--lang=zh-CN",
                    format!("--user-data-dir={profile}"),
                ]
            }
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a chromium session")
    }
}

impl Drop for Driver {
    /// Kills the Chromium processes of this profile (left running when a
    /// test fails before closing its session), then the driver.
    fn drop(&mut self) {
        let flag = format!("--user-data-dir={}", self.profile.path().display());
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            if cmdline.split(|b| *b == 0).any(|arg| arg == flag.as_bytes()) {
                let _ = Command::new("kill").arg(pid.to_string()).status();
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `medcode ARGS`, exit 0, and returns its standard output trimmed.
fn ok(args: &[&str]) -> String {
    let r = run(args);
    assert_eq!(r.code, 0, "medcode {args:?}: {}", r.stderr);
    r.stdout.trim().to_owned()
}

/// A family registry in `dir`: the owner 张三 (normal), his mother 李秀英
/// (lapsed, resident) bound to him as his parent, mutual aid filed.
fn registry(dir: &Path) -> String {
    let db = dir.join("registry.db").to_str().unwrap().to_owned();
    for (insured, name, id, region, extra) in [
        (OWNER, "张三", "110105198001010016", "110000", &[][..]),
        (
            MOTHER,
            "李秀英",
            "440305195203150029",
            "440300",
            &["--status", "lapsed", "--scheme", "resident"][..],
        ),
    ] {
        let mut a = person_add(&db, insured, name, id, region);
        a.push("--activated");
        a.extend_from_slice(extra);
        ok(&a);
    }
    ok(&family_bind(
        &db,
        OWNER,
        MOTHER,
        "parent",
        "李秀英",
        "440305195203150029",
    ));
    ok(&[
        "family", "--db", &db, "aid", "file", "--owner", OWNER, "--member", MOTHER,
    ]);
    db
}

/// What each page test starts from: chromium and chromedriver (`None`
/// where they are missing: the test is skipped), a temporary directory and
/// the family registry in it.
fn browser_and_registry() -> Option<((PathBuf, PathBuf), tempfile::TempDir, String)> {
    let browser = browser()?;
    let dir = tempfile::tempdir().unwrap();
    let db = registry(dir.path());
    Some((browser, dir, db))
}

/// A code of the demo issuer from the registry, issued now (or at `at`).
fn issue(db: &str, extra: &[&str]) -> String {
    let mut a = vec!["issue", "--dir", "keys", "--kid", "demo-issuer", "--db", db];
    a.extend_from_slice(extra);
    ok(&a)
}

/// Types `code` and Enter into the focused field, as a scanner does, and
/// waits for verdict number `seq`; returns the verdict's state and text.
async fn scan(c: &Client, code: &str, seq: u32) -> (String, String) {
    let field = c.active_element().await.unwrap();
    assert_eq!(
        field.attr("id").await.unwrap().as_deref(),
        Some("code"),
        "the code field has the focus before scan {seq}"
    );
    field.send_keys(&format!("{code}{ENTER}")).await.unwrap();
    let verdict = c
        .wait()
        .for_element(Locator::Css(&format!("#verdict[data-seq='{seq}']")))
        .await
        .unwrap();
    let state = verdict.attr("data-state").await.unwrap().unwrap();
    (state, verdict.text().await.unwrap())
}

/// The page's element with the id `id`.
async fn by_id(c: &Client, id: &str) -> Element {
    c.find(Locator::Id(id)).await.unwrap()
}

async fn focused_id(c: &Client) -> Option<String> {
    c.active_element().await.unwrap().attr("id").await.unwrap()
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(shots().join(format!("{name}.png")), png).unwrap();
}

/// The history list's entries, newest first.
async fn history(c: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for li in c.find_all(Locator::Css("#history li")).await.unwrap() {
        out.push(li.text().await.unwrap());
    }
    out
}

/// A browser session of `driver` on the page of `svc`, once it is idle.
async fn open_page(driver: &Driver, svc: &Service) -> Client {
    let c = driver.session().await;
    c.goto(&format!("{}/", svc.url)).await.unwrap();
    c.wait()
        .for_element(Locator::Css("#verdict[data-state='idle']"))
        .await
        .unwrap();
    c
}

/// The verdict once it shows scan number `seq`, asserted to be in `state`.
async fn verdict_of(c: &Client, seq: u32, state: &str) -> Element {
    let verdict = c
        .wait()
        .for_element(Locator::Css(&format!("#verdict[data-seq='{seq}']")))
        .await
        .unwrap();
    assert_eq!(
        verdict.attr("data-state").await.unwrap().as_deref(),
        Some(state)
    );
    verdict
}

/// Scans `code` as scan number `n`, asserts the verdict's state and that
/// its text holds each of `words`, saves screenshot `shot` and returns the
/// text.
async fn shows(c: &Client, code: &str, n: u32, state: &str, shot: &str, words: &[&str]) -> String {
    let (shown, text) = scan(c, code, n).await;
    assert_eq!(shown, state, "{text}");
    contains_all(&text, words);
    screenshot(c, shot).await;
    text
}

fn contains_all(text: &str, words: &[&str]) {
    for w in words {
        assert!(text.contains(w), "{w:?} not in the verdict:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanned_code_shows_each_verdict_in_words() {
    let Some((browser, _dir, db)) = browser_and_registry() else {
        return;
    };
    let fresh = issue(&db, &["--insured", OWNER]);
    // An hour ago: long expired (60 s validity, 15 s leeway).
    let hour_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 3600;
    let stale_at = medcode::UnixTime::from_secs(hour_ago).to_rfc3339();
    let expired = issue(&db, &["--insured", OWNER, "--at", &stale_at]);
    let delegate = issue(&db, &["--insured", MOTHER, "--presenter", OWNER]);
    let lapsed = issue(&db, &["--insured", MOTHER]);

    let svc = Service::start(&args(&[
        "--trust",
        "keys/trust.json",
        "--listen",
        "127.0.0.1:0",
    ]));
    let driver = Driver::start(browser);
    let c = open_page(&driver, &svc).await;
    assert_eq!(
        focused_id(&c).await.as_deref(),
        Some("code"),
        "focused on load"
    );
    // The camera button shows only where the browser reads QR codes itself.
    let camera = c.find(Locator::Id("camera")).await.unwrap();
    let detector = c
        .execute("return 'BarcodeDetector' in window;", vec![])
        .await
        .unwrap();
    assert_eq!(
        camera.is_displayed().await.unwrap(),
        detector == Value::Bool(true)
    );

    let text = shows(
        &c,
        &fresh,
        1,
        "accepted",
        "1-accepted",
        &[
            "✔ 通过 / Accepted",
            "张*",
            OWNER,
            "110000",
            "职工医保 / employee scheme",
            "码类型 Kind",
            "本人码 / own code",
        ],
    )
    .await;
    assert!(!text.contains("断缴"), "{text}");
    // Cropped to the page's content: docs/SERVICE.md's picture (docs/cashier-page.png).
    let body = c.find(Locator::Css("body")).await.unwrap();
    let png = body.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    std::fs::write(shots().join("1-accepted-cropped.png"), png).unwrap();
    assert_eq!(focused_id(&c).await.as_deref(), Some("code"));

    shows(
        &c,
        &fresh,
        2,
        "refused",
        "2-replayed",
        &[
            "✖ 拒绝 / Refused",
            "此码已使用过，请让患者刷新 / code already used: ask the patient to refresh",
            "(replayed)",
        ],
    )
    .await;

    shows(
        &c,
        &expired,
        3,
        "refused",
        "3-expired",
        &[
            "✖ 拒绝 / Refused",
            "码已过期，请让患者刷新 / code expired: ask the patient to refresh",
            "(expired)",
        ],
    )
    .await;

    shows(
        &c,
        &delegate,
        4,
        "lapsed",
        "4-delegate",
        &[
            "李*",
            MOTHER,
            "440300",
            "由 子女 代为出示 / shown by the patient's child",
            OWNER,
            "个人账户共济：已备案 / personal-account mutual aid: filed",
            "亲情账户代出示 / family-account code",
        ],
    )
    .await;

    let text = shows(&c, &lapsed, 5, "lapsed", "5-lapsed", &[
            "⚠ 通过（断缴） / Accepted (lapsed)",
            "李*",
            MOTHER,
            "440300",
            "城乡居民医保 / resident scheme",
            "⚠ 断缴：可以使用医保码，但断缴期间不享受医保待遇 / Lapsed: insured, but no insurance benefits for the lapsed period",
    ]).await;
    assert!(!text.contains("代为出示"), "{text}");
    assert_eq!(focused_id(&c).await.as_deref(), Some("code"));

    // Newest first, one entry per scan.
    let h = history(&c).await;
    assert_eq!(h.len(), 5, "{h:?}");
    let expect = [
        format!("⚠ 断缴 lapsed · 李* · {MOTHER}"),
        format!("⚠ 断缴 lapsed · 李* · {MOTHER} · ↪ 代出示 delegate"),
        "✖ 拒绝 refused · expired".to_owned(),
        "✖ 拒绝 refused · replayed".to_owned(),
        format!("✔ 通过 accepted · 张* · {OWNER}"),
    ];
    for (entry, want) in h.iter().zip(&expect) {
        assert!(entry.ends_with(want.as_str()), "{entry:?} is not {want:?}");
    }

    // An unreadable text is refused in words too, and the page keeps going.
    let (state, text) = scan(&c, "MC1123", 6).await;
    assert_eq!(state, "refused", "{text}");
    contains_all(&text, &["码无法识别，请让患者重新出示", "(malformed)"]);
    assert_eq!(history(&c).await.len(), 6);
    let banner = c.find(Locator::Id("notices")).await.unwrap();
    assert!(!banner.is_displayed().await.unwrap());

    // A notice of the verdict is a banner: the holder switched off use
    // outside their province and this service has no till region.
    ok(&[
        "registry",
        "--db",
        &db,
        "person",
        "set-cross-province",
        "--insured",
        OWNER,
        "off",
    ]);
    let noticed = issue(&db, &["--insured", OWNER]);
    let (state, text) = scan(&c, &noticed, 7).await;
    assert_eq!(state, "accepted", "{text}");
    assert!(banner.is_displayed().await.unwrap());
    assert_eq!(
        banner.text().await.unwrap(),
        "⚠ 提示 / Notice: the holder switched off use outside their province, but no till region is configured, so that rule was not checked"
    );
    screenshot(&c, "7-notice").await;
    assert_eq!(history(&c).await.len(), 7);

    // Verdicts of a newer service: an unknown reason shows as it is, a
    // code kind, an unknown status and relation do not break the page. (The
    // service's answer is stubbed in the page for these two.)
    let stub = |verdict: Value| {
        format!(
            "window.fetch = async () => new Response({:?}, {{status: 200, headers: {{'content-type': 'application/json'}}}}); return true;",
            verdict.to_string()
        )
    };
    c.execute(
        &stub(json!({"valid": false, "reason": "brand_new_reason", "detail": "brand_new_reason: <b>not html</b>"})),
        vec![],
    )
    .await
    .unwrap();
    let (state, text) = scan(&c, "MC1", 8).await;
    assert_eq!(state, "refused", "{text}");
    contains_all(
        &text,
        &["✖ 拒绝 / Refused", "brand_new_reason", "<b>not html</b>"],
    );
    c.execute(
        &stub(json!({"valid": true, "insured": "A1", "name": null, "region": "310000", "status": "suspended", "kind": "device",
            "presenter": {"insured": "B2", "relation": "cousin", "mutual_aid": false}, "notices": []})),
        vec![],
    )
    .await
    .unwrap();
    let (state, text) = scan(&c, "MC1", 9).await;
    assert_eq!(state, "accepted", "{text}");
    contains_all(
        &text,
        &[
            "手机离线码 / code made offline on the phone",
            "状态 Status",
            "suspended",
            "由 cousin 代为出示 / shown by cousin (B2)",
            "个人账户共济：未备案",
        ],
    );
    assert!(!banner.is_displayed().await.unwrap());
    assert_eq!(history(&c).await.len(), 9);
    assert_eq!(focused_id(&c).await.as_deref(), Some("code"));

    // The list keeps the last 20: twelve scans more drop the oldest one.
    for seq in 10..=21 {
        scan(&c, "MC1", seq).await;
    }
    let h = history(&c).await;
    assert_eq!(h.len(), 20, "{h:?}");
    assert!(h[19].ends_with("✖ 拒绝 refused · replayed"), "{h:?}");
    assert!(
        h[0].ends_with("✔ 通过 accepted · — · A1 · ↪ 代出示 delegate"),
        "{h:?}"
    );

    // Nothing of the page outlives it: no localStorage, no cookie.
    let stored = c
        .execute("return [localStorage.length, document.cookie];", vec![])
        .await
        .unwrap();
    assert_eq!(stored, json!([0, ""]));

    c.close().await.unwrap();
    drop(driver);
    assert_eq!(svc.stop(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_api_keys_the_page_asks_for_the_key_once_per_shift() {
    let Some((browser, dir, db)) = browser_and_registry() else {
        return;
    };
    let first = issue(&db, &["--insured", OWNER]);
    let second = issue(&db, &["--insured", MOTHER]);
    let third = issue(&db, &["--insured", OWNER]);
    let keys = dir.path().join("api-keys").to_str().unwrap().to_owned();
    let key = ok(&["api-key", "new", "--org", "pharmacy-b", "--file", &keys]);

    let svc = Service::start(&args(&[
        "--trust",
        "keys/trust.json",
        "--api-keys",
        &keys,
        "--listen",
        "127.0.0.1:0",
    ]));
    let driver = Driver::start(browser);
    let c = open_page(&driver, &svc).await;
    let operator = c.find(Locator::Id("operator")).await.unwrap();
    operator.send_keys("op-7\t").await.unwrap();
    by_id(&c, "code").await.click().await.unwrap();

    // The first scan is answered 401: the page asks for the key, focused.
    let field = c.find(Locator::Id("code")).await.unwrap();
    field.send_keys(&format!("{first}{ENTER}")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("#key-form:not([hidden])"))
        .await
        .unwrap();
    assert_eq!(focused_id(&c).await.as_deref(), Some("api-key"));
    screenshot(&c, "6-api-key").await;
    // A code scanned into the key field is not taken for the key.
    c.active_element()
        .await
        .unwrap()
        .send_keys(&format!("{first}{ENTER}"))
        .await
        .unwrap();
    let message = c.find(Locator::Id("key-message")).await.unwrap();
    assert_eq!(
        message.text().await.unwrap(),
        "这是医保码，不是 API 密钥：请输入收银台的 API 密钥 / That was a code, not the API key: type the till's API key"
    );
    assert_eq!(focused_id(&c).await.as_deref(), Some("api-key"));
    let kept = c
        .execute("return sessionStorage.getItem('medcode.apiKey');", vec![])
        .await
        .unwrap();
    assert_eq!(kept, Value::Null);
    c.active_element()
        .await
        .unwrap()
        .send_keys(&format!("{key}{ENTER}"))
        .await
        .unwrap();
    // The waiting code is checked with the key.
    let verdict = verdict_of(&c, 1, "accepted").await;
    contains_all(&verdict.text().await.unwrap(), &["张*", OWNER]);
    assert_eq!(focused_id(&c).await.as_deref(), Some("code"));

    // The next scan needs no key again.
    let (state, text) = scan(&c, &second, 2).await;
    assert_eq!(state, "lapsed", "{text}");
    let form_hidden = c.find(Locator::Id("key-form")).await.unwrap();
    assert!(!form_hidden.is_displayed().await.unwrap());

    // A paste is a scan too, no Enter needed (the text set as a paste
    // leaves it, then the paste event).
    c.execute(
        "const f = document.getElementById('code'); f.value = arguments[0]; f.dispatchEvent(new ClipboardEvent('paste', {bubbles: true})); return true;",
        vec![json!(third)],
    )
    .await
    .unwrap();
    verdict_of(&c, 3, "accepted").await;
    assert_eq!(history(&c).await.len(), 3);
    assert_eq!(focused_id(&c).await.as_deref(), Some("code"));

    // The key and operator live in this tab's session only, never in the URL.
    let stored = c
        .execute(
            "return [sessionStorage.getItem('medcode.apiKey'), sessionStorage.getItem('medcode.operator'), localStorage.length, location.href];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(stored, json!([key, "op-7", 0, format!("{}/", svc.url)]));

    // 交班 End shift forgets the key, the operator, the list and the verdict at once.
    by_id(&c, "end-shift").await.click().await.unwrap();
    let stored = c
        .execute(
            "return [sessionStorage.length, document.getElementById('operator').value];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(stored, json!([0, ""]));
    assert_eq!(history(&c).await.len(), 0);
    let verdict = c.find(Locator::Id("verdict")).await.unwrap();
    assert_eq!(
        verdict.attr("data-state").await.unwrap().as_deref(),
        Some("idle")
    );
    assert_eq!(verdict.text().await.unwrap(), "等待扫码 Waiting for a scan");
    assert_eq!(focused_id(&c).await.as_deref(), Some("code"));

    c.close().await.unwrap();
    drop(driver);
    // The log names no code, key or identifier.
    let log = svc.stderr();
    for secret in [&first, &second, &third, &key, OWNER, MOTHER] {
        assert!(!log.contains(secret), "{log}");
    }
    assert_eq!(svc.stop(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_at_the_page_reaches_the_owners_usage_list() {
    let Some((browser, dir, db)) = browser_and_registry() else {
        return;
    };
    let shown = issue(&db, &["--insured", MOTHER, "--presenter", OWNER]);
    let usage = format!("sqlite:{}", dir.path().join("usage.sqlite").display());
    let svc = Service::start(&args(&[
        "--trust",
        "keys/trust.json",
        "--usage-db",
        &usage,
        "--listen",
        "127.0.0.1:0",
    ]));
    let driver = Driver::start(browser);
    let c = open_page(&driver, &svc).await;
    // The shift's settings: outpatient settlement, operator op-9.
    by_id(&c, "business-type")
        .await
        .select_by_value("01301")
        .await
        .unwrap();
    by_id(&c, "operator")
        .await
        .send_keys("op-9\t")
        .await
        .unwrap();
    by_id(&c, "code").await.click().await.unwrap();

    let (state, _) = scan(&c, &shown, 1).await;
    assert_eq!(state, "lapsed");
    let (state, text) = scan(&c, &shown, 2).await;
    assert_eq!(state, "refused", "{text}");
    c.close().await.unwrap();
    drop(driver);
    // SIGTERM writes the records still queued.
    assert_eq!(svc.stop(), 0);

    let out = ok(&[
        "family",
        "--db",
        &db,
        "usage",
        "--usage-db",
        &usage,
        "--owner",
        OWNER,
        "--json",
    ]);
    let out: Value = serde_json::from_str(&out).unwrap();
    let records = out["records"].as_array().unwrap();
    let fields: Vec<Value> = records
        .iter()
        .map(|r| {
            json!([
                r["reason"],
                r["insured"],
                r["presenter"],
                r["relation"],
                r["kind"],
                r["business_type"],
                r["operator_id"]
            ])
        })
        .collect();
    let row = |reason: &str| json!([reason, MOTHER, OWNER, "child", "delegate", "01301", "op-9"]);
    assert_eq!(fields, [row("replayed"), row("accepted")], "{out}");
}
