//! The registry: every cookie the site may set, and how to judge one.

use std::collections::HashMap;

/// The maps looked up on every request. They are filled once, from the registry, and only
/// read afterwards, so a fast hash that an attacker could target with collisions buys them
/// nothing: a lookup cannot add entries. foldhash still seeds it per process.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

mod consent_keys;
use consent_keys::ConsentKeys;
use std::fmt;

use aho_corasick::automaton::Automaton;
use aho_corasick::{dfa::DFA as PrefixDfa, Anchored, MatchKind, StartKind};
use std::sync::Arc;

use regex_automata::hybrid::dfa::{Cache as DfaCache, DFA};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::pool::Pool;

use crate::category::{Category, CategoryId, ServiceId};
use crate::consent::{CategorySet, Consent, ServiceSet};
use crate::declaration::{Declaration, Match};
use crate::error::ConfigError;

/// The site's cookie policy as data: consent categories and cookie declarations.
///
/// Built once with [`Registry::builder`] (or loaded from a file), validated when built, then
/// shared read-only. Categories and services are interned to small indices so that judging
/// a cookie is a table lookup and a bit test.
///
/// # Lookup precedence
///
/// A cookie-name is matched, in this order, by
/// 1. the [`Exact`](Match::Exact) declaration with that name;
/// 2. otherwise the [`Prefix`](Match::Prefix) declaration with the **longest** matching prefix;
/// 3. otherwise the first [`Pattern`](Match::Pattern) declaration, in declaration order,
///    that matches the whole name.
///
/// Prefixes are compiled into one anchored Aho-Corasick automaton and patterns into one
/// multi-pattern regular expression, so lookup cost does not grow with the number of
/// declarations.
///
/// ```
/// use tower_cookie_consent::{Category, Declaration, Registry};
///
/// let registry = Registry::builder()
///     .category(Category::necessary())
///     .category(Category::statistics())
///     .cookie(Declaration::exact("sessionid").category("necessary"))
///     .cookie(Declaration::prefix("_ga").category("statistics").service("ga"))
///     .cookie(Declaration::pattern("_pk_id.*").category("statistics").service("matomo"))
///     .build()?;
///
/// let decl = registry.lookup(b"_pk_id.1.abcd").unwrap();
/// assert_eq!(decl.service_id(), Some("matomo"));
/// assert!(registry.lookup(b"promo_seen").is_none());
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Registry {
    categories: Vec<Category>,
    services: Vec<String>,
    /// Category ids and service ids (never equal: the builder checks), as bytes, so that
    /// a consent-format key is resolved with one lookup and no UTF-8 check.
    keys: ConsentKeys,
    /// Services that appear in declarations of each category.
    services_by_category: Vec<ServiceSet>,
    declarations: Vec<Declaration>,
    resolved: Vec<Resolved>,
    exact: FastMap<Box<[u8]>, u32>,
    prefixes: Option<Arc<Prefixes>>,
    patterns: Option<Arc<Globs>>,
    sale_or_sharing: CategorySet,
    revision: u64,
}

#[derive(Debug, Clone, Copy)]
struct Resolved {
    category: CategoryId,
    service: Option<ServiceId>,
    consent_required: bool,
}

type MakeCache =
    Box<dyn Fn() -> DfaCache + Send + Sync + std::panic::RefUnwindSafe + std::panic::UnwindSafe>;

/// The [`Pattern`](Match::Pattern) declarations compiled into one lazy DFA: memory is
/// bounded by the per-thread cache whatever the number of patterns (a backtracking or
/// Pike VM engine keeps capture slots per NFA state and per pattern, which grows with the
/// square of the number of patterns).
struct Globs {
    dfa: DFA,
    caches: Pool<DfaCache, MakeCache>,
    /// Pattern id to declaration index.
    map: Vec<u32>,
    /// Skips the search for a name no pattern can match.
    filter: Filter,
}

impl Globs {
    /// The cache of the lazy DFA per thread, in bytes (grown when the patterns need more).
    const CACHE_CAPACITY: usize = 2 << 20;

