//! Query-string parsing with errors that name the parameter, and rejection of parameter
//! names an endpoint does not know (a typo such as `lng=` must not be silently ignored).

use super::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::str::FromStr;

/// The decoded query string of a request; each accessor consumes the names it reads, and
/// [`QueryParams::finish`] rejects what is left.
#[derive(Debug, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
    known: Vec<&'static str>,
}

/// The point filters every analysis endpoint takes, as documented in the OpenAPI description
/// (parsed by [`QueryParams::point_filter`]; `params(…, PointFilterDoc)` in a `utoipa::path`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "only read by the OpenAPI derive")]
pub struct PointFilterDoc {
    /// Only features of this kind (e.g. `cluster`, `park`, `town`)
    kind: Option<String>,
    /// Only features carrying this industry tag among their `industries` (e.g. `foundry`)
    industry: Option<String>,
    /// Only features of this approval level (`national` or `provincial`: development zones)
    approval_level: Option<String>,
    /// Only features whose time (approval month, else designation year) intersects this
    /// instant or interval: `2005`, `2005-06`, `2005-06-01`, an RFC 3339 date-time, or
    /// `start/end` with `..` or an empty end for open (`../2005-12-31`). Features without
    /// a time never match.
    datetime: Option<String>,
    /// Only features of this point layer (e.g. `clusters`)
    layer: Option<String>,
    /// Only features whose designation contains this text (case-insensitive)
    designation: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .map_err(|e| ApiError::bad_parameter("query", format!("malformed query string: {e}")))?;
        // No text of ours holds U+0000 (PostgreSQL text cannot), so a NUL in a parameter can
        // only be an error: refused alike whichever store the layer lives in.
        if let Some((k, _)) = pairs.iter().find(|(k, v)| k.contains('\0') || v.contains('\0')) {
            return Err(ApiError::bad_parameter(
                k,
                format!("parameter '{}' contains a NUL character (U+0000)", k.escape_debug()),
            ));
        }
        Ok(Self { pairs, known: Vec::new() })
    }
}

