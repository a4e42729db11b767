//! `GET /collections/{id}/items` (bbox, property equality, paging, `properties=`) and
//! `GET /collections/{id}/items/{featureId}`.
//!
//! Notes on the standard's choices made here: a `limit` above
//! `serve --max-items` (default [`features::MAX_LIMIT`]) is clamped to it (OGC API – Features 1.0 §7.15.3); `datetime`
//! filters point layers on each feature's time (its approval month, else its designation
//! year; a feature without one never matches) and is ignored by the admin collections,
//! which have no temporal extent; any other parameter name must be a queryable property
//! (`?industry=foundry` matches a feature carrying the tag among its `industries`; Part 3
//! "queryables as query parameters"), else 400.

use super::collections::{find, find_served};
use super::links::{Base, GEOJSON, HTML, link, segment, self_and_alternate, with_query};
use super::{Format, html, negotiate, reply};
use crate::analysis::features::{self, Bbox, Collection, FilterLang, Item, Selection};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::extract::Path;
use crate::api::params::QueryParams;
use crate::api::stream;
use crate::atlas::Atlas;
use crate::crs::project::{OutputCrs, Projector};
use crate::geojson_out::{EncodedLayers, FeatureWriter};
use crate::source::{FeaturePage, ItemsQuery};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// `bbox=minx,miny,maxx,maxy` in `bbox-crs` axis order (a 6-number 3D box drops its
/// heights), converted to CRS84 corners.
fn parse_bbox(raw: &str, crs: &Projector) -> Result<Bbox, ApiError> {
    let bad = |why: &str| ApiError::bad_parameter("bbox", format!("parameter 'bbox' {why}, got '{raw}'"));
    let n: Vec<f64> = raw
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad("must be four comma-separated numbers minlon,minlat,maxlon,maxlat"))?;
    let [w, s, e, n] = match n.as_slice() {
        [w, s, e, n] | [w, s, _, e, n, _] => [*w, *s, *e, *n],
        _ => return Err(bad("must have four (or six) numbers")),
    };
    let to_lon_lat = |p| {
        crs.inverse(p)
            .map_err(|e| bad(&format!("cannot be converted from {} ({e})", crs.crs())))
    };
    let ((w, s), (e, n)) = (to_lon_lat((w, s))?, to_lon_lat((e, n))?);
    Ok(Bbox::new(w, s, e, n)?)
}

/// A CRS parameter (`crs`, `bbox-crs`); CRS84 when absent.
///
/// # Errors
/// 400 naming the parameter for a CRS the service does not offer.
pub fn parse_crs(q: &mut QueryParams, name: &'static str) -> Result<Projector, ApiError> {
    parse_output_crs(q, name)?
        .projector()
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The CRS named by parameter `name` (CRS84 when absent), without building its projector.
fn parse_output_crs(q: &mut QueryParams, name: &'static str) -> Result<OutputCrs, ApiError> {
    match q.raw(name) {
        None => Ok(OutputCrs::Crs84),
        Some(v) => v.parse::<OutputCrs>().map_err(|e| ApiError::bad_parameter(name, e.to_string())),
    }
}

/// Adds the `Content-Crs` header (`<uri>`) to a response.
fn with_content_crs(mut resp: Response, crs: OutputCrs) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("<{}>", crs.uri())) {
        resp.headers_mut().insert("content-crs", v);
    }
    resp
}

/// A positive integer `limit`, clamped to `max` (`serve --max-items`).
fn parse_limit(q: &mut QueryParams, max: usize) -> Result<usize, ApiError> {
    let limit: usize = q.optional("limit", "a whole number from 1")?.unwrap_or(features::DEFAULT_LIMIT);
    if limit == 0 {
        return Err(ApiError::bad_parameter("limit", "parameter 'limit' must be at least 1"));
    }
    Ok(limit.min(max))
}