    /// Compiles `patterns` (the regular expressions of `globs`, in the same order).
    fn build(globs: &[&str], patterns: &[&str], map: Vec<u32>) -> Result<Self, ConfigError> {
        let mut filter = Filter::new();
        for glob in globs {
            // `*` matches any run of bytes (none included), `?` one byte, anything else
            // itself: the name holds at least the bytes that are not `*`, and starts with
            // the glob's first byte unless that is a wildcard.
            match glob.as_bytes().first() {
                Some(b'*' | b'?') | None => filter.any_first_byte(),
                Some(&b) => filter.first_byte(b),
            }
            filter.min_len(glob.bytes().filter(|&b| b != b'*').count());
        }
        let dfa = DFA::builder()
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .unicode(false)
                    .utf8(false),
            )
            .thompson(
                thompson::Config::new()
                    .utf8(false)
                    .which_captures(WhichCaptures::None),
            )
            .configure(
                DFA::config()
                    .match_kind(regex_automata::MatchKind::LeftmostFirst)
                    .cache_capacity(Self::CACHE_CAPACITY)
                    .skip_cache_capacity_check(true)
                    // Never give up for a slow search: a lookup must always answer.
                    .minimum_cache_clear_count(None),
            )
            .build_many(patterns)
            .map_err(|e| ConfigError::Other(format!("cannot compile the patterns: {e}")))?;
        let for_caches = dfa.clone();
        let make: MakeCache = Box::new(move || for_caches.create_cache());
        Ok(Self {
            dfa,
            caches: Pool::new(make),
            map,
            filter,
        })
    }

    /// The declaration of the first pattern, in declaration order, matching all of `name`.
    fn find(&self, name: &[u8]) -> Option<u32> {
        if !self.filter.may_match(name) {
            return None;
        }
        // Every glob ends with `$` and the search is anchored at the start, so the
        // leftmost-first match is that of the first pattern matching the whole name.
        let input = regex_automata::Input::new(name).anchored(regex_automata::Anchored::Yes);
        let mut cache = self.caches.get();
        // The configuration never quits nor gives up; an error would read as "no pattern
        // matches" (the unknown-cookie policy then applies: fail closed).
        let found = self.dfa.try_search_fwd(&mut cache, &input).ok().flatten()?;
        Some(self.map[found.pattern().as_usize()])
    }
}

/// A quick test run before a search: the bytes a name must start with and its least
/// length. It only rules names out; one that passes may still not match.
#[derive(Debug, Clone)]
struct Filter {
    /// Bit `b` is set when a name may start with byte `b`.
    first: [u64; 4],
    min_len: usize,
}

impl Filter {
    const fn new() -> Self {
        Self {
            first: [0; 4],
            min_len: usize::MAX,
        }
    }

    fn first_byte(&mut self, b: u8) {
        self.first[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    fn any_first_byte(&mut self) {
        self.first = [u64::MAX; 4];
    }

    fn min_len(&mut self, len: usize) {
        self.min_len = self.min_len.min(len);
    }

    #[inline]
    fn may_match(&self, name: &[u8]) -> bool {
        match name.first() {
            Some(&b) => {
                name.len() >= self.min_len && self.first[usize::from(b >> 6)] & (1 << (b & 63)) != 0
            }
            // Every pattern needs a byte (an empty prefix or an all-`*` glob is refused).
            None => false,
        }
    }
}

/// The [`Prefix`](Match::Prefix) declarations compiled into one anchored Aho-Corasick DFA
/// (one table lookup per byte of the name, whatever the number of prefixes), searched
/// directly rather than through `AhoCorasick`'s dynamic dispatch.
struct Prefixes {
    dfa: PrefixDfa,
    /// Pattern id to declaration index.
    map: Vec<u32>,
    /// Skips the search for a name no prefix can start.
    filter: Filter,
}

impl Prefixes {
    fn build(prefixes: &[(&str, u32)]) -> Result<Self, ConfigError> {
        let mut filter = Filter::new();
        for (prefix, _) in prefixes {
            if let Some(&b) = prefix.as_bytes().first() {
                filter.first_byte(b);
            }
            filter.min_len(prefix.len());
        }
        let dfa = PrefixDfa::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .build(prefixes.iter().map(|(p, _)| p.as_bytes()))
            .map_err(|e| ConfigError::Other(format!("cannot compile the prefixes: {e}")))?;
        Ok(Self {
            dfa,
            map: prefixes.iter().map(|(_, i)| *i).collect(),
            filter,
        })
    }

    /// The declaration of the longest prefix of `name`.
    fn find(&self, name: &[u8]) -> Option<u32> {
        if !self.filter.may_match(name) {
            return None;
        }
        // The anchored leftmost-longest search of `Automaton::try_find`, walked here so the
        // table lookups inline: the last match state whose pattern starts at the first byte
        // (a match state may also carry a pattern reached by a failure transition, which
        // starts later) before the dead state or the end of the name. The DFA is built for
        // anchored searches: an error would read as "no prefix matches" (the
        // unknown-cookie policy then applies: fail closed).
        let dfa = &self.dfa;
        let mut sid = dfa.start_state(Anchored::Yes).ok()?;
        let mut found = None;
        for (i, &b) in name.iter().enumerate() {
            sid = dfa.next_state(Anchored::Yes, sid, b);
            if dfa.is_special(sid) {
                if dfa.is_dead(sid) {
                    break;
                }
                if dfa.is_match(sid) {
                    let pattern = dfa.match_pattern(sid, 0);
                    if dfa.pattern_len(pattern) == i + 1 {
                        found = Some(pattern);
                    }
                }
            }
        }
        found.map(|p| self.map[p.as_usize()])
    }
}

/// What a consent-format key (for example a key of the `cookies_preferences` JSON object)
/// stands for in a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsentKey {
    /// A consent category.
    Category(CategoryId),
    /// A service.
    Service(ServiceId),
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("revision", &self.revision)
            .field("categories", &self.categories)
            .field("services", &self.services)
            .field("declarations", &self.declarations.len())
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// Starts an empty registry; add categories and cookies, then [`build`](RegistryBuilder::build).
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::default()
    }

