//! The cookie policy as HTML.

use std::fmt::Write as _;
use std::time::Duration;

use super::{declarations_of, effective_consent_required};
use crate::{Declaration, Match, Registry};

/// Options for [`render_html_page`]: the page title, its language and its styling.
///
/// Every field is escaped when rendered; the inline CSS is put in a `<style>` element with
/// any `</` written as `<\/`, so it cannot close the element.
///
/// ```
/// use tower_cookie_consent::policy::PageOptions;
///
/// let options = PageOptions::default()
///     .title("Politique de cookies")
///     .lang("fr")
///     .stylesheet("/static/site.css")
///     .inline_css(None::<String>);
/// assert_eq!(options.lang, "fr");
/// assert!(options.inline_css.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct PageOptions {
    /// The `<title>` and the `<h1>` of the page (default `"Cookie policy"`).
    pub title: String,
    /// The `lang` attribute of `<html>`, a BCP 47 language tag (default `"en"`).
    pub lang: String,
    /// The `href` of a `<link rel="stylesheet">`, if any (default none).
    pub stylesheet_href: Option<String>,
    /// CSS put in a `<style>` element, if any (default [`PageOptions::DEFAULT_CSS`]).
    pub inline_css: Option<String>,
}

impl Default for PageOptions {
    fn default() -> Self {
        Self {
            title: "Cookie policy".to_owned(),
            lang: "en".to_owned(),
            stylesheet_href: None,
            inline_css: Some(Self::DEFAULT_CSS.to_owned()),
        }
    }
}

impl PageOptions {
    /// The small stylesheet used by default: readable tables, nothing else.
    pub const DEFAULT_CSS: &'static str = "body{font-family:system-ui,sans-serif;line-height:1.5;\
max-width:72rem;margin:0 auto;padding:1rem}table{border-collapse:collapse;width:100%}\
th,td{border:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}\
td:last-child{white-space:nowrap}code{font-size:.95em}.cookie-match,.cookie-exemption,.cookie-location{color:#555;font-size:.9em}";

    /// Sets the page title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Sets the page language (the `lang` attribute).
    pub fn lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = lang.into();
        self
    }

    /// Links a stylesheet (`<link rel="stylesheet" href="...">`).
    pub fn stylesheet(mut self, href: impl Into<String>) -> Self {
        self.stylesheet_href = Some(href.into());
        self
    }

    /// Sets (or, with `None`, removes) the inline CSS.
    pub fn inline_css(mut self, css: Option<impl Into<String>>) -> Self {
        self.inline_css = css.map(Into::into);
        self
    }
}

/// Escapes text for HTML element content and quoted attribute values: `&`, `<`, `>`, `"`
/// and `'` become character references (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;`), the
/// five characters the OWASP XSS prevention rules list; everything else is kept.
///
/// ```
/// use tower_cookie_consent::policy::escape_html;
///
/// assert_eq!(escape_html(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
/// ```
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

fn push_escaped(out: &mut String, text: &str) {
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let replacement = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[last..i]);
        out.push_str(replacement);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