/// `properties=a,b`: the property names to keep (all when absent).
fn parse_properties(q: &mut QueryParams, c: Collection<'_>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(raw) = q.raw("properties") else { return Ok(None) };
    // Every name must be one (the document's enum): `properties=` and `a,,b` are mistakes.
    let names: Vec<String> = raw.split(',').map(|s| s.trim().to_owned()).collect();
    if names.iter().any(String::is_empty) {
        return Err(ApiError::bad_parameter(
            "properties",
            format!("parameter 'properties' holds an empty name: '{raw}'"),
        ));
    }
    let known = c.queryables();
    let extra: &[&str] = match c {
        Collection::Admin(_) => &["area_km2", "representative_point"],
        Collection::Points(_) | Collection::Remote(_) => &["layer"],
    };
    match names
        .iter()
        .find(|n| !known.iter().any(|k| &k.name == *n) && !extra.contains(&n.as_str()))
    {
        Some(n) => Err(ApiError::bad_parameter(
            "properties",
            format!("collection '{}' has no property '{n}'", c.id()),
        )),
        None => Ok(Some(names)),
    }
}

/// `filter`, `filter-lang` (cql2-text, the default, or cql2-json) and `filter-crs` (CRS84
/// only: filter geometries are compared with the stored lon/lat).
fn parse_filter_params(q: &mut QueryParams, c: Collection<'_>) -> Result<Option<cql2::Expr>, ApiError> {
    let lang = match q.raw("filter-lang") {
        None | Some("cql2-text") => FilterLang::Cql2Text,
        Some("cql2-json") => FilterLang::Cql2Json,
        Some(other) => {
            return Err(ApiError::bad_parameter(
                "filter-lang",
                format!("filter-lang must be cql2-text or cql2-json, got '{other}'"),
            ));
        }
    };
    if let Some(v) = q.raw("filter-crs") {
        if v.parse::<OutputCrs>() != Ok(OutputCrs::Crs84) {
            return Err(ApiError::bad_parameter(
                "filter-crs",
                format!("filter-crs must be {}, got '{v}'", OutputCrs::Crs84.uri()),
            ));
        }
    }
    let Some(text) = q.raw("filter") else { return Ok(None) };
    Ok(Some(features::parse_filter(c, text, lang)?))
}

/// Everything an items request selects, from the query string.
fn parse_selection(q: &mut QueryParams, c: Collection<'_>, max_items: usize) -> Result<(Selection, Option<Vec<String>>), ApiError> {
    let bbox_crs = parse_crs(q, "bbox-crs")?;
    let bbox = q.raw("bbox").map(|b| parse_bbox(b, &bbox_crs)).transpose()?;
    let limit = parse_limit(q, max_items)?;
    let offset: usize = q.optional("offset", "a whole number from 0")?.unwrap_or(0);
    let datetime = q.datetime()?;
    let properties = parse_properties(q, c)?;
    let filter = parse_filter_params(q, c)?;
    let equals = q.take_remaining(); // last: every other parameter must be read before
    Ok((
        Selection {
            bbox,
            equals,
            offset,
            limit,
            filter,
            datetime,
        },
        properties,
    ))
}

/// One feature as GeoJSON bytes with full-resolution geometry, keeping only `properties` if
/// given; a point feature's properties are copied from `encoded` when it holds them.
fn encode_bytes(
    item: Item<'_>,
    collection: &str,
    properties: Option<&[String]>,
    crs: &Projector,
    encoded: Option<(&Atlas, &EncodedLayers)>,
) -> Result<Vec<u8>, ApiError> {
    let w = FeatureWriter::projected(crs).keeping(properties);
    let mut out = Vec::with_capacity(1024);
    match item {
        Item::Admin(u) => w.admin(&mut out, u, true),
        Item::Point(f) => {
            let members = encoded.and_then(|(atlas, e)| e.members(atlas, collection, f));
            w.place(&mut out, f, members, collection, None)
        }
    }
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(out)
}

/// [`encode_bytes`] as a `Value`, for pages that add to the feature or render it as HTML.
fn encode(item: Item<'_>, collection: &str, properties: Option<&[String]>, crs: &Projector) -> Result<Value, ApiError> {
    let bytes = encode_bytes(item, collection, properties, crs, None)?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::Internal(e.to_string()))
}

