//! Reading CSV and text files with their positions: text decoding (UTF-8, else
//! GB18030/GBK), CSV tables with line numbers, and problems reported as
//! `file:line:column: message`. Users' imports, `reverse --csv` and the curated source
//! tables of `build-clusters` all read through here.

use serde_json::Value;
use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// One problem in an input file, located as precisely as known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, if known.
    pub line: Option<u64>,
    /// 1-based column (CSV: field number; JSON/text: character), if known.
    pub column: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem at `path`, optionally at a 1-based line and column.
    pub fn new(path: &Path, line: Option<u64>, column: Option<u64>, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// Decodes a text file: UTF-8 (a leading BOM is dropped), otherwise GB18030 (a superset of
/// GBK, which Chinese spreadsheets export).
///
/// # Errors
/// A [`Problem`] naming the line and character where the bytes are neither.
pub fn decode_text(path: &Path, bytes: &[u8]) -> Result<String, Problem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_owned());
    }
    if let Some(s) = encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        return Ok(s.into_owned());
    }
    let (line, column) = first_malformed(bytes);
    Err(Problem::new(
        path,
        Some(line),
        Some(column),
        "invalid text: the bytes are neither UTF-8 nor GB18030/GBK",
    ))
}

/// Line and character (1-based) of the first byte sequence GB18030 cannot decode.
fn first_malformed(bytes: &[u8]) -> (u64, u64) {
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(bytes.len() * 3 + 16);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    let good = match result {
        encoding_rs::DecoderResult::Malformed(bad, extra) => read.saturating_sub(usize::from(bad) + usize::from(extra)),
        _ => read,
    };
    let before = &bytes[..good.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = encoding_rs::GB18030
        .decode_without_bom_handling(&before[line_start..])
        .0
        .chars()
        .count() as u64
        + 1;
    (line, column)
}

/// One data row of a CSV table.
#[derive(Debug, Clone)]
pub struct CsvRow {
    /// 1-based line where the record starts.
    pub line: u64,
    /// Fields in header order.
    pub fields: Vec<String>,
}

/// A decoded CSV file: trimmed header names and data rows.
#[derive(Debug, Clone)]
pub struct CsvTable {
    /// The file read.
    pub path: PathBuf,
    /// Header names, trimmed.
    pub headers: Vec<String>,
    /// Data rows.
    pub rows: Vec<CsvRow>,
}

impl CsvTable {
    /// 0-based index of the first header equal (ASCII case-insensitively) to one of `names`.
    #[must_use]
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        find_column(&self.headers, names)
    }
}

/// 0-based index of the first of `headers` equal (ASCII case-insensitively) to one of `names`.
fn find_column(headers: &[String], names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| headers.iter().position(|h| h.eq_ignore_ascii_case(n)))
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Size of the chunks read from a file while checking or decoding it.
const CHUNK: usize = 64 * 1024;

/// How a text file is encoded (see [`decode_text`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextEncoding {
    Utf8,
    Gb18030,
}

/// Opens `path` past a leading UTF-8 BOM: the file, and the (at most 3) first bytes read
/// that were not a BOM.
fn open_without_bom(path: &Path) -> io::Result<(File, Vec<u8>)> {
    let mut file = File::open(path)?;
    let mut head = Vec::with_capacity(3);
    (&mut file).take(3).read_to_end(&mut head)?;
    if head == UTF8_BOM {
        head.clear();
    }
    Ok((file, head))
}

