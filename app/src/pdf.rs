//! A4 PDFs made of text: the one place that lays text out on pages and writes the file, used by
//! letters (`letters::pdf`) and the evidence pack (`cases::evidence`).
//!
//! A `Layout` is filled from the top of the first page down: headings, wrapped paragraphs,
//! table rows and page breaks. A line that would fall below the bottom margin starts a new
//! page. `Layout::finish` writes the file with "Page n of m" at the foot of every page.
//!
//! It uses the PDF's standard Helvetica, which every reader has, so nothing is embedded and the
//! file stays small. Text is written in WinAnsi encoding: English letters, £, accents and
//! typographic quotes come out as typed; anything else becomes "?". Content streams are not
//! compressed, so the words are in the file as written (the tests read them there): a line of
//! plain ASCII as a literal string, `(like this)`, with unbalanced parentheses escaped; a line
//! with any other character (£, an accent, a curly quote) as a hex string.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;
pub const MARGIN: f32 = 64.0;
pub const BODY_SIZE: f32 = 11.0;
pub const LEADING: f32 = 15.0;
pub const HEADING_SIZE: f32 = 16.0;
pub const SUBHEADING_SIZE: f32 = 12.5;

/// The width between the margins.
pub const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

/// Helvetica's advance widths (thousandths of the font size) for ASCII 32 to 126. Bold is a
/// little wider; measuring bold text with these leaves it a few percent of room to spare at
/// most, which the layout allows for.
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

/// How wide `text` is in Helvetica at `size` points.
pub fn text_width(text: &str, size: f32) -> f32 {
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

/// How a piece of text is set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    pub size: f32,
    pub bold: bool,
    /// From this line's baseline to the next one's.
    pub leading: f32,
}

impl Style {
    pub const HEADING: Style = Style {
        size: HEADING_SIZE,
        bold: true,
        leading: LEADING * 1.5,
    };
    pub const SUBHEADING: Style = Style {
        size: SUBHEADING_SIZE,
        bold: true,
        leading: LEADING * 1.2,
    };
    pub const BODY: Style = Style {
        size: BODY_SIZE,
        bold: false,
        leading: LEADING,
    };
    pub const BODY_BOLD: Style = Style {
        size: BODY_SIZE,
        bold: true,
        leading: LEADING,
    };
    pub const SMALL: Style = Style {
        size: 9.0,
        bold: false,
        leading: 12.0,
    };
    /// Dense tables: the register's marks.
    pub const TABLE: Style = Style {
        size: 8.0,
        bold: false,
        leading: 10.0,
    };
    pub const TABLE_BOLD: Style = Style {
        size: 8.0,
        bold: true,
        leading: 10.0,
    };
}

/// One piece of text placed on a page.
struct Placed {
    x: f32,
    y: f32,
    style: Style,
    text: String,
}

/// Text laid out on A4 pages, top to bottom.
pub struct Layout {
    pages: Vec<Vec<Placed>>,
    /// The baseline of the next line on the last page.
    y: f32,
    /// The header of the table being set, repeated on each new page.
    header: Option<(Vec<f32>, Style, Vec<String>)>,
}

impl Default for Layout {
    fn default() -> Self {
        Layout::new()
    }
}

impl Layout {
    const TOP: f32 = PAGE_HEIGHT - MARGIN;

    pub fn new() -> Layout {
        Layout {
            pages: vec![Vec::new()],
            y: Self::TOP,
            header: None,
        }
    }

    /// How many pages there are so far.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Whether nothing is on the current page yet.
    fn page_is_empty(&self) -> bool {
        self.pages.last().is_none_or(Vec::is_empty)
    }

    /// Starts a new page, unless the current one is still empty. Ends any table.
    pub fn new_page(&mut self) {
        self.header = None;
        if !self.page_is_empty() {
            self.pages.push(Vec::new());
            self.y = Self::TOP;
        }
    }

    /// Makes sure `height` more below the next baseline fits on this page, starting a new one
    /// (with the table's header, if a table is being set) if not.
    fn room_for(&mut self, height: f32) {
        if self.y - height + 0.01 < MARGIN && !self.page_is_empty() {
            self.pages.push(Vec::new());
            self.y = Self::TOP;
            if let Some((widths, style, cells)) = self.header.take() {
                let cells_ref: Vec<&str> = cells.iter().map(String::as_str).collect();
                self.row(&widths, style, &cells_ref);
                self.header = Some((widths, style, cells));
            }
        }
    }

