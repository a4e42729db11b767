//! Reading users' point files (CSV or GeoJSON) and the curated cluster CSV: text decoding
//! (UTF-8, else GB18030/GBK), CSV tables with line numbers, validation reported as
//! `file:line:column: message`, and encoding of a point layer as GeoJSON.

use crate::analysis::placement::{self, AdminNames, Placement};
use crate::atlas::Atlas;
use crate::crs::{self, Datum};
use crate::model::{AdminCode, AdminLevel};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, VecDeque};
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
fn code_value(c: Option<AdminCode>) -> Value {
    c.map_or(Value::Null, |c| Value::String(c.to_string()))
}

fn code_list(cs: &[AdminCode]) -> Value {
    Value::Array(cs.iter().map(|c| Value::String(c.to_string())).collect())
}

/// Adds the placement properties to `properties` and wraps them in a Point Feature.
/// `with_lists` adds `county_codes`/`prefecture_codes`/`province_codes` and the
/// `geonames_id`/`geonames_name` of a town match (the default layer's schema).
#[must_use]
pub fn placed_feature(id: &str, placement: &Placement, mut properties: Map<String, Value>, with_lists: bool) -> Value {
    properties.insert("id".into(), Value::String(id.to_owned()));
    properties.insert("county_code".into(), code_value(placement.county_code));
    properties.insert("prefecture_code".into(), code_value(placement.prefecture_code));
    properties.insert("province_code".into(), code_value(placement.province_code));
    properties.insert("precision".into(), Value::String(placement.precision.name().into()));
    properties.insert("location_method".into(), Value::String(placement.method.name().into()));
    if with_lists {
        properties.insert("county_codes".into(), code_list(&placement.county_codes));
        properties.insert("prefecture_codes".into(), code_list(&placement.prefecture_codes));
        properties.insert("province_codes".into(), code_list(&placement.province_codes));
        let g = placement.gazetteer.as_ref();
        properties.insert("geonames_id".into(), g.map_or(Value::Null, |g| Value::from(g.id)));
        properties.insert("geonames_name".into(), g.map_or(Value::Null, |g| Value::String(g.name.clone())));
    }
    json!({
        "type": "Feature",
        "id": id,
        "geometry": {"type": "Point", "coordinates": [placement.point.x(), placement.point.y()]},
        "properties": properties,
    })
}

/// Encodes features as a FeatureCollection with one feature per line (stable, diffable),
/// into one buffer (features already encoded as [`RawValue`] are copied as they are).
#[must_use]
pub fn encode_layer<T: serde::Serialize>(features: &[T]) -> String {
    let mut out = Vec::with_capacity(64 + features.len() * 512);
    out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (i, f) in features.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        // Serialising a JSON value or raw JSON into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, f);
    }
    out.extend_from_slice(b"\n]}\n");
    String::from_utf8(out).unwrap_or_default()
}

/// A feature encoded once, as an import keeps it until it is written: a million rows held
/// as `Value` trees took 4 GB, as text about 300 MB.
fn encoded(feature: &Value) -> Box<RawValue> {
    serde_json::value::to_raw_value(feature).unwrap_or_default()
}

/// The result of validating an import: features of the valid rows, problems of the others.
#[derive(Debug, Default)]
pub struct ImportOutcome {
    /// Features ready to write (WGS84), each encoded as GeoJSON.
    pub features: Vec<Box<RawValue>>,
    /// Every problem found, in file order.
    pub problems: Vec<Problem>,
    /// Number of rows or features rejected.
    pub rejected: usize,
}

/// Columns of an import CSV that the importer interprets (0-based indexes).
struct ImportColumns {
    id: Option<usize>,
    name: usize,
    lon: Option<usize>,
    lat: Option<usize>,
    county_code: Option<usize>,
    county: Option<usize>,
    prefecture: Option<usize>,
    province: Option<usize>,
}

