//! A letter as an A4 PDF: the school's name as a heading, then the letter's text wrapped within
//! the margins, over as many pages as it needs, each numbered. The layout and the file are
//! `crate::pdf`'s.

use crate::pdf::{Layout, Style};

/// The PDF of a letter: `heading` (the school's name) and `address` at the top of the first
/// page, then `body`.
pub fn letter_pdf(title: &str, heading: &str, address: &str, body: &str) -> Vec<u8> {
    let mut layout = Layout::new();
    layout.line(0.0, Style::HEADING, heading);
    for line in address.lines().filter(|line| !line.trim().is_empty()) {
        layout.paragraph(
            0.0,
            Style {
                leading: Style::BODY.leading,
                ..Style::SMALL
            },
            line,
        );
    }
    layout.space(Style::BODY.leading);
    layout.paragraph(0.0, Style::BODY, body);
    layout.finish(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_letter_runs_over_pages() {
        let body = "A paragraph of the letter.\n\n".repeat(60);
        let pdf = letter_pdf("Letter", "Oakfield Academy", "1 High Street", &body);
        assert!(pdf.starts_with(b"%PDF"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("(Oakfield Academy)"));
        assert!(text.contains("/Count 3"), "120 lines and more make 3 pages");
        assert!(text.contains("(Page 3 of 3)"));
    }
}