    /// The categories, in declaration order (the order of their [`CategoryId`]s).
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// The cookie declarations, in declaration order.
    pub fn declarations(&self) -> &[Declaration] {
        &self.declarations
    }

    /// The service ids, in order of first appearance (the order of their [`ServiceId`]s).
    pub fn services(&self) -> &[String] {
        &self.services
    }

    /// The registry revision, a number the site bumps when its cookie list changes (default 0).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The index of a category id, if declared.
    pub fn category_id(&self, id: &str) -> Option<CategoryId> {
        match self.keys.get(id.as_bytes()) {
            Some(ConsentKey::Category(c)) => Some(c),
            _ => None,
        }
    }

    /// The id of the category at position `index` (0-based, in declaration order).
    ///
    /// # Panics
    ///
    /// If `index >= self.categories().len()`.
    pub fn category_id_at(&self, index: usize) -> CategoryId {
        assert!(index < self.categories.len(), "category index out of range");
        CategoryId(index as u8)
    }

    /// The category for an index of this registry.
    ///
    /// # Panics
    ///
    /// If `id` was not produced by this registry.
    pub fn category(&self, id: CategoryId) -> &Category {
        &self.categories[id.index()]
    }

    /// The index of a service id, if any declaration names it.
    pub fn service_id(&self, id: &str) -> Option<ServiceId> {
        match self.keys.get(id.as_bytes()) {
            Some(ConsentKey::Service(s)) => Some(s),
            _ => None,
        }
    }

    /// The service id for an index of this registry.
    ///
    /// # Panics
    ///
    /// If `id` was not produced by this registry.
    pub fn service(&self, id: ServiceId) -> &str {
        &self.services[id.index()]
    }

    /// The services that appear in declarations of a category.
    pub fn services_of(&self, id: CategoryId) -> &ServiceSet {
        &self.services_by_category[id.index()]
    }

    /// The categories marked [sale or sharing](Category::sale_or_sharing), which a Global
    /// Privacy Control signal switches off.
    pub fn sale_or_sharing(&self) -> CategorySet {
        self.sale_or_sharing
    }

    /// Resolves a consent-format key: a category id or a service id, compared exactly.
    #[inline]
    pub fn consent_key(&self, key: &[u8]) -> Option<ConsentKey> {
        self.keys.get(key)
    }

    /// The declaration governing `cookie_name`, following the [lookup
    /// precedence](Registry#lookup-precedence); `None` for an undeclared (unknown) cookie.
    pub fn lookup(&self, cookie_name: &[u8]) -> Option<&Declaration> {
        self.lookup_index(cookie_name)
            .map(|i| &self.declarations[i as usize])
    }

    pub(crate) fn lookup_index(&self, name: &[u8]) -> Option<u32> {
        if let Some(&i) = self.exact.get(name) {
            return Some(i);
        }
        if let Some(prefixes) = &self.prefixes {
            if let Some(i) = prefixes.find(name) {
                return Some(i);
            }
        }
        if let Some(globs) = &self.patterns {
            return globs.find(name);
        }
        None
    }