/// The request's query pairs except `f` and `offset` (for paging and alternate links).
fn link_pairs(uri: &Uri) -> Vec<(String, String)> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
    pairs.into_iter().filter(|(k, _)| k != "f" && k != "offset").collect()
}

/// `self`, `alternate`, `next`, `prev` and `collection` links of an items page.
fn page_links(base: &Base, c: &str, uri: &Uri, fmt: Format, sel: &Selection, matched: usize, returned: usize) -> Vec<Value> {
    let path = format!("/collections/{c}/items");
    let pairs = link_pairs(uri);
    let at = |offset: usize| {
        let mut p = pairs.clone();
        p.push(("offset".to_owned(), offset.to_string()));
        p
    };
    let (media, f) = if fmt == Format::Html { (HTML, "html") } else { (GEOJSON, "json") };
    let page = |offset: usize, rel: &str| {
        let mut p = at(offset);
        p.push(("f".to_owned(), f.to_owned()));
        link(base.url(&with_query(&path, &p)), rel, media, rel)
    };
    let mut links = self_and_alternate(base, &path, &at(sel.offset), GEOJSON, fmt == Format::Html);
    if sel.offset + returned < matched {
        links.push(page(sel.offset + returned, "next"));
    }
    if sel.offset > 0 {
        links.push(page(sel.offset.saturating_sub(sel.limit), "prev"));
    }
    links.push(link(
        base.url(&format!("/collections/{c}")),
        "collection",
        "application/json",
        "the collection",
    ));
    links
}

