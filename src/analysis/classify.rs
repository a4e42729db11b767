//! Class breaks for choropleth maps: quantile, equal interval and Jenks natural breaks.
//!
//! # Convention
//! [`Breaks::bounds`] is `[min, u₀, u₁, …, u_{m−1}]` where each `uᵢ` is the *upper* bound of
//! class `i` (inclusive) and `u_{m−1}` is the maximum: class 0 is `[min, u₀]`, class `i > 0`
//! is `(u_{i−1}, uᵢ]` — the convention of PySAL's mapclassify and QGIS. Equal upper bounds
//! are merged, so fewer classes than asked for come back when the data has fewer distinct
//! values (a map cannot show 5 classes of 3 values); all-equal data gives one class
//! `[v, v]`, and no data gives no classes.
//!
//! Jenks natural breaks (the partition of the sorted values into `k` runs with the least
//! within-class sum of squares) comes from the `natural-breaks` crate (exact O(k·n·log n)
//! dynamic programme); quantile and equal interval are a few lines each and written here.

use super::{AnalysisError, AnalysisResult};
use std::fmt;
use std::str::FromStr;

/// Fewest classes a classification may ask for.
pub const MIN_CLASSES: usize = 2;
/// Most classes a classification may ask for.
pub const MAX_CLASSES: usize = 12;

/// How class boundaries are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Each class holds (about) the same number of values; bounds are linear-interpolated
    /// percentiles (R type 7, numpy's default) at `i/k`.
    Quantile,
    /// Classes of equal width `(max − min) / k`.
    EqualInterval,
    /// Jenks natural breaks: least within-class sum of squared deviations.
    Jenks,
}

impl Method {
    /// All methods.
    pub const ALL: [Method; 3] = [Method::Quantile, Method::EqualInterval, Method::Jenks];

    /// The name used in query strings: `quantile`, `equal`, `jenks`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Method::Quantile => "quantile",
            Method::EqualInterval => "equal",
            Method::Jenks => "jenks",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "quantile" => Ok(Method::Quantile),
            "equal" | "equal_interval" => Ok(Method::EqualInterval),
            "jenks" | "natural_breaks" => Ok(Method::Jenks),
            _ => Err(format!("unknown method '{s}': expected quantile, equal or jenks")),
        }
    }
}

/// Class boundaries (see the module documentation for the convention).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Breaks {
    bounds: Vec<f64>,
}

impl Breaks {
    /// `[min, upper bound of class 0, …, upper bound of the last class = max]`; empty when
    /// there was no value to classify.
    #[must_use]
    pub fn bounds(&self) -> &[f64] {
        &self.bounds
    }

    /// Number of classes.
    #[must_use]
    pub fn classes(&self) -> usize {
        self.bounds.len().saturating_sub(1)
    }

    /// The 0-based class of `v`, or `None` for NaN or a value outside `[min, max]`.
    #[must_use]
    pub fn class_of(&self, v: f64) -> Option<usize> {
        let (&min, uppers) = self.bounds.split_first()?;
        if v < min {
            return None;
        }
        uppers.iter().position(|&u| v <= u)
    }

    /// Builds from a minimum and ascending upper bounds, merging equal ones.
    fn from_uppers(min: f64, uppers: impl IntoIterator<Item = f64>) -> Self {
        let mut bounds = vec![min];
        for u in uppers {
            if bounds.len() == 1 || bounds.last().is_some_and(|&last| u > last) {
                bounds.push(u);
            }
        }
        Self { bounds }
    }
}

/// Checks a class count: [`MIN_CLASSES`]`..=`[`MAX_CLASSES`].
///
/// # Errors
/// [`AnalysisError::InvalidArgument`] naming `classes`.
pub fn validate_classes(classes: usize) -> AnalysisResult<usize> {
    if (MIN_CLASSES..=MAX_CLASSES).contains(&classes) {
        Ok(classes)
    } else {
        Err(AnalysisError::InvalidArgument {
            parameter: "classes",
            message: format!("classes must be between {MIN_CLASSES} and {MAX_CLASSES}, got {classes}"),
        })
    }
}