/// Reads into `buf`, retrying when interrupted.
fn read_some(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// The encoding [`decode_text`] would choose for the file, found in one streaming pass per
/// candidate (memory bounded by [`CHUNK`]); `None` if the bytes are neither.
fn detect_encoding(path: &Path) -> io::Result<Option<TextEncoding>> {
    let (mut file, mut pending) = open_without_bom(path)?;
    let mut buf = vec![0u8; CHUNK];
    let utf8 = loop {
        let n = read_some(&mut file, &mut buf)?;
        if n == 0 {
            break pending.is_empty();
        }
        pending.extend_from_slice(&buf[..n]);
        match std::str::from_utf8(&pending) {
            Ok(_) => pending.clear(),
            // A character cut by the chunk boundary: keep its first bytes for the next chunk.
            Err(e) if e.error_len().is_none() => drop(pending.drain(..e.valid_up_to())),
            Err(_) => break false,
        }
    };
    if utf8 {
        return Ok(Some(TextEncoding::Utf8));
    }
    let (file, head) = open_without_bom(path)?;
    let mut decoded = Gb18030Reader::new(io::Cursor::new(head).chain(file));
    match io::copy(&mut decoded, &mut io::sink()) {
        Ok(_) => Ok(Some(TextEncoding::Gb18030)),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => Ok(None),
        Err(e) => Err(e),
    }
}

/// Decodes GB18030 bytes to UTF-8 as they are read; malformed bytes are an
/// [`io::ErrorKind::InvalidData`] error.
///
/// Written here because the streaming decoder crate (`encoding_rs_io`) replaces malformed
/// bytes with U+FFFD, and an import must reject them (naming their line) instead.
struct Gb18030Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    raw: Box<[u8]>,
    raw_start: usize,
    raw_end: usize,
    inner_done: bool,
    out: Box<[u8]>,
    out_start: usize,
    out_end: usize,
    finished: bool,
}

impl<R: Read> Gb18030Reader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            decoder: encoding_rs::GB18030.new_decoder_without_bom_handling(),
            raw: vec![0; CHUNK].into_boxed_slice(),
            raw_start: 0,
            raw_end: 0,
            inner_done: false,
            // Each GB18030 byte decodes to at most 3 bytes of UTF-8.
            out: vec![0; 3 * CHUNK + 16].into_boxed_slice(),
            out_start: 0,
            out_end: 0,
            finished: false,
        }
    }
}

impl<R: Read> Read for Gb18030Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_start < self.out_end {
                let n = buf.len().min(self.out_end - self.out_start);
                buf[..n].copy_from_slice(&self.out[self.out_start..self.out_start + n]);
                self.out_start += n;
                return Ok(n);
            }
            if self.finished || buf.is_empty() {
                return Ok(0);
            }
            if self.raw_start == self.raw_end && !self.inner_done {
                self.raw_end = read_some(&mut self.inner, &mut self.raw)?;
                self.raw_start = 0;
                self.inner_done = self.raw_end == 0;
            }
            let (result, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(&self.raw[self.raw_start..self.raw_end], &mut self.out, self.inner_done);
            self.raw_start += read;
            self.out_start = 0;
            self.out_end = written;
            match result {
                encoding_rs::DecoderResult::Malformed(..) => {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "malformed GB18030"));
                }
                encoding_rs::DecoderResult::InputEmpty => self.finished = self.inner_done,
                encoding_rs::DecoderResult::OutputFull => {}
            }
        }
    }
}

/// A run of line-end bytes (`\r`, `\n`) in the text: `start..end` (byte offsets) and the
/// 1-based line of the byte after it.
#[derive(Debug, Clone, Copy)]
struct LineEndRun {
    start: u64,
    end: u64,
    line_after: u64,
}

/// Passes text through to the csv reader and remembers the runs of line-end bytes it has
/// not yet asked about, so a record's line is found without rescanning the text (the
/// rescan made reading quadratic in the file's length: issue 15).
///
/// Written here because the csv crate's own line counter lags one line behind in CRLF files.
///
/// The csv crate's record position gives the byte offset and `1 + (number of '\n' before
/// it)`, but a record's offset may point into the line ends before it: at the `\n` of a
/// CRLF (the parser stops at the `\r`) or at blank lines it skips. The line is that of the
/// record's first byte, so those line ends are skipped: the run holding the offset gives the
/// line after it. Only the runs between the last record asked about and what the csv reader
/// has buffered are kept.
struct LineTracker<R> {
    inner: R,
    offset: u64,
    newlines: u64,
    open_run: Option<u64>,
    runs: VecDeque<LineEndRun>,
}

