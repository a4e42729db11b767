//! `GET /collections`, `GET /collections/{id}` and `GET /collections/{id}/queryables`.

use super::links::{Base, GEOJSON, HTML, JSON, link, self_and_alternate};
use super::{Format, html, negotiate, reply};
use crate::analysis::features::Collection;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::extract::Path;
use crate::api::params::QueryParams;
use crate::atlas::Atlas;
use crate::crs::project::OutputCrs;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value, json};

/// The only CRS of this service: WGS84 longitude/latitude.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// The collection with this id, or 404 naming it.
///
/// # Errors
/// [`ApiError::NotFound`].
pub fn find<'a>(atlas: &'a Atlas, id: &str) -> Result<Collection<'a>, ApiError> {
    Collection::find(atlas, id).ok_or_else(|| ApiError::NotFound(format!("no collection '{id}'")))
}

/// The collection with this id among the atlas's and the database layers, or 404.
///
/// # Errors
/// [`ApiError::NotFound`].
pub fn find_served<'a>(s: &'a AppState, id: &str) -> Result<Collection<'a>, ApiError> {
    match s.remote_layer(id) {
        Some(source) => Ok(Collection::Remote(source.as_ref())),
        None => find(&s.atlas, id),
    }
}

/// Every collection served: point layers (in memory, then from databases), then admin.
#[must_use]
pub fn all_served(s: &AppState) -> Vec<Collection<'_>> {
    let mut all = Collection::all(&s.atlas);
    let at = all.iter().take_while(|c| matches!(c, Collection::Points(_))).count();
    for (i, source) in s.remote.iter().enumerate() {
        all.insert(at + i, Collection::Remote(source.as_ref()));
    }
    all
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
    ];
    links.dedup();
    let bbox = c.extent(atlas).map_or_else(Vec::new, |b| vec![b]);
    let mut extent = json!({"spatial": {"bbox": bbox, "crs": CRS84}});
    let temporal = match c {
        Collection::Points(layer) => layer.temporal_extent(),
        Collection::Remote(source) => source.info().temporal,
        Collection::Admin(_) => None,
    };
    {
        if let Some(t) = temporal {
            extent["temporal"] = json!({
                "interval": [[format!("{}T00:00:00Z", t.start), format!("{}T23:59:59Z", t.end)]],
                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
            });
        }
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
    let collections: Vec<Value> = all_served(&s).into_iter().map(|c| collection_doc(&s.atlas, c, &base)).collect();
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
    let c = find_served(&s, &id)?;
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
    let c = find_served(&s, &id)?;
    let fmt = negotiate(&mut q, &headers)?;
    q.finish()?;
    let properties: Map<String, Value> = c
        .queryables()
        .into_iter()
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
