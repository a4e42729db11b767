//! The default layer in time and by several industries: OGC `datetime` on items, the same
//! filter on `/density` and the point tiles, the collection's temporal extent, and
//! `industry` matching any of a feature's industries — each answer checked against counts
//! made here from the stored properties.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;
use common::{assert_problem, get};
use serde_json::{Map, Value};
use std::sync::OnceLock;

fn features() -> &'static [Value] {
    static F: OnceLock<Vec<Value>> = OnceLock::new();
    F.get_or_init(|| {
        let text = std::fs::read_to_string(common::geodata_dir().join("clusters.geojson")).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        v["features"].as_array().unwrap().clone()
    })
}

/// A feature's time as the months it covers, from its properties: its approval month, else
/// its whole designation year.
fn months(p: &Map<String, Value>) -> Option<(String, String)> {
    if let Some(m) = p["approved"].as_str() {
        return Some((m.to_owned(), m.to_owned()));
    }
    p["designation_year"].as_u64().map(|y| (format!("{y}-01"), format!("{y}-12")))
}

/// Features whose months intersect `[from, to]` (inclusive `YYYY-MM` bounds) and pass `keep`.
fn count(from: &str, to: &str, keep: impl Fn(&Map<String, Value>) -> bool) -> usize {
    features()
        .iter()
        .map(|f| f["properties"].as_object().unwrap())
        .filter(|p| keep(p))
        .filter(|p| months(p).is_some_and(|(a, b)| b.as_str() >= from && a.as_str() <= to))
        .count()
}

fn has_industry(p: &Map<String, Value>, tag: &str) -> bool {
    p["industries"].as_array().is_some_and(|a| a.iter().any(|t| t == tag))
}

#[tokio::test]
async fn items_filter_by_instant_and_by_closed_and_open_intervals() {
    let all = |_: &Map<String, Value>| true;
    let cases = [
        ("../2005-12-31", count("0000-00", "2005-12", all)),
        ("1992", count("1992-01", "1992-12", all)),
        ("1992-04-15", count("1992-04", "1992-04", all)),
        ("2015-01-01/..", count("2015-01", "9999-12", all)),
        ("2010-01-01T00:00:00Z/2012-12-31T23:59:59Z", count("2010-01", "2012-12", all)),
    ];
    for (datetime, expected) in cases {
        let r = get(&format!(
            "/collections/clusters/items?limit=1&datetime={}",
            datetime.replace('+', "%2B")
        ))
        .await;
        assert_eq!(r.status, 200, "{datetime}: {}", r.json);
        assert!(expected > 0, "{datetime}");
        assert_eq!(r.json["numberMatched"], expected, "{datetime}");
    }
    // Later years hold more zones than earlier ones, and no feature without a time matches.
    let undated = features()
        .iter()
        .filter(|f| months(f["properties"].as_object().unwrap()).is_none())
        .count();
    let r = get("/collections/clusters/items?limit=1&datetime=1000-01-01/..").await;
    assert_eq!(r.json["numberMatched"], features().len() - undated);
    // The datetime filter combines with the others.
    let national_2000 = count("0000-00", "2000-12", |p| p["approval_level"] == "national");
    let r = get("/collections/clusters/items?limit=1&approval_level=national&datetime=../2000-12-31").await;
    assert_eq!(r.json["numberMatched"], national_2000);
}

#[tokio::test]
async fn a_bad_datetime_is_a_400_naming_it() {
    for bad in ["yesterday", "2006/2005", "../..", "2005-13", "2005-02-30"] {
        let r = get(&format!("/collections/clusters/items?datetime={bad}")).await;
        assert_problem(&r, 400, Some("datetime"));
        let r = get(&format!("/density?level=county&datetime={bad}")).await;
        assert_problem(&r, 400, Some("datetime"));
    }
}

#[tokio::test]
async fn the_collection_has_the_temporal_extent_of_its_features() {
    let first = features()
        .iter()
        .filter_map(|f| months(f["properties"].as_object().unwrap()))
        .map(|(a, _)| a)
        .min()
        .unwrap();
    let last = features()
        .iter()
        .filter_map(|f| months(f["properties"].as_object().unwrap()))
        .map(|(_, b)| b)
        .max()
        .unwrap();
    let r = get("/collections/clusters").await;
    let interval = &r.json["extent"]["temporal"]["interval"][0];
    assert_eq!(interval[0], format!("{first}-01T00:00:00Z"));
    assert!(interval[1].as_str().unwrap().starts_with(&last), "{interval} vs {last}");
    assert_eq!(
        r.json["extent"]["temporal"]["trs"],
        "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
    );
    assert!(get("/collections/counties").await.json["extent"]["temporal"].is_null());
}

#[tokio::test]
async fn density_in_2005_counts_the_zones_approved_by_then_and_adds_up() {
    for (industry, level) in [("foundry", "county"), ("automotive", "prefecture"), ("biomedicine", "province")] {
        let expected = count("0000-00", "2005-12", |p| has_industry(p, industry));
        let now = features()
            .iter()
            .filter(|f| has_industry(f["properties"].as_object().unwrap(), industry))
            .count();
        let r = get(&format!(
            "/density?level={level}&industry={industry}&datetime=../2005-12-31&geometry=false"
        ))
        .await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["total"], expected, "{industry} by 2005");
        assert!(expected < now, "{industry}: {expected} by 2005, {now} in all");
        assert_eq!(r.json["filters"]["datetime"], "../2005-12-31");
        let sum: u64 = r.json["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["count"].as_u64().unwrap())
            .sum();
        assert_eq!(
            sum + r.json["unassigned"].as_u64().unwrap(),
            expected as u64,
            "{industry} at {level}"
        );
    }
}

#[tokio::test]
async fn industry_matches_any_of_a_features_industries_everywhere() {
    let tag = "automotive";
    let carrying = features()
        .iter()
        .filter(|f| has_industry(f["properties"].as_object().unwrap(), tag))
        .count();
    let primary = features().iter().filter(|f| f["properties"]["industry"] == tag).count();
    assert!(carrying > primary, "some zones carry automotive as a second industry");
    let items = get(&format!("/collections/clusters/items?limit=1&industry={tag}")).await;
    assert_eq!(items.json["numberMatched"], carrying);
    let density = get(&format!("/density?level=province&industry={tag}&geometry=false")).await;
    assert_eq!(density.json["total"], carrying);
    let within = get(&format!("/within?lon=105&lat=35&radius_m=2000000&industry={tag}&limit=10000")).await;
    assert_eq!(within.status, 200, "{}", within.json);
    for f in within.json["features"].as_array().unwrap() {
        assert!(has_industry(f["properties"].as_object().unwrap(), tag), "{}", f["id"]);
    }
    // A zone with two tags counts once in each; the LQ base counts it once.
    let lq = get("/density?level=province&industry=foundry&measure=lq&geometry=false").await;
    assert_eq!(lq.json["base_total"], features().len());
}
