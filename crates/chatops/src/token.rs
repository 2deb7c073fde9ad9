//! Signed action tokens: what a button sends back when pressed.
//!
//! A token is `base64url(payload ‖ mac)` where `mac` is the first 8 bytes of
//! HMAC-SHA256(secret, payload). It fits Telegram's 64-byte callback data and Discord's
//! 100-character custom ids. A forged or altered token fails the MAC and is refused.
//!
//! - Paging carries its whole state (task, statuses, time range, sub-account, page), so any
//!   replica that shares the secret can serve the press.
//! - `/stats`' refresh carries its filter the same way (or, too large, an id the engine keeps).
//! - A reset confirmation carries the id of a pending request that the engine keeps until it
//!   expires; the request itself (filter, requester) never travels through the chat service.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::SignedDuration;
use jiff::civil::DateTime;
use ring::hmac;

use agent_core::StatusSet;

/// The most bytes a token may have unless a transport says otherwise (Telegram's callback data
/// limit, the smallest of the chat services).
pub const MAX_TOKEN_BYTES: usize = 64;
const MAC_LEN: usize = 8;

/// The state of a page of numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageState {
    /// The task id (not an alias).
    pub task: String,
    /// The status filter.
    pub statuses: StatusSet,
    /// The creation-time lower bound.
    pub from: Option<DateTime>,
    /// The creation-time upper bound.
    pub to: Option<DateTime>,
    /// The sub-account.
    pub sub: Option<String>,
    /// The page to show.
    pub page: u32,
}

/// What a button asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionToken {
    /// Show a page.
    Page(PageState),
    /// Show a page whose state was too large for a token; the engine keeps it under this id.
    StoredPage(u64),
    /// Confirm the pending reset with this id.
    Confirm(u64),
    /// Cancel the pending reset with this id.
    Cancel(u64),
    /// Stop the running export with this id.
    StopExport(u64),
    /// Count a filter's statuses again (`/stats`' refresh button), bypassing the cache. The
    /// state's `page` is not used.
    Refresh(PageState),
    /// A refresh whose filter was too large for a token; the engine keeps it under this id.
    StoredRefresh(u64),
}

/// A token that is not ours, or was altered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not base64, too short, or the MAC does not match.
    #[error("this action was not made by this bot, or it was altered")]
    Forged,
    /// The MAC matches but the payload does not parse (a different version).
    #[error("this action comes from an incompatible version of the bot")]
    Malformed,
    /// Encoding would exceed the size limit.
    #[error("the action's state is too large for a button")]
    TooLarge,
}

const KIND_PAGE: u8 = 1;
const KIND_STORED_PAGE: u8 = 2;
const KIND_CONFIRM: u8 = 3;
const KIND_CANCEL: u8 = 4;
const KIND_REFRESH: u8 = 5;
const KIND_STORED_REFRESH: u8 = 6;
const KIND_STOP_EXPORT: u8 = 7;

const HAS_FROM: u8 = 1;
const HAS_TO: u8 = 2;
const HAS_SUB: u8 = 4;

/// Signs and checks tokens with the configured secret.
pub struct Signer {
    key: hmac::Key,
    max_bytes: usize,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer([secret])")
    }
}

