//! The state store: one conformance suite run against every backend (memory, an embedded file
//! in a temporary folder, a real Redis), then the engine on them — a confirmation that survives
//! a restart of the engine within its time and is refused after it, and two engines sharing
//! one Redis: a confirmation pressed on both at once resets once, a page button made on one is
//! served by the other.
#![allow(clippy::unwrap_used)] // tests may panic

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use agent_chatops::store::{
    EmbeddedStore, MemoryStore, Namespace, RedisStore, StateStore, StoreError,
};
use agent_chatops::{Clock, Engine, EngineConfig, ReplyKind, StateUrl};
use agent_sim::{DEMO_TASK_ID, SimConfig, SimHandle};
use secrecy::SecretString;
use serde_json::Value;
use support::probe_store::ProbeStore;
use support::redis_server::RedisServer;
use support::{action, client, numbers_kept_in_the_store, shell, shifted};

const LISTED: Namespace = Namespace::listed("test-listed");
const UNLISTED: Namespace = Namespace::unlisted("test-unlisted");

fn system_clock() -> Clock {
    Arc::new(jiff::Timestamp::now)
}

/// How a conformance run lets time pass: the memory and embedded stores read the time from a
/// clock the test moves (no wall-clock race on a slow machine); Redis keeps its own time.
enum Time {
    /// The stores' clock, this many seconds ahead of the system's.
    Shifted(Arc<AtomicI64>),
    /// Redis: real time.
    Real,
}

impl Time {
    fn shifted() -> Self {
        Self::Shifted(Arc::new(AtomicI64::new(0)))
    }

    /// The clock to open the stores with.
    fn clock(&self) -> Clock {
        match self {
            Self::Shifted(offset) => shifted(offset),
            Self::Real => system_clock(),
        }
    }

    /// A lifetime that a check right after writing is always within, on any machine.
    fn short(&self) -> Duration {
        match self {
            Self::Shifted(_) => Duration::from_secs(10),
            // Redis's clock cannot be moved: long enough for a slow machine to look in time,
            // short enough to wait out.
            Self::Real => Duration::from_secs(2),
        }
    }

    async fn pass(&self, time: Duration) {
        match self {
            Self::Shifted(offset) => {
                offset.fetch_add(i64::try_from(time.as_secs()).unwrap() + 1, Ordering::SeqCst);
            }
            Self::Real => tokio::time::sleep(time + Duration::from_millis(500)).await,
        }
    }
}

