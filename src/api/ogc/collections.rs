//! `GET /collections`, `GET /collections/{id}` and `GET /collections/{id}/queryables`.

use super::links::{Base, GEOJSON, HTML, JSON, link, self_and_alternate};
use super::{Format, html, negotiate, reply};
use crate::analysis::features::{self, Queryable};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::extract::Path;
use crate::api::params::QueryParams;
use crate::atlas::Atlas;
use crate::crs::project::OutputCrs;
use crate::model::{AdminLevel, TimeSpan};
use crate::source::Source;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value, json};

/// The only CRS of this service: WGS84 longitude/latitude.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// One collection of the feature service: an admin level (answered from the atlas) or a
/// point layer (answered by its source, in memory or in a database).
#[derive(Clone, Copy)]
pub enum Collection<'a> {
    /// `provinces`, `prefectures` or `counties`.
    Admin(AdminLevel),
    /// A point layer.
    Points(&'a Source),
}

impl<'a> Collection<'a> {
    /// The collection id used in URLs.
    #[must_use]
    pub fn id(&self) -> &'a str {
        match self {
            Collection::Admin(level) => level.layer_name(),
            Collection::Points(source) => &source.info().name,
        }
    }

    /// Human-readable title.
    #[must_use]
    pub fn title(&self) -> &'a str {
        match self {
            Collection::Admin(AdminLevel::Province) => "Provinces (省级行政区)",
            Collection::Admin(AdminLevel::Prefecture) => "Prefectures (地级行政区)",
            Collection::Admin(AdminLevel::County) => "Counties (县级行政区)",
            Collection::Points(source) => &source.info().title,
        }
    }

    /// One-sentence description.
    #[must_use]
    pub fn description(&self) -> String {
        match self {
            Collection::Admin(level) => {
                format!("China's {level}-level administrative units with full-resolution WGS84 boundaries; feature id = GB/T 2260 code.")
            }
            Collection::Points(source) => source.info().description.clone(),
        }
    }

    /// The properties requests may filter on, in a stable order (computed once).
    #[must_use]
    pub fn queryables(&self) -> &'a [Queryable] {
        match self {
            Collection::Admin(_) => features::admin_queryables(),
            Collection::Points(source) => &source.info().queryables,
        }
    }

    /// Properties a feature has besides its queryables (for `properties=`).
    #[must_use]
    pub fn other_properties(&self) -> &'static [&'static str] {
        match self {
            Collection::Admin(_) => &["representative_point"],
            Collection::Points(_) => &["layer"],
        }
    }

    /// Number of features.
    #[must_use]
    pub fn len(&self, atlas: &Atlas) -> usize {
        match self {
            Collection::Admin(level) => atlas.admin_units(*level).len(),
            Collection::Points(source) => source.info().count,
        }
    }

    /// `[min_lon, min_lat, max_lon, max_lat]` of all features.
    #[must_use]
    pub fn extent(&self, atlas: &Atlas) -> Option<[f64; 4]> {
        match self {
            Collection::Admin(level) => atlas
                .admin_extent(*level)
                .map(|e| [e.lower()[0], e.lower()[1], e.upper()[0], e.upper()[1]]),
            Collection::Points(source) => source.info().extent,
        }
    }

    /// The span of the features' times (admin units have none).
    #[must_use]
    pub fn temporal(&self) -> Option<TimeSpan> {
        match self {
            Collection::Admin(_) => None,
            Collection::Points(source) => source.info().temporal,
        }
    }
}

/// Every collection served: the point layers (in memory, then from databases), then
/// counties, prefectures and provinces.
#[must_use]
pub fn all(s: &AppState) -> Vec<Collection<'_>> {
    let admin = [AdminLevel::County, AdminLevel::Prefecture, AdminLevel::Province].map(Collection::Admin);
    s.layers.all().iter().map(Collection::Points).chain(admin).collect()
}

/// The collection with this id, or 404 naming it.
///
/// # Errors
/// [`ApiError::NotFound`].
pub fn find<'a>(s: &'a AppState, id: &str) -> Result<Collection<'a>, ApiError> {
    AdminLevel::from_layer_name(id)
        .map(Collection::Admin)
        .or_else(|| s.layers.get(id).map(Collection::Points))
        .ok_or_else(|| ApiError::NotFound(format!("no collection '{id}'")))
}

