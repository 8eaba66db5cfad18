//! HTML building blocks: the page layout, the CSRF field, dates and the stylesheet. Pages are
//! [`maud`] templates, so every value is escaped unless marked otherwise; the escape, the
//! safe-link rule, the one-line `clean` and URL encoding are the answer renderer's
//! (`evident_answer::render`), re-exported here so the server has exactly one of each.

use maud::{html, Markup, PreEscaped, DOCTYPE};
use time::{OffsetDateTime, PrimitiveDateTime};

use evident_store::{Millis, User};

pub use evident_answer::render::{clean, escape, safe_url, url_encode, Clean};

/// The time `ms` (milliseconds since the epoch) in UTC, clamped to the years `time` can hold.
fn utc(ms: Millis) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or_else(|_| {
        if ms < 0 {
            PrimitiveDateTime::MIN.assume_utc()
        } else {
            PrimitiveDateTime::MAX.assume_utc()
        }
    })
}

/// "September 11, 2025".
pub fn long_date(ms: Millis) -> String {
    let t = utc(ms);
    format!("{} {}, {}", t.month(), t.day(), t.year())
}

/// "2025-09-11" (for `<time datetime>`).
pub fn iso_date(ms: Millis) -> String {
    let t = utc(ms);
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// "2025-09-11 14:03 UTC".
pub fn date_time(ms: Millis) -> String {
    let t = utc(ms);
    format!("{} {:02}:{:02} UTC", iso_date(ms), t.hour(), t.minute())
}

/// Everything up to and including the opening of `<main>`: sent first on streamed pages, so
/// `<html>`, `<body>` and `<main>` are opened here and closed by [`page_end`].
pub fn page_start(title: &str, user: Option<&User>) -> String {
    let head = html! {
        (DOCTYPE) "\n"
        (PreEscaped("<html lang=\"en\">\n"))
        head {
            "\n"
            meta charset="utf-8"; "\n"
            meta name="viewport" content="width=device-width, initial-scale=1"; "\n"
            title { (Clean(title)) " · Evident" } "\n"
            link rel="stylesheet" href="/static/app.css"; "\n"
        }
        "\n"
        (PreEscaped("<body>\n"))
        a class="skip" href="#main" { "Skip to content" } "\n"
        header class="site" {
            a class="brand" href="/" { "Evident" } "\n"
            nav aria-label="Site" { ul { (nav_items(user)) } }
        }
        "\n"
        (PreEscaped("<main id=\"main\" tabindex=\"-1\">\n"))
    };
    head.into_string()
}

fn nav_items(user: Option<&User>) -> Markup {
    html! {
        li { a href="/" { "Ask" } }
        li { a href="/editorial-policy" { "Editorial policy" } }
        li { a href="/about" { "About" } }
        @match user {
            Some(u) => {
                @if u.role >= evident_core::Role::Reviewer {
                    li { a href="/review" { "Review" } }
                }
                @if u.role == evident_core::Role::Admin {
                    li { a href="/admin/audit" { "Audit log" } }
                }
                li { a href="/logout" { "Sign out " span class="user" { (Clean(&u.username)) } } }
            }
            None => { li { a href="/login" { "Sign in" } } }
        }
    }
}

/// Closes `<main>` and the page.
pub fn page_end() -> &'static str {
    "</main>\n<footer class=\"site\"><p>Evident answers quote the sources they cite. \
They are educational and do not replace a clinician's judgement. \
<a href=\"/editorial-policy\">Editorial policy</a> · <a href=\"/about\">About and disclaimer</a> · \
<a href=\"/api/openapi.json\">API</a></p></footer>\n</body>\n</html>\n"
}

/// A whole page around `body` (which must already be escaped HTML, e.g. rendered [`Markup`]).
pub fn page(title: &str, user: Option<&User>, body: &str) -> String {
    let mut out = page_start(title, user);
    out.push_str(body);
    out.push_str(page_end());
    out
}

/// A hidden CSRF field for a form.
pub fn csrf_field(token: &str) -> String {
    csrf_input(token).into_string()
}

/// [`csrf_field`] for templates.
pub fn csrf_input(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(Clean(token)); }
}