fn import_columns(t: &CsvTable) -> Result<ImportColumns, Problem> {
    let header_problem = |m: &str| Problem::new(&t.path, Some(1), None, m);
    let cols = ImportColumns {
        id: t.column(&["id"]),
        name: t
            .column(&["name_zh", "name"])
            .ok_or_else(|| header_problem("the header needs a 'name_zh' (or 'name') column"))?,
        lon: t.column(&["lon", "lng", "longitude"]),
        lat: t.column(&["lat", "latitude"]),
        county_code: t.column(&["county_code"]),
        county: t.column(&["county_zh", "county_name", "county"]),
        prefecture: t.column(&["prefecture_zh", "prefecture_name", "prefecture"]),
        province: t.column(&["province_zh", "province_name", "province"]),
    };
    if cols.lon.is_some() != cols.lat.is_some() {
        return Err(header_problem("the header has only one of 'lon'/'lat'; give both"));
    }
    if cols.lon.is_none() && cols.county_code.is_none() && cols.county.is_none() {
        return Err(header_problem(
            "the header needs 'lon' and 'lat' columns, or a 'county_code' or 'county_zh' column",
        ));
    }
    Ok(cols)
}

/// Places the rows of one import CSV one at a time (see [`import_csv`]): the columns are
/// found once from the header, then each row is validated and placed on its own, so a file
/// can be streamed (`import --postgres`) as well as read whole.
pub struct RowPlacer<'a> {
    atlas: &'a Atlas,
    head: CsvTable,
    cols: ImportColumns,
    datum: Datum,
}

impl<'a> RowPlacer<'a> {
    /// Finds the interpreted columns among `headers` of the file `path`.
    ///
    /// # Errors
    /// A header [`Problem`] (no name column, only one of lon/lat, no location column).
    pub fn new(atlas: &'a Atlas, path: &Path, headers: &[String], datum: Datum) -> Result<Self, Problem> {
        let head = CsvTable {
            path: path.to_path_buf(),
            headers: headers.to_vec(),
            rows: Vec::new(),
        };
        let cols = import_columns(&head)?;
        Ok(Self { atlas, head, cols, datum })
    }

    /// The feature id of a row: its `id` column, else `row-<line>`.
    #[must_use]
    pub fn id(&self, row: &CsvRow) -> String {
        self.cols
            .id
            .map(|i| row.fields[i].trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("row-{}", row.line))
    }

    /// 1-based column of the `id` field, for duplicate-id messages.
    #[must_use]
    pub fn id_column(&self) -> Option<u64> {
        self.cols.id.map(|i| i as u64 + 1)
    }

    /// Validates and places one row: the GeoJSON feature to store, or its problems.
    ///
    /// # Errors
    /// Every problem of the row, located by line and column.
    pub fn place(&self, row: &CsvRow) -> Result<Value, Vec<Problem>> {
        let mut problems = Vec::new();
        let result = import_row(self.atlas, &self.head, &self.cols, row, self.datum, &mut problems);
        match result {
            Some((placement, props)) if problems.is_empty() => Ok(placed_feature(&self.id(row), &placement, props, false)),
            _ => Err(problems),
        }
    }
}