/// `GET /collections/{id}/items`: a page of features as a GeoJSON FeatureCollection.
#[utoipa::path(
    get,
    path = "/collections/{collectionId}/items",
    tag = "OGC API – Features",
    params(
        ("collectionId" = String, Path, description = "Collection id, e.g. `clusters`, `counties`, `prefectures`, `provinces`"),
        ("bbox" = Option<String>, Query, description = "minx,miny,maxx,maxy (4 or 6 numbers) in `bbox-crs`"),
        ("bbox-crs" = Option<String>, Query, description = "CRS URI of `bbox` (default CRS84)"),
        ("limit" = Option<usize>, Query, description = "Page size (default 100; values above 10,000 are clamped)", minimum = 1),
        ("offset" = Option<usize>, Query, description = "Features to skip (default 0)", minimum = 0),
        ("datetime" = Option<String>, Query, description = "Point layers: features whose time (approval month, else designation year) intersects this instant or interval (`2005`, `2005-06-01`, RFC 3339 date-time, `../2005-12-31`, `1992-01-01/..`); features without a time are left out. Admin collections have no time and ignore it"),
        ("properties" = Option<String>, Query, description = "Comma-separated property names to return (default: all)"),
        ("filter" = Option<String>, Query, description = "CQL2 filter expression, e.g. `industry='foundry'`"),
        ("filter-lang" = Option<String>, Query, description = "`cql2-text` (default) or `cql2-json`"),
        ("filter-crs" = Option<String>, Query, description = "CRS of filter geometries: CRS84 only"),
        ("crs" = Option<String>, Query, description = "Output CRS URI: CRS84 (default), EPSG:4326, EPSG:3857 or EPSG:4490"),
        ("f" = Option<String>, Query, description = "`json` or `html` (default: from the `Accept` header)"),
    ),
    responses(
        (status = 200, description = "A page of features as a GeoJSON FeatureCollection (other query parameters are equality filters on queryables)", body = Object, content_type = "application/geo+json"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_items(
    State(s): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    base: Base,
    headers: HeaderMap,
    mut q: QueryParams,
) -> Result<Response, ApiError> {
    let c = find_served(&s, &id)?;
    let fmt = negotiate(&mut q, &headers)?;
    let out = parse_output_crs(&mut q, "crs")?;
    let (sel, properties) = parse_selection(&mut q, c, s.limits.max_items)?;
    q.finish()?;
    if let Collection::Remote(source) = c {
        features::check_equals(&c.queryables(), &sel.equals)?;
        let query = ItemsQuery {
            bbox: sel.bbox,
            equals: sel.equals.clone(),
            datetime: sel.datetime,
            filter: sel.filter.clone(),
            offset: sel.offset,
            limit: sel.limit,
        };
        let page = source.items(&query).await?;
        return remote_items(id, uri, base, headers, fmt, sel, properties, out, page).await;
    }
    if fmt == Format::Json {
        // PROJ objects are not Send: the encoder builds its own projector.
        return stream_items(&s, id, uri, base, sel, properties, out).await;
    }
    // Selected, encoded and rendered on the blocking pool (a page may hold 10,000 polygons).
    let atlas = s.atlas.clone();
    tokio::task::spawn_blocking(move || {
        let c = find(&atlas, &id)?;
        let crs = out.projector().map_err(|e| ApiError::Internal(e.to_string()))?;
        let page = features::select(&atlas, c, &sel)?;
        let returned = page.items.len();
        let feats: Vec<Value> = page
            .items
            .into_iter()
            .map(|i| encode(i, c.id(), properties.as_deref(), &crs))
            .collect::<Result<_, _>>()?;
        let links = page_links(&base, c.id(), &uri, fmt, &sel, page.number_matched, returned);
        let doc = json!({
            "type": "FeatureCollection",
            "numberMatched": page.number_matched,
            "numberReturned": returned,
            "links": links,
            "features": feats,
        });
        Ok(with_content_crs(reply(fmt, &headers, &doc, GEOJSON, html::items, true), crs.crs()))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// A page of a database layer as GeoJSON or HTML, encoded on the blocking pool (PROJ
/// objects are not `Send`) once the source has answered.
#[allow(clippy::too_many_arguments, reason = "the parsed request, passed on whole")]
async fn remote_items(
    id: String,
    uri: Uri,
    base: Base,
    headers: HeaderMap,
    fmt: Format,
    sel: Selection,
    properties: Option<Vec<String>>,
    out: OutputCrs,
    page: FeaturePage,
) -> Result<Response, ApiError> {
    tokio::task::spawn_blocking(move || {
        let crs = out.projector().map_err(|e| ApiError::Internal(e.to_string()))?;
        let returned = page.features.len();
        let links = page_links(&base, &id, &uri, fmt, &sel, page.number_matched, returned);
        if fmt == Format::Json {
            let head = collection_head(page.number_matched, returned, links);
            let w = FeatureWriter::projected(&crs).keeping(properties.as_deref());
            let body = crate::geojson_out::collection_bytes(&head, &page.features, |o, f| w.place(o, f, None, &id, None))
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            let mut resp = ([(axum::http::header::CONTENT_TYPE, GEOJSON)], body).into_response();
            resp.headers_mut()
                .insert(axum::http::header::CACHE_CONTROL, HeaderValue::from_static(super::CACHE_CONTROL));
            return Ok(with_content_crs(resp, out));
        }
        let feats: Vec<Value> = page
            .features
            .iter()
            .map(|f| encode(Item::Point(f), &id, properties.as_deref(), &crs))
            .collect::<Result<_, _>>()?;
        let doc = json!({
            "type": "FeatureCollection",
            "numberMatched": page.number_matched,
            "numberReturned": returned,
            "links": links,
            "features": feats,
        });
        Ok(with_content_crs(reply(fmt, &headers, &doc, GEOJSON, html::items, true), out))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// The members of a streamed FeatureCollection that come before its features.
fn collection_head(number_matched: usize, returned: usize, links: Vec<Value>) -> serde_json::Map<String, Value> {
    let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let mut head = serde_json::Map::new();
    head.insert("type".into(), json!("FeatureCollection"));
    head.insert("numberMatched".into(), json!(number_matched));
    head.insert("numberReturned".into(), json!(returned));
    head.insert("timeStamp".into(), json!(stamp));
    head.insert("links".into(), Value::Array(links));
    head
}

/// The GeoJSON page of an items request, selected and encoded on the blocking pool and
/// streamed feature by feature (memory per request stays a few chunks; see
/// [`crate::api::stream`]). A selection error is answered before the body starts. Streamed
/// pages carry no ETag: it would need the whole body first.
async fn stream_items(
    s: &AppState,
    id: String,
    uri: Uri,
    base: Base,
    sel: Selection,
    properties: Option<Vec<String>>,
    crs: OutputCrs,
) -> Result<Response, ApiError> {
    let (atlas, encoded) = (s.atlas.clone(), s.encoded.clone());
    let resp = stream::respond(GEOJSON, s.limits.max_result_bytes, move |start| {
        let selected = find(&atlas, &id).and_then(|c| Ok((c, features::select(&atlas, c, &sel)?)));
        let projector = crs.projector().map_err(|e| ApiError::Internal(e.to_string()));
        let ((c, page), projector) = match (selected, projector) {
            (Ok(p), Ok(proj)) => (p, proj),
            (Err(e), _) | (_, Err(e)) => return start.reject(e),
        };
        let Some(writer) = start.begin() else { return };
        let returned = page.items.len();
        let links = page_links(&base, c.id(), &uri, Format::Json, &sel, page.number_matched, returned);
        let head = collection_head(page.number_matched, returned, links);
        let features = page
            .items
            .into_iter()
            .map(|i| encode_bytes(i, c.id(), properties.as_deref(), &projector, Some((&atlas, &encoded))));
        stream::finish_feature_collection(writer, &head, features);
    })
    .await?;
    let mut resp = with_content_crs(resp, crs);
    resp.headers_mut()
        .insert(axum::http::header::CACHE_CONTROL, HeaderValue::from_static(super::CACHE_CONTROL));
    Ok(resp)
}

/// `GET /collections/{id}/items/{featureId}`: one feature; 404 for an unknown id.
#[utoipa::path(
    get,
    path = "/collections/{collectionId}/items/{featureId}",
    tag = "OGC API – Features",
    params(
        ("collectionId" = String, Path, description = "Collection id, e.g. `clusters`, `counties`, `prefectures`, `provinces`"),
        ("featureId" = String, Path, description = "Feature id"),
        ("properties" = Option<String>, Query, description = "Comma-separated property names to return (default: all)"),
        ("crs" = Option<String>, Query, description = "Output CRS URI: CRS84 (default), EPSG:4326, EPSG:3857 or EPSG:4490"),
        ("f" = Option<String>, Query, description = "`json` or `html` (default: from the `Accept` header)"),
    ),
    responses(
        (status = 200, description = "One feature", body = Object, content_type = "application/geo+json"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_item(
    State(s): State<AppState>,
    Path((id, feature_id)): Path<(String, String)>,
    base: Base,
    headers: HeaderMap,
    mut q: QueryParams,
) -> Result<Response, ApiError> {
    let c = find_served(&s, &id)?;
    let fmt = negotiate(&mut q, &headers)?;
    let properties = parse_properties(&mut q, c)?;
    let out = parse_output_crs(&mut q, "crs")?;
    q.finish()?;
    let remote = match c {
        Collection::Remote(source) => source.feature(&feature_id).await?,
        _ => None,
    };
    let crs = out.projector().map_err(|e| ApiError::Internal(e.to_string()))?;
    let item = remote
        .as_ref()
        .map(Item::Point)
        .or_else(|| features::feature(&s.atlas, c, &feature_id))
        .ok_or_else(|| ApiError::NotFound(format!("no feature '{feature_id}' in collection '{id}'")))?;
    let mut doc = encode(item, c.id(), properties.as_deref(), &crs)?;
    let path = format!("/collections/{id}/items/{}", segment(&item.id()));
    let mut links = self_and_alternate(&base, &path, &[], GEOJSON, fmt == Format::Html);
    links.push(link(
        base.url(&format!("/collections/{id}")),
        "collection",
        "application/json",
        "the collection",
    ));
    doc["links"] = Value::Array(links);
    Ok(with_content_crs(reply(fmt, &headers, &doc, GEOJSON, html::item, false), crs.crs()))
}