/// The stylesheet, served at `/static/app.css`. No external assets.
pub const CSS: &str = r#"
:root{--fg:#1a1a1a;--muted:#4a4f57;--bg:#fff;--accent:#0b4f8a;--line:#d5d9de;--warn-bg:#fff4d6;--warn-fg:#5c3d00;--ok:#1d6b35;--soft:#f4f6f8}
*{box-sizing:border-box}
html{font-size:100%}
body{margin:0;color:var(--fg);background:var(--bg);font:1rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent)}
a:focus,button:focus,input:focus,textarea:focus,select:focus,summary:focus{outline:3px solid #ffbf47;outline-offset:2px}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
.skip:focus{left:.5rem}
header.site,footer.site{padding:.75rem 1rem;border-bottom:1px solid var(--line);display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}
footer.site{border-top:1px solid var(--line);border-bottom:0;color:var(--muted);font-size:.9rem;margin-top:3rem}
.brand{font-weight:700;font-size:1.2rem;text-decoration:none;color:var(--fg)}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
main{max-width:46rem;margin:0 auto;padding:1rem}
h1{font-size:1.7rem;line-height:1.25;margin:.5rem 0 1rem}
h2{font-size:1.3rem;margin:2rem 0 .5rem}
h3{font-size:1.1rem;margin:1.5rem 0 .5rem}
.board{color:var(--muted);margin:.25rem 0}
.banner{background:var(--warn-bg);color:var(--warn-fg);border-left:4px solid #b07800;padding:.6rem .8rem;margin:1rem 0}
.notice{background:var(--soft);border-left:4px solid var(--accent);padding:.6rem .8rem;margin:1rem 0}
.urgent{background:#fde8e8;color:#7a0b0b;border-left:4px solid #b00;padding:.6rem .8rem;margin:1rem 0}
.steps{list-style:none;display:flex;gap:.5rem;padding:0;margin:.5rem 0;flex-wrap:wrap}
.steps li{flex:1 1 8rem;border:1px solid var(--line);border-radius:.4rem;padding:.35rem .6rem;color:var(--muted);background:#fff}
.steps li.done{color:var(--ok);border-color:var(--ok)}
.steps li[aria-current]{color:#fff;background:var(--accent);border-color:var(--accent);font-weight:600}
.meta{color:var(--muted);font-size:.95rem}
.personalize{border:1px solid var(--line);border-radius:.5rem;padding:.75rem 1rem;margin:1.5rem 0;background:var(--soft)}
.personalize h2{margin-top:0;font-size:1.1rem}
.choices{display:flex;flex-wrap:wrap;gap:.5rem}
button,.button{font:inherit;padding:.45rem .9rem;border-radius:.4rem;border:1px solid var(--accent);background:#fff;color:var(--accent);cursor:pointer}
button.primary,button[aria-pressed=true]{background:var(--accent);color:#fff}
.lead{font-weight:700;font-size:1.08rem}
sup a{text-decoration:none;padding:0 .1em}
.editor-written{font-size:.75rem;background:#e8eefc;color:#123d7a;border-radius:.3rem;padding:0 .35rem;margin-left:.3rem;white-space:nowrap}
.model-written{font-size:.75rem;background:#eef3e8;color:#2f4a14;border-radius:.3rem;padding:0 .35rem;margin-left:.3rem;white-space:nowrap}
.check{font-size:.85rem;margin-left:.3rem}
.check.supported{color:var(--ok)}
.check.unsupported{color:#8a1c1c;font-weight:600}
.withheld del{color:var(--muted)}
ul.streamed li{margin:.4rem 0}
.gloss{color:var(--muted);font-style:italic}
.references ol{padding-left:1.5rem}
.references li{margin:.6rem 0}
.references li:target{background:#fff8c5}
.kind{display:inline-block;font-size:.8rem;font-weight:600;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);margin-right:.3rem}
blockquote{margin:.4rem 0;padding:.4rem .8rem;border-left:3px solid var(--line);color:var(--muted)}
.disclaimer{border-top:1px solid var(--line);margin-top:2rem;padding-top:.5rem;font-size:.95rem;color:var(--muted)}
form.ask textarea,form input[type=text],form input[type=password],form input[type=search],form textarea,form select{width:100%;font:inherit;padding:.5rem;border:1px solid #6b7280;border-radius:.4rem}
label{display:block;font-weight:600;margin:.6rem 0 .25rem}
.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}
.row>*{flex:1 1 12rem}
.cards{list-style:none;padding:0}
.cards li{border-bottom:1px solid var(--line);padding:.5rem 0}
.state{font-size:.8rem;border:1px solid var(--line);border-radius:.3rem;padding:0 .35rem;margin-left:.4rem;color:var(--muted)}
.error{background:#fde8e8;color:#7a0b0b;padding:.6rem .8rem;border-radius:.3rem}
.flash{background:#e7f5ec;color:#1d4d2c;padding:.6rem .8rem;border-radius:.3rem}
.review-grid{display:grid;grid-template-columns:1fr;gap:1rem}
@media (min-width:60rem){main.wide,main:has(.review-grid){max-width:80rem}.review-grid{grid-template-columns:1fr 1fr}}
.stmt{border:1px solid var(--line);border-radius:.4rem;padding:.5rem;margin:.5rem 0}
.stmt form{display:inline}
.diff .added{background:#e7f5ec}.diff .removed{background:#fde8e8;text-decoration:line-through}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid var(--line);padding:.3rem;text-align:left;vertical-align:top;font-size:.9rem}
@media print{
 header.site,footer.site,nav,.personalize,.followup,.skip,form,button{display:none!important}
 body{font-size:11pt;color:#000}
 main{max-width:none;padding:0}
 a{color:#000;text-decoration:none}
 .references a[href^="http"]::after{content:" (" attr(href) ")";font-size:9pt}
 details>*{display:block}
 .banner{border:1px solid #000;background:none;color:#000}
 h2,h3{break-after:avoid}
 li{break-inside:avoid}
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(long_date(0), "January 1, 1970");
        // 2025-09-11T12:00:00Z
        assert_eq!(long_date(1_757_592_000_000), "September 11, 2025");
        assert_eq!(iso_date(1_757_592_000_000), "2025-09-11");
        assert_eq!(date_time(1_757_592_000_000), "2025-09-11 12:00 UTC");
        assert_eq!(date_time(951_782_400_000 + 61_000), "2000-02-29 00:01 UTC");
        assert_eq!(long_date(-1), "December 31, 1969");
        assert_eq!(iso_date(-1), "1969-12-31");
    }

    #[test]
    fn page_layout_opens_main_and_escapes_the_title() {
        let start = page_start("Tom's <b>", None);
        assert!(start.starts_with(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        ));
        assert!(start.contains("<title>Tom&#39;s &lt;b&gt; · Evident</title>"));
        assert!(start.contains("<li><a href=\"/login\">Sign in</a></li></ul></nav></header>\n"));
        assert!(start.ends_with("<main id=\"main\" tabindex=\"-1\">\n"));
        assert!(page("x", None, "<p>body</p>").ends_with("<p>body</p></main>\n<footer class=\"site\"><p>Evident answers quote the sources they cite. They are educational and do not replace a clinician's judgement. <a href=\"/editorial-policy\">Editorial policy</a> · <a href=\"/about\">About and disclaimer</a> · <a href=\"/api/openapi.json\">API</a></p></footer>\n</body>\n</html>\n"));
        assert_eq!(
            csrf_field("ab\"c"),
            "<input type=\"hidden\" name=\"csrf\" value=\"ab&quot;c\">"
        );
    }

    #[test]
    fn only_plain_http_urls_are_links() {
        assert_eq!(
            safe_url(" https://example.org/a "),
            Some("https://example.org/a")
        );
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(safe_url("JaVaScRiPt:alert(1)"), None);
        assert_eq!(safe_url("https://x.org/\" onmouseover=\"x"), None);
        assert_eq!(safe_url("data:text/html,<script>"), None);
        assert_eq!(safe_url("https:///path"), None);
    }

    #[test]
    fn escape_covers_attributes() {
        assert_eq!(
            escape("<a href='x' \"y\">&"),
            "&lt;a href=&#39;x&#39; &quot;y&quot;&gt;&amp;"
        );
        assert_eq!(url_encode("a b&c"), "a%20b%26c");
    }
}