/// Class breaks of the finite `values` (NaN and infinities are ignored) into at most
/// `classes` classes.
///
/// # Errors
/// [`AnalysisError::InvalidArgument`] naming `classes` outside 2..=12.
pub fn breaks(values: &[f64], classes: usize, method: Method) -> AnalysisResult<Breaks> {
    let k = validate_classes(classes)?;
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let (Some(&min), Some(&max)) = (sorted.first(), sorted.last()) else {
        return Ok(Breaks::default());
    };
    if min == max {
        return Ok(Breaks { bounds: vec![min, max] });
    }
    let uppers = match method {
        Method::Quantile => (1..=k).map(|i| percentile(&sorted, i as f64 / k as f64)).collect(),
        Method::EqualInterval => {
            let width = (max - min) / k as f64;
            (1..k).map(|i| tidy(min + width * i as f64)).chain([max]).collect()
        }
        Method::Jenks => jenks_uppers(&sorted, k),
    };
    Ok(Breaks::from_uppers(min, uppers))
}

/// `x` to 12 significant digits, so a computed bound reads 1.4, not 1.4000000000000004. Only
/// computed bounds are tidied: the minimum, the maximum and bounds that are data values stay
/// exact, so every value still falls in the class the published bounds give it.
fn tidy(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// Linear-interpolated percentile `p` (0..=1) of ascending, non-empty `sorted`.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let pos = p * (sorted.len() - 1) as f64;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "pos is in 0..=len-1, finite and non-negative"
    )]
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    if sorted[lo] == sorted[hi] || pos == lo as f64 {
        return sorted[lo];
    }
    tidy(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)).clamp(sorted[lo], sorted[hi])
}

