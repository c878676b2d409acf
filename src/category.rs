//! Consent categories: the groups a visitor grants or refuses as a whole.

use serde::{Deserialize, Serialize};

/// A consent category, such as *strictly necessary*, *functional*, *statistics* or *marketing*.
///
/// A category is identified by its [`id`](Category::id), the key that consent formats
/// (for example the `cookies_preferences` JSON object) use for it. Cookies whose category
/// does not [require consent](Category::consent_required) are always allowed; the others are
/// allowed only when the visitor grants the category (or the cookie's service, see
/// [`Declaration::service`](crate::Declaration::service)).
///
/// ```
/// use tower_cookie_consent::Category;
///
/// let statistics = Category::new("statistics")
///     .label("Statistics")
///     .description("Anonymous measurement of how the site is used.");
/// assert_eq!(statistics.id(), "statistics");
/// assert!(statistics.is_consent_required());
/// assert!(!Category::necessary().is_consent_required());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct Category {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) label: String,
    #[serde(default)]
    pub(crate) description: String,
    #[serde(default = "yes")]
    pub(crate) consent_required: bool,
    #[serde(default)]
    pub(crate) sale_or_sharing: bool,
}

fn yes() -> bool {
    true
}

impl Category {
    /// A category with the given id whose cookies need consent; label and description empty.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            label: String::new(),
            description: String::new(),
            consent_required: true,
            sale_or_sharing: false,
        }
    }

    /// `necessary`: strictly necessary cookies, exempt from consent (ePrivacy Directive
    /// art. 5(3), "strictly necessary in order to provide a service explicitly requested").
    pub fn necessary() -> Self {
        Self::new("necessary")
            .label("Strictly necessary")
            .description(
                "Needed for the site to work: sessions, security, load balancing and remembering \
                 your cookie choices. They cannot be switched off.",
            )
            .consent_required(false)
    }

    /// `functional`: preferences and features the visitor may do without; needs consent.
    pub fn functional() -> Self {
        Self::new("functional")
            .label("Functional")
            .description("Remember choices you make, such as layout or embedded content.")
    }

    /// `statistics`: audience measurement; needs consent.
    pub fn statistics() -> Self {
        Self::new("statistics")
            .label("Statistics")
            .description("Measure how visitors use the site so that it can be improved.")
    }

    /// `marketing`: advertising and cross-site tracking; needs consent, and is marked as
    /// [sale or sharing](Category::sale_or_sharing) of personal data.
    pub fn marketing() -> Self {
        Self::new("marketing")
            .label("Marketing")
            .description("Used by advertising partners to build a profile and show relevant ads.")
            .sale_or_sharing(true)
    }

    /// Sets the human-readable label shown on the cookie policy page and in banners.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Sets the description shown on the cookie policy page and in banners.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Sets whether cookies of this category need the visitor's consent (default `true`).
    pub fn consent_required(mut self, required: bool) -> Self {
        self.consent_required = required;
        self
    }

    /// Marks the category as "sale or sharing" of personal data, the kind that a Global
    /// Privacy Control signal (`Sec-GPC: 1`) opts out of (default `false`, except for
    /// [`Category::marketing`]).
    pub fn sale_or_sharing(mut self, yes: bool) -> Self {
        self.sale_or_sharing = yes;
        self
    }

    /// The id, the key consent formats use for this category.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The human-readable label.
    pub fn label_text(&self) -> &str {
        &self.label
    }

    /// The description.
    pub fn description_text(&self) -> &str {
        &self.description
    }

    /// Whether cookies of this category need the visitor's consent.
    pub fn is_consent_required(&self) -> bool {
        self.consent_required
    }

    /// Whether the category is marked as sale or sharing of personal data.
    pub fn is_sale_or_sharing(&self) -> bool {
        self.sale_or_sharing
    }
}

/// The index of a category inside one [`Registry`](crate::Registry), fixed when it is built.
///
/// A registry holds at most [`CategoryId::MAX`] categories, so a set of categories is one
/// `u64` and a consent check is a bit test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CategoryId(pub(crate) u8);

impl CategoryId {
    /// How many categories one registry can hold.
    pub const MAX: usize = 64;

    /// The index, from 0 in declaration order.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// The index of a service (such as `ga` or `matomo`) inside one
/// [`Registry`](crate::Registry), fixed when it is built.
///
/// A registry holds at most [`ServiceId::MAX`] services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceId(pub(crate) u8);

impl ServiceId {
    /// How many services one registry can hold.
    pub const MAX: usize = 256;

    /// The index, from 0 in order of first appearance.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}
