//! SQL text with bound parameters: the filters of a request as a `WHERE` clause in which
//! user text only ever travels as a parameter (`$n`), never inside the SQL.
//!
//! CQL2 is translated here rather than with the `cql2` crate's `to_sql`: that writes
//! literals into the SQL text (quoted, but still text built from user input) and names
//! properties as columns, while this layer keeps each queryable in a typed column and must
//! bind every value.

use super::schema::Column;
use crate::analysis::features::{Bbox, QueryableType, SortKey};
use crate::analysis::{AnalysisError, PointFilter};
use crate::model::DatetimeFilter;
use bytes::BytesMut;
use postgres_types::{IsNull, ToSql, Type, to_sql_checked};

/// One bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// `text`.
    Text(String),
    /// `float8`.
    Float(f64),
    /// `int4`.
    Int(i32),
    /// `int8`.
    BigInt(i64),
    /// `bool`.
    Bool(bool),
}

impl ToSql for Param {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Param::Text(s) => s.to_sql(ty, out),
            Param::Float(f) => f.to_sql(ty, out),
            Param::Int(i) => i.to_sql(ty, out),
            Param::BigInt(i) => i.to_sql(ty, out),
            Param::Bool(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [Type::TEXT, Type::VARCHAR, Type::FLOAT8, Type::INT4, Type::INT8, Type::BOOL].contains(ty)
    }

    to_sql_checked!();
}

/// A growing `WHERE` clause (conditions joined by AND) and its parameters.
#[derive(Debug, Default, Clone)]
pub struct Sql {
    conditions: Vec<String>,
    params: Vec<Param>,
}

impl Sql {
    /// Binds `p` and returns its placeholder with an explicit cast (`$3::float8`), so that
    /// PostgreSQL never guesses a parameter's type.
    pub fn bind(&mut self, p: Param) -> String {
        let cast = match p {
            Param::Text(_) => "text",
            Param::Float(_) => "float8",
            Param::Int(_) => "int4",
            Param::BigInt(_) => "int8",
            Param::Bool(_) => "bool",
        };
        self.params.push(p);
        format!("${}::{cast}", self.params.len())
    }

    /// Adds one condition.
    pub fn and(&mut self, condition: String) {
        self.conditions.push(condition);
    }