/// Upper bounds of the Jenks classes of ascending `sorted` (at least two distinct values),
/// with `k` capped at the number of distinct values (the crate needs n ≥ k, and more classes
/// than distinct values would be empty).
fn jenks_uppers(sorted: &[f64], k: usize) -> Vec<f64> {
    let mut distinct = sorted.to_vec();
    distinct.dedup();
    let k = k.min(distinct.len());
    match natural_breaks::classify_indices(sorted, k) {
        Ok(ranges) => ranges
            .iter()
            .filter(|(start, end)| end > start)
            .map(|&(_, end)| sorted[end - 1])
            .collect(),
        // Unreachable for finite input with n ≥ k ≥ 1; fall back to the whole range as one class.
        Err(_) => sorted.last().copied().into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn quantile_bounds_are_interpolated_percentiles() {
        // Hand-computed: n = 9, positions 8·i/4 = 2, 4, 6, 8 → sorted[2], [4], [6], [8].
        let v = [9.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let b = breaks(&v, 4, Method::Quantile).unwrap();
        assert_eq!(b.bounds(), &[1.0, 3.0, 5.0, 7.0, 9.0]);
        // n = 4, k = 3: positions 1, 2, 3 → 10, 20, 40; with k = 2: 1.5 → 15.
        let b = breaks(&[0.0, 10.0, 20.0, 40.0], 2, Method::Quantile).unwrap();
        assert_eq!(b.bounds(), &[0.0, 15.0, 40.0]);
        assert_eq!(b.class_of(15.0), Some(0));
        assert_eq!(b.class_of(15.1), Some(1));
    }

    #[test]
    fn computed_bounds_carry_no_floating_point_noise() {
        let q = breaks(&[1.0, 2.0], 5, Method::Quantile).unwrap();
        assert_eq!(q.bounds(), &[1.0, 1.2, 1.4, 1.6, 1.8, 2.0]);
        let e = breaks(&[0.1, 0.7], 3, Method::EqualInterval).unwrap();
        assert_eq!(e.bounds(), &[0.1, 0.3, 0.5, 0.7]);
        // Data values stay exact, so the maximum is still in the last class.
        let v = [3.735_070_055_631_53, 43.375_960_584_032_28];
        let b = breaks(&v, 2, Method::Quantile).unwrap();
        assert_eq!(b.class_of(v[1]), Some(1));
        assert_eq!(b.bounds()[2], v[1]);
    }

    #[test]
    fn equal_interval_bounds() {
        let b = breaks(&[2.0, 3.0, 12.0], 5, Method::EqualInterval).unwrap();
        assert_eq!(b.bounds(), &[2.0, 4.0, 6.0, 8.0, 10.0, 12.0]);
        assert_eq!(b.class_of(2.0), Some(0));
        assert_eq!(b.class_of(4.0), Some(0));
        assert_eq!(b.class_of(4.5), Some(1));
        assert_eq!(b.class_of(12.0), Some(4));
        assert_eq!(b.class_of(12.5), None);
        assert_eq!(b.class_of(f64::NAN), None);
    }

    #[test]
    fn jenks_separates_obvious_groups() {
        let v = [22.0, 1.0, 2.0, 3.0, 7.0, 8.0, 9.0, 20.0, 21.0];
        let b = breaks(&v, 3, Method::Jenks).unwrap();
        assert_eq!(b.bounds(), &[1.0, 3.0, 9.0, 22.0]);
        assert_eq!(v.map(|x| b.class_of(x).unwrap()), [2, 0, 0, 0, 1, 1, 1, 2, 2]);
    }

    /// Within-class sum of squares of ascending `sorted` cut after the given indexes.
    fn wcss(sorted: &[f64], cuts: &[usize]) -> f64 {
        let mut start = 0;
        let mut total = 0.0;
        for &end in cuts.iter().chain([&sorted.len()]) {
            let run = &sorted[start..end];
            let mean = run.iter().sum::<f64>() / run.len() as f64;
            total += run.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
            start = end;
        }
        total
    }

    #[test]
    fn jenks_is_optimal_against_brute_force() {
        // Deterministic pseudo-random data (LCG); every 3-class cut of 12 values is tried.
        let mut state = 12_345_u64;
        for _ in 0..20 {
            let mut v: Vec<f64> = (0..12)
                .map(|_| {
                    state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    f64::from(u32::try_from(state >> 40).unwrap() % 1000)
                })
                .collect();
            v.sort_by(f64::total_cmp);
            let mut best = f64::INFINITY;
            for a in 1..v.len() {
                for c in a + 1..v.len() {
                    best = best.min(wcss(&v, &[a, c]));
                }
            }
            let b = breaks(&v, 3, Method::Jenks).unwrap();
            let cuts: Vec<usize> = b.bounds()[1..b.classes()]
                .iter()
                .map(|&u| v.iter().filter(|&&x| x <= u).count())
                .collect();
            assert!((wcss(&v, &cuts) - best).abs() < 1e-6, "{v:?}: {:?}", b.bounds());
        }
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(breaks(&[], 5, Method::Jenks).unwrap().classes(), 0);
        assert_eq!(breaks(&[f64::NAN], 5, Method::Quantile).unwrap().classes(), 0);
        let one = breaks(&[4.0, 4.0, 4.0], 5, Method::Jenks).unwrap();
        assert_eq!((one.bounds(), one.class_of(4.0)), (&[4.0, 4.0][..], Some(0)));
        // Equal upper bounds are merged: quantiles of [1, 1, 2, 3, 3] at 0.2…1.0 are
        // 1, 1.6, 2.4, 3, 3 → four classes.
        let b = breaks(&[1.0, 1.0, 2.0, 3.0, 3.0], 5, Method::Quantile).unwrap();
        let want = [1.0, 1.0, 1.6, 2.4, 3.0];
        assert_eq!(b.bounds().len(), want.len(), "{:?}", b.bounds());
        assert!(b.bounds().iter().zip(want).all(|(a, w)| (a - w).abs() < 1e-12), "{:?}", b.bounds());
        // Three distinct values cannot make five Jenks classes.
        let b = breaks(&[1.0, 1.0, 2.0, 3.0, 3.0], 5, Method::Jenks).unwrap();
        assert_eq!(b.bounds(), &[1.0, 1.0, 2.0, 3.0]);
        assert_eq!(b.class_of(1.0), Some(0));
        assert_eq!(b.class_of(2.0), Some(1));
    }

    #[test]
    fn class_count_limits() {
        for bad in [0, 1, 13] {
            assert!(matches!(
                breaks(&[1.0, 2.0], bad, Method::Quantile),
                Err(AnalysisError::InvalidArgument { parameter: "classes", .. })
            ));
        }
        assert_eq!("equal".parse::<Method>(), Ok(Method::EqualInterval));
        assert!("natural".parse::<Method>().is_err());
    }
}