/// A cookie lifetime in words, as a cookie policy states it: `None` is `"session"` (the
/// cookie is deleted when the browser session ends); otherwise the largest whole unit among
/// years (365 days), months (30 days, used above 90 days), weeks, days, hours, minutes and
/// seconds, such as `"2 years"`, `"13 months"`, `"6 months"`, `"90 days"`, `"1 week"`,
/// `"1 day"`, `"30 minutes"`.
///
/// ```
/// use std::time::Duration;
/// use tower_cookie_consent::policy::human_duration;
///
/// const DAY: u64 = 24 * 3600;
/// assert_eq!(human_duration(None), "session");
/// assert_eq!(human_duration(Some(Duration::from_secs(730 * DAY))), "2 years");
/// assert_eq!(human_duration(Some(Duration::from_secs(390 * DAY))), "13 months");
/// assert_eq!(human_duration(Some(Duration::from_secs(90 * DAY))), "90 days");
/// assert_eq!(human_duration(Some(Duration::from_secs(DAY))), "1 day");
/// assert_eq!(human_duration(Some(Duration::from_secs(1800))), "30 minutes");
/// ```
pub fn human_duration(duration: Option<Duration>) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    const WEEK: u64 = 7 * DAY;
    const MONTH: u64 = 30 * DAY;
    const YEAR: u64 = 365 * DAY;
    let Some(duration) = duration else {
        return "session".to_owned();
    };
    let secs = duration.as_secs();
    let (n, unit) = if secs == 0 {
        (0, "second")
    } else if secs % YEAR == 0 {
        (secs / YEAR, "year")
    } else if secs % MONTH == 0 && secs > 90 * DAY {
        (secs / MONTH, "month")
    } else if secs % WEEK == 0 && secs < 8 * WEEK {
        (secs / WEEK, "week")
    } else if secs % DAY == 0 {
        (secs / DAY, "day")
    } else if secs % HOUR == 0 {
        (secs / HOUR, "hour")
    } else if secs % MINUTE == 0 {
        (secs / MINUTE, "minute")
    } else {
        (secs, "second")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// Renders the registry as an HTML fragment (no `<html>` or `<body>`), to put inside a
/// site's own layout.
///
/// Shape: a `<section class="cookie-policy">` with the registry
/// [revision](Registry::revision), then one `<section class="cookie-category">` per category
/// in registry order, each with its label (its id when the label is empty), description,
/// whether its cookies need consent (and, for [sale or
/// sharing](crate::Category::sale_or_sharing) categories, that a Global Privacy Control
/// signal opts out of them), and a table with one row per declaration in declaration order:
/// provider, function and location (the `Domain` and `Path` attributes, "this site" when
/// there is no `Domain`), cookie name (marked "prefix" or "pattern" when it is not an exact
/// name, and "exempt from consent" or "consent required" when it differs from its
/// category), purpose and duration (see [`human_duration`]).
///
/// Every field from the registry is escaped with [`escape_html`]. The output is
/// deterministic: the same registry always gives the same bytes.
///
/// ```
/// use tower_cookie_consent::{policy, Declaration, Registry};
///
/// let registry = Registry::builder()
///     .default_categories()
///     .cookie(Declaration::prefix("_ga_").category("statistics").provider("Google <LLC>"))
///     .build()?;
/// let html = policy::render_html_fragment(&registry);
/// assert!(html.contains("<code>_ga_</code> <span class=\"cookie-match\">(prefix)</span>"));
/// assert!(html.contains("Google &lt;LLC&gt;"));
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
pub fn render_html_fragment(registry: &Registry) -> String {
    let mut out = String::with_capacity(1024 + registry.declarations().len() * 400);
    let revision = registry.revision();
    // `write!` into a `String` cannot fail.
    let _ = write!(
        out,
        "<section class=\"cookie-policy\" data-revision=\"{revision}\">\n\
         <p class=\"cookie-policy-revision\">Cookie list revision {revision}</p>\n"
    );
    for category in registry.categories() {
        out.push_str("<section class=\"cookie-category\" id=\"cookie-category-");
        push_escaped(&mut out, category.id());
        out.push_str("\">\n<h2>");
        let label = if category.label_text().is_empty() {
            category.id()
        } else {
            category.label_text()
        };
        push_escaped(&mut out, label);
        out.push_str("</h2>\n");
        if !category.description_text().is_empty() {
            out.push_str("<p class=\"cookie-category-description\">");
            push_escaped(&mut out, category.description_text());
            out.push_str("</p>\n");
        }
        out.push_str(if category.is_consent_required() {
            "<p class=\"cookie-category-consent\">Consent: required. These cookies are set only if you allow them.</p>\n"
        } else {
            "<p class=\"cookie-category-consent\">Consent: not required. These cookies are strictly necessary and always set.</p>\n"
        });
        if category.is_sale_or_sharing() {
            out.push_str(
                "<p class=\"cookie-category-gpc\">A Global Privacy Control signal (Sec-GPC: 1) \
                 switches these cookies off.</p>\n",
            );
        }
        let mut rows = declarations_of(registry, category.id()).peekable();
        if rows.peek().is_none() {
            out.push_str(
                "<p class=\"cookie-category-empty\">No cookies are declared in this category.</p>\n",
            );
        } else {
            out.push_str(
                "<table>\n<thead><tr><th scope=\"col\">Provider</th>\
                 <th scope=\"col\">Function and location</th><th scope=\"col\">Cookie name</th>\
                 <th scope=\"col\">Purpose</th><th scope=\"col\">Duration</th></tr></thead>\n<tbody>\n",
            );
            for declaration in rows {
                let differs = effective_consent_required(registry, declaration)
                    != category.is_consent_required();
                push_row(&mut out, declaration, differs);
            }
            out.push_str("</tbody>\n</table>\n");
        }
        out.push_str("</section>\n");
    }
    out.push_str("</section>\n");
    out
}

fn push_row(out: &mut String, declaration: &Declaration, consent_differs: bool) {
    out.push_str("<tr><td>");
    push_escaped(out, declaration.provider_text());
    out.push_str("</td><td>");
    push_escaped(out, declaration.function_text());
    if !declaration.function_text().is_empty() {
        out.push_str("<br>");
    }
    out.push_str("<span class=\"cookie-location\">");
    match declaration.domain_attr() {
        Some(domain) if !domain.is_empty() => push_escaped(out, domain),
        _ => out.push_str("this site"),
    }
    if let Some(path) = declaration.path_attr() {
        out.push_str(", path ");
        push_escaped(out, path);
    }
    out.push_str("</span></td><td><code>");
    let matcher = declaration.matcher();
    push_escaped(out, matcher.as_str());
    out.push_str("</code>");
    match matcher {
        Match::Exact(_) => {}
        Match::Prefix(_) => out.push_str(" <span class=\"cookie-match\">(prefix)</span>"),
        _ => out.push_str(" <span class=\"cookie-match\">(pattern)</span>"),
    }
    if consent_differs {
        out.push_str(match declaration.consent_required_override() {
            Some(false) => "<br><span class=\"cookie-exemption\">exempt from consent</span>",
            _ => "<br><span class=\"cookie-exemption\">consent required</span>",
        });
    }
    out.push_str("</td><td>");
    push_escaped(out, declaration.purpose_text());
    out.push_str("</td><td>");
    out.push_str(&human_duration(declaration.duration_value()));
    out.push_str("</td></tr>\n");
}

/// Renders the registry as a complete HTML document: `<!doctype html>`, the `lang`,
/// `<title>`, stylesheet and inline CSS from `options`, an `<h1>` with the title, and the
/// [fragment](render_html_fragment) in `<main>`.
///
/// ```
/// use tower_cookie_consent::{policy::{self, PageOptions}, presets};
///
/// let registry = presets::opendatasoft().build()?;
/// let page = policy::render_html_page(&registry, &PageOptions::default().lang("fr"));
/// assert!(page.starts_with("<!doctype html>\n<html lang=\"fr\">"));
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
pub fn render_html_page(registry: &Registry, options: &PageOptions) -> String {
    wrap_page(&render_html_fragment(registry), options)
}

/// Puts a rendered fragment in a page; the service uses it to change options without
/// rendering the registry again.
pub(crate) fn wrap_page(fragment: &str, options: &PageOptions) -> String {
    let mut out = String::with_capacity(fragment.len() + 1024);
    out.push_str("<!doctype html>\n<html lang=\"");
    push_escaped(&mut out, &options.lang);
    out.push_str(
        "\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
    );
    push_escaped(&mut out, &options.title);
    out.push_str("</title>\n");
    if let Some(href) = &options.stylesheet_href {
        out.push_str("<link rel=\"stylesheet\" href=\"");
        push_escaped(&mut out, href);
        out.push_str("\">\n");
    }
    if let Some(css) = &options.inline_css {
        out.push_str("<style>");
        // In a <style> element character references are not decoded; only `</` could end
        // it early, and `<\/` means the same to CSS.
        out.push_str(&css.replace("</", "<\\/"));
        out.push_str("</style>\n");
    }
    out.push_str("</head>\n<body>\n<main>\n<h1>");
    push_escaped(&mut out, &options.title);
    out.push_str("</h1>\n");
    out.push_str(fragment);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_characters_and_keeps_the_rest() {
        assert_eq!(escape_html(""), "");
        assert_eq!(escape_html("café"), "café");
        assert_eq!(escape_html("&&"), "&amp;&amp;");
        assert_eq!(escape_html("a<b>c\"d'e"), "a&lt;b&gt;c&quot;d&#39;e");
    }

    #[test]
    fn durations_in_words() {
        let d = |s| human_duration(Some(Duration::from_secs(s)));
        const DAY: u64 = 86_400;
        assert_eq!(d(0), "0 seconds");
        assert_eq!(d(30), "30 seconds");
        assert_eq!(d(60), "1 minute");
        assert_eq!(d(3600), "1 hour");
        assert_eq!(d(7 * DAY), "1 week");
        assert_eq!(d(14 * DAY), "2 weeks");
        assert_eq!(d(30 * DAY), "30 days");
        assert_eq!(d(180 * DAY), "6 months");
        assert_eq!(d(270 * DAY), "9 months");
        assert_eq!(d(365 * DAY), "1 year");
        assert_eq!(d(400 * DAY), "400 days");
        assert_eq!(d(90 * 60), "90 minutes");
    }

    #[test]
    fn inline_css_cannot_close_the_style_element() {
        let options = PageOptions::default().inline_css(Some("a{}</style><script>x()</script>"));
        let page = wrap_page("", &options);
        assert!(!page.contains("</style><script>"));
        assert!(page.contains("<\\/style><script>x()<\\/script></style>"));
    }
}
