//! What the visitor decided: the consent read from a request.

use crate::category::{CategoryId, ServiceId};

/// A set of [`CategoryId`]s of one registry, stored as a 64-bit mask.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CategorySet(u64);

impl CategorySet {
    /// The empty set.
    pub const EMPTY: Self = Self(0);

    /// Whether the set holds `id`.
    #[inline]
    pub const fn contains(self, id: CategoryId) -> bool {
        self.0 & (1 << id.0) != 0
    }

    /// Adds `id`.
    #[inline]
    pub fn insert(&mut self, id: CategoryId) {
        self.0 |= 1 << id.0;
    }

    /// Removes `id`.
    #[inline]
    pub fn remove(&mut self, id: CategoryId) {
        self.0 &= !(1 << id.0);
    }

    /// The categories in both sets.
    #[inline]
    #[must_use]
    pub const fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// The categories in either set.
    #[inline]
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The categories of `self` that are not in `other`.
    #[inline]
    #[must_use]
    pub const fn difference(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// Whether the set is empty.
    #[inline]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The ids in the set, in index order.
    pub fn iter(self) -> impl Iterator<Item = CategoryId> {
        set_bits(self.0, 0).map(CategoryId)
    }
}

/// The positions of the set bits of `bits`, plus `offset`, in increasing order: one step
/// per set bit, not per bit.
fn set_bits(mut bits: u64, offset: u8) -> impl Iterator<Item = u8> {
    std::iter::from_fn(move || {
        if bits == 0 {
            return None;
        }
        let i = bits.trailing_zeros() as u8;
        bits &= bits - 1;
        Some(offset + i)
    })
}

/// A set of [`ServiceId`]s of one registry, stored as a 256-bit mask.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ServiceSet([u64; 4]);

impl ServiceSet {
    /// The empty set.
    pub const EMPTY: Self = Self([0; 4]);

    /// Whether the set holds `id`.
    #[inline]
    pub const fn contains(&self, id: ServiceId) -> bool {
        self.0[(id.0 >> 6) as usize] & (1 << (id.0 & 63)) != 0
    }

    /// Adds `id`.
    #[inline]
    pub fn insert(&mut self, id: ServiceId) {
        self.0[(id.0 >> 6) as usize] |= 1 << (id.0 & 63);
    }

    /// Removes `id`.
    #[inline]
    pub fn remove(&mut self, id: ServiceId) {
        self.0[(id.0 >> 6) as usize] &= !(1 << (id.0 & 63));
    }

    /// The services in both sets.
    #[must_use]
    pub fn intersection(&self, other: &Self) -> Self {
        let mut out = *self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a &= b;
        }
        out
    }

    /// The services in either set.
    #[must_use]
    pub fn union(&self, other: &Self) -> Self {
        let mut out = *self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        out
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }

    /// The ids in the set, in index order.
    pub fn iter(&self) -> impl Iterator<Item = ServiceId> + '_ {
        self.0
            .iter()
            .enumerate()
            .flat_map(|(word, &bits)| set_bits(bits, word as u8 * 64))
            .map(ServiceId)
    }
}

/// Whether, and how, the visitor has decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConsentState {
    /// No consent value was found: the visitor has not decided (show the banner).
    Undecided,
    /// A consent value was found but could not be read (malformed, of the wrong shape or
    /// oversized). It grants nothing; unlike [`ConsentState::Decided`] it is not taken as a
    /// refusal either, so cookies already stored are not deleted for it. (A readable consent
    /// that is too old, or of another registry revision, reads as `Undecided`.)
    Unreadable,
    /// The visitor made a choice: the granted and refused sets are meaningful.
    Decided,
}

/// The visitor's consent, as read from one request.
///
/// It is `Copy` and holds indices into the [`Registry`](crate::Registry) it was read for:
/// granted categories, and per-service decisions that take precedence over their category.
/// What is not granted is not allowed; see [`Registry::judge`](crate::Registry::judge) for the
/// full rule.
///
/// ```
/// use tower_cookie_consent::{Consent, Registry, Category, Declaration};
///
/// let registry = Registry::builder()
///     .category(Category::necessary())
///     .category(Category::statistics())
///     .cookie(Declaration::exact("_ga").category("statistics").service("ga"))
///     .build()?;
/// let mut consent = Consent::decided();
/// consent.grant_category(registry.category_id("statistics").unwrap());
/// assert!(consent.is_category_granted(registry.category_id("statistics").unwrap()));
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Consent {
    state: ConsentState,
    categories: CategorySet,
    services_granted: ServiceSet,
    services_refused: ServiceSet,
    timestamp_ms: Option<u64>,
    revision: Option<u64>,
    gpc: bool,
}

impl Default for Consent {
    fn default() -> Self {
        Self::undecided()
    }
}

impl Consent {
    /// No decision: nothing that needs consent is allowed.
    pub const fn undecided() -> Self {
        Self::with_state(ConsentState::Undecided)
    }

    /// A consent value was present but unreadable: nothing that needs consent is allowed.
    pub const fn unreadable() -> Self {
        Self::with_state(ConsentState::Unreadable)
    }

    /// A decision that grants nothing yet; add grants with [`grant_category`](Self::grant_category)
    /// and [`grant_service`](Self::grant_service).
    pub const fn decided() -> Self {
        Self::with_state(ConsentState::Decided)
    }

