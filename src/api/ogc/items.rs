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

use super::collections::{Collection, find};
use super::formats::Item;
use super::links::{Base, GEOJSON, HTML, link, segment, self_and_alternate, with_query};
use super::{Format, formats, html, negotiate, negotiate_items, reply};
use crate::analysis::features::{self, Bbox, FilterLang, Selection};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::extract::Path;
use crate::api::params::QueryParams;
use crate::api::stream;
use crate::crs::project::{OutputCrs, Projector};
use crate::geojson_out::FeatureWriter;
use crate::model::{AdminCode, AdminLevel};
use crate::source::FeaturePage;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::Response;
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
    let (known, extra) = (c.queryables(), c.other_properties());
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
    Ok(Some(features::parse_filter(c.id(), c.queryables(), text, lang)?))
}

/// What an items page writes of each feature besides what it selects.
#[derive(Debug, Clone, Default)]
struct Output {
    /// `properties=`: only these (all when `None`).
    properties: Option<Vec<String>>,
    /// `skipGeometry=true`.
    skip_geometry: bool,
}

/// Everything an items request selects, and what it writes, from the query string.
fn parse_selection(q: &mut QueryParams, c: Collection<'_>, max_items: usize) -> Result<(Selection, Output), ApiError> {
    let bbox_crs = parse_crs(q, "bbox-crs")?;
    let bbox = q.raw("bbox").map(|b| parse_bbox(b, &bbox_crs)).transpose()?;
    let limit = parse_limit(q, max_items)?;
    let offset: usize = q.optional("offset", "a whole number from 0")?.unwrap_or(0);
    let datetime = q.datetime()?;
    let properties = parse_properties(q, c)?;
    let skip_geometry = q.flag("skipGeometry", false)?;
    let sortby = match q.raw("sortby") {
        Some(raw) => features::parse_sortby(c.id(), c.queryables(), raw)?,
        None => Vec::new(),
    };
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
            sortby,
        },
        Output { properties, skip_geometry },
    ))
}

/// One feature as GeoJSON bytes written by `w` (full-resolution geometry unless it skips
/// it); a point feature's properties are copied from `members` (their encoding made once,
/// see [`crate::geojson_out::EncodedLayers`]) when given.
fn encode_bytes(item: Item<'_>, collection: &str, w: FeatureWriter<'_>, members: Option<&[u8]>) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::with_capacity(1024);
    match item {
        Item::Admin(u) => w.admin(&mut out, u, true),
        Item::Point(f) => w.place(&mut out, f, members, collection, None),
    }
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(out)
}