/// The description of one collection (as in `/collections` and `/collections/{id}`).
#[must_use]
pub fn collection_doc(atlas: &Atlas, c: Collection<'_>, base: &Base) -> Value {
    let id = c.id();
    let path = format!("/collections/{id}");
    let mut links = vec![
        link(base.url(&path), "self", JSON, "this collection"),
        link(base.url(&format!("{path}?f=html")), "alternate", HTML, "this collection as HTML"),
        link(base.url(&format!("{path}/items")), "items", GEOJSON, "the features as GeoJSON"),
        link(base.url(&format!("{path}/items?f=html")), "items", HTML, "the features as HTML"),
        link(
            base.url(&format!("{path}/queryables")),
            "http://www.opengis.net/def/rel/ogc/1.0/queryables",
            "application/schema+json",
            "queryable properties",
        ),
        link(
            base.url(&format!("{path}/tiles")),
            super::links::REL_TILESETS_VECTOR,
            JSON,
            "the features as vector tiles (OGC API – Tiles)",
        ),
    ];
    for (_, names, media) in super::Format::DOWNLOADS {
        links.push(link(
            base.url(&format!("{path}/items?f={}", names[0])),
            "items",
            media,
            &format!("the features as {}", names[0]),
        ));
    }
    links.dedup();
    let bbox = c.extent(atlas).map_or_else(Vec::new, |b| vec![b]);
    let mut extent = json!({"spatial": {"bbox": bbox, "crs": CRS84}});
    if let Some(t) = c.temporal() {
        extent["temporal"] = json!({
            "interval": [[format!("{}T00:00:00Z", t.start), format!("{}T23:59:59Z", t.end)]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        });
    }
    json!({
        "id": id,
        "title": c.title(),
        "description": c.description(),
        "itemType": "feature",
        "extent": extent,
        "crs": OutputCrs::ALL.map(OutputCrs::uri),
        "storageCrs": CRS84,
        "numberOfFeatures": c.len(atlas),
        "links": links,
    })
}

/// `GET /collections[?f=json|html]`: every collection.
#[utoipa::path(
    get,
    path = "/collections",
    tag = "OGC API – Features",
    params(
        ("f" = Option<String>, Query, description = "`json` or `html` (default: from the `Accept` header)"),
    ),
    responses(
        (status = 200, description = "Every collection", body = Object, content_type = "application/json"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_collections(State(s): State<AppState>, base: Base, headers: HeaderMap, mut q: QueryParams) -> Result<Response, ApiError> {
    let fmt = negotiate(&mut q, &headers)?;
    q.finish()?;
    let collections: Vec<Value> = all(&s).into_iter().map(|c| collection_doc(&s.atlas, c, &base)).collect();
    let doc = json!({
        "links": self_and_alternate(&base, "/collections", &[], JSON, fmt == Format::Html),
        "collections": collections,
    });
    Ok(reply(fmt, &headers, &doc, JSON, html::collections, false))
}

/// `GET /collections/{id}[?f=json|html]`: one collection; 404 for an unknown id.
#[utoipa::path(
    get,
    path = "/collections/{collectionId}",
    tag = "OGC API – Features",
    params(
        ("collectionId" = String, Path, description = "Collection id, e.g. `clusters`, `counties`, `prefectures`, `provinces`"),
        ("f" = Option<String>, Query, description = "`json` or `html` (default: from the `Accept` header)"),
    ),
    responses(
        (status = 200, description = "One collection", body = Object, content_type = "application/json"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_collection(
    State(s): State<AppState>,
    Path(id): Path<String>,
    base: Base,
    headers: HeaderMap,
    mut q: QueryParams,
) -> Result<Response, ApiError> {
    let c = find(&s, &id)?;
    let fmt = negotiate(&mut q, &headers)?;
    q.finish()?;
    let doc = collection_doc(&s.atlas, c, &base);
    Ok(reply(fmt, &headers, &doc, JSON, html::collection, false))
}

/// `GET /collections/{id}/queryables`: the properties `?name=value` filters on, as a
/// JSON Schema (OGC API – Features Part 3).
#[utoipa::path(
    get,
    path = "/collections/{collectionId}/queryables",
    tag = "OGC API – Features",
    params(
        ("collectionId" = String, Path, description = "Collection id, e.g. `clusters`, `counties`, `prefectures`, `provinces`"),
        ("f" = Option<String>, Query, description = "`json` or `html` (default: from the `Accept` header)"),
    ),
    responses(
        (status = 200, description = "Queryable properties as JSON Schema", body = Object, content_type = "application/schema+json"),
        (status = 400, description = "Bad parameter; `parameter` names it", body = crate::api::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = crate::api::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_queryables(
    State(s): State<AppState>,
    Path(id): Path<String>,
    base: Base,
    headers: HeaderMap,
    mut q: QueryParams,
) -> Result<Response, ApiError> {
    let c = find(&s, &id)?;
    let fmt = negotiate(&mut q, &headers)?;
    q.finish()?;
    let properties: Map<String, Value> = c
        .queryables()
        .iter()
        .map(|qb| (qb.name.clone(), json!({"title": qb.name, "type": qb.kind.name()})))
        .collect();
    let doc = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": base.url(&format!("/collections/{id}/queryables")),
        "type": "object",
        "title": c.title(),
        "properties": properties,
        "additionalProperties": false,
    });
    Ok(reply(fmt, &headers, &doc, "application/schema+json", html::queryables, false))
}