    /// `WHERE a AND b …`, or nothing.
    #[must_use]
    pub fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conditions.join(" AND "))
        }
    }

    /// The parameters, for `query(sql, &params)`.
    #[must_use]
    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
    }

    /// Adds the points inside each of the one or two boxes (ORed), edges included.
    pub fn boxes(&mut self, boxes: &[([f64; 2], [f64; 2])]) {
        let parts: Vec<String> = boxes
            .iter()
            .map(|(lo, hi)| {
                let (a, b, c, d) = (
                    self.bind(Param::Float(lo[0])),
                    self.bind(Param::Float(lo[1])),
                    self.bind(Param::Float(hi[0])),
                    self.bind(Param::Float(hi[1])),
                );
                // `&&` compares the index's float4 boxes, rounded outwards: it finds the
                // candidates, the coordinates decide (edges inclusive, as in memory).
                format!(
                    "(geom && ST_MakeEnvelope({a}, {b}, {c}, {d}, 4326) \
                     AND ST_X(geom) BETWEEN {a} AND {c} AND ST_Y(geom) BETWEEN {b} AND {d})"
                )
            })
            .collect();
        match parts.len() {
            0 => {}
            1 => self.and(parts.into_iter().next().unwrap_or_default()),
            _ => self.and(format!("({})", parts.join(" OR "))),
        }
    }

    /// Adds a bbox (split at the antimeridian as the in-memory selection splits it).
    pub fn bbox(&mut self, b: &Bbox) {
        let boxes = if b.min_lon <= b.max_lon {
            vec![([b.min_lon, b.min_lat], [b.max_lon, b.max_lat])]
        } else {
            vec![
                ([b.min_lon, b.min_lat], [180.0, b.max_lat]),
                ([-180.0, b.min_lat], [b.max_lon, b.max_lat]),
            ]
        };
        self.boxes(&boxes);
    }

    /// Adds the conditions of a proximity/density/tile filter, as [`PointFilter::matches`]
    /// tests them; `with_industry = false` leaves out the industry condition.
    pub fn point_filter(&mut self, f: &PointFilter, with_industry: bool) {
        // ASCII case-insensitive, as `eq_ignore_ascii_case`: lower() under the C collation
        // folds ASCII letters only.
        if let Some(kind) = &f.kind {
            let p = self.bind(Param::Text(kind.clone()));
            self.and(format!("lower(kind COLLATE \"C\") = lower({p} COLLATE \"C\")"));
        }
        if with_industry {
            if let Some(tag) = &f.industry {
                self.industry(tag);
            }
        }
        if let Some(level) = &f.approval_level {
            let p = self.bind(Param::Text(level.clone()));
            self.and(format!("lower(approval_level COLLATE \"C\") = lower({p} COLLATE \"C\")"));
        }
        if let Some(d) = &f.designation {
            let p = self.bind(Param::Text(d.to_lowercase()));
            self.and(format!("strpos(designation_lower, {p}) > 0"));
        }
        if let Some(d) = &f.datetime {
            self.datetime(d);
        }
    }

    /// Features carrying `tag` among their industries (ASCII case-insensitive).
    pub fn industry(&mut self, tag: &str) {
        let c = self.industry_condition(tag);
        self.and(c);
    }

    /// The condition of [`Sql::industry`], bound but not added (for a `FILTER` clause).
    pub fn industry_condition(&mut self, tag: &str) -> String {
        let p = self.bind(Param::Text(tag.to_owned()));
        format!("EXISTS (SELECT 1 FROM unnest(industries) AS i(tag) WHERE lower(i.tag COLLATE \"C\") = lower({p} COLLATE \"C\"))")
    }

    /// Features whose time intersects `d` ([`DatetimeFilter::matches`]).
    pub fn datetime(&mut self, d: &DatetimeFilter) {
        self.and("t_start IS NOT NULL".to_owned());
        if let Some(s) = d.start {
            let p = self.bind(Param::Int(i32::try_from(s.value()).unwrap_or(i32::MAX)));
            self.and(format!("t_end >= {p}"));
        }
        if let Some(e) = d.end {
            let p = self.bind(Param::Int(i32::try_from(e.value()).unwrap_or(i32::MAX)));
            self.and(format!("t_start <= {p}"));
        }
    }

    /// `property = value` of the query string on a queryable column (`industry` by tag).
    pub fn equals(&mut self, columns: &[Column], name: &str, want: &str) -> Result<(), AnalysisError> {
        if name == "industry" {
            self.industry(want);
            return Ok(());
        }
        let c = column(columns, name)?;
        let p = match c.kind {
            QueryableType::String => Param::Text(want.to_owned()),
            QueryableType::Number => Param::Float(want.trim().parse().map_err(|_| AnalysisError::PropertyValue {
                property: name.to_owned(),
                expected: "a number",
                value: want.to_owned(),
            })?),
            QueryableType::Boolean => Param::Bool(want == "true"),
        };
        let p = self.bind(p);
        self.and(format!("{} = {p}", c.sql_name()));
        Ok(())
    }

    /// Adds a CQL2 filter (see [`Cql2`]).
    ///
    /// # Errors
    /// [`AnalysisError::InvalidArgument`] naming `filter` for an operator or operand this
    /// layer does not translate.
    pub fn cql2(&mut self, columns: &[Column], expr: &cql2::Expr) -> Result<(), AnalysisError> {
        let text = Cql2 { sql: self, columns }.boolean(expr)?;
        self.and(text);
        Ok(())
    }
}