impl<R> LineTracker<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            newlines: 0,
            open_run: None,
            runs: VecDeque::new(),
        }
    }

    /// 1-based line of the first byte at or after `pos` that is not a line end. Calls must
    /// come in file order.
    fn line_of(&mut self, pos: &csv::Position) -> u64 {
        let at = pos.byte();
        while self.runs.front().is_some_and(|r| r.end <= at) {
            self.runs.pop_front();
        }
        match self.runs.front() {
            Some(r) if r.start <= at => r.line_after,
            // A run still being read (only at the end of the text): every '\n' seen is before.
            None if self.open_run.is_some_and(|s| s <= at) => self.newlines + 1,
            _ => pos.line(),
        }
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if b == b'\n' || b == b'\r' {
                if self.open_run.is_none() {
                    self.open_run = Some(self.offset);
                }
                self.newlines += u64::from(b == b'\n');
            } else if let Some(start) = self.open_run.take() {
                self.runs.push_back(LineEndRun {
                    start,
                    end: self.offset,
                    line_after: self.newlines + 1,
                });
            }
            self.offset += 1;
        }
        Ok(n)
    }
}

/// A CSV file read one record at a time (RFC 4180, header row, any line ends; UTF-8 or
/// GB18030/GBK like [`decode_text`]): memory does not grow with the number of rows, and each
/// row's line is found in one pass over the file.
pub struct CsvReader {
    path: PathBuf,
    headers: Vec<String>,
    header_problems: Vec<Problem>,
    reader: csv::Reader<LineTracker<Box<dyn Read>>>,
    stopped: bool,
}

impl fmt::Debug for CsvReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvReader")
            .field("path", &self.path)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl CsvReader {
    /// Opens a CSV file and reads its header. The file is read once first to choose its
    /// encoding (twice if it is not UTF-8), in bounded memory.
    ///
    /// # Errors
    /// An unreadable file, undecodable text (line and character of the first bad bytes) or
    /// an unreadable header.
    pub fn open(path: &Path) -> Result<Self, Vec<Problem>> {
        let io_problem = |e: io::Error| vec![Problem::new(path, None, None, e.to_string())];
        let text: Box<dyn Read> = match detect_encoding(path).map_err(io_problem)? {
            Some(encoding) => {
                let (file, head) = open_without_bom(path).map_err(io_problem)?;
                let bytes = io::Cursor::new(head).chain(file);
                match encoding {
                    TextEncoding::Utf8 => Box::new(bytes),
                    TextEncoding::Gb18030 => Box::new(Gb18030Reader::new(bytes)),
                }
            }
            None => {
                // Rare: read the whole file to name the first bad bytes as before.
                let bytes = std::fs::read(path).map_err(io_problem)?;
                let problem = decode_text(path, &bytes)
                    .err()
                    .unwrap_or_else(|| Problem::new(path, None, None, "the file changed while it was read"));
                return Err(vec![problem]);
            }
        };
        Self::from_text(path, text)
    }

    /// Reads the header of UTF-8 `text` (no BOM) named `path` in messages.
    fn from_text(path: &Path, text: Box<dyn Read>) -> Result<Self, Vec<Problem>> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(LineTracker::new(text));
        let headers: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(|s| s.trim().to_owned()).collect(),
            Err(e) => return Err(vec![Problem::new(path, Some(1), None, e.to_string())]),
        };
        let mut header_problems = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            if h.is_empty() {
                header_problems.push(Problem::new(path, Some(1), Some(i as u64 + 1), "empty column name"));
            } else if headers[..i].iter().any(|o| o.eq_ignore_ascii_case(h)) {
                header_problems.push(Problem::new(path, Some(1), Some(i as u64 + 1), format!("duplicate column '{h}'")));
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            headers,
            header_problems,
            reader,
            stopped: false,
        })
    }

    /// The file read.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Header names, trimmed.
    #[must_use]
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Empty or duplicate header names (line 1).
    #[must_use]
    pub fn header_problems(&self) -> &[Problem] {
        &self.header_problems
    }

    /// 0-based index of the first header equal (ASCII case-insensitively) to one of `names`.
    #[must_use]
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        find_column(&self.headers, names)
    }

    /// Reads the next data row into `record` and gives its 1-based line (where the record
    /// starts); blank lines are skipped. `Some(Err)` for a row whose number of fields
    /// differs from the header's (reading can go on) or for malformed CSV (the last
    /// answer); `None` at the end.
    pub fn read_row(&mut self, record: &mut csv::StringRecord) -> Option<Result<u64, Problem>> {
        if self.stopped {
            return None;
        }
        loop {
            match self.reader.read_record(record) {
                Ok(false) => return None,
                Ok(true) => {
                    if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
                        continue; // a blank line
                    }
                    let line = record.position().map_or(0, |p| self.reader.get_mut().line_of(p));
                    if record.len() != self.headers.len() {
                        return Some(Err(Problem::new(
                            &self.path,
                            Some(line),
                            Some(record.len().min(self.headers.len()) as u64 + 1),
                            format!("{} fields where the header has {}", record.len(), self.headers.len()),
                        )));
                    }
                    return Some(Ok(line));
                }
                Err(e) => {
                    self.stopped = true;
                    let line = e.position().map(|p| self.reader.get_mut().line_of(p));
                    return Some(Err(Problem::new(&self.path, line, None, format!("malformed CSV: {e}"))));
                }
            }
        }
    }
}

