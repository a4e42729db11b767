//! Text cells of the CSV files the API writes, made safe for spreadsheet programs.
//!
//! Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@`
//! (or a tab or carriage return before one) as a formula: a name such as
//! `=HYPERLINK("http://…")` from a user layer would become a live link or command in the
//! analyst's spreadsheet (CSV injection, OWASP). Such text cells get a leading `'`, which
//! spreadsheets show as plain text. Numbers are written as numbers and never pass through here.

use std::borrow::Cow;

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `text` as a CSV cell that a spreadsheet shows as text: prefixed with `'` when it would
/// start a formula, unchanged otherwise.
///
/// # Examples
/// ```
/// use cluster_atlas::api::csv_cell::text_cell;
/// assert_eq!(text_cell("=1+2"), "'=1+2");
/// assert_eq!(text_cell("泊头市"), "泊头市");
/// ```
#[must_use]
pub fn text_cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::text_cell;

    #[test]
    fn formula_starts_are_neutralised_and_other_text_is_not() {
        for bad in ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(text_cell(bad), format!("'{bad}"));
        }
        for ok in ["Botou", "泊头市", "a=b", "", "'quoted"] {
            assert_eq!(text_cell(ok), ok);
        }
    }
}
