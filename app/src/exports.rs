//! CSV files people open in a spreadsheet. A cell that begins with `=`, `+`, `-`, `@` or a tab
//! would run as a formula in Excel or LibreOffice, so such text is written with a leading
//! apostrophe: a name typed as `=HYPERLINK(…)` arrives as text, never as a link.

/// A CSV writer into memory with a header row.
pub fn csv_with_header(header: &[&str]) -> csv::Writer<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(header);
    writer
}

/// Text made safe to open in a spreadsheet.
pub fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// The finished file.
pub fn finish(writer: csv::Writer<Vec<u8>>) -> Vec<u8> {
    writer.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_written_as_text() {
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("Smith-Jones"), "Smith-Jones");
        assert_eq!(cell("/"), "/");
    }
}
