//! The simulator as the load test's platform, on a runtime of its own, timing every request it
//! serves by the `page` it asked for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use agent_sim::{Faults, Latency, SimConfig};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::oneshot;

type Served = Arc<Mutex<HashMap<usize, Vec<Duration>>>>;

/// The simulator, timed.
#[derive(Debug)]
pub struct Platform {
    url: String,
    served: Served,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Times the request (arrival → answer ready, the simulator's latency included) under its page.
async fn timed(State(served): State<Served>, request: Request, next: Next) -> Response {
    let page = request
        .uri()
        .query()
        .and_then(|query| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(key, _)| key == "page")
                .and_then(|(_, value)| value.parse::<usize>().ok())
        })
        .unwrap_or(0);
    let started = Instant::now();
    let response = next.run(request).await;
    let took = started.elapsed();
    served
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(page)
        .or_default()
        .push(took);
    response
}

impl Platform {
    /// A simulator whose demo task holds `size` numbers, answering after `latency`, served by a
    /// two-worker runtime on a thread of its own (as a separate service would be).
    pub fn start(size: usize, latency: Duration) -> std::io::Result<Self> {
        let config = SimConfig {
            size,
            faults: Faults {
                latency: if latency.is_zero() {
                    Latency::None
                } else {
                    Latency::Fixed(latency)
                },
                ..Faults::default()
            },
            ..SimConfig::default()
        };
        let served = Served::default();
        let app = agent_sim::router(agent_sim::state(&config))
            .layer(axum::middleware::from_fn_with_state(served.clone(), timed));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("load-platform".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                        Ok(listener) => listener,
                        Err(err) => {
                            let _ = ready_tx.send(Err(err));
                            return;
                        }
                    };
                    let _ = ready_tx.send(listener.local_addr());
                    let listener = axum::serve::ListenerExt::tap_io(
                        listener,
                        |tcp: &mut tokio::net::TcpStream| {
                            let _ = tcp.set_nodelay(true);
                        },
                    );
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await;
                });
            })?;
        let address = ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("the platform thread stopped"))??;
        Ok(Self {
            url: format!("http://{address}"),
            served,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Its base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The environment the platform client reads (`AGENT_API_*`).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AGENT_API_BASE_URL", self.url.clone()),
            ("AGENT_API_TOKEN", agent_sim::DEFAULT_TOKEN.to_string()),
            ("AGENT_USER_ID", agent_sim::DEMO_USER_ID.to_string()),
        ]
    }

    /// Forgets what it served (between runs).
    pub fn clear(&self) {
        self.served
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Requests served since the last [`Platform::clear`].
    pub fn requests(&self) -> u64 {
        self.served
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|times| times.len() as u64)
            .sum()
    }

    /// The platform's time for `page`: all its requests' time together (zero if none).
    pub fn took(&self, page: usize) -> Duration {
        self.served
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&page)
            .map(|times| times.iter().sum())
            .unwrap_or_default()
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
