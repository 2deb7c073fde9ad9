//! What a transport tells the engine about itself ([`TransportProfile`]): the state-store
//! namespaces it keeps its own records in, the most bytes a button's data may carry, and the
//! largest file it can deliver. The engine knows no transport by name; each registers its
//! profile when it opens its engine ([`Engine::open_for`](crate::Engine::open_for)).

use crate::store::Namespace;
use crate::token::MAX_TOKEN_BYTES;

/// A transport's own needs of the engine. See the [module](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportProfile {
    /// The namespaces the transport keeps records in (e.g. ids of updates already handled),
    /// each with the most entries a store in memory or in a file keeps of it.
    pub namespaces: Vec<(Namespace, usize)>,
    /// The most bytes a button's data may have (Telegram: 64; Discord: 100).
    pub max_action_bytes: usize,
    /// The largest file the transport can deliver; `None`: no limit (the terminal). Larger
    /// CSV exports are gzipped or split.
    pub upload_limit: Option<u64>,
}

impl Default for TransportProfile {
    /// No namespaces of its own, buttons within the smallest limit of the chat services
    /// (64 bytes), no upload limit.
    fn default() -> Self {
        Self {
            namespaces: Vec::new(),
            max_action_bytes: MAX_TOKEN_BYTES,
            upload_limit: None,
        }
    }
}