/// Reads and decodes a CSV file (RFC 4180, header row, any line ends) into memory; see
/// [`CsvReader`] to go through a large file row by row instead.
///
/// # Errors
/// Every problem found: undecodable text, malformed quoting, rows with the wrong number
/// of fields, duplicate or empty header names.
pub fn read_csv_table(path: &Path) -> Result<CsvTable, Vec<Problem>> {
    collect_table(CsvReader::open(path)?)
}

fn collect_table(mut reader: CsvReader) -> Result<CsvTable, Vec<Problem>> {
    let mut problems = reader.header_problems.clone();
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while let Some(row) = reader.read_row(&mut record) {
        match row {
            // Rows are only kept while they can still be returned.
            Ok(line) if problems.is_empty() => rows.push(CsvRow {
                line,
                fields: record.iter().map(str::to_owned).collect(),
            }),
            Ok(_) => {}
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() {
        Ok(CsvTable {
            path: reader.path,
            headers: reader.headers,
            rows,
        })
    } else {
        Err(problems)
    }
}

/// A CSV value as JSON: empty → null, a plain decimal number → number, otherwise string.
/// Numbers with a leading zero (`007`, codes) stay strings so nothing is lost.
#[must_use]
pub fn infer_value(raw: &str) -> Value {
    let s = raw.trim();
    if s.is_empty() {
        return Value::Null;
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    let plain = digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') && digits.bytes().filter(|&b| b == b'.').count() <= 1;
    if plain && !leading_zero && !digits.starts_with('.') && !digits.ends_with('.') {
        if let Ok(i) = s.parse::<i64>() {
            return Value::from(i);
        }
        if let Some(n) = s.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(s.to_owned())
}

/// A code as a JSON string, or null.
#[cfg(test)]
mod tests {
    use super::*;

    /// The former definition, rescanning the text from its start: the reference.
    fn line_by_rescan(text: &str, byte: u64) -> u64 {
        let bytes = text.as_bytes();
        let mut at = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        while at < bytes.len() && (bytes[at] == b'\r' || bytes[at] == b'\n') {
            at += 1;
        }
        bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64 + 1
    }

    /// Reads in pieces of `n` bytes, so that runs of line ends straddle reads.
    struct Pieces<'a>(&'a [u8], usize);

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// (line, fields) of every row, or the problems, read with pieces of `piece` bytes.
    fn rows(text: &'static str, piece: usize) -> Result<Vec<(u64, Vec<String>)>, Vec<String>> {
        let reader =
            CsvReader::from_text(Path::new("t.csv"), Box::new(Pieces(text.as_bytes(), piece))).map_err(|p| vec![p[0].to_string()])?;
        collect_table(reader)
            .map(|t| t.rows.into_iter().map(|r| (r.line, r.fields)).collect())
            .map_err(|ps| ps.iter().map(ToString::to_string).collect())
    }

    /// Lines by rescanning, from the csv crate's record offsets.
    fn reference_lines(text: &str) -> Vec<u64> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
        let _ = reader.headers();
        reader
            .records()
            .map(Result::unwrap)
            .filter(|r| !(r.len() == 1 && r.get(0).is_some_and(|f| f.trim().is_empty())))
            .map(|r| line_by_rescan(text, r.position().unwrap().byte()))
            .collect()
    }

    const CASES: [&str; 10] = [
        "a,b\n1,2\n3,4\n",
        "a,b\r\n1,2\r\n3,4\r\n",
        "a,b\r\n1,2\r\n3,4",
        "a,b\n\n\n1,2\n\r\n\r\n3,4\n\n",
        "a,b\r\n\r\n1,2\r\n   \r\n3,4\r\n",
        "a,b\n\"x\ny\",2\n\"p\r\n\r\nq\",4\n5,6\n",
        "a,b\r\"x\",2\r3,4\r",
        "\n\na,b\n1,2\n",
        "a,b\r\n1,\"\r\n\"\r\n\r\n\"\n\",2\r\n",
        "a,b\n1,2\n\n\n",
    ];

    #[test]
    fn lines_match_a_rescan_whatever_the_line_ends_and_read_sizes() {
        for text in CASES {
            let expected = reference_lines(text);
            for piece in [1, 2, 3, 7, 8192] {
                let got: Vec<u64> = rows(text, piece).unwrap().into_iter().map(|(l, _)| l).collect();
                assert_eq!(got, expected, "{text:?} read {piece} bytes at a time");
            }
        }
        assert_eq!(reference_lines(CASES[1]), [2, 3], "CRLF");
        assert_eq!(reference_lines(CASES[3]), [4, 7], "blank lines");
        assert_eq!(reference_lines(CASES[5]), [2, 4, 7], "quoted line ends");
    }

    #[test]
    fn wrong_field_counts_are_located() {
        let e = rows("a,b\r\n1,2\r\n\r\n3\r\n4,5,6\r\n", 5).unwrap_err();
        assert_eq!(
            e,
            [
                "t.csv:4:2: 1 fields where the header has 2",
                "t.csv:5:3: 3 fields where the header has 2"
            ]
        );
    }

    fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        io::Write::write_all(&mut f, bytes).unwrap();
        f
    }

    #[test]
    fn encodings_are_chosen_as_decode_text_does_across_chunk_boundaries() {
        // A UTF-8 character cut by the first chunk boundary, after a BOM.
        let mut utf8 = UTF8_BOM.to_vec();
        utf8.extend(std::iter::repeat_n(b'x', CHUNK - 4));
        utf8.extend("泊头\n".as_bytes());
        // GBK text longer than a chunk, with a character cut by the boundary.
        let long = format!("{}泊头铸造\n", "y".repeat(CHUNK - 1)).repeat(3);
        let (gbk, _, _) = encoding_rs::GBK.encode(&long);
        let mut bad = gbk.to_vec();
        bad.extend([b'\n', 0xFF, 0xFF]);
        for (bytes, encoding) in [
            (&utf8[..], Some(TextEncoding::Utf8)),
            (&gbk[..], Some(TextEncoding::Gb18030)),
            (&bad[..], None),
            (UTF8_BOM, Some(TextEncoding::Utf8)),
            (b"", Some(TextEncoding::Utf8)),
        ] {
            let f = temp_file(bytes);
            assert_eq!(detect_encoding(f.path()).unwrap(), encoding);
            let Ok(expected) = decode_text(f.path(), bytes) else {
                continue;
            };
            let (file, head) = open_without_bom(f.path()).unwrap();
            let mut text = String::new();
            let mut source: Box<dyn Read> = match encoding {
                Some(TextEncoding::Gb18030) => Box::new(Gb18030Reader::new(io::Cursor::new(head).chain(file))),
                _ => Box::new(io::Cursor::new(head).chain(file)),
            };
            source.read_to_string(&mut text).unwrap();
            assert!(text == expected, "decoded text differs");
        }
    }

    #[test]
    fn undecodable_files_are_reported_as_before() {
        let f = temp_file(b"id,name\na,ok\nb,x\xFF\xFE\n");
        let e = CsvReader::open(f.path()).unwrap_err();
        assert_eq!(e, [decode_text(f.path(), &std::fs::read(f.path()).unwrap()).unwrap_err()]);
        assert_eq!((e[0].line, e[0].column), (Some(3), Some(4)));
    }
}