/// `ORDER BY` of an items page: the `sortby` keys on their typed columns (missing values
/// last in both directions, as in memory), then file order.
///
/// # Errors
/// [`AnalysisError::UnknownProperty`] for a key without a column.
pub fn order_by(columns: &[Column], keys: &[SortKey]) -> Result<String, AnalysisError> {
    let mut parts = Vec::with_capacity(keys.len() + 1);
    for k in keys {
        let c = column(columns, &k.property)?;
        parts.push(format!("{} {} NULLS LAST", c.sql_name(), if k.descending { "DESC" } else { "ASC" }));
    }
    parts.push("ord".to_owned());
    Ok(parts.join(", "))
}

fn column<'a>(columns: &'a [Column], name: &str) -> Result<&'a Column, AnalysisError> {
    columns
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| AnalysisError::UnknownProperty(name.to_owned()))
}

fn unsupported(what: String) -> AnalysisError {
    AnalysisError::InvalidArgument {
        parameter: "filter",
        message: format!("{what} is not supported on database layers"),
    }
}

/// What a condition is whose value the in-memory evaluator cannot decide (an unknown, as
/// SQL's NULL: no match, and `NOT` of it no match either).
const UNKNOWN: &str = "NULL::boolean";

/// The kind of a CQL2 operand. The `cql2` evaluator of the in-memory layers compares two
/// operands only when they are of one kind (`'true' = true` stays undecided), so a comparison
/// across kinds becomes [`UNKNOWN`] here rather than a PostgreSQL type error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Bool,
    Geometry,
    Null,
}

impl Kind {
    /// Whether two of the operands (NULLs aside) are of different kinds.
    fn differ(kinds: &[Kind]) -> bool {
        let mut known = kinds.iter().filter(|k| **k != Kind::Null);
        known.next().is_some_and(|first| known.any(|k| k != first))
    }
}

/// The CQL2 translator: comparisons, `LIKE`, `BETWEEN`, `IN`, `IS NULL`, `CASEI`, AND/OR/NOT
/// and the spatial predicates on `geometry`; property names become the queryables' typed
/// columns, every literal a parameter.
struct Cql2<'a> {
    sql: &'a mut Sql,
    columns: &'a [Column],
}