    /// Judges one cookie-name against a consent. Does not know about the consent cookie or
    /// deletions; the [filter](crate::filter_set_cookies) handles those first.
    ///
    /// The rule, for a declared cookie: allowed when its consent is not required (the
    /// declaration's override, else its category's); otherwise when the visitor decided on
    /// its service, that decision; otherwise when its category is granted. An undeclared
    /// cookie follows `unknown`; a nameless cookie (empty cookie-name) is always refused.
    pub fn judge(&self, cookie_name: &[u8], consent: &Consent, unknown: UnknownPolicy) -> Verdict {
        if cookie_name.is_empty() {
            return Verdict::new(false, Reason::Nameless, None);
        }
        match self.lookup_index(cookie_name) {
            Some(i) => {
                let r = self.resolved[i as usize];
                let declaration = Some(i);
                if !r.consent_required {
                    return Verdict::new(true, Reason::Exempt, declaration);
                }
                if let Some(s) = r.service {
                    match consent.service_decision(s) {
                        Some(true) => {
                            return Verdict::new(true, Reason::ServiceGranted, declaration)
                        }
                        Some(false) => {
                            return Verdict::new(false, Reason::ServiceRefused, declaration)
                        }
                        None => {}
                    }
                }
                if consent.is_category_granted(r.category) {
                    Verdict::new(true, Reason::CategoryGranted, declaration)
                } else {
                    Verdict::new(false, Reason::CategoryNotGranted, declaration)
                }
            }
            None => match unknown {
                UnknownPolicy::Block => Verdict::new(false, Reason::Unknown, None),
                UnknownPolicy::Allow => Verdict::new(true, Reason::UnknownAllowed, None),
                UnknownPolicy::Category(c) => {
                    // A policy resolved against another registry may name no category here:
                    // then it blocks.
                    let Some(cat) = self.categories.get(c.index()) else {
                        return Verdict::new(false, Reason::Unknown, None);
                    };
                    if !cat.consent_required || consent.is_category_granted(c) {
                        Verdict::new(true, Reason::UnknownAllowed, None)
                    } else {
                        Verdict::new(false, Reason::Unknown, None)
                    }
                }
            },
        }
    }

    /// Whether every declaration of `service` lets its cookies be set under `consent`, by
    /// the rule of [`judge`](Self::judge); `false` for a service no declaration names.
    pub fn allows_service(&self, service: ServiceId, consent: &Consent) -> bool {
        let mut any = false;
        for r in self.resolved.iter().filter(|r| r.service == Some(service)) {
            any = true;
            let allowed = !r.consent_required
                || consent
                    .service_decision(service)
                    .unwrap_or_else(|| consent.is_category_granted(r.category));
            if !allowed {
                return false;
            }
        }
        any
    }

    /// Whether the cookies of declaration `declaration` need consent (the declaration's
    /// override, else its category's).
    pub(crate) fn requires_consent(&self, declaration: u32) -> bool {
        self.resolved[declaration as usize].consent_required
    }

    /// The category and service of a declaration index.
    pub(crate) fn classify(&self, declaration: u32) -> (CategoryId, Option<ServiceId>) {
        let r = self.resolved[declaration as usize];
        (r.category, r.service)
    }

    /// Resolves an [`UnknownCookies`] setting against this registry.
    ///
    /// # Errors
    ///
    /// [`ConfigError::UnknownCategory`] when `TreatAs` names a category this registry does not
    /// declare.
    pub fn unknown_policy(&self, unknown: &UnknownCookies) -> Result<UnknownPolicy, ConfigError> {
        Ok(match unknown {
            UnknownCookies::Block => UnknownPolicy::Block,
            UnknownCookies::Allow => UnknownPolicy::Allow,
            UnknownCookies::TreatAs(id) => {
                UnknownPolicy::Category(self.category_id(id).ok_or_else(|| {
                    ConfigError::UnknownCategory {
                        entry: usize::MAX,
                        name: "the unknown-cookie policy".into(),
                        category: id.clone(),
                    }
                })?)
            }
        })
    }
}

/// What to do with a cookie that no declaration matches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnknownCookies {
    /// Remove it (the default: fail closed, an undeclared cookie is never set).
    #[default]
    Block,
    /// Let it through, whatever the consent.
    Allow,
    /// Judge it as a cookie of this category id (its cookies pass when the category is
    /// granted, or always if the category needs no consent).
    TreatAs(String),
}

/// An [`UnknownCookies`] setting resolved against one registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownPolicy {
    /// Remove unknown cookies.
    Block,
    /// Keep unknown cookies.
    Allow,
    /// Judge unknown cookies as this category.
    Category(CategoryId),
}

/// Why a cookie was kept or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// Declared, and its consent is not required (strictly necessary, or exempt).
    Exempt,
    /// The visitor granted the cookie's service.
    ServiceGranted,
    /// The visitor refused the cookie's service.
    ServiceRefused,
    /// The visitor granted the cookie's category.
    CategoryGranted,
    /// The cookie's category is not granted (refused, or no decision yet).
    CategoryNotGranted,
    /// No declaration matches, and the unknown-cookie policy blocks it.
    Unknown,
    /// No declaration matches, and the unknown-cookie policy lets it through.
    UnknownAllowed,
    /// The cookie-name is empty: a nameless cookie cannot be classified, and a browser would
    /// send its value as if it were a `name=value` pair, so it is always removed.
    Nameless,
    /// The set-cookie-string is one a browser ignores (a control character, or name and value
    /// over 4096 bytes; RFC 6265bis §5.6); it is removed.
    Malformed,
    /// The Set-Cookie deletes a cookie that would otherwise be refused (`Max-Age` ≤ 0 or
    /// `Expires` in the past); deleting never tracks, so it passes. A deletion of a cookie
    /// that is allowed anyway reports the reason it is allowed.
    Deletion,
    /// The cookie is the consent cookie the layer reads; it always passes.
    ConsentCookie,
    /// The field folds several cookies (`a=1, b=2`) and one of them is not allowed.
    Folded,
}