    const fn with_state(state: ConsentState) -> Self {
        Self {
            state,
            categories: CategorySet::EMPTY,
            services_granted: ServiceSet::EMPTY,
            services_refused: ServiceSet::EMPTY,
            timestamp_ms: None,
            revision: None,
            gpc: false,
        }
    }

    /// Whether, and how, the visitor decided.
    pub const fn state(&self) -> ConsentState {
        self.state
    }

    /// `true` when the visitor made a readable choice.
    pub const fn is_decided(&self) -> bool {
        matches!(self.state, ConsentState::Decided)
    }

    /// Grants a category.
    pub fn grant_category(&mut self, id: CategoryId) {
        self.categories.insert(id);
    }

    /// Refuses a category (removes a grant).
    pub fn refuse_category(&mut self, id: CategoryId) {
        self.categories.remove(id);
    }

    /// Records that the visitor allowed a service, whatever its category.
    pub fn grant_service(&mut self, id: ServiceId) {
        self.services_refused.remove(id);
        self.services_granted.insert(id);
    }

    /// Records that the visitor refused a service, whatever its category.
    pub fn refuse_service(&mut self, id: ServiceId) {
        self.services_granted.remove(id);
        self.services_refused.insert(id);
    }

    /// Whether the category is granted.
    #[inline]
    pub const fn is_category_granted(&self, id: CategoryId) -> bool {
        self.categories.contains(id)
    }

    /// The visitor's decision for one service: `Some(true)` granted, `Some(false)` refused,
    /// `None` no decision (the service's category decides).
    #[inline]
    pub const fn service_decision(&self, id: ServiceId) -> Option<bool> {
        if self.services_refused.contains(id) {
            Some(false)
        } else if self.services_granted.contains(id) {
            Some(true)
        } else {
            None
        }
    }

    /// The granted categories.
    pub const fn granted_categories(&self) -> CategorySet {
        self.categories
    }

    /// The services granted explicitly.
    pub const fn granted_services(&self) -> ServiceSet {
        self.services_granted
    }

    /// The services refused explicitly.
    pub const fn refused_services(&self) -> ServiceSet {
        self.services_refused
    }

    /// When the choice was made, in milliseconds since the Unix epoch, if the format records it.
    pub const fn timestamp_ms(&self) -> Option<u64> {
        self.timestamp_ms
    }

    /// Sets when the choice was made, in milliseconds since the Unix epoch.
    pub fn set_timestamp_ms(&mut self, ms: Option<u64>) {
        self.timestamp_ms = ms;
    }

    /// The registry revision the choice was made under, if the format records it.
    pub const fn revision(&self) -> Option<u64> {
        self.revision
    }

    /// Sets the registry revision the choice was made under.
    pub fn set_revision(&mut self, revision: Option<u64>) {
        self.revision = revision;
    }

    /// Whether a Global Privacy Control signal (`Sec-GPC: 1`) switched off the categories the
    /// registry marks as sale or sharing.
    pub const fn gpc_applied(&self) -> bool {
        self.gpc
    }

    /// Applies a Global Privacy Control opt-out: the given categories (and every service
    /// of them) lose their grants, and [`gpc_applied`](Self::gpc_applied) becomes `true`.
    pub fn apply_gpc(&mut self, sale_or_sharing: CategorySet, services: &ServiceSet) {
        self.categories = self.categories.difference(sale_or_sharing);
        for id in services.iter() {
            self.refuse_service(id);
        }
        self.gpc = true;
    }

    /// Combines two readings of the same visitor (for example duplicated consent cookies)
    /// so that the result never grants more than either of them: a category or service is
    /// granted only if both grant it, and refused if either refuses it. The state is the
    /// weakest of the two (`Undecided` < `Unreadable` < `Decided`). The time of choice and
    /// the revision are the oldest of those recorded, so a copy that records none cannot
    /// make a stale one look fresh.
    #[must_use]
    pub fn narrowest(self, other: Self) -> Self {
        let state = match (self.state, other.state) {
            (ConsentState::Decided, ConsentState::Decided) => ConsentState::Decided,
            (ConsentState::Undecided, _) | (_, ConsentState::Undecided) => ConsentState::Undecided,
            _ => ConsentState::Unreadable,
        };
        let services_refused = self.services_refused.union(&other.services_refused);
        let mut services_granted = self.services_granted.intersection(&other.services_granted);
        for id in services_refused.iter() {
            services_granted.remove(id);
        }
        Self {
            state,
            categories: self.categories.intersection(other.categories),
            services_granted,
            services_refused,
            // The oldest known time of choice and revision, so that a copy without one can
            // never make a stale copy look fresh.
            timestamp_ms: min_known(self.timestamp_ms, other.timestamp_ms),
            revision: min_known(self.revision, other.revision),
            gpc: self.gpc || other.gpc,
        }
    }
}

fn min_known(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_iterate_their_members_in_order() {
        let mut c = CategorySet::EMPTY;
        for i in [0u8, 5, 63] {
            c.insert(CategoryId(i));
        }
        assert_eq!(c.iter().map(|c| c.0).collect::<Vec<_>>(), [0, 5, 63]);
        let mut s = ServiceSet::EMPTY;
        for i in [0u8, 63, 64, 130, 255] {
            s.insert(ServiceId(i));
        }
        assert_eq!(
            s.iter().map(|s| s.0).collect::<Vec<_>>(),
            [0, 63, 64, 130, 255]
        );
        assert_eq!(ServiceSet::EMPTY.iter().count(), 0);
    }
}
