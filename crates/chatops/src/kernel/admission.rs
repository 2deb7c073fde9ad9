//! Admission: whether a caller is served at all (the engine is open, the caller is not
//! anonymous, their place is served) and within their rate. Roles are checked by each command
//! against its catalogue entry ([`crate::scope`]).

use std::sync::atomic::Ordering;

use tokio_util::task::task_tracker::TaskTrackerToken;

use super::Engine;
use crate::access::Caller;
use crate::i18n::Lang;
use crate::messages::Msg;
use crate::reply::{Refusal, Reply, ReplyKind};

impl Engine {
    /// Lets a command in, or says why not: the engine is shutting down, the caller's place is
    /// not served, or the caller is over their rate. The token keeps shutdown waiting for the
    /// command.
    pub(super) fn admit(&self, caller: &Caller, lang: Lang) -> Result<TaskTrackerToken, Refusal> {
        if let Some(refusal) = self.refusal(caller, lang) {
            return Err(refusal.into());
        }
        let inner = &self.inner;
        if let Some(limiter) = &inner.limiter
            && limiter.check_key(&caller.identity()).is_err()
        {
            tracing::warn!(caller = %caller.identity(), "refused: rate limit");
            let per_minute = self.config().rate_limit_per_minute.unwrap_or_default();
            return Err(
                Reply::new(ReplyKind::Refused, Msg::TooManyRequests.text(lang))
                    .line(
                        Msg::RateLimited {
                            per_minute: u64::from(per_minute),
                        }
                        .text(lang),
                    )
                    .into(),
            );
        }
        // Forget callers whose quota is full again, so the map stays small.
        if let Some(limiter) = &inner.limiter
            && limiter.len() > 10_000
        {
            limiter.retain_recent();
        }
        self.start_sweeper();
        Ok(inner.tracker.token())
    }

    /// Why the caller may not be served at all, if so: the engine is shutting down, the caller
    /// is anonymous, or their place is not served. (Not the rate: [`Engine::admit`] counts it.)
    pub(super) fn refusal(&self, caller: &Caller, lang: Lang) -> Option<Reply> {
        if self.inner.closing.load(Ordering::SeqCst) {
            return Some(
                Reply::new(ReplyKind::Error, Msg::ShuttingDown.text(lang))
                    .line(Msg::Restarting.text(lang)),
            );
        }
        if caller.anonymous {
            return Some(
                Reply::new(ReplyKind::Refused, Msg::NotAllowed.text(lang))
                    .line(Msg::AnonymousSender.text(lang)),
            );
        }
        if let Some(places) = self.config().places.get(&caller.transport) {
            let served = match &caller.place {
                None => places.direct_messages,
                Some(place) => places
                    .allowed
                    .as_ref()
                    .is_none_or(|allowed| allowed.contains(place)),
            };
            if !served {
                tracing::warn!(caller = %caller.identity(), place = caller.place.as_deref().unwrap_or("direct"), "refused: place not served");
                return Some(
                    Reply::new(ReplyKind::Refused, Msg::NotHere.text(lang))
                        .line(Msg::PlaceNotServed.text(lang)),
                );
            }
        }
        None
    }
}