    fn place(&mut self, x: f32, style: Style, text: String) {
        let y = self.y;
        if let Some(page) = self.pages.last_mut() {
            page.push(Placed { x, y, style, text });
        }
    }

    /// One line of text at the left margin plus `indent`, as it is (not wrapped).
    pub fn line(&mut self, indent: f32, style: Style, text: &str) {
        self.room_for(0.0);
        self.place(MARGIN + indent, style, text.to_string());
        self.y -= style.leading;
    }

    /// Text wrapped within the margins (less `indent`), over pages as it needs.
    pub fn paragraph(&mut self, indent: f32, style: Style, text: &str) {
        let width = TEXT_WIDTH - indent;
        // Bold is a little wider than the widths measured.
        let width = if style.bold { width * 0.92 } else { width };
        for line in wrap(text, style.size, width) {
            self.line(indent, style, &line);
        }
    }

    /// A heading, kept on the page with at least three lines after it.
    pub fn heading(&mut self, style: Style, text: &str) {
        self.room_for(style.leading + 3.0 * LEADING);
        self.paragraph(0.0, style, text);
    }

    /// Blank space.
    pub fn space(&mut self, points: f32) {
        self.y -= points;
    }

    /// A table row: each cell wrapped within its column (the widths, from the left margin),
    /// the row kept whole on one page when it fits on one. A row taller than a page runs on
    /// line by line.
    pub fn row(&mut self, widths: &[f32], style: Style, cells: &[&str]) {
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| {
                let room = (width - 6.0).max(10.0);
                wrap(
                    cell,
                    style.size,
                    if style.bold { room * 0.92 } else { room },
                )
            })
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let whole = style.leading * (height - 1) as f32;
        if whole <= Self::TOP - MARGIN - 2.0 * style.leading {
            self.room_for(whole);
        }
        for i in 0..height {
            self.room_for(0.0);
            let mut x = MARGIN;
            for (lines, width) in wrapped.iter().zip(widths) {
                if let Some(line) = lines.get(i) {
                    self.place(x, style, line.clone());
                }
                x += width;
            }
            self.y -= style.leading;
        }
    }

    /// A row repeated at the top of each new page until `end_table`: a table's header. It is
    /// also set once now.
    pub fn table_header(&mut self, widths: &[f32], style: Style, cells: &[&str]) {
        self.header = None;
        self.row(widths, style, cells);
        self.header = Some((
            widths.to_vec(),
            style,
            cells.iter().map(|cell| cell.to_string()).collect(),
        ));
    }

    pub fn end_table(&mut self) {
        self.header = None;
    }

    /// The PDF: every page with "Page n of m" at its foot; `title` in the document's
    /// information.
    pub fn finish(self, title: &str) -> Vec<u8> {
        let pages = self.pages;
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

        for (i, placed) in pages.iter().enumerate() {
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
            for item in placed {
                let bytes: Vec<u8> = item.text.chars().map(win_ansi).collect();
                content
                    .begin_text()
                    .set_font(
                        Name(if item.style.bold { b"F2" } else { b"F1" }),
                        item.style.size,
                    )
                    .next_line(item.x, item.y)
                    .show(Str(&bytes))
                    .end_text();
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
    fn pages_break_at_the_bottom_margin_and_on_request_and_are_numbered() {
        let mut layout = Layout::new();
        layout.heading(Style::HEADING, "First");
        layout.new_page();
        layout.new_page(); // an empty page is never left behind
        layout.heading(Style::HEADING, "Second");
        layout.table_header(&[100.0, 200.0], Style::TABLE_BOLD, &["Number", "Mark"]);
        for n in 0..100 {
            layout.row(&[100.0, 200.0], Style::TABLE, &[&n.to_string(), "a mark"]);
        }
        layout.end_table();
        assert_eq!(
            layout.page_count(),
            3,
            "two pages by request, 100 rows run over"
        );
        let pdf = layout.finish("Test");
        let text = String::from_utf8_lossy(&pdf);
        assert!(pdf.starts_with(b"%PDF"));
        assert!(text.contains("/Count 3"));
        assert!(text.contains("(Page 1 of 3)") && text.contains("(Page 3 of 3)"));
        assert!(text.contains("(Second)") && text.contains("(99)"));
        assert_eq!(
            text.matches("(Number)").count(),
            2,
            "the header on each page of the table"
        );
        let long = "word ".repeat(2000);
        let mut layout = Layout::new();
        layout.row(&[100.0, 300.0], Style::BODY, &["Tall", &long]);
        assert!(layout.page_count() > 1, "a row taller than a page runs on");
    }
}
