//! A letter as an A4 PDF: the school's name as a heading, then the letter's text wrapped within
//! the margins, over as many pages as it needs, each numbered.
//!
//! It uses the PDF's standard Helvetica, which every reader has, so nothing is embedded and the
//! file stays a few kilobytes. Text is written in WinAnsi encoding: English letters, £, accents
//! and typographic quotes come out as typed; anything else becomes "?".

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 64.0;
const BODY_SIZE: f32 = 11.0;
const LEADING: f32 = 15.0;
const HEADING_SIZE: f32 = 16.0;

/// Helvetica's advance widths (thousandths of the font size) for ASCII 32 to 126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

fn char_width(c: char, size: f32) -> f32 {
    let units = match c as u32 {
        code @ 32..=126 => HELVETICA[(code - 32) as usize],
        _ => 556,
    };
    f32::from(units) * size / 1000.0
}

fn text_width(text: &str, size: f32) -> f32 {
    text.chars().map(|c| char_width(c, size)).sum()
}

/// The WinAnsi byte of a character, "?" for characters it does not have.
fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '\t' => b' ',
        _ => b'?',
    }
}

/// The text broken into lines no wider than `width`: at spaces where it can, mid-word for a
/// word longer than a line. Blank lines stay, as paragraph breaks.
pub fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let mut rest = word.to_string();
            while text_width(&rest, size) > width {
                let mut cut = 0;
                let mut used = 0.0;
                for (i, c) in rest.char_indices() {
                    used += char_width(c, size);
                    if used > width {
                        break;
                    }
                    cut = i + c.len_utf8();
                }
                let cut = cut.max(rest.chars().next().map_or(1, char::len_utf8));
                lines.push(rest[..cut].to_string());
                rest = rest[cut..].to_string();
            }
            line = rest;
        }
        lines.push(line);
    }
    lines
}

/// The PDF of a letter: `heading` (the school's name) and `address` at the top of the first
/// page, then `body`.
pub fn letter_pdf(title: &str, heading: &str, address: &str, body: &str) -> Vec<u8> {
    let width = PAGE_WIDTH - 2.0 * MARGIN;
    let mut first_page: Vec<(f32, bool, String)> = vec![(HEADING_SIZE, true, heading.to_string())];
    for line in address.lines().filter(|line| !line.trim().is_empty()) {
        first_page.extend(
            wrap(line, 9.0, width)
                .into_iter()
                .map(|line| (9.0, false, line)),
        );
    }
    first_page.push((BODY_SIZE, false, String::new()));

    // Lay out every line, then cut them into pages.
    let mut lines = first_page;
    lines.extend(
        wrap(body, BODY_SIZE, width)
            .into_iter()
            .map(|line| (BODY_SIZE, false, line)),
    );
    let per_page = ((PAGE_HEIGHT - 2.0 * MARGIN) / LEADING).floor() as usize;
    let pages: Vec<&[(f32, bool, String)]> = lines.chunks(per_page.max(1)).collect();

    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let page_ref = |i: usize| Ref::new(6 + 2 * i as i32);
    let content_ref = |i: usize| Ref::new(7 + 2 * i as i32);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids((0..pages.len()).map(page_ref))
        .count(pages.len() as i32);
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("Rollcall"));

    for (i, page_lines) in pages.iter().enumerate() {
        let mut page = pdf.page(page_ref(i));
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(tree)
            .contents(content_ref(i));
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Name(b"F1"), regular);
        fonts.pair(Name(b"F2"), bold);
        fonts.finish();
        resources.finish();
        page.finish();

        let mut content = Content::new();
        let mut y = PAGE_HEIGHT - MARGIN;
        for (size, is_bold, line) in page_lines.iter() {
            let bytes: Vec<u8> = line.chars().map(win_ansi).collect();
            content
                .begin_text()
                .set_font(Name(if *is_bold { b"F2" } else { b"F1" }), *size)
                .next_line(MARGIN, y)
                .show(Str(&bytes))
                .end_text();
            y -= if *size > BODY_SIZE {
                LEADING * 1.5
            } else {
                LEADING
            };
        }
        let footer = format!("Page {} of {}", i + 1, pages.len());
        content
            .begin_text()
            .set_font(Name(b"F1"), 8.0)
            .next_line(PAGE_WIDTH - MARGIN - text_width(&footer, 8.0), MARGIN / 2.0)
            .show(Str(footer.as_bytes()))
            .end_text();
        pdf.stream(content_ref(i), &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_lines_within_the_width_and_every_word() {
        let text = "The quick brown fox jumps over the lazy dog. ".repeat(20);
        let lines = wrap(&text, BODY_SIZE, 200.0);
        assert!(lines.len() > 5);
        assert!(
            lines
                .iter()
                .all(|line| text_width(line, BODY_SIZE) <= 200.0)
        );
        assert_eq!(
            lines.join(" ").split_whitespace().count(),
            text.split_whitespace().count()
        );
        let long = wrap(&"x".repeat(500), BODY_SIZE, 100.0);
        assert!(long.len() > 1 && long.iter().all(|l| !l.is_empty()));
    }

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