impl Reason {
    /// A short stable name for logs and metrics (`"category_not_granted"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exempt => "exempt",
            Self::ServiceGranted => "service_granted",
            Self::ServiceRefused => "service_refused",
            Self::CategoryGranted => "category_granted",
            Self::CategoryNotGranted => "category_not_granted",
            Self::Unknown => "unknown",
            Self::UnknownAllowed => "unknown_allowed",
            Self::Nameless => "nameless",
            Self::Malformed => "malformed",
            Self::Deletion => "deletion",
            Self::ConsentCookie => "consent_cookie",
            Self::Folded => "folded",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The judgement on one cookie: kept or removed, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    allowed: bool,
    reason: Reason,
    declaration: Option<u32>,
}

impl Verdict {
    pub(crate) const fn new(allowed: bool, reason: Reason, declaration: Option<u32>) -> Self {
        Self {
            allowed,
            reason,
            declaration,
        }
    }

    /// Whether the cookie may be set.
    pub const fn is_allowed(&self) -> bool {
        self.allowed
    }

    /// Why.
    pub const fn reason(&self) -> Reason {
        self.reason
    }

    /// The position of the matching declaration in [`Registry::declarations`], if any.
    pub fn declaration_index(&self) -> Option<usize> {
        self.declaration.map(|i| i as usize)
    }

    pub(crate) const fn declaration_raw(&self) -> Option<u32> {
        self.declaration
    }
}

/// Builds a [`Registry`]; see [`Registry::builder`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct RegistryBuilder {
    categories: Vec<Category>,
    declarations: Vec<Declaration>,
    revision: u64,
}

impl RegistryBuilder {
    /// Adds a consent category. Its position is its [`CategoryId`].
    pub fn category(mut self, category: Category) -> Self {
        self.categories.push(category);
        self
    }

    /// Adds the four usual categories: [`necessary`](Category::necessary),
    /// [`functional`](Category::functional), [`statistics`](Category::statistics) and
    /// [`marketing`](Category::marketing).
    pub fn default_categories(self) -> Self {
        self.category(Category::necessary())
            .category(Category::functional())
            .category(Category::statistics())
            .category(Category::marketing())
    }

    /// Adds a cookie declaration.
    pub fn cookie(mut self, declaration: Declaration) -> Self {
        self.declarations.push(declaration);
        self
    }

    /// Adds several cookie declarations.
    pub fn cookies(mut self, declarations: impl IntoIterator<Item = Declaration>) -> Self {
        self.declarations.extend(declarations);
        self
    }

    /// Adds the categories and declarations of `other` that `self` does not have yet: a
    /// category whose id is already declared, or a declaration with the same [`Match`] as
    /// one already added, is skipped, so the site's own entries win over presets and
    /// imports merged after them. The revision of `self` is kept.
    ///
    /// ```
    /// use tower_cookie_consent::{Declaration, Registry};
    ///
    /// let site = Registry::builder()
    ///     .default_categories()
    ///     .cookie(Declaration::exact("_ga").category("statistics").purpose("ours"));
    /// let imported = Registry::builder()
    ///     .default_categories()
    ///     .cookie(Declaration::exact("_ga").category("marketing").purpose("theirs"))
    ///     .cookie(Declaration::exact("_gid").category("statistics"));
    /// let registry = site.merge(imported).build()?;
    /// assert_eq!(registry.lookup(b"_ga").unwrap().purpose_text(), "ours");
    /// assert_eq!(registry.declarations().len(), 2);
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn merge(mut self, other: RegistryBuilder) -> Self {
        let mut categories: std::collections::HashSet<String> =
            self.categories.iter().map(|c| c.id.clone()).collect();
        for category in other.categories {
            if categories.insert(category.id.clone()) {
                self.categories.push(category);
            }
        }
        let mut matchers: std::collections::HashSet<Match> = self
            .declarations
            .iter()
            .map(|d| d.matcher.clone())
            .collect();
        for declaration in other.declarations {
            if matchers.insert(declaration.matcher.clone()) {
                self.declarations.push(declaration);
            }
        }
        self
    }

