//! Rows for PostgreSQL's COPY in text format: the fastest way to load a year of marks.

use std::fmt::{Display, Write as _};

use sqlx::PgConnection;

/// Rows in COPY's text format: fields split by tabs, rows ended by newlines, `\N` for null and
/// backslash escapes in text.
#[derive(Default)]
pub struct CopyText {
    text: String,
    row_started: bool,
}

impl CopyText {
    fn separate(&mut self) {
        if self.row_started {
            self.text.push('\t');
        }
        self.row_started = true;
    }

    /// Any text, escaped: the present-PM mark is itself a backslash.
    pub fn text(&mut self, value: &str) -> &mut Self {
        self.separate();
        if value.contains(['\\', '\t', '\n', '\r']) {
            for c in value.chars() {
                match c {
                    '\\' => self.text.push_str("\\\\"),
                    '\t' => self.text.push_str("\\t"),
                    '\n' => self.text.push_str("\\n"),
                    '\r' => self.text.push_str("\\r"),
                    c => self.text.push(c),
                }
            }
        } else {
            self.text.push_str(value);
        }
        self
    }

    /// A value whose text never needs escaping: an id, a date, a time or a number.
    pub fn plain(&mut self, value: impl Display) -> &mut Self {
        self.separate();
        write!(self.text, "{value}").expect("writing to a String cannot fail");
        self
    }

    pub fn flag(&mut self, value: bool) -> &mut Self {
        self.plain(if value { 't' } else { 'f' })
    }

    pub fn null(&mut self) -> &mut Self {
        self.separate();
        self.text.push_str("\\N");
        self
    }

    pub fn optional_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.text(value),
            None => self.null(),
        }
    }

    pub fn optional(&mut self, value: Option<impl Display>) -> &mut Self {
        match value {
            Some(value) => self.plain(value),
            None => self.null(),
        }
    }

    pub fn end_row(&mut self) {
        self.text.push('\n');
        self.row_started = false;
    }

    /// How many bytes of rows are waiting to be sent.
    pub fn waiting(&self) -> usize {
        self.text.len()
    }

    /// The rows so far, leaving this empty for more.
    pub fn take(&mut self) -> String {
        std::mem::take(&mut self.text)
    }
}

/// Runs one `COPY ... FROM STDIN` with all the rows at once, for the smaller tables.
pub async fn copy(
    conn: &mut PgConnection,
    statement: &str,
    mut rows: CopyText,
) -> sqlx::Result<u64> {
    let mut copy = conn.copy_in_raw(statement).await?;
    copy.send(rows.take().into_bytes()).await?;
    copy.finish().await
}