/// Validates and places every row of an import CSV: coordinates (in `datum`, stored as
/// WGS84, precision `exact`), else a county code or county name (the county's point,
/// precision `county`). Every other column is kept as a typed property.
#[must_use]
pub fn import_csv(atlas: &Atlas, table: &CsvTable, datum: Datum) -> ImportOutcome {
    let mut out = ImportOutcome::default();
    let placer = match RowPlacer::new(atlas, &table.path, &table.headers, datum) {
        Ok(p) => p,
        Err(p) => {
            out.problems.push(p);
            out.rejected = table.rows.len();
            return out;
        }
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in &table.rows {
        let result = placer.place(row);
        let id = placer.id(row);
        let mut problems = Vec::new();
        if let Some(first) = seen.get(&id) {
            problems.push(Problem::new(
                &table.path,
                Some(row.line),
                placer.id_column(),
                format!("duplicate id '{id}' (first on line {first})"),
            ));
        } else {
            seen.insert(id, row.line);
        }
        match result {
            Ok(feature) if problems.is_empty() => out.features.push(encoded(&feature)),
            Ok(_) => {
                out.rejected += 1;
                out.problems.extend(problems);
            }
            Err(mut row_problems) => {
                out.rejected += 1;
                row_problems.extend(problems);
                out.problems.extend(row_problems);
            }
        }
    }
    out
}

fn import_row(
    atlas: &Atlas,
    t: &CsvTable,
    cols: &ImportColumns,
    row: &CsvRow,
    datum: Datum,
    problems: &mut Vec<Problem>,
) -> Option<(Placement, Map<String, Value>)> {
    let at = |i: usize| Some(i as u64 + 1);
    let field = |i: Option<usize>| i.map(|i| row.fields[i].trim()).filter(|s| !s.is_empty());
    let mut bad = |i: usize, m: String| problems.push(Problem::new(&t.path, Some(row.line), at(i), m));
    let name = field(Some(cols.name));
    if name.is_none() {
        bad(cols.name, format!("column '{}': empty name", t.headers[cols.name]));
    }
    let given_code = match (cols.county_code, field(cols.county_code)) {
        (Some(i), Some(s)) => match s.parse::<AdminCode>() {
            Ok(c) if atlas.admin_by_code(AdminLevel::County, c).is_some() => Some(c),
            Ok(c) => {
                bad(i, format!("column 'county_code': unknown county code {c}"));
                None
            }
            Err(e) => {
                bad(i, format!("column 'county_code': {e}"));
                None
            }
        },
        _ => None,
    };
    let placement = match (cols.lon.zip(cols.lat), field(cols.lon), field(cols.lat)) {
        (Some((ilon, ilat)), Some(lon), Some(lat)) => {
            let num = |i: usize, v: &str| v.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or((i, v.to_owned()));
            match (num(ilon, lon), num(ilat, lat)) {
                (Ok(lon), Ok(lat)) => exact_point(atlas, datum, lon, lat).map_err(|m| (ilon, m)),
                (Err((i, v)), _) | (_, Err((i, v))) => Err((i, format!("column '{}': '{v}' is not a number", t.headers[i]))),
            }
            .map_err(|(i, m)| bad(i, m))
            .ok()
        }
        (Some((ilon, ilat)), lon, lat) if (lon.is_some() || lat.is_some()) || (given_code.is_none() && field(cols.county).is_none()) => {
            let missing = if lon.is_none() { ilon } else { ilat };
            bad(missing, format!("column '{}': empty coordinate", t.headers[missing]));
            None
        }
        _ => county_point(atlas, t, cols, row, given_code, &mut bad),
    };
    if let (Some(p), Some(code), Some(i)) = (&placement, given_code, cols.county_code) {
        if p.county_code.is_some_and(|c| c != code) {
            let found = p.county_code.map(|c| c.to_string()).unwrap_or_default();
            bad(
                i,
                format!("column 'county_code': {code} disagrees with the coordinates, which lie in county {found}"),
            );
        }
    }
    let mut props = Map::new();
    for (i, (h, v)) in t.headers.iter().zip(&row.fields).enumerate() {
        if Some(i) == cols.lon || Some(i) == cols.lat {
            continue; // the geometry holds the (WGS84) coordinates
        }
        let value = if h.eq_ignore_ascii_case("id") || h.ends_with("_code") {
            field(Some(i)).map_or(Value::Null, |s| Value::String(s.to_owned()))
        } else {
            infer_value(v)
        };
        props.insert(h.clone(), value);
    }
    if let Some(n) = name {
        props.insert("name_zh".into(), Value::String(n.to_owned()));
    }
    if datum != Datum::Wgs84 && cols.lon.is_some() {
        props.insert("source_crs".into(), Value::String(datum_name(datum).into()));
    }
    placement.map(|p| (p, props))
}

fn datum_name(d: Datum) -> &'static str {
    match d {
        Datum::Wgs84 => "wgs84",
        Datum::Gcj02 => "gcj02",
        Datum::Bd09 => "bd09",
    }
}

fn exact_point(atlas: &Atlas, datum: Datum, lon: f64, lat: f64) -> Result<Placement, String> {
    crate::analysis::reverse::validate_lon_lat(lon, lat).map_err(|e| e.to_string())?;
    let (x, y) = if datum == Datum::Wgs84 {
        (lon, lat)
    } else {
        crs::convert(datum, Datum::Wgs84, (lon, lat))
    };
    placement::place_exact(atlas, x, y).map_err(|e| e.to_string())
}