    /// Sets the registry revision (default 0); bump it when the cookie list changes so that
    /// consent formats that record it can ask visitors again.
    pub fn revision(mut self, revision: u64) -> Self {
        self.revision = revision;
        self
    }

    /// The categories added so far.
    pub fn categories_so_far(&self) -> &[Category] {
        &self.categories
    }

    /// The declarations added so far.
    pub fn declarations_so_far(&self) -> &[Declaration] {
        &self.declarations
    }

    /// Validates and builds the registry.
    ///
    /// # Errors
    ///
    /// The first problem found, as a [`ConfigError`]: a category without id
    /// ([`MissingCategoryId`](ConfigError::MissingCategoryId)) or declared twice
    /// ([`DuplicateCategory`](ConfigError::DuplicateCategory)); a declaration naming an
    /// undeclared category ([`UnknownCategory`](ConfigError::UnknownCategory)); the same exact
    /// name, prefix or pattern twice ([`DuplicateName`](ConfigError::DuplicateName)); an empty
    /// prefix ([`EmptyPrefix`](ConfigError::EmptyPrefix)); a name with a character no
    /// cookie-name can hold ([`InvalidName`](ConfigError::InvalidName)); a bad glob
    /// ([`InvalidPattern`](ConfigError::InvalidPattern)); a service id equal to a category id
    /// ([`AmbiguousKey`](ConfigError::AmbiguousKey)); too many categories or services
    /// ([`TooMany`](ConfigError::TooMany)).
    pub fn build(self) -> Result<Registry, ConfigError> {
        let Self {
            categories,
            declarations,
            revision,
        } = self;
        if categories.len() > CategoryId::MAX {
            return Err(ConfigError::TooMany {
                what: "categories",
                limit: CategoryId::MAX,
            });
        }
        let mut category_index: FastMap<String, CategoryId> =
            FastMap::with_capacity_and_hasher(categories.len(), Default::default());
        let mut sale_or_sharing = CategorySet::EMPTY;
        for (index, category) in categories.iter().enumerate() {
            if category.id.trim().is_empty() {
                return Err(ConfigError::MissingCategoryId { index });
            }
            let id = CategoryId(index as u8);
            if category_index.insert(category.id.clone(), id).is_some() {
                return Err(ConfigError::DuplicateCategory {
                    id: category.id.clone(),
                });
            }
            if category.sale_or_sharing {
                sale_or_sharing.insert(id);
            }
        }

        let mut services: Vec<String> = Vec::new();
        let mut service_index: FastMap<String, ServiceId> = FastMap::default();
        let mut services_by_category = vec![ServiceSet::EMPTY; categories.len()];
        let mut resolved = Vec::with_capacity(declarations.len());
        let mut exact: FastMap<Box<[u8]>, u32> = FastMap::default();
        let mut prefix_list: Vec<(&str, u32)> = Vec::new();
        let mut pattern_list: Vec<(&str, String, u32)> = Vec::new();
        let mut seen_prefix: HashMap<&str, ()> = HashMap::new();
        let mut seen_pattern: HashMap<&str, ()> = HashMap::new();

        for (entry, decl) in declarations.iter().enumerate() {
            let text = decl.matcher.as_str();
            let Some(&category) = category_index.get(decl.category.as_str()) else {
                return Err(ConfigError::UnknownCategory {
                    entry,
                    name: text.to_owned(),
                    category: decl.category.clone(),
                });
            };
            let service = match &decl.service {
                None => None,
                Some(s) if s.is_empty() => None,
                Some(s) => Some(match service_index.get(s) {
                    Some(&id) => id,
                    None => {
                        if services.len() >= ServiceId::MAX {
                            return Err(ConfigError::TooMany {
                                what: "services",
                                limit: ServiceId::MAX,
                            });
                        }
                        if category_index.contains_key(s) {
                            return Err(ConfigError::AmbiguousKey { id: s.clone() });
                        }
                        let id = ServiceId(services.len() as u8);
                        services.push(s.clone());
                        service_index.insert(s.clone(), id);
                        id
                    }
                }),
            };
            if let Some(s) = service {
                services_by_category[category.index()].insert(s);
            }
            let consent_required = decl
                .consent_required
                .unwrap_or(categories[category.index()].consent_required);
            resolved.push(Resolved {
                category,
                service,
                consent_required,
            });
            let index = entry as u32;
            match &decl.matcher {
                Match::Exact(name) => {
                    check_name(entry, name, false)?;
                    if exact.insert(name.as_bytes().into(), index).is_some() {
                        return Err(ConfigError::DuplicateName {
                            entry,
                            name: name.clone(),
                        });
                    }
                }
                Match::Prefix(prefix) => {
                    if prefix.is_empty() {
                        return Err(ConfigError::EmptyPrefix { entry });
                    }
                    check_name(entry, prefix, false)?;
                    if seen_prefix.insert(prefix, ()).is_some() {
                        return Err(ConfigError::DuplicateName {
                            entry,
                            name: prefix.clone(),
                        });
                    }
                    prefix_list.push((prefix, index));
                }
                Match::Pattern(pattern) => {
                    let regex = glob_to_regex(entry, pattern)?;
                    if seen_pattern.insert(pattern, ()).is_some() {
                        return Err(ConfigError::DuplicateName {
                            entry,
                            name: pattern.clone(),
                        });
                    }
                    pattern_list.push((pattern, regex, index));
                }
            }
        }

        let prefixes = if prefix_list.is_empty() {
            None
        } else {
            Some(Arc::new(Prefixes::build(&prefix_list)?))
        };
        let patterns = if pattern_list.is_empty() {
            None
        } else {
            let globs: Vec<&str> = pattern_list.iter().map(|(g, _, _)| *g).collect();
            let regexes: Vec<&str> = pattern_list.iter().map(|(_, r, _)| r.as_str()).collect();
            let map = pattern_list.iter().map(|(_, _, i)| *i).collect();
            Some(Arc::new(Globs::build(&globs, &regexes, map)?))
        };

        let keys =
            ConsentKeys::new(
                category_index
                    .into_iter()
                    .map(|(id, c)| (id.into_bytes().into_boxed_slice(), ConsentKey::Category(c)))
                    .chain(service_index.into_iter().map(|(id, s)| {
                        (id.into_bytes().into_boxed_slice(), ConsentKey::Service(s))
                    })),
            );
        Ok(Registry {
            categories,
            keys,
            services,
            services_by_category,
            declarations,
            resolved,
            exact,
            prefixes,
            patterns,
            sale_or_sharing,
            revision,
        })
    }
}

