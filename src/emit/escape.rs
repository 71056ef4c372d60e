//! Escaping of strings that come from AWS (names, descriptions, tags): they
//! are data, and must never change the meaning of the HCL or Markdown around them,
//! nor, through invisible characters, how it reads.

/// Inside an HCL quoted string: quotes, backslashes, control characters, and
/// the template introducers `${` and `%{` (which are live even in tfvars).
pub fn hcl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() || invisible(c) => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// A character that shows nothing but changes what the text around it
/// looks like: the bidirectional overrides, embeddings and isolates
/// (U+202A-202E, U+2066-2069: "Trojan Source"), zero-width spaces and
/// joiners, word joiners and invisible operators, the byte-order mark.
/// A tag holding one could make a report or a reviewed tfvars read
/// otherwise than it is: HCL writes it escaped, Markdown and HTML drop it.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Inside Markdown text or a table cell: no markup, no HTML, no line breaks.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() || invisible(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// HTML text or a quoted attribute value (either quote): `&`, `<`, `>`, `"`
/// and `'` become character references; control characters other than tab
/// and line breaks are dropped (they are parse errors in HTML). The same text
/// is safe inside SVG elements embedded in an HTML page.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || invisible(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Keeps only what AWS accepts in a rule description (a-z A-Z 0-9, space and
/// `._-:/()#,@[]+=&;{}!$*`), at most 255 characters.
pub fn aws_description(s: &str) -> String {
    const EXTRA: &str = " ._-:/()#,@[]+=&;{}!$*";
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || EXTRA.contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.chars().take(255).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_escapes_templates_quotes_and_controls() {
        assert_eq!(hcl_string(r#"a "b" \ c"#), r#"a \"b\" \\ c"#);
        assert_eq!(hcl_string("${var.x} and %{if}"), "$${var.x} and %%{if}");
        assert_eq!(hcl_string("$ alone, 50% off"), "$ alone, 50% off");
        assert_eq!(hcl_string("line\nbreak\u{7}"), "line\\nbreak\\u0007");
        assert_eq!(hcl_string("café"), "café");
    }

    /// A right-to-left override or a zero-width space in a tag would make
    /// a report or a reviewed tfvars read otherwise than it is: HCL keeps it
    /// visible as an escape, Markdown and HTML drop it.
    #[test]
    fn invisible_characters_are_escaped_in_hcl_and_dropped_in_reports() {
        let name = "web\u{202E}gfs\u{200B}-prod\u{2066}x\u{FEFF}";
        assert_eq!(hcl_string(name), "web\\u202Egfs\\u200B-prod\\u2066x\\uFEFF");
        assert_eq!(markdown(name), "webgfs-prodx");
        assert_eq!(html(name), "webgfs-prodx");
        // Visible non-ASCII text stays as it is.
        assert_eq!(markdown("équipe-données"), "équipe-données");
        assert_eq!(html("日本"), "日本");
    }

    #[test]
    fn markdown_cells_cannot_break_tables_or_inject_html() {
        assert_eq!(markdown("a|b"), "a\\|b");
        assert_eq!(markdown("<script>"), "&lt;script&gt;");
        assert_eq!(markdown("[x](http://e)"), "\\[x\\](http://e)");
        assert_eq!(markdown("eni-0a1b.c"), "eni-0a1b.c");
        assert_eq!(markdown("two\nlines"), "two lines");
    }

    #[test]
    fn html_text_and_attributes_stay_data() {
        assert_eq!(
            html("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(html("\" onmouseover=\"x"), "&quot; onmouseover=&quot;x");
        assert_eq!(html("it's a & b"), "it&#39;s a &amp; b");
        // Already-escaped text is escaped again, not trusted.
        assert_eq!(html("&lt;"), "&amp;lt;");
        assert_eq!(html("a\u{0}b\u{7}c\u{85}d"), "abcd");
        assert_eq!(html("two\nlines\ttab"), "two\nlines\ttab");
        assert_eq!(html("café → db"), "café → db");
        for hostile in ["</style><script>x</script>", "\"'><img src=x onerror=y>"] {
            let e = html(hostile);
            assert!(!e.contains(['<', '>', '"', '\'']), "{e}");
        }
    }

    #[test]
    fn descriptions_fit_aws_rules() {
        assert_eq!(
            aws_description("web \"tier\" → db\n${x}"),
            "web tier db ${x}"
        );
        assert_eq!(aws_description(&"x".repeat(300)).len(), 255);
    }
}
