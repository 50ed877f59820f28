//! Posts in safe Markdown: pulldown-cmark renders what was written, with any raw HTML
//! turned into visible text and images into links, and ammonia then keeps only a tight
//! allowlist — no SVG or MathML, no attributes but link targets and titles, links only
//! to http(s), mailto and this site, each `rel="nofollow noopener ugc"`. The result is
//! stored beside the Markdown, so pages never render untrusted text themselves.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(HashSet::from([
            "p",
            "br",
            "strong",
            "em",
            "del",
            "code",
            "pre",
            "blockquote",
            "ul",
            "ol",
            "li",
            "a",
            "hr",
            "h3",
            "h4",
            "h5",
            "h6",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
        ]))
        .tag_attributes(
            [
                ("a", HashSet::from(["href", "title"])),
                ("ol", HashSet::from(["start"])),
            ]
            .into_iter()
            .collect(),
        )
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("nofollow noopener ugc"))
        .strip_comments(true);
    builder
});

/// What a post's Markdown renders to, with what the limits and notifications need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    /// Web links in the text (autolinks and Markdown links to other sites).
    pub links: usize,
}

/// Renders `markdown` to clean HTML. `mention` turns `@handle` into a link to the person
/// when the handle belongs to someone (it returns the person's page), else leaves the
/// text alone.
pub fn render(markdown: &str, mention: &dyn Fn(&str) -> Option<String>) -> Rendered {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TABLES);
    let mut links = 0;
    let mut in_code = false;
    // Text inside a link is its label: no links within it.
    let mut in_link = 0usize;
    let mut events: Vec<Event> = Vec::new();
    for event in Parser::new_ext(markdown, options) {
        match event {
            // Raw HTML is shown as what it is: text.
            Event::Html(html) | Event::InlineHtml(html) => events.push(Event::Text(html)),
            Event::Start(Tag::CodeBlock(_)) => {
                in_code = true;
                events.push(event);
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = false;
                events.push(event);
            }
            // Headings of a post sit below the page's own.
            Event::Start(Tag::Heading { level, .. }) => {
                events.push(Event::Start(Tag::Heading {
                    level: level.max(pulldown_cmark::HeadingLevel::H3),
                    id: None,
                    classes: Vec::new(),
                    attrs: Vec::new(),
                }));
            }
            Event::End(TagEnd::Heading(level)) => {
                events.push(Event::End(TagEnd::Heading(
                    level.max(pulldown_cmark::HeadingLevel::H3),
                )));
            }
            // An image becomes a link to it: no remote content is loaded by readers.
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) => {
                links += usize::from(is_web_link(&dest_url));
                in_link += 1;
                events.push(Event::Start(Tag::Link {
                    link_type: LinkType::Inline,
                    dest_url,
                    title,
                    id: CowStr::Borrowed(""),
                }));
            }
            Event::End(TagEnd::Image) => {
                in_link = in_link.saturating_sub(1);
                events.push(Event::End(TagEnd::Link));
            }
            Event::Start(Tag::Link { ref dest_url, .. }) => {
                links += usize::from(is_web_link(dest_url));
                in_link += 1;
                events.push(event);
            }
            Event::End(TagEnd::Link) => {
                in_link = in_link.saturating_sub(1);
                events.push(event);
            }
            Event::Text(text)
                if !in_code && in_link == 0 && (text.contains('@') || text.contains("://")) =>
            {
                links += linked_text(&text, mention, &mut events);
            }
            other => events.push(other),
        }
    }
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Rendered {
        html: CLEANER.clean(&html).to_string(),
        links,
    }
}

fn is_web_link(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("http:") || lower.starts_with("https:") || lower.starts_with("//")
}