/// Checks that `name` could be (part of) a cookie-name: no control character, SP, HTAB, `;`
/// or `=` (RFC 6265bis §5.6 would split or trim at those).
pub(crate) fn check_name(entry: usize, name: &str, allow_empty: bool) -> Result<(), ConfigError> {
    let invalid = |reason| ConfigError::InvalidName {
        entry,
        name: name.to_owned(),
        reason,
    };
    if name.is_empty() && !allow_empty {
        return Err(invalid("the name is empty"));
    }
    for b in name.bytes() {
        match b {
            0..=0x1f | 0x7f => return Err(invalid("it holds a control character")),
            b' ' => return Err(invalid("it holds a space")),
            b';' => return Err(invalid("it holds `;`, which ends a cookie-name")),
            b'=' => return Err(invalid("it holds `=`, which ends a cookie-name")),
            _ => {}
        }
    }
    Ok(())
}

/// Turns a glob into an anchored regular expression over bytes.
pub(crate) fn glob_to_regex(entry: usize, pattern: &str) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidPattern {
        entry,
        pattern: pattern.to_owned(),
        reason: reason.to_owned(),
    };
    if pattern.is_empty() {
        return Err(invalid("the pattern is empty"));
    }
    check_name(entry, pattern, false).map_err(|e| match e {
        ConfigError::InvalidName { reason, .. } => invalid(reason),
        other => other,
    })?;
    let wildcards = pattern.bytes().filter(|b| matches!(b, b'*' | b'?')).count();
    if wildcards == 0 {
        return Err(invalid(
            "it has no wildcard (`*` or `?`); declare it as an exact name",
        ));
    }
    if pattern.bytes().all(|b| b == b'*') {
        return Err(invalid(
            "it matches every cookie; use the unknown-cookie policy instead",
        ));
    }
    let mut re = String::with_capacity(pattern.len() * 2 + 8);
    re.push_str("(?s-u)");
    let mut literal = [0u8; 4];
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex_syntax::escape(c.encode_utf8(&mut literal))),
        }
    }
    re.push('$');
    Ok(re)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A glob matcher written the obvious way: `*` any run of bytes, `?` one byte.
    fn glob(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, _) => s.is_empty(),
            (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
            (Some(b'?'), Some(_)) => glob(&p[1..], &s[1..]),
            (Some(c), Some(d)) if c == d => glob(&p[1..], &s[1..]),
            _ => false,
        }
    }

    #[test]
    fn pattern_lookup_is_the_first_declared_glob_matching_the_whole_name() {
        let globs = [
            "a*", "ab*", "*b", "a?c*", "*x*", "?", "ab?", "a*b*c", "_pk_id.*", "_pk_*.*", "*.",
        ];
        let names = [
            "a",
            "ab",
            "abc",
            "abcb",
            "b",
            "xb",
            "axc",
            "x",
            "abx",
            "_pk_id.1.ab",
            "_pk_ses.1",
            "_pk_.",
            "zzz",
            "",
            "aXbYc",
            "é",
            "ab\u{e9}",
        ];
        // Every rotation of the list, so each glob is first once.
        for r in 0..globs.len() {
            let mut order = globs.to_vec();
            order.rotate_left(r);
            let registry = Registry::builder()
                .default_categories()
                .cookies(
                    order
                        .iter()
                        .map(|g| Declaration::pattern(*g).category("necessary")),
                )
                .build()
                .unwrap();
            for name in names {
                let expected = order
                    .iter()
                    .position(|g| glob(g.as_bytes(), name.as_bytes()));
                let found = registry.lookup_index(name.as_bytes()).map(|i| i as usize);
                assert_eq!(found, expected, "{name:?} against {order:?}");
            }
        }
    }

    /// Declarations over a small alphabet (so that names, prefixes and globs overlap).
    fn declarations() -> impl proptest::strategy::Strategy<Value = Vec<(u8, String)>> {
        use proptest::prelude::*;
        let text = |wild: bool| {
            let mut atoms = vec!["a", "b", "_", "\u{e9}", "ab"];
            if wild {
                atoms.extend(["*", "?", "*", "?"]);
            }
            prop::collection::vec(proptest::sample::select(atoms), 1..5).prop_map(|a| a.concat())
        };
        prop::collection::vec(
            prop_oneof![
                text(false).prop_map(|t| (0u8, t)),
                text(false).prop_map(|t| (1u8, t)),
                text(true).prop_map(|t| (2u8, t)),
            ],
            0..12,
        )
    }

    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        #[test]
        fn prefix_walk_is_the_automaton_anchored_search(
            prefixes in proptest::collection::btree_set(
                proptest::collection::vec(proptest::sample::select(b"ab_x".to_vec()), 1..5),
                1..10,
            ),
            names in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(b"ab_xy".to_vec()), 0..9),
                1..10,
            ),
        ) {
            let texts: Vec<String> = prefixes.into_iter().map(|p| String::from_utf8(p).unwrap()).collect();
            let list: Vec<(&str, u32)> = texts.iter().enumerate().map(|(i, t)| (t.as_str(), i as u32)).collect();
            let prefixes = Prefixes::build(&list).unwrap();
            for name in &names {
                let input = aho_corasick::Input::new(name).anchored(Anchored::Yes);
                let expected = prefixes.dfa.try_find(&input).unwrap().map(|m| m.pattern().as_u32());
                proptest::prop_assert_eq!(prefixes.find(name), expected, "{:?} {:?}", name, texts);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn lookup_is_exact_then_longest_prefix_then_first_glob(
            decls in declarations(),
            names in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::sample::select(vec![&b"a"[..], b"b", b"_", "\u{e9}".as_bytes(), b"\xc3", b"x"]),
                    0..7,
                ).prop_map(|p: Vec<&[u8]>| p.concat()),
                1..10,
            ),
        ) {
            // Keep what the builder accepts: one declaration per text and kind, globs with
            // a wildcard and not only `*`.
            let mut kept: Vec<(u8, String)> = Vec::new();
            for (kind, text) in decls {
                let wild = text.contains(['*', '?']);
                if (kind == 2) != wild || text.bytes().all(|b| b == b'*') {
                    continue;
                }
                if !kept.contains(&(kind, text.clone())) {
                    kept.push((kind, text));
                }
            }
            let registry = Registry::builder()
                .default_categories()
                .cookies(kept.iter().map(|(kind, text)| {
                    match kind {
                        0 => Declaration::exact(text.as_str()),
                        1 => Declaration::prefix(text.as_str()),
                        _ => Declaration::pattern(text.as_str()),
                    }
                    .category("necessary")
                }))
                .build()
                .unwrap();
            for name in &names {
                let of_kind = |k: u8| kept.iter().enumerate().filter(move |(_, (kind, _))| *kind == k);
                let expected = of_kind(0)
                    .find(|(_, (_, t))| t.as_bytes() == &name[..])
                    .or_else(|| {
                        of_kind(1)
                            .filter(|(_, (_, t))| name.starts_with(t.as_bytes()))
                            .max_by_key(|(_, (_, t))| t.len())
                    })
                    .or_else(|| of_kind(2).find(|(_, (_, t))| glob(t.as_bytes(), name)))
                    .map(|(i, _)| i as u32);
                proptest::prop_assert_eq!(registry.lookup_index(name), expected, "{:?} in {:?}", name, kept);
            }
        }
    }
}