impl Cql2<'_> {
    fn boolean(&mut self, e: &cql2::Expr) -> Result<String, AnalysisError> {
        use cql2::Expr;
        let Expr::Operation { op, args } = e else {
            return match e {
                Expr::Bool(b) => Ok(self.sql.bind(Param::Bool(*b))),
                _ => Err(unsupported("a filter that is not a condition".to_owned())),
            };
        };
        let op = op.to_ascii_lowercase();
        let a: Vec<&Expr> = args.iter().map(AsRef::as_ref).collect();
        Ok(match (op.as_str(), a.as_slice()) {
            ("and" | "or", _) if !a.is_empty() => {
                let parts = a.iter().map(|x| self.boolean(x)).collect::<Result<Vec<_>, _>>()?;
                format!("({})", parts.join(if op == "and" { " AND " } else { " OR " }))
            }
            ("not", [x]) => format!("(NOT {})", self.boolean(x)?),
            ("=" | "<>" | "<" | "<=" | ">" | ">=" | "like", [l, r]) => {
                let bound = self.sql.params.len();
                let (l, r) = (self.value(l)?, self.value(r)?);
                if Kind::differ(&[l.1, r.1]) {
                    self.sql.params.truncate(bound);
                    UNKNOWN.to_owned()
                } else {
                    let op = if op == "like" { "LIKE" } else { op.as_str() };
                    format!("({} {op} {})", l.0, r.0)
                }
            }
            ("between", [x, lo, hi]) => {
                let bound = self.sql.params.len();
                let (x, lo, hi) = (self.value(x)?, self.value(lo)?, self.value(hi)?);
                if Kind::differ(&[x.1, lo.1, hi.1]) {
                    // The operands' parameters were the last bound: unbind them.
                    self.sql.params.truncate(bound);
                    UNKNOWN.to_owned()
                } else {
                    format!("({} BETWEEN {} AND {})", x.0, lo.0, hi.0)
                }
            }
            ("in", [x, Expr::Array(list)]) => {
                let x = self.value(x)?;
                let items = list.iter().map(|i| self.value(i)).collect::<Result<Vec<_>, _>>()?;
                if items.is_empty() {
                    format!("(CASE WHEN {} IS NULL THEN NULL ELSE false END)", x.0)
                } else if Kind::differ(&std::iter::once(x.1).chain(items.iter().map(|i| i.1)).collect::<Vec<_>>()) {
                    // The in-memory evaluator compares `IN` operands as text.
                    let items: Vec<String> = items.into_iter().map(|i| format!("{}::text", i.0)).collect();
                    format!("({}::text IN ({}))", x.0, items.join(", "))
                } else {
                    let items: Vec<String> = items.into_iter().map(|i| i.0).collect();
                    format!("({} IN ({}))", x.0, items.join(", "))
                }
            }
            ("isnull", [x]) => format!("({} IS NULL)", self.value(x)?.0),
            (s, [l, r]) if s.starts_with("s_") => {
                let f = match s {
                    "s_intersects" => "ST_Intersects",
                    "s_equals" => "ST_Equals",
                    "s_within" => "ST_Within",
                    "s_contains" => "ST_Contains",
                    "s_crosses" => "ST_Crosses",
                    "s_overlaps" => "ST_Overlaps",
                    "s_touches" => "ST_Touches",
                    "s_disjoint" => "ST_Disjoint",
                    _ => return Err(unsupported(format!("operator '{s}'"))),
                };
                format!("{f}({}, {})", self.geometry(l)?, self.geometry(r)?)
            }
            _ => return Err(unsupported(format!("operator '{op}' with {} argument(s)", a.len()))),
        })
    }

    /// An operand as SQL, with its kind.
    fn value(&mut self, e: &cql2::Expr) -> Result<(String, Kind), AnalysisError> {
        use cql2::Expr;
        Ok(match e {
            Expr::Property { property } if property == "geometry" => ("geom".to_owned(), Kind::Geometry),
            Expr::Property { property } => {
                let c = column(self.columns, property)?;
                let kind = match c.kind {
                    QueryableType::String => Kind::Text,
                    QueryableType::Number => Kind::Number,
                    QueryableType::Boolean => Kind::Bool,
                };
                (c.sql_name(), kind)
            }
            Expr::Float(f) => (self.sql.bind(Param::Float(*f)), Kind::Number),
            Expr::Literal(s) => (self.sql.bind(Param::Text(s.clone())), Kind::Text),
            Expr::Bool(b) => (self.sql.bind(Param::Bool(*b)), Kind::Bool),
            Expr::Null => ("NULL".to_owned(), Kind::Null),
            Expr::Operation { op, args } if op.eq_ignore_ascii_case("casei") && args.len() == 1 => {
                let (inner, kind) = self.value(&args[0])?;
                if kind != Kind::Text {
                    return Err(unsupported("CASEI of a value that is not text".to_owned()));
                }
                (format!("lower({inner})"), Kind::Text)
            }
            Expr::Geometry(_) | Expr::BBox { .. } => (self.geometry(e)?, Kind::Geometry),
            Expr::Operation { op, .. } => return Err(unsupported(format!("operator '{op}' as a value"))),
            _ => return Err(unsupported("a date, timestamp, interval or array value".to_owned())),
        })
    }

    fn geometry(&mut self, e: &cql2::Expr) -> Result<String, AnalysisError> {
        use cql2::Expr;
        Ok(match e {
            Expr::Property { property } if property == "geometry" => "geom".to_owned(),
            Expr::Geometry(g) => {
                let json = serde_json::to_string(g).map_err(|e| unsupported(format!("geometry literal ({e})")))?;
                let p = self.sql.bind(Param::Text(json));
                format!("ST_SetSRID(ST_GeomFromGeoJSON({p}), 4326)")
            }
            Expr::BBox { bbox } => {
                let n: Vec<f64> = bbox
                    .iter()
                    .map(|b| match b.as_ref() {
                        Expr::Float(f) => Ok(*f),
                        _ => Err(unsupported("a BBOX of non-numbers".to_owned())),
                    })
                    .collect::<Result<_, _>>()?;
                let [w, s, e, n] = match n.as_slice() {
                    [w, s, e, n] | [w, s, _, e, n, _] => [*w, *s, *e, *n],
                    _ => return Err(unsupported("a BBOX without 4 or 6 numbers".to_owned())),
                };
                let p: Vec<String> = [w, s, e, n].into_iter().map(|v| self.sql.bind(Param::Float(v))).collect();
                format!("ST_MakeEnvelope({}, {}, {}, {}, 4326)", p[0], p[1], p[2], p[3])
            }
            _ => return Err(unsupported("a spatial operand that is neither geometry nor a literal".to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<Column> {
        vec![
            Column::new("name_zh", QueryableType::String, 0),
            Column::new("firms", QueryableType::Number, 1),
        ]
    }

    #[test]
    fn user_text_only_travels_as_parameters() {
        let hostile = [
            "name_zh = 'x''; DROP TABLE cluster_atlas.layers; --'",
            "name_zh = '/* */ OR 1=1 --'",
            "name_zh LIKE '%''); SELECT pg_sleep(10); --'",
            "name_zh IN ('铸''造; DROP', '\u{202e}')",
            "firms > 1 AND name_zh = '\\''; DELETE FROM x'",
        ];
        for text in hostile {
            let e = cql2::parse_text(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let mut sql = Sql::default();
            sql.cql2(&columns(), &e).unwrap_or_else(|e| panic!("{text}: {e}"));
            let w = sql.where_clause();
            for bad in ["DROP", "DELETE", "pg_sleep", "--", "/*", ";", "'"] {
                assert!(!w.contains(bad), "{text} → {w}");
            }
            assert!(!sql.params.is_empty(), "{text}");
        }
        let e = cql2::parse_text("name_zh = 'a' AND (firms BETWEEN 1 AND 5 OR firms IS NULL)").unwrap_or_else(|e| panic!("{e}"));
        let mut sql = Sql::default();
        sql.cql2(&columns(), &e).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            sql.where_clause(),
            " WHERE ((q0 = $1::text) AND ((q1 BETWEEN $2::float8 AND $3::float8) OR (q1 IS NULL)))"
        );
        assert_eq!(sql.params[0], Param::Text("a".into()));
    }

    #[test]
    fn comparisons_across_kinds_are_unknown_as_in_memory() {
        for (text, want) in [
            ("name_zh = true", " WHERE NULL::boolean"),
            ("name_zh = true OR firms = 1", " WHERE (NULL::boolean OR (q1 = $1::float8))"),
            ("NOT (firms > 'abc')", " WHERE (NOT NULL::boolean)"),
            ("firms BETWEEN 1 AND 'x'", " WHERE NULL::boolean"),
            ("firms IN (1, '2')", " WHERE (q1::text IN ($1::float8::text, $2::text::text))"),
            ("firms = 2", " WHERE (q1 = $1::float8)"),
        ] {
            let e = cql2::parse_text(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let mut sql = Sql::default();
            sql.cql2(&columns(), &e).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(sql.where_clause(), want, "{text}");
        }
    }

    #[test]
    fn unknown_properties_and_operators_are_refused() {
        let mut sql = Sql::default();
        let e = cql2::parse_text("nope = 1").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(sql.cql2(&columns(), &e), Err(AnalysisError::UnknownProperty(p)) if p == "nope"));
        let e = cql2::parse_text("firms + 1 > 2").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            sql.cql2(&columns(), &e),
            Err(AnalysisError::InvalidArgument { parameter: "filter", .. })
        ));
    }
}
