//! Helpers shared by the readers' unit tests: a registry, one request read by a reader,
//! and what the consent grants.

use std::time::SystemTime;

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};

use crate::{Consent, ConsentRequest, Declaration, ReadConsent, Registry, RegistryBuilder};

/// The cookie `cookie`, of `category`, set by `service`.
pub(crate) fn service(cookie: &str, category: &str, service: &str) -> Declaration {
    Declaration::exact(cookie)
        .category(category)
        .service(service)
}

/// The default categories and `declarations`.
pub(crate) fn registry(declarations: impl IntoIterator<Item = Declaration>) -> Registry {
    declarations
        .into_iter()
        .fold(
            Registry::builder().default_categories(),
            RegistryBuilder::cookie,
        )
        .build()
        .unwrap()
}

/// Reads a request with one `Cookie` field per item of `fields` with `reader`, at `now`.
pub(crate) fn read_at(
    reader: &dyn ReadConsent,
    registry: Registry,
    fields: &[impl AsRef<[u8]>],
    now: SystemTime,
) -> (Registry, Consent) {
    let mut headers = HeaderMap::new();
    for f in fields {
        headers.append(COOKIE, HeaderValue::from_bytes(f.as_ref()).unwrap());
    }
    let consent = reader.read_consent(&ConsentRequest::at(&headers, &registry, now));
    (registry, consent)
}

/// [`read_at`] now.
pub(crate) fn read(
    reader: &dyn ReadConsent,
    registry: Registry,
    fields: &[impl AsRef<[u8]>],
) -> (Registry, Consent) {
    read_at(reader, registry, fields, SystemTime::now())
}

/// The ids of the categories `c` grants, in registry order.
pub(crate) fn granted(r: &Registry, c: &Consent) -> Vec<String> {
    c.granted_categories()
        .iter()
        .map(|id| r.category(id).id().to_owned())
        .collect()
}

/// Whether `c` grants the category `id`.
pub(crate) fn cat(r: &Registry, c: &Consent, id: &str) -> bool {
    c.is_category_granted(r.category_id(id).unwrap())
}

/// What `c` decides for the service `id`.
pub(crate) fn svc(r: &Registry, c: &Consent, id: &str) -> Option<bool> {
    c.service_decision(r.service_id(id).unwrap())
}