/// [`encode_bytes`] as a `Value`, for pages that add to the feature or render it as HTML.
fn encode(item: Item<'_>, collection: &str, w: FeatureWriter<'_>) -> Result<Value, ApiError> {
    let bytes = encode_bytes(item, collection, w, None)?;
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
    let (media, f) = match fmt {
        Format::Html => (HTML, "html"),
        Format::Json => (GEOJSON, "json"),
        other => Format::DOWNLOADS
            .iter()
            .find(|(d, _, _)| *d == other)
            .map_or((GEOJSON, "json"), |(_, names, media)| (*media, names[0])),
    };
    let page = |offset: usize, rel: &str| {
        let mut p = at(offset);
        p.push(("f".to_owned(), f.to_owned()));
        link(base.url(&with_query(&path, &p)), rel, media, rel)
    };
    let mut links = self_and_alternate(base, &path, &at(sel.offset), GEOJSON, fmt == Format::Html);
    for (_, names, media) in Format::DOWNLOADS {
        let mut p = at(sel.offset);
        p.push(("f".to_owned(), names[0].to_owned()));
        links.push(link(
            base.url(&with_query(&path, &p)),
            "alternate",
            media,
            &format!("this page as {}", names[0]),
        ));
    }
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
        ("sortby" = Option<String>, Query, description = "Comma-separated queryables to order by, each prefixed `+` (ascending, default; escape it as `%2B`) or `-` (descending), e.g. `-area_km2,name_zh`; features without a value come last; ties keep collection order"),
        ("skipGeometry" = Option<bool>, Query, description = "`true`: every feature without geometry (every format)"),
        ("crs" = Option<String>, Query, description = "Output CRS URI: CRS84 (default), EPSG:4326, EPSG:3857 or EPSG:4490 (CSV and FlatGeobuf write easting/longitude first)"),
        ("f" = Option<String>, Query, description = "`json` (GeoJSON), `html`, `csv` (UTF-8 with BOM; `lon`,`lat` or `wkt` columns), `fgb` (FlatGeobuf) or `geojsonseq` (RFC 8142); default from the `Accept` header"),
    ),
    responses(
        (status = 200, description = "A page of features as a GeoJSON FeatureCollection (other query parameters are equality filters on queryables), or as CSV, FlatGeobuf or GeoJSON text sequences", body = Object, content_type = "application/geo+json"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The layer's database is unavailable; retry later", body = crate::api::problem::Problem, content_type = "application/problem+json"),
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
    let c = find(&s, &id)?;
    let fmt = negotiate_items(&mut q, &headers)?;
    let out = parse_output_crs(&mut q, "crs")?;
    let (sel, output) = parse_selection(&mut q, c, s.limits.max_items)?;
    q.finish()?;
    let request = PageRequest {
        title: c.title().to_owned(),
        queryables: c.queryables().to_vec(),
        id,
        uri,
        base,
        headers,
        fmt,
        sel,
        output,
        crs: out,
    };
    let page = match c {
        Collection::Admin(level) => return admin_page(&s, level, request).await,
        Collection::Points(source) => source.items(&request.sel).await?,
    };
    point_page(&s, request, page).await
}

/// What an items page needs besides its features: the parsed request.
struct PageRequest {
    id: String,
    title: String,
    queryables: Vec<features::Queryable>,
    uri: Uri,
    base: Base,
    headers: HeaderMap,
    fmt: Format,
    sel: Selection,
    output: Output,
    crs: OutputCrs,
}

impl PageRequest {
    fn links(&self, matched: usize, returned: usize) -> Vec<Value> {
        page_links(&self.base, &self.id, &self.uri, self.fmt, &self.sel, matched, returned)
    }

    fn context(&self) -> html::PageContext<'_> {
        html::PageContext {
            collection: &self.id,
            title: &self.title,
            queryables: &self.queryables,
        }
    }

    fn writer<'a>(&'a self, crs: &'a Projector) -> FeatureWriter<'a> {
        let w = FeatureWriter::projected(crs).keeping(self.output.properties.as_deref());
        if self.output.skip_geometry { w.without_geometry() } else { w }
    }

    /// The HTML page of `items`, encoded on this thread.
    fn html<'a>(&self, items: impl Iterator<Item = Item<'a>>, matched: usize) -> Result<Response, ApiError> {
        let crs = self.crs.projector().map_err(|e| ApiError::Internal(e.to_string()))?;
        let feats: Vec<Value> = items.map(|i| encode(i, &self.id, self.writer(&crs))).collect::<Result<_, _>>()?;
        let doc = json!({
            "type": "FeatureCollection",
            "numberMatched": matched,
            "numberReturned": feats.len(),
            "links": self.links(matched, feats.len()),
            "features": feats,
        });
        Ok(with_content_crs(
            reply(self.fmt, &self.headers, &doc, GEOJSON, |d| html::items(d, &self.context()), true),
            self.crs,
        ))
    }
}