fn epoch() -> DateTime {
    jiff::civil::date(2000, 1, 1).at(0, 0, 0, 0)
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_time(out: &mut Vec<u8>, time: DateTime) {
    let secs = time.duration_since(epoch()).as_secs();
    // zig-zag, so times before 2000 stay small too
    put_varint(out, ((secs << 1) ^ (secs >> 63)) as u64);
}

/// An id: a lowercase UUID as 16 bytes (tag 0), anything else as its bytes (tag = length).
fn put_id(out: &mut Vec<u8>, id: &str) {
    match uuid_bytes(id) {
        Some(bytes) => {
            out.push(0);
            out.extend_from_slice(&bytes);
        }
        None => {
            let bytes = &id.as_bytes()[..id.len().min(255)];
            out.push(bytes.len() as u8);
            out.extend_from_slice(bytes);
        }
    }
}

fn uuid_bytes(id: &str) -> Option<[u8; 16]> {
    let bytes = id.as_bytes();
    if bytes.len() != 36 || [8, 13, 18, 23].iter().any(|&i| bytes[i] != b'-') {
        return None;
    }
    let hex: Vec<u8> = bytes.iter().copied().filter(|&b| b != b'-').collect();
    if !hex
        .iter()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    {
        return None;
    }
    let mut out = [0u8; 16];
    hex::decode_to_slice(&hex, &mut out).ok()?;
    Some(out)
}

/// A page's state (or a refresh's filter): flags, statuses, page, times, task, sub-account.
fn put_state(out: &mut Vec<u8>, state: &PageState) {
    let mut flags = 0;
    if state.from.is_some() {
        flags |= HAS_FROM;
    }
    if state.to.is_some() {
        flags |= HAS_TO;
    }
    if state.sub.is_some() {
        flags |= HAS_SUB;
    }
    out.push(flags);
    out.extend_from_slice(&state.statuses.bits().to_le_bytes());
    put_varint(out, u64::from(state.page));
    if let Some(from) = state.from {
        put_time(out, from);
    }
    if let Some(to) = state.to {
        put_time(out, to);
    }
    put_id(out, &state.task);
    if let Some(sub) = &state.sub {
        put_id(out, sub);
    }
}

/// Compares in time that does not depend on where the bytes differ.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    bool::from(subtle::ConstantTimeEq::ct_eq(a, b))
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, TokenError> {
        let (&first, rest) = self.bytes.split_first().ok_or(TokenError::Malformed)?;
        self.bytes = rest;
        Ok(first)
    }

    fn take(&mut self, n: usize) -> Result<&[u8], TokenError> {
        if self.bytes.len() < n {
            return Err(TokenError::Malformed);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn varint(&mut self) -> Result<u64, TokenError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(TokenError::Malformed)
    }

    fn time(&mut self) -> Result<DateTime, TokenError> {
        let zz = self.varint()?;
        let secs = ((zz >> 1) as i64) ^ -((zz & 1) as i64);
        epoch()
            .checked_add(SignedDuration::from_secs(secs))
            .map_err(|_| TokenError::Malformed)
    }

    fn id(&mut self) -> Result<String, TokenError> {
        let tag = self.byte()?;
        if tag == 0 {
            let b = self.take(16)?;
            let hex = hex::encode(b);
            Ok(format!(
                "{}-{}-{}-{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..32]
            ))
        } else {
            let b = self.take(usize::from(tag))?;
            String::from_utf8(b.to_vec()).map_err(|_| TokenError::Malformed)
        }
    }

    fn state(&mut self) -> Result<PageState, TokenError> {
        let flags = self.byte()?;
        let bits = u16::from_le_bytes([self.byte()?, self.byte()?]);
        let page = u32::try_from(self.varint()?).map_err(|_| TokenError::Malformed)?;
        let from = if flags & HAS_FROM != 0 {
            Some(self.time()?)
        } else {
            None
        };
        let to = if flags & HAS_TO != 0 {
            Some(self.time()?)
        } else {
            None
        };
        let task = self.id()?;
        let sub = if flags & HAS_SUB != 0 {
            Some(self.id()?)
        } else {
            None
        };
        Ok(PageState {
            task,
            statuses: StatusSet::from_bits(bits),
            from,
            to,
            sub,
            page,
        })
    }

    fn u64(&mut self) -> Result<u64, TokenError> {
        let b = self.take(8)?;
        let mut array = [0u8; 8];
        array.copy_from_slice(b);
        Ok(u64::from_le_bytes(array))
    }
}

impl Signer {
    /// A signer with this secret.
    pub fn new(secret: &[u8]) -> Self {
        Self::with_limit(secret, MAX_TOKEN_BYTES)
    }

    /// A signer whose tokens have at most `max_bytes` (a transport's limit; at least 32).
    pub fn with_limit(secret: &[u8], max_bytes: usize) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            max_bytes: max_bytes.max(32),
        }
    }

    fn payload(token: &ActionToken) -> Vec<u8> {
        let mut out = Vec::with_capacity(48);
        match token {
            ActionToken::Page(state) => {
                out.push(KIND_PAGE);
                put_state(&mut out, state);
            }
            ActionToken::Refresh(state) => {
                out.push(KIND_REFRESH);
                put_state(&mut out, state);
            }
            ActionToken::StoredPage(id) => {
                out.push(KIND_STORED_PAGE);
                out.extend_from_slice(&id.to_le_bytes());
            }
            ActionToken::Confirm(id) => {
                out.push(KIND_CONFIRM);
                out.extend_from_slice(&id.to_le_bytes());
            }
            ActionToken::Cancel(id) => {
                out.push(KIND_CANCEL);
                out.extend_from_slice(&id.to_le_bytes());
            }
            ActionToken::StopExport(id) => {
                out.push(KIND_STOP_EXPORT);
                out.extend_from_slice(&id.to_le_bytes());
            }
            ActionToken::StoredRefresh(id) => {
                out.push(KIND_STORED_REFRESH);
                out.extend_from_slice(&id.to_le_bytes());
            }
        }
        out
    }

    /// The signed token, or [`TokenError::TooLarge`] past the signer's limit
    /// ([`MAX_TOKEN_BYTES`] unless [`Signer::with_limit`]).
    pub fn sign(&self, token: &ActionToken) -> Result<String, TokenError> {
        let mut bytes = Self::payload(token);
        let tag = hmac::sign(&self.key, &bytes);
        bytes.extend_from_slice(&tag.as_ref()[..MAC_LEN]);
        let text = URL_SAFE_NO_PAD.encode(bytes);
        if text.len() > self.max_bytes {
            return Err(TokenError::TooLarge);
        }
        Ok(text)
    }

    /// Checks the MAC and decodes the token.
    pub fn verify(&self, text: &str) -> Result<ActionToken, TokenError> {
        if text.len() > self.max_bytes {
            return Err(TokenError::Forged);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| TokenError::Forged)?;
        if bytes.len() <= MAC_LEN {
            return Err(TokenError::Forged);
        }
        let (payload, mac) = bytes.split_at(bytes.len() - MAC_LEN);
        let tag = hmac::sign(&self.key, payload);
        if !same_bytes(&tag.as_ref()[..MAC_LEN], mac) {
            return Err(TokenError::Forged);
        }
        let mut reader = Reader { bytes: payload };
        let token = match reader.byte()? {
            KIND_PAGE => ActionToken::Page(reader.state()?),
            KIND_REFRESH => ActionToken::Refresh(reader.state()?),
            KIND_STORED_PAGE => ActionToken::StoredPage(reader.u64()?),
            KIND_CONFIRM => ActionToken::Confirm(reader.u64()?),
            KIND_CANCEL => ActionToken::Cancel(reader.u64()?),
            KIND_STOP_EXPORT => ActionToken::StopExport(reader.u64()?),
            KIND_STORED_REFRESH => ActionToken::StoredRefresh(reader.u64()?),
            _ => return Err(TokenError::Malformed),
        };
        if !reader.bytes.is_empty() {
            return Err(TokenError::Malformed);
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> PageState {
        PageState {
            task: "f232d184-dd54-42a0-8ace-0bf8d660f4cc".into(),
            statuses: StatusSet::parse_list("busy,no-answer").unwrap(),
            from: Some(jiff::civil::date(2020, 7, 28).at(10, 0, 0, 0)),
            to: Some(jiff::civil::date(2026, 11, 22).at(23, 59, 59, 0)),
            sub: None,
            page: 12345,
        }
    }

    #[test]
    fn tokens_round_trip_and_fit_telegram() {
        let signer = Signer::new(b"secret");
        for token in [
            ActionToken::Page(state()),
            ActionToken::Page(PageState {
                from: Some(jiff::civil::date(1999, 1, 1).at(0, 0, 0, 0)),
                task: "demo-task".into(),
                ..state()
            }),
            ActionToken::Confirm(u64::MAX),
            ActionToken::StopExport(9),
            ActionToken::Cancel(7),
            ActionToken::StoredPage(42),
            ActionToken::Refresh(PageState { page: 1, ..state() }),
            ActionToken::StoredRefresh(43),
        ] {
            let text = signer.sign(&token).unwrap();
            assert!(text.len() <= MAX_TOKEN_BYTES, "{} bytes", text.len());
            assert_eq!(signer.verify(&text), Ok(token));
        }
    }

    #[test]
    fn a_state_too_large_for_a_button_is_reported() {
        // Task and sub-account as UUIDs, both dates and a large page: 58 bytes before base64.
        // The engine then keeps the state itself and sends a `StoredPage` id.
        let signer = Signer::new(b"secret");
        let full = ActionToken::Page(PageState {
            sub: Some("1181ffd3-e3ee-4d75-a45c-8b9be3deb330".into()),
            ..state()
        });
        assert_eq!(signer.sign(&full), Err(TokenError::TooLarge));
        // A page and a refresh of the same state are different actions.
        let page = signer.sign(&ActionToken::Page(state())).unwrap();
        let refresh = signer.sign(&ActionToken::Refresh(state())).unwrap();
        assert_ne!(page, refresh);
        assert_eq!(signer.verify(&refresh), Ok(ActionToken::Refresh(state())));
    }

    #[test]
    fn forged_and_altered_tokens_are_refused() {
        let signer = Signer::new(b"secret");
        let text = signer.sign(&ActionToken::Confirm(1)).unwrap();
        assert_eq!(Signer::new(b"other").verify(&text), Err(TokenError::Forged));
        let mut altered = text.clone().into_bytes();
        altered[2] = if altered[2] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert_eq!(signer.verify(&altered), Err(TokenError::Forged));
        assert_eq!(signer.verify("n:1001:2"), Err(TokenError::Forged));
        assert_eq!(signer.verify(""), Err(TokenError::Forged));
        assert_eq!(signer.verify(&"A".repeat(200)), Err(TokenError::Forged));
    }
}