impl QueryParams {
    /// Builds from decoded pairs (for tests and non-HTTP callers).
    #[must_use]
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self { pairs, known: Vec::new() }
    }

    /// The raw value of `name`, if given (the last one wins if repeated).
    pub fn raw(&mut self, name: &'static str) -> Option<&str> {
        self.known.push(name);
        self.pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Parses `name` if present.
    ///
    /// # Errors
    /// [`ApiError::BadParameter`] if the value does not parse.
    pub fn optional<T: FromStr>(&mut self, name: &'static str, expected: &str) -> Result<Option<T>, ApiError> {
        match self.raw(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<T>()
                .map(Some)
                .map_err(|_| ApiError::bad_parameter(name, format!("parameter '{name}' must be {expected}, got '{v}'"))),
        }
    }

    /// Parses the required parameter `name`.
    ///
    /// # Errors
    /// [`ApiError::BadParameter`] if it is missing or does not parse.
    pub fn required<T: FromStr>(&mut self, name: &'static str, expected: &str) -> Result<T, ApiError> {
        self.optional(name, expected)?
            .ok_or_else(|| ApiError::bad_parameter(name, format!("missing required parameter '{name}' ({expected})")))
    }

    /// A finite number in `range`.
    ///
    /// # Errors
    /// [`ApiError::BadParameter`] if missing, not a number or out of range.
    pub fn required_in_range(&mut self, name: &'static str, range: std::ops::RangeInclusive<f64>) -> Result<f64, ApiError> {
        let expected = format!("a number between {} and {}", range.start(), range.end());
        let v: f64 = self.required(name, &expected)?;
        if v.is_finite() && range.contains(&v) {
            Ok(v)
        } else {
            Err(ApiError::bad_parameter(
                name,
                format!("parameter '{name}' must be {expected}, got {v}"),
            ))
        }
    }

    /// The required WGS84 point `lon` (−180..180) and `lat` (−90..90).
    ///
    /// # Errors
    /// [`ApiError::BadParameter`] naming `lon` or `lat` if missing, not a number or out of range.
    pub fn lon_lat(&mut self) -> Result<(f64, f64), ApiError> {
        Ok((
            self.required_in_range("lon", -180.0..=180.0)?,
            self.required_in_range("lat", -90.0..=90.0)?,
        ))
    }

    /// A `true`/`false` flag with a default.
    ///
    /// # Errors
    /// [`ApiError::BadParameter`] for any other value.
    pub fn flag(&mut self, name: &'static str, default: bool) -> Result<bool, ApiError> {
        Ok(self.optional(name, "true or false")?.unwrap_or(default))
    }

    /// Takes the parameters no accessor asked for so far (for endpoints whose parameter
    /// names are data, such as OGC API – Features property filters `?industry=foundry`),
    /// marking them known; repeated names keep their last value.
    pub fn take_remaining(&mut self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (k, v) in &self.pairs {
            if !self.known.contains(&k.as_str()) {
                out.retain(|(o, _)| o != k);
                out.push((k.clone(), v.clone()));
            }
        }
        self.pairs.retain(|(k, _)| self.known.contains(&k.as_str()));
        out
    }

    /// The `layer`, `kind`, `industry`, `designation`, `approval_level` and `datetime`
    /// filters of point queries ([`PointFilterDoc`]; blank values are absent; values no
    /// feature has simply match nothing).
    ///
    /// # Errors
    /// [`ApiError::BadParameter`] for a `datetime` that does not parse.
    pub fn point_filter(&mut self) -> Result<crate::analysis::PointFilter, ApiError> {
        let mut text = |name| self.raw(name).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let (layer, kind, industry, designation, approval_level) = (
            text("layer"),
            text("kind"),
            text("industry"),
            text("designation"),
            text("approval_level"),
        );
        let datetime = self.datetime()?;
        Ok(crate::analysis::PointFilter {
            layer,
            kind,
            industry,
            designation,
            approval_level,
            datetime,
        })
    }

    /// The OGC `datetime` parameter, parsed.
    ///
    /// # Errors
    /// [`ApiError::BadParameter`] naming `datetime`.
    pub fn datetime(&mut self) -> Result<Option<crate::model::DatetimeFilter>, ApiError> {
        self.raw("datetime")
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| crate::model::DatetimeFilter::parse(v).map_err(|e| ApiError::bad_parameter("datetime", e)))
            .transpose()
    }

    /// Rejects parameter names no accessor asked for.
    ///
    /// # Errors
    /// [`ApiError::BadParameter`] naming the first unknown parameter and the known ones.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.pairs.iter().find(|(k, _)| !self.known.contains(&k.as_str())) {
            None => Ok(()),
            Some((k, _)) => Err(ApiError::bad_parameter(
                k,
                format!("unknown parameter '{k}'; this endpoint accepts: {}", self.known.join(", ")),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &[(&str, &str)]) -> QueryParams {
        QueryParams::from_pairs(q.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn names_the_parameter_that_is_wrong() {
        let mut p = params(&[("lon", "abc")]);
        let e = p.required_in_range("lon", -180.0..=180.0).unwrap_err();
        assert!(matches!(e, ApiError::BadParameter { ref parameter, .. } if parameter == "lon"));
        let mut p = params(&[("lat", "91")]);
        assert!(p.required_in_range("lat", -90.0..=90.0).is_err());
        let mut p = params(&[]);
        assert!(p.required_in_range("lat", -90.0..=90.0).is_err());
    }

    #[test]
    fn rejects_unknown_names() {
        let mut p = params(&[("lon", "1"), ("lng", "2")]);
        let _ = p.raw("lon");
        let e = p.finish().unwrap_err();
        assert!(matches!(e, ApiError::BadParameter { ref parameter, .. } if parameter == "lng"));
    }
}