/// A page of an admin collection: selected and encoded on the blocking pool (a page may
/// hold 10,000 polygons), streamed or rendered as HTML.
async fn admin_page(s: &AppState, level: AdminLevel, r: PageRequest) -> Result<Response, ApiError> {
    let atlas = s.atlas.clone();
    if r.fmt == Format::Html {
        return tokio::task::spawn_blocking(move || {
            let page = features::select_admin(&atlas, level, &r.sel)?;
            r.html(page.items.into_iter().map(Item::Admin), page.number_matched)
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    let (crs, media, file) = (r.crs, media_type(r.fmt), download_name(&r));
    let resp = stream::respond(media, s.limits.max_result_bytes, move |start| {
        let page = match features::select_admin(&atlas, level, &r.sel) {
            Ok(page) => page,
            Err(e) => return start.reject(e.into()),
        };
        let items = page.items.into_iter().map(Item::Admin).collect();
        write_page(start, &r, page.number_matched, items, |_| None);
    })
    .await?;
    Ok(streamed(resp, crs, file))
}

/// A page of a point layer, as its source answered it: streamed (an in-memory feature's
/// GeoJSON properties copied from their encoding made once) or rendered as HTML.
async fn point_page(s: &AppState, r: PageRequest, page: FeaturePage) -> Result<Response, ApiError> {
    if r.fmt == Format::Html {
        return tokio::task::spawn_blocking(move || r.html(page.features.iter().map(|f| Item::Point(f)), page.number_matched))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    let (atlas, encoded, crs, media, file) = (s.atlas.clone(), s.encoded.clone(), r.crs, media_type(r.fmt), download_name(&r));
    let resp = stream::respond(media, s.limits.max_result_bytes, move |start| {
        let items = page.features.iter().map(|f| Item::Point(f)).collect();
        write_page(start, &r, page.number_matched, items, |item| match item {
            Item::Point(f) => encoded.members(&atlas, &r.id, f),
            Item::Admin(_) => None,
        });
    })
    .await?;
    Ok(streamed(resp, crs, file))
}

/// The media type of a streamed items page.
fn media_type(fmt: Format) -> &'static str {
    Format::DOWNLOADS
        .iter()
        .find(|(f, _, _)| *f == fmt)
        .map_or(GEOJSON, |(_, _, media)| media)
}

/// Streams the page of `items` (of `matched`) in the request's format, each feature encoded
/// as it is written (memory per request stays a few chunks; see [`crate::api::stream`]);
/// `members` gives a point feature's encoded GeoJSON properties when there are any. Called
/// on the blocking pool.
fn write_page<'a>(
    start: stream::Start,
    r: &PageRequest,
    matched: usize,
    items: Vec<Item<'a>>,
    members: impl Fn(Item<'a>) -> Option<&'a [u8]>,
) {
    let projector = match r.crs.projector() {
        Ok(p) => p,
        Err(e) => return start.reject(ApiError::Internal(e.to_string())),
    };
    let Some(mut writer) = start.begin() else { return };
    let w = r.writer(&projector);
    let features = items.iter().map(|&item| encode_bytes(item, &r.id, w, members(item)));
    let options = || formats::Options {
        keep: r.output.properties.clone(),
        skip_geometry: r.output.skip_geometry,
    };
    let written = match r.fmt {
        Format::GeoJsonSeq => formats::write_geojson_seq(&mut writer, features),
        Format::Csv => formats::write_csv(&mut writer, &items, &r.id, &projector, &options()),
        Format::Fgb => formats::write_fgb(&mut writer, &r.id, &items, &projector, &options()),
        Format::Json | Format::Html => {
            let head = collection_head(matched, items.len(), r.links(matched, items.len()));
            return stream::finish_feature_collection(writer, &head, features);
        }
    };
    if let Err(message) = written {
        tracing::warn!("streamed answer ended early: {message}");
        writer.fail(message);
    }
}

/// The file name a download is saved under (`clusters.csv`; `items` when the collection id
/// is not plain ASCII), `None` for GeoJSON pages.
fn download_name(r: &PageRequest) -> Option<String> {
    let (_, names, _) = Format::DOWNLOADS.iter().find(|(f, _, _)| *f == r.fmt)?;
    let plain = !r.id.is_empty() && r.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    Some(format!("{}.{}", if plain { r.id.as_str() } else { "items" }, names[0]))
}

/// A streamed page's headers: its CRS, caching (no ETag: it would need the whole body
/// first) and, for a download, the file name to save it under.
fn streamed(resp: Response, crs: OutputCrs, file: Option<String>) -> Response {
    let mut resp = with_content_crs(resp, crs);
    let h = resp.headers_mut();
    h.insert(axum::http::header::CACHE_CONTROL, HeaderValue::from_static(super::CACHE_CONTROL));
    if let Some(v) = file.and_then(|f| HeaderValue::from_str(&format!("attachment; filename=\"{f}\"")).ok()) {
        h.insert(axum::http::header::CONTENT_DISPOSITION, v);
    }
    resp
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
        (status = 503, description = "The layer's database is unavailable; retry later", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_item(
    State(s): State<AppState>,
    Path((id, feature_id)): Path<(String, String)>,
    base: Base,
    headers: HeaderMap,
    mut q: QueryParams,
) -> Result<Response, ApiError> {
    let c = find(&s, &id)?;
    let fmt = negotiate(&mut q, &headers)?;
    let properties = parse_properties(&mut q, c)?;
    let out = parse_output_crs(&mut q, "crs")?;
    q.finish()?;
    let point = match c {
        Collection::Points(source) => source.feature(&feature_id).await?,
        Collection::Admin(_) => None,
    };
    let item = match (c, &point) {
        (Collection::Admin(level), _) => feature_id
            .parse::<AdminCode>()
            .ok()
            .and_then(|code| s.atlas.admin_by_code(level, code))
            .map(Item::Admin),
        (Collection::Points(_), point) => point.as_deref().map(Item::Point),
    }
    .ok_or_else(|| ApiError::NotFound(format!("no feature '{feature_id}' in collection '{id}'")))?;
    let crs = out.projector().map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut doc = encode(item, c.id(), FeatureWriter::projected(&crs).keeping(properties.as_deref()))?;
    let path = format!("/collections/{id}/items/{}", segment(&item.id()));
    let mut links = self_and_alternate(&base, &path, &[], GEOJSON, fmt == Format::Html);
    links.push(link(
        base.url(&format!("/collections/{id}")),
        "collection",
        "application/json",
        "the collection",
    ));
    doc["links"] = Value::Array(links);
    let ctx = html::PageContext {
        collection: c.id(),
        title: c.title(),
        queryables: c.queryables(),
    };
    Ok(with_content_crs(
        reply(fmt, &headers, &doc, GEOJSON, |d| html::item(d, &ctx), false),
        crs.crs(),
    ))
}