/// What every backend must do; `a` and `b` are two handles on the same backend (for Redis, two
/// connections), opened with `time`'s clock.
async fn conformance(a: Arc<dyn StateStore>, b: Arc<dyn StateStore>, time: &Time) {
    let hour = Duration::from_secs(3600);
    // put / get / overwrite / remove
    assert_eq!(a.get(UNLISTED, "k").await.unwrap(), None);
    a.put(UNLISTED, "k", b"one", hour).await.unwrap();
    assert_eq!(
        b.get(UNLISTED, "k").await.unwrap().as_deref(),
        Some(&b"one"[..])
    );
    a.put(UNLISTED, "k", b"two", hour).await.unwrap();
    assert_eq!(
        b.get(UNLISTED, "k").await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
    assert!(b.remove(UNLISTED, "k").await.unwrap());
    assert!(!b.remove(UNLISTED, "k").await.unwrap());
    assert_eq!(a.get(UNLISTED, "k").await.unwrap(), None);
    // Namespaces are apart.
    a.put(UNLISTED, "same", b"u", hour).await.unwrap();
    a.put(LISTED, "same", b"l", hour).await.unwrap();
    assert_eq!(
        a.get(UNLISTED, "same").await.unwrap().as_deref(),
        Some(&b"u"[..])
    );
    // take: the value once, then nothing
    assert_eq!(
        b.take(LISTED, "same").await.unwrap().as_deref(),
        Some(&b"l"[..])
    );
    assert_eq!(a.take(LISTED, "same").await.unwrap(), None);
    // insert_new: only where nothing (unexpired) is
    assert!(a.insert_new(UNLISTED, "id-1", b"x", hour).await.unwrap());
    assert!(!b.insert_new(UNLISTED, "id-1", b"y", hour).await.unwrap());
    assert_eq!(
        a.get(UNLISTED, "id-1").await.unwrap().as_deref(),
        Some(&b"x"[..])
    );
    // Binary values come back byte for byte.
    let bytes: Vec<u8> = (0..=255).collect();
    a.put(UNLISTED, "bin", &bytes, hour).await.unwrap();
    assert_eq!(b.get(UNLISTED, "bin").await.unwrap(), Some(bytes));
    // list: every live entry of a listed namespace, none of another; unlisted is refused
    for n in 0..5 {
        a.put(
            LISTED,
            &format!("key-{n}"),
            format!("v{n}").as_bytes(),
            hour,
        )
        .await
        .unwrap();
    }
    assert!(b.take(LISTED, "key-0").await.unwrap().is_some());
    let mut listed = b.list(LISTED).await.unwrap();
    listed.sort();
    let expected: Vec<(String, Vec<u8>)> = (1..5)
        .map(|n| (format!("key-{n}"), format!("v{n}").into_bytes()))
        .collect();
    assert_eq!(listed, expected);
    assert_eq!(
        a.list(UNLISTED).await.unwrap_err(),
        StoreError::NotListed("test-unlisted")
    );
    // Expiry: gone for get, take, list; insert_new may reuse the key.
    let short = time.short();
    a.put(LISTED, "short", b"s", short).await.unwrap();
    a.put(UNLISTED, "short", b"s", short).await.unwrap();
    a.insert_new(UNLISTED, "short-id", b"s", short)
        .await
        .unwrap();
    assert!(b.get(UNLISTED, "short").await.unwrap().is_some());
    assert!(
        !b.insert_new(UNLISTED, "short-id", b"again", short)
            .await
            .unwrap(),
        "taken while it lives"
    );
    time.pass(short).await;
    assert_eq!(b.get(UNLISTED, "short").await.unwrap(), None);
    assert_eq!(b.take(LISTED, "short").await.unwrap(), None);
    assert!(
        !b.list(LISTED)
            .await
            .unwrap()
            .iter()
            .any(|(k, _)| k == "short")
    );
    assert!(
        b.insert_new(UNLISTED, "short-id", b"again", hour)
            .await
            .unwrap()
    );
    a.purge_expired().await.unwrap();
    assert_eq!(
        b.list(LISTED).await.unwrap().len(),
        4,
        "purging keeps live entries"
    );

    // Two handles take the same key at the same moment: exactly one gets it (100 trials);
    // and of two insert_new of one key, exactly one wins.
    for trial in 0..100 {
        let key = format!("race-{trial}");
        a.put(LISTED, &key, b"once", hour).await.unwrap();
        let taken = at_once(&a, &b, |store| {
            let key = key.clone();
            async move { store.take(LISTED, &key).await.unwrap() }
        })
        .await;
        let mut got = 0;
        for value in taken.into_iter().flatten() {
            assert_eq!(value, b"once");
            got += 1;
        }
        assert_eq!(got, 1, "trial {trial}: taken {got} times");

        let inserted = at_once(&a, &b, |store| {
            let key = key.clone();
            async move {
                store
                    .insert_new(UNLISTED, &key, b"mine", hour)
                    .await
                    .unwrap()
            }
        })
        .await;
        let won: usize = inserted.into_iter().map(usize::from).sum();
        assert_eq!(won, 1, "trial {trial}: inserted {won} times");
    }
}

/// Runs what `op` makes of each handle, `a` and `b`, at the same moment (in two tasks that
/// start together); their results.
async fn at_once<T, Fut>(
    a: &Arc<dyn StateStore>,
    b: &Arc<dyn StateStore>,
    op: impl Fn(Arc<dyn StateStore>) -> Fut,
) -> Vec<T>
where
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let racers: Vec<_> = [a.clone(), b.clone()]
        .into_iter()
        .map(|store| {
            let (run, barrier) = (op(store), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                run.await
            })
        })
        .collect();
    let mut results = Vec::new();
    for racer in racers {
        results.push(racer.await.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_store_conforms() {
    let time = Time::shifted();
    let store: Arc<dyn StateStore> = Arc::new(MemoryStore::new(time.clock()));
    conformance(store.clone(), store, &time).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let time = Time::shifted();
    let store = EmbeddedStore::open(dir.path().join("state/agent-ops.redb"), time.clock())
        .await
        .unwrap();
    let (a, b): (Arc<dyn StateStore>, Arc<dyn StateStore>) =
        (Arc::new(store.clone()), Arc::new(store));
    conformance(a, b, &time).await;
    assert!(dir.path().join("state/agent-ops.redb").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_store_conforms() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let url = SecretString::from(server.url());
    let a: Arc<dyn StateStore> = Arc::new(RedisStore::connect(&url).await.unwrap());
    let b: Arc<dyn StateStore> = Arc::new(RedisStore::connect(&url).await.unwrap());
    conformance(a, b, &Time::Real).await;
}

/// A test CA and a certificate for 127.0.0.1 it signed, as PEM files: the certificate and key
/// in `dir`, the CA in `dir` and at `ca_copy`; (certificate, key, CA).
fn tls_files(dir: &Path, ca_copy: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "agent-ops test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let paths = (
        dir.join("server.pem"),
        dir.join("server.key"),
        dir.join("ca.pem"),
    );
    std::fs::write(&paths.0, cert.pem()).unwrap();
    std::fs::write(&paths.1, key.serialize_pem()).unwrap();
    std::fs::write(&paths.2, ca.pem()).unwrap();
    std::fs::write(ca_copy, ca.pem()).unwrap();
    paths
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_store_over_tls_conforms_with_its_ca_and_refuses_an_unknown_server() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let Some(server) = RedisServer::start_tls(|server_dir| tls_files(server_dir, &ca)) else {
        return;
    };
    assert!(server.url().starts_with("rediss://"));
    // With the CA that signed the server's certificate: a store like any other.
    let url = StateUrl::parse(&server.url())
        .unwrap()
        .with_ca_file(ca.clone());
    let url = url.unwrap();
    let a = url.open(system_clock(), &[]).await.unwrap();
    let b = url.open(system_clock(), &[]).await.unwrap();
    assert_eq!((a.backend(), a.shared()), ("redis", true));
    conformance(a, b, &Time::Real).await;

    // Against the system's roots the test CA is unknown: refused, and the password unshown.
    let with_password = server
        .url()
        .replace("rediss://", "rediss://:hunter2-secret@");
    let err = RedisStore::connect(&SecretString::from(with_password.clone()))
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("rediss://:***@127.0.0.1"), "{shown}");
    // Another CA: refused too.
    let other = tempfile::tempdir().unwrap();
    let other_ca = other.path().join("other-ca.pem");
    tls_files(other.path(), &other_ca);
    let err = RedisStore::connect_with(&SecretString::from(with_password.clone()), Some(&other_ca))
        .await
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains("hunter2"));
    // A CA file that is not there is said so.
    let missing = dir.path().join("missing.pem");
    let err = RedisStore::connect_with(&SecretString::from(with_password), Some(&missing))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot read the CA file"), "{err}");
}

