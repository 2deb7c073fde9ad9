//! What a command's handler works with ([`Ctx`]), and how long work reports its progress
//! ([`Progress`]).

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::access::Caller;
use crate::i18n::Lang;
use crate::reply::Reply;
use crate::services::Services;

/// How far long work is, for transports that show it (an edited message, a progress bar).
#[derive(Debug, Clone)]
pub struct ProgressUpdate {
    /// Done so far (numbers scanned).
    pub done: u64,
    /// Out of.
    pub total: u64,
    /// The progress as a reply, already through the outbound rule.
    pub reply: Reply,
}

/// Where long work reports its progress, about every `progress_every`.
pub type Progress = Arc<dyn Fn(ProgressUpdate) + Send + Sync>;

/// What a handler works with: the engine's services (through `Deref`: client, config, store,
/// clock, audit log, signer), who asked, in which language, and where long work reports its
/// progress. It also collects the time spent waiting for the platform, and what the caller
/// typed that the outbound rule must mask in the reply.
pub(crate) struct Ctx<'a> {
    services: &'a Services,
    /// Who asked.
    pub(crate) caller: &'a Caller,
    /// The language to answer in.
    pub(crate) lang: Lang,
    /// Where long work reports its progress (already through the outbound rule).
    pub(crate) progress: Option<&'a Progress>,
    upstream_nanos: AtomicU64,
    typed: Mutex<Vec<String>>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        services: &'a Services,
        caller: &'a Caller,
        lang: Lang,
        progress: Option<&'a Progress>,
    ) -> Self {
        Self {
            services,
            caller,
            lang,
            progress,
            upstream_nanos: AtomicU64::new(0),
            typed: Mutex::new(Vec::new()),
        }
    }

    /// Adds time spent waiting for the platform.
    pub(crate) fn waited(&self, spent: Duration) {
        let nanos = u64::try_from(spent.as_nanos()).unwrap_or(u64::MAX);
        self.upstream_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The time spent waiting for the platform so far.
    pub(crate) fn upstream(&self) -> Duration {
        Duration::from_nanos(self.upstream_nanos.load(Ordering::Relaxed))
    }

    /// Says that the reply may quote `text`, which a user typed (phones, a keyword): the
    /// outbound rule masks it too.
    pub(crate) fn typed(&self, text: &str) {
        match self.typed.lock() {
            Ok(mut typed) => typed.push(text.to_string()),
            Err(poisoned) => poisoned.into_inner().push(text.to_string()),
        }
    }

    /// What [`Ctx::typed`] collected.
    pub(crate) fn typed_texts(&self) -> Vec<String> {
        match self.typed.lock() {
            Ok(typed) => typed.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl Deref for Ctx<'_> {
    type Target = Services;

    fn deref(&self) -> &Services {
        self.services
    }
}