fn county_point(
    atlas: &Atlas,
    t: &CsvTable,
    cols: &ImportColumns,
    row: &CsvRow,
    given_code: Option<AdminCode>,
    bad: &mut impl FnMut(usize, String),
) -> Option<Placement> {
    if let Some(code) = given_code {
        return placement::place_at_county(atlas, code);
    }
    let field = |i: Option<usize>| i.map_or("", |i| row.fields[i].trim());
    let county = field(cols.county);
    let Some(icounty) = cols.county.filter(|_| !county.is_empty()) else {
        if let Some(i) = cols.county_code.or(cols.county) {
            bad(i, format!("column '{}': no coordinates and no county given", t.headers[i]));
        }
        return None;
    };
    let names = AdminNames {
        province: field(cols.province),
        prefecture: field(cols.prefecture),
        county,
    };
    let resolution = placement::resolve_admin_names(atlas, &names);
    if let Some(u) = resolution.unresolved.first() {
        let i = match u.level {
            AdminLevel::Province => cols.province,
            AdminLevel::Prefecture => cols.prefecture,
            AdminLevel::County => cols.county,
        }
        .unwrap_or(icounty);
        bad(i, format!("column '{}': no {} named '{}'", t.headers[i], u.level, u.name));
        return None;
    }
    if resolution.counties.len() != 1 {
        bad(icounty, format!("column '{}': give exactly one county", t.headers[icounty]));
        return None;
    }
    let same_name = atlas
        .admin_units(AdminLevel::County)
        .iter()
        .filter(|u| u.name_zh == resolution.counties[0].name_zh)
        .count();
    if same_name > 1 && names.prefecture.is_empty() && names.province.is_empty() {
        bad(
            icounty,
            format!(
                "column '{}': {same_name} counties are named '{county}'; add a prefecture_zh or province_zh column",
                t.headers[icounty]
            ),
        );
        return None;
    }
    placement::place_resolved(&resolution, None, "")
}

/// Where each element of a JSON array slice starts in `text`, as (line, column), 1-based.
fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u64 + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
    (line, col)
}

#[derive(serde::Deserialize)]
struct RawCollection<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow)]
    features: Vec<&'a RawValue>,
}

/// Validates and places every Point Feature of an import GeoJSON (coordinates in `datum`).
/// Each feature keeps its properties; `id` comes from the feature id, an `id` property or
/// its position; `name_zh` (or `name`) is required.
#[must_use]
pub fn import_geojson(atlas: &Atlas, path: &Path, text: &str, datum: Datum) -> ImportOutcome {
    let mut out = ImportOutcome::default();
    let collection: RawCollection<'_> = match serde_json::from_str(text) {
        Ok(c) => c,
        Err(e) => {
            out.problems.push(Problem::new(
                path,
                Some(e.line() as u64),
                Some(e.column() as u64),
                format!("invalid GeoJSON: {e}"),
            ));
            return out;
        }
    };
    if collection.kind != "FeatureCollection" {
        out.problems
            .push(Problem::new(path, Some(1), Some(1), "not a GeoJSON FeatureCollection"));
        return out;
    }
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (n, raw) in collection.features.iter().enumerate() {
        let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let (line, col) = line_col(text, offset);
        let problem = |m: String| Problem::new(path, Some(line), Some(col), format!("feature {}: {m}", n + 1));
        match geojson_feature(atlas, raw, n, datum) {
            Ok((id, placement, props)) => {
                if let Some(first) = seen.get(&id) {
                    out.problems.push(problem(format!("duplicate id '{id}' (first on line {first})")));
                    out.rejected += 1;
                } else {
                    seen.insert(id.clone(), line);
                    out.features.push(encoded(&placed_feature(&id, &placement, props, false)));
                }
            }
            Err(m) => {
                out.problems.push(problem(m));
                out.rejected += 1;
            }
        }
    }
    out
}

fn geojson_feature(atlas: &Atlas, raw: &RawValue, n: usize, datum: Datum) -> Result<(String, Placement, Map<String, Value>), String> {
    let f: Value = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err("not a Feature".into());
    }
    let (lon, lat) = super::points::point_coordinates(&f)?;
    let placement = exact_point(atlas, datum, lon, lat)?;
    let mut props = f.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    let name = ["name_zh", "name"]
        .iter()
        .find_map(|k| {
            props
                .get(*k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        })
        .ok_or("no 'name_zh' (or 'name') property")?;
    props.insert("name_zh".into(), Value::String(name));
    let id = match (f.get("id"), props.get("id")) {
        (Some(Value::String(s)), _) | (_, Some(Value::String(s))) if !s.is_empty() => s.clone(),
        (Some(Value::Number(x)), _) | (_, Some(Value::Number(x))) => x.to_string(),
        _ => format!("feature-{}", n + 1),
    };
    if datum != Datum::Wgs84 {
        props.insert("source_crs".into(), Value::String(datum_name(datum).into()));
    }
    Ok((id, placement, props))
}

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