#[tokio::test]
async fn the_memory_store_stays_at_its_cap_under_a_flood() {
    let store = MemoryStore::new(system_clock()).with_cap(UNLISTED, 1_000);
    let hour = Duration::from_secs(3600);
    for n in 0..100_000u64 {
        store
            .put(UNLISTED, &n.to_string(), b"p", hour)
            .await
            .unwrap();
        assert!(store.len(UNLISTED) <= 1_000);
    }
    assert_eq!(store.len(UNLISTED), 1_000);
    // The newest are kept, the oldest evicted.
    assert!(store.get(UNLISTED, "99999").await.unwrap().is_some());
    assert!(store.get(UNLISTED, "0").await.unwrap().is_none());
}

#[tokio::test]
async fn the_embedded_store_stays_at_its_cap_and_keeps_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path().join("capped.redb"), system_clock())
        .await
        .unwrap()
        .with_cap(LISTED, 50);
    let mut peak = 0;
    for n in 0..300u64 {
        // Later entries expire later: the first to expire are the oldest.
        let ttl = Duration::from_secs(3600 + n);
        store
            .put(LISTED, &format!("{n:03}"), b"p", ttl)
            .await
            .unwrap();
        peak = peak.max(store.list(LISTED).await.unwrap().len());
    }
    assert_eq!(peak, 50, "filled up to its cap and no further");
    assert!(store.get(LISTED, "299").await.unwrap().is_some());
    assert!(store.get(LISTED, "000").await.unwrap().is_none());
    // Other namespaces are not capped.
    for n in 0..60 {
        store
            .put(UNLISTED, &n.to_string(), b"u", Duration::from_secs(60))
            .await
            .unwrap();
    }
    assert!(store.get(UNLISTED, "0").await.unwrap().is_some());
}