/// The handles mentioned in `markdown` (`@jan-jansen`), each once, outside code.
pub fn mentions(markdown: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_code = false;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Text(text) if !in_code => {
                for (_, handle, _) in mention_spans(&text) {
                    if !found.iter().any(|h| h == handle) {
                        found.push(handle.to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// `(start, handle, end)` of each `@handle` in `text`: a handle is lower-case letters,
/// digits and inner hyphens, after the start of the text or a non-word character (so an
/// address like `jan@apeldoorn.nl` is not a mention).
fn mention_spans(text: &str) -> Vec<(usize, &str, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    for (at, _) in text.match_indices('@') {
        let before_ok =
            at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'.');
        if !before_ok {
            continue;
        }
        let rest = &text[at + 1..];
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
            .count();
        let handle = rest[..len].trim_end_matches('-');
        if handle.len() >= 2 {
            spans.push((at, handle, at + 1 + handle.len()));
        }
    }
    spans
}

/// Bare web addresses in `text`: `(start, end)` of each `http://` or `https://` up to
/// the next space, without the punctuation that ends a sentence.
fn url_spans(text: &str) -> Vec<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(found) = ["http://", "https://"]
        .iter()
        .filter_map(|scheme| lower[from..].find(scheme).map(|at| from + at))
        .min()
    {
        let rest = &text[found..];
        let len = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .unwrap_or(rest.len());
        let url = rest[..len].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'']);
        if url.len() > "https://".len() {
            spans.push((found, found + url.len()));
        }
        from = found + len.max(1);
    }
    spans
}

/// Emits `text` with its bare web addresses and `@mentions` of known people as links;
/// returns how many web addresses it held.
fn linked_text<'a>(
    text: &str,
    mention: &dyn Fn(&str) -> Option<String>,
    events: &mut Vec<Event<'a>>,
) -> usize {
    let urls = url_spans(text);
    let mut spans: Vec<(usize, usize, String, String)> = urls
        .iter()
        .map(|&(start, end)| {
            (
                start,
                end,
                text[start..end].to_owned(),
                text[start..end].to_owned(),
            )
        })
        .collect();
    for (start, handle, end) in mention_spans(text) {
        let inside_url = urls.iter().any(|&(s, e)| start >= s && start < e);
        if let (false, Some(url)) = (inside_url, mention(handle)) {
            spans.push((start, end, url, format!("@{handle}")));
        }
    }
    spans.sort_by_key(|s| s.0);
    let mut at = 0;
    for (start, end, url, label) in spans {
        events.push(Event::Text(CowStr::from(text[at..start].to_owned())));
        events.push(Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url: CowStr::from(url),
            title: CowStr::Borrowed(""),
            id: CowStr::Borrowed(""),
        }));
        events.push(Event::Text(CowStr::from(label)));
        events.push(Event::End(TagEnd::Link));
        at = end;
    }
    events.push(Event::Text(CowStr::from(text[at..].to_owned())));
    urls.len()
}

/// `markdown` as plain text for the search index and mail: what a reader sees, without
/// markup.
pub fn plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                text.push_str(&t)
            }
            Event::SoftBreak | Event::HardBreak | Event::End(_) => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `markdown` quoted for a reply: every line behind `> `, after who wrote it.
pub fn quote(author: &str, markdown: &str) -> String {
    let quoted: Vec<String> = markdown.lines().map(|l| format!("> {l}")).collect();
    format!("{author}:\n{}\n\n", quoted.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(markdown: &str) -> String {
        render(markdown, &|h: &str| {
            (h == "jan").then(|| "/mensen/jan".to_owned())
        })
        .html
    }

    #[test]
    fn markdown_becomes_the_allowed_html() {
        assert_eq!(
            html("**vet** en _schuin_"),
            "<p><strong>vet</strong> en <em>schuin</em></p>\n"
        );
        assert_eq!(
            html("[site](https://g40.nl)"),
            "<p><a href=\"https://g40.nl\" rel=\"nofollow noopener ugc\">site</a></p>\n"
        );
        assert!(html("# Kop").contains("<h3>Kop</h3>"));
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let out = html("<script>alert(1)</script> en <b>vet</b>");
        assert!(!out.contains("<script") && !out.contains("<b>"), "{out}");
        assert!(out.contains("&lt;b&gt;vet&lt;/b&gt;"), "{out}");
    }

    #[test]
    fn scripted_links_and_images_are_defused() {
        for markdown in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](&#106;avascript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "![x](javascript:alert(1))",
            "<javascript:alert(1)>",
        ] {
            let out = html(markdown).to_lowercase();
            // As text the words may stay; as a link target never.
            assert!(!out.contains("href=\"javascript"), "{markdown} -> {out}");
            assert!(!out.contains("href=\"data:"), "{markdown} -> {out}");
            assert!(!out.contains("<img"), "{markdown} -> {out}");
        }
    }

    #[test]
    fn mentions_link_known_people_only() {
        let out = html("Vraag @jan of @onbekend, niet jan@apeldoorn.nl");
        assert!(
            out.contains("<a href=\"/mensen/jan\" rel=\"nofollow noopener ugc\">@jan</a>"),
            "{out}"
        );
        assert!(
            out.contains("@onbekend") && !out.contains("/mensen/onbekend"),
            "{out}"
        );
        assert_eq!(
            mentions("@jan en @piet-k, niet `@code` of a@b.nl"),
            ["jan", "piet-k"]
        );
    }

    #[test]
    fn web_links_are_counted() {
        let r = render(
            "<https://a.nl> [b](http://b.nl) [c](/projecten/1) ![d](https://d.nl/x.png)",
            &|_| None,
        );
        assert_eq!(r.links, 3);
    }

    #[test]
    fn bare_addresses_become_links_and_count() {
        let r = render("Zie https://g40.nl/pilots. En http://b.nl!", &|_| None);
        assert_eq!(r.links, 2);
        assert!(
            r.html.contains("<a href=\"https://g40.nl/pilots\" rel=\"nofollow noopener ugc\">https://g40.nl/pilots</a>."),
            "{}",
            r.html
        );
    }

    #[test]
    fn plain_text_and_quotes() {
        assert_eq!(
            plain_text("**Vet** en [link](https://x.nl)\n\n- een"),
            "Vet en link een"
        );
        assert_eq!(
            quote("Jan", "regel 1\nregel 2"),
            "Jan:\n> regel 1\n> regel 2\n\n"
        );
    }
}
