//! The consent log: for each visitor, the last requests, which cookies the server tried to
//! set, which reached the browser and why the others were removed. In memory and bounded.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tower_cookie_consent::CookieEvent;

/// Requests kept per visitor.
pub(crate) const REQUESTS_PER_VISITOR: usize = 20;
/// Visitors kept; the one seen least recently goes first.
pub(crate) const MAX_VISITORS: usize = 256;
/// `Set-Cookie` values kept per request.
const COOKIES_PER_REQUEST: usize = 64;

/// Put into each response's extensions by the demo's tagging middleware, so that the
/// cookie-event hook knows which visitor and which request an event belongs to.
#[derive(Debug, Clone)]
pub(crate) struct RequestTag {
    pub(crate) visitor: String,
    pub(crate) request: u64,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) consent: String,
}

/// One request of one visitor.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RequestRecord {
    pub(crate) request: u64,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) consent: String,
    pub(crate) cookies: Vec<CookieRecord>,
}

/// One judged `Set-Cookie`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CookieRecord {
    pub(crate) name: String,
    pub(crate) category: Option<String>,
    pub(crate) service: Option<String>,
    /// `true` when the `Set-Cookie` left the server.
    pub(crate) sent: bool,
    /// [`Reason::as_str`](tower_cookie_consent::Reason::as_str), or `withdrawn` for a
    /// deletion the layer appended.
    pub(crate) reason: &'static str,
    /// For a deletion: its attributes (`Max-Age=0; Path=/; Domain=...`).
    pub(crate) scope: Option<String>,
}

#[derive(Debug, Default)]
struct Visitor {
    last_seen: u64,
    requests: VecDeque<RequestRecord>,
}

/// The log, shared by the hook and the `/consent-log` handler.
#[derive(Debug, Default)]
pub(crate) struct ConsentLog {
    clock: AtomicU64,
    visitors: Mutex<HashMap<String, Visitor>>,
}

impl ConsentLog {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// The hook body: files one cookie event under the request tag found in the response
    /// extensions (events of untagged responses are ignored).
    pub(crate) fn record(&self, event: &CookieEvent<'_>) {
        let Some(tag) = event.extensions.get::<RequestTag>() else {
            return;
        };
        let cookie = CookieRecord {
            name: event.name_lossy().into_owned(),
            category: event.category.map(|c| c.id().to_owned()),
            service: event.service().map(str::to_owned),
            sent: !event.removed,
            reason: event.verdict.reason().as_str(),
            scope: None,
        };
        self.push(tag, cookie);
    }

    /// Files a deletion the consent layer appended (withdrawal): `scope` is its attributes.
    pub(crate) fn record_deletion(&self, tag: &RequestTag, name: &str, scope: String) {
        self.push(
            tag,
            CookieRecord {
                name: name.to_owned(),
                category: None,
                service: None,
                sent: true,
                reason: "withdrawn",
                scope: Some(scope),
            },
        );
    }

    fn push(&self, tag: &RequestTag, cookie: CookieRecord) {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        // A poisoned lock only means another request panicked mid-update: keep logging.
        let mut visitors = self.visitors.lock().unwrap_or_else(|e| e.into_inner());
        if !visitors.contains_key(&tag.visitor) && visitors.len() >= MAX_VISITORS {
            if let Some(oldest) = visitors
                .iter()
                .min_by_key(|(_, v)| v.last_seen)
                .map(|(k, _)| k.clone())
            {
                visitors.remove(&oldest);
            }
        }
        let visitor = visitors.entry(tag.visitor.clone()).or_default();
        visitor.last_seen = now;
        if visitor.requests.back().map(|r| r.request) != Some(tag.request) {
            if visitor.requests.len() >= REQUESTS_PER_VISITOR {
                visitor.requests.pop_front();
            }
            visitor.requests.push_back(RequestRecord {
                request: tag.request,
                method: tag.method.clone(),
                path: tag.path.clone(),
                consent: tag.consent.clone(),
                cookies: Vec::new(),
            });
        }
        if let Some(record) = visitor.requests.back_mut() {
            if record.cookies.len() < COOKIES_PER_REQUEST {
                record.cookies.push(cookie);
            }
        }
    }

    /// The visitor's requests, newest first.
    pub(crate) fn requests(&self, visitor: &str) -> Vec<RequestRecord> {
        let visitors = self.visitors.lock().unwrap_or_else(|e| e.into_inner());
        visitors
            .get(visitor)
            .map(|v| v.requests.iter().rev().cloned().collect())
            .unwrap_or_default()
    }
}