#[tokio::test]
async fn an_unreachable_redis_is_a_clear_error_without_the_password() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = SecretString::from(format!("redis://:hunter2-secret@127.0.0.1:{port}/0"));
    let err = RedisStore::connect(&url).await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("redis"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

// ---- the engine on the stores ----

/// The engine's settings: one secret and one audit file, as replicas share them.
fn config(audit: &std::path::Path) -> EngineConfig {
    EngineConfig::from_text(&format!(
        r#"
        [chatops]
        secret = "replica-secret-0123456789"
        confirm_ttl_secs = 120
        audit_log = "{}"
        rate_limit_per_minute = 0
        any_task = true
        operators = ["shell:alice"]
        viewers = ["shell:victor"]
        [chatops.tasks]
        demo = "{DEMO_TASK_ID}"
        "#,
        audit.display()
    ))
    .unwrap()
}

fn audit_events(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// The simulator the engine tests reset numbers on.
async fn demo_sim() -> SimHandle {
    agent_sim::start(SimConfig {
        size: 120,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

/// How many of the demo task's numbers are busy.
fn busy(sim: &SimHandle) -> usize {
    sim.snapshot(DEMO_TASK_ID)
        .iter()
        .filter(|r| *r.status == 8)
        .count()
}

/// An engine on the embedded store in `file`, as a (re)started bot opens it.
async fn on_embedded(
    sim: &SimHandle,
    file: &Path,
    audit: &Path,
    offset: &Arc<AtomicI64>,
) -> Engine {
    let store = EmbeddedStore::open(file.to_path_buf(), shifted(offset))
        .await
        .unwrap();
    Engine::with_store(
        client(sim, 2),
        config(audit),
        shifted(offset),
        Arc::new(store),
    )
}

#[tokio::test]
async fn an_embedded_confirmation_survives_a_restart_within_its_time_and_is_refused_after() {
    let sim = demo_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let file = dir.path().join("agent-ops.redb");
    let offset = Arc::new(AtomicI64::new(0));
    let alice = shell("alice");
    let before = busy(&sim);
    assert!(before > 0);

    // Two previews on the first engine, which then stops (SIGTERM).
    let (first, second) = {
        let engine = on_embedded(&sim, &file, &audit, &offset).await;
        let first = engine
            .handle_text(&alice, "/reset task:demo status:busy")
            .await;
        let second = engine
            .handle_text(&alice, "/reset task:demo status:busy")
            .await;
        assert_eq!(first.kind, ReplyKind::Preview, "{first:#?}");
        let stopped = engine.shutdown().await;
        assert_eq!(stopped.expired, 0, "a persistent store keeps them");
        (first, second)
    };
    // The file is closed with the engine: a new one opens it, as a restarted bot would.
    let engine = on_embedded(&sim, &file, &audit, &offset).await;
    assert_eq!(engine.pending_resets().await, 2);
    let done = engine.press(&alice, action(&first, "Confirm")).await;
    assert_eq!(done.kind, ReplyKind::Done, "{done:#?}");
    assert_eq!(busy(&sim), 0);
    // Single use after the restart too.
    let again = engine.press(&alice, action(&first, "Confirm")).await;
    assert_eq!(again.kind, ReplyKind::Error, "{again:#?}");

    // The second one, past its time (after another restart): refused and audited as expired.
    drop(engine);
    offset.store(121, Ordering::SeqCst);
    let engine = on_embedded(&sim, &file, &audit, &offset).await;
    let late = engine.press(&alice, action(&second, "Confirm")).await;
    assert_eq!(late.kind, ReplyKind::Error, "{late:#?}");
    assert!(
        late.to_plain_text().contains("Confirmation expired"),
        "{late:#?}"
    );
    assert_eq!(engine.pending_resets().await, 0);
    assert_eq!(
        audit_events(&audit),
        ["requested", "requested", "confirmed", "done", "expired"]
    );
}

/// Two engines (replicas) on one simulator, one Redis, one secret, one audit file.
struct Replicas {
    sim: SimHandle,
    a: Engine,
    b: Engine,
    /// The audit file both write, in `_dir`.
    audit: PathBuf,
    _dir: tempfile::TempDir,
}

/// Two replicas on `server`.
async fn two_replicas(server: &RedisServer) -> Replicas {
    let sim = demo_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let url = StateUrl::parse(&server.url()).unwrap();
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let mut config = config(&audit);
        config.state = Some(url.clone());
        replicas.push(
            Engine::open(client(&sim, 2), config, &StateUrl::Memory)
                .await
                .unwrap(),
        );
    }
    let b = replicas.pop().unwrap();
    let a = replicas.pop().unwrap();
    assert_eq!(a.store().backend(), "redis");
    Replicas {
        sim,
        a,
        b,
        audit,
        _dir: dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmation_pressed_on_two_replicas_at_once_resets_once() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let Replicas {
        sim: _sim,
        a,
        b,
        audit,
        _dir,
    } = two_replicas(&server).await;
    let alice = shell("alice");
    for trial in 0..100 {
        // Waiting numbers stay waiting after a reset, so every trial has a preview.
        let preview = a
            .handle_text(&alice, "/reset task:demo status:waiting")
            .await;
        assert_eq!(
            preview.kind,
            ReplyKind::Preview,
            "trial {trial}: {preview:#?}"
        );
        let data = action(&preview, "Confirm").to_string();
        let (on_a, on_b) = tokio::join!(
            tokio::spawn({
                let (a, alice, data) = (a.clone(), alice.clone(), data.clone());
                async move { a.press(&alice, &data).await }
            }),
            tokio::spawn({
                let (b, alice, data) = (b.clone(), alice.clone(), data.clone());
                async move { b.press(&alice, &data).await }
            }),
        );
        let (on_a, on_b) = (on_a.unwrap(), on_b.unwrap());
        let done = [&on_a, &on_b]
            .iter()
            .filter(|r| r.kind == ReplyKind::Done)
            .count();
        assert_eq!(done, 1, "trial {trial}: {on_a:#?} {on_b:#?}");
    }
    let events = audit_events(&audit);
    assert_eq!(events.iter().filter(|e| *e == "requested").count(), 100);
    assert_eq!(events.iter().filter(|e| *e == "confirmed").count(), 100);
    assert_eq!(events.iter().filter(|e| *e == "done").count(), 100);
    assert_eq!(a.pending_resets().await, 0);
}

#[tokio::test]
async fn a_page_button_made_on_one_replica_is_served_by_the_other() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let Replicas {
        sim: _sim,
        a,
        b,
        audit: _,
        _dir,
    } = two_replicas(&server).await;
    let victor = shell("victor");
    // A state too large for a button (a sub-account's task, both dates): kept in the store.
    let command = numbers_kept_in_the_store();
    let first = a.handle_text(&victor, &command).await;
    assert_eq!(first.kind, ReplyKind::Page, "{first:#?}");
    let next = b.press(&victor, action(&first, "Next")).await;
    assert_eq!(next.kind, ReplyKind::Page, "{next:#?}");
    assert!(
        next.footer.as_deref().unwrap().contains("page 2/"),
        "{next:#?}"
    );
    // And back, on the first replica, from a button the second made.
    let back = a.press(&victor, action(&next, "Prev")).await;
    assert_eq!(back.table, first.table);
    // A reset confirmation made on one is cancelled on the other.
    let alice = shell("alice");
    let preview = b.handle_text(&alice, "/reset task:demo status:busy").await;
    assert_eq!(preview.kind, ReplyKind::Preview, "{preview:#?}");
    let cancelled = a.press(&alice, action(&preview, "Cancel")).await;
    assert_eq!(cancelled.kind, ReplyKind::Done, "{cancelled:#?}");
    assert_eq!(b.pending_resets().await, 0);
}

#[tokio::test]
async fn when_redis_goes_away_a_press_is_an_error_and_nothing_is_reset() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let Replicas {
        sim,
        a,
        b,
        audit,
        _dir,
    } = two_replicas(&server).await;
    let before = busy(&sim);
    let alice = shell("alice");
    let preview = a.handle_text(&alice, "/reset task:demo status:busy").await;
    assert_eq!(preview.kind, ReplyKind::Preview, "{preview:#?}");
    drop(server);
    let pressed = tokio::time::timeout(
        Duration::from_secs(30),
        b.press(&alice, action(&preview, "Confirm")),
    )
    .await
    .unwrap();
    assert_eq!(pressed.kind, ReplyKind::Error, "{pressed:#?}");
    assert!(
        pressed.to_plain_text().contains("Something went wrong"),
        "{pressed:#?}"
    );
    assert_eq!(busy(&sim), before);
    // A new preview cannot be kept either: said, not offered.
    let again = a.handle_text(&alice, "/reset task:demo status:busy").await;
    assert_eq!(again.kind, ReplyKind::Error, "{again:#?}");
    assert!(again.actions.is_empty());
    // Only the preview that was kept is on record.
    assert_eq!(audit_events(&audit), ["requested"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_sweeping_one_redis_audit_each_expiry_once() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let sim = demo_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let offset = Arc::new(AtomicI64::new(0));
    let url = SecretString::from(server.url());
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let store = Arc::new(RedisStore::connect(&url).await.unwrap());
        replicas.push(Engine::with_store(
            client(&sim, 2),
            config(&audit),
            shifted(&offset),
            store,
        ));
    }
    let alice = shell("alice");
    for _ in 0..20 {
        let preview = replicas[0]
            .handle_text(&alice, "/reset task:demo status:waiting")
            .await;
        assert_eq!(preview.kind, ReplyKind::Preview, "{preview:#?}");
    }
    assert_eq!(replicas[1].pending_resets().await, 20);
    // Their time is up; both replicas sweep at the same moment.
    offset.store(121, Ordering::SeqCst);
    let (a, b) = tokio::join!(
        tokio::spawn({
            let engine = replicas[0].clone();
            async move { engine.sweep_expired().await }
        }),
        tokio::spawn({
            let engine = replicas[1].clone();
            async move { engine.sweep_expired().await }
        }),
    );
    assert_eq!(a.unwrap() + b.unwrap(), 20);
    let events = audit_events(&audit);
    assert_eq!(events.iter().filter(|e| *e == "expired").count(), 20);
    assert_eq!(replicas[0].pending_resets().await, 0);
    // A shutdown of a replica leaves nothing to expire: the store is shared.
    assert_eq!(replicas[1].shutdown().await.expired, 0);
}

/// Changes to a stored record that an attacker with write access to the store could make,
/// from its sealed bytes and another record's (`other`).
fn forgeries(sealed: &[u8], other: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let flip = |at: usize| {
        let mut changed = sealed.to_vec();
        changed[at] ^= 0x20;
        changed
    };
    vec![
        (
            "rewritten in clear as a whole-task reset",
            br#"{"requester":{"transport":"shell","user_id":"alice","name":"alice","roles":[],"place":null,"chat_id":null,"anonymous":false,"locale":null},"task":"demo","statuses":0,"from":null,"to":null,"sub":null,"encrypted":false,"phones":[],"keyword":null,"all":true,"task_label":"demo","preview":[[8,1]],"expires":"2099-01-01T00:00:00Z"}"#.to_vec(),
        ),
        ("its version byte changed", flip(0)),
        ("its nonce changed", flip(5)),
        ("a byte of its body changed", flip(sealed.len() / 2)),
        ("its tag changed", flip(sealed.len() - 1)),
        ("cut short", sealed[..sealed.len() - 1].to_vec()),
        ("another record's sealed bytes", other.to_vec()),
    ]
}

/// On the store `raw` (seen by the engine through a noting layer): every change to a stored
/// pending reset or page state makes the press refuse and audit it, and nothing reaches the
/// platform; the record put back as it was works again.
async fn tampering_is_refused(raw: Arc<dyn StateStore>) {
    let sim = demo_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    // Notes the keys the engine writes (pages are not listed).
    let noting = ProbeStore::over(raw.clone());
    let engine = Engine::with_store(
        client(&sim, 1),
        config(&audit),
        system_clock(),
        noting.clone(),
    );
    let alice = shell("alice");

    // A pending reset, and another one whose sealed bytes an attacker could copy.
    let preview = engine
        .handle_text(&alice, "/reset task:demo status:busy")
        .await;
    assert_eq!(preview.kind, ReplyKind::Preview, "{preview:#?}");
    let other = engine
        .handle_text(&alice, "/reset task:demo status:no-answer")
        .await;
    assert_eq!(other.kind, ReplyKind::Preview, "{other:#?}");
    let resets = noting.keys(agent_chatops::store::ns::RESETS);
    assert_eq!(resets.len(), 2);
    let (key, other_key) = (&resets[0], &resets[1]);
    let ns = agent_chatops::store::ns::RESETS;
    let sealed = raw.get(ns, key).await.unwrap().unwrap();
    let other_sealed = raw.get(ns, other_key).await.unwrap().unwrap();
    assert!(
        serde_json::from_slice::<Value>(&sealed).is_err(),
        "not stored in clear"
    );
    for (what, forged) in forgeries(&sealed, &other_sealed) {
        raw.put(ns, key, &forged, Duration::from_secs(120))
            .await
            .unwrap();
        let before = sim.requests();
        let pressed = engine.press(&alice, action(&preview, "Confirm")).await;
        assert_eq!(pressed.kind, ReplyKind::Error, "{what}: {pressed:#?}");
        assert_eq!(
            sim.requests(),
            before,
            "{what}: nothing reaches the platform"
        );
        assert_eq!(
            audit_events(&audit).last().map(String::as_str),
            Some("tampered"),
            "{what}: audited"
        );
        let cancel = engine.press(&alice, action(&preview, "Cancel")).await;
        assert_eq!(cancel.kind, ReplyKind::Error, "{what}: cancel refused too");
    }
    // Put back as it was: the confirmation works, once.
    raw.put(ns, key, &sealed, Duration::from_secs(120))
        .await
        .unwrap();
    let done = engine.press(&alice, action(&preview, "Confirm")).await;
    assert_eq!(done.kind, ReplyKind::Done, "{done:#?}");
    assert_eq!(
        audit_events(&audit).last().map(String::as_str),
        Some("done")
    );

    // A page state too large for a button, changed in the store.
    let victor = shell("victor");
    let command = numbers_kept_in_the_store();
    let first = engine.handle_text(&victor, &command).await;
    assert_eq!(first.kind, ReplyKind::Page, "{first:#?}");
    let pages = noting.keys(agent_chatops::store::ns::PAGES);
    let page_ns = agent_chatops::store::ns::PAGES;
    let page = pages.last().unwrap();
    let sealed_page = raw.get(page_ns, page).await.unwrap().unwrap();
    for (what, forged) in forgeries(&sealed_page, &sealed) {
        raw.put(page_ns, page, &forged, Duration::from_secs(120))
            .await
            .unwrap();
        let before = sim.requests();
        let pressed = engine.press(&victor, action(&first, "Next")).await;
        assert_eq!(pressed.kind, ReplyKind::Error, "page, {what}: {pressed:#?}");
        assert_eq!(sim.requests(), before, "page, {what}: no request");
        assert_eq!(
            audit_events(&audit).last().map(String::as_str),
            Some("tampered"),
            "page, {what}: audited"
        );
    }
    raw.put(page_ns, page, &sealed_page, Duration::from_secs(120))
        .await
        .unwrap();
    let next = engine.press(&victor, action(&first, "Next")).await;
    assert_eq!(next.kind, ReplyKind::Page, "{next:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_changed_in_the_embedded_file_is_refused_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let raw = EmbeddedStore::open(dir.path().join("state.redb"), system_clock())
        .await
        .unwrap();
    tampering_is_refused(Arc::new(raw)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_changed_in_redis_is_refused_and_audited() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let url = SecretString::from(server.url());
    let raw = RedisStore::connect(&url).await.unwrap();
    tampering_is_refused(Arc::new(raw)).await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_state_file_and_the_audit_log_are_their_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    // A new state file, and one an older version left readable by all.
    let fresh = dir.path().join("fresh.redb");
    drop(
        EmbeddedStore::open(fresh.clone(), system_clock())
            .await
            .unwrap(),
    );
    assert_eq!(mode(&fresh), 0o600);
    let old = dir.path().join("old.redb");
    drop(
        EmbeddedStore::open(old.clone(), system_clock())
            .await
            .unwrap(),
    );
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(
        EmbeddedStore::open(old.clone(), system_clock())
            .await
            .unwrap(),
    );
    assert_eq!(mode(&old), 0o600, "tightened when opened again");
    // The audit log, created by its first line.
    let sim = agent_sim::start(SimConfig {
        size: 50,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let audit = dir.path().join("audit.jsonl");
    let engine = Engine::new(client(&sim, 1), config(&audit));
    let preview = engine
        .handle_text(&shell("alice"), "/reset task:demo status:busy")
        .await;
    assert_eq!(preview.kind, ReplyKind::Preview, "{preview:#?}");
    assert_eq!(audit_events(&audit), ["requested"]);
    assert_eq!(mode(&audit), 0o600);
}
