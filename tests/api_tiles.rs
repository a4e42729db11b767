//! Vector tiles and TileJSON on the real geodata, decoded with geozero's prost types and GDAL.
#![allow(clippy::unwrap_used)]

mod common;
use axum::body::Body;
use axum::http::Request;
use cluster_atlas::api::AppState;
use cluster_atlas::api::base_url::PublicBase;
use cluster_atlas::tiles::TileCoord;
use common::{assert_problem, get, get_with};
use geozero::mvt::tile::{Layer, Value};
use geozero::mvt::{Message, Tile};

/// The data layer of a tile (admin tiles also carry a `{layer}_label` layer, checked apart).
fn decode(bytes: &[u8]) -> Layer {
    let tile = Tile::decode(bytes).unwrap();
    assert!(tile.layers.len() <= 2);
    tile.layers.into_iter().find(|l| !l.name.ends_with("_label")).unwrap()
}

/// The `{layer}_label` layer of a tile, if any.
fn labels(bytes: &[u8]) -> Option<Layer> {
    Tile::decode(bytes).unwrap().layers.into_iter().find(|l| l.name.ends_with("_label"))
}

#[tokio::test]
async fn every_unit_is_labelled_once_per_zoom() {
    // Label points sit at representative points, each in exactly one tile: over the z3 tiles
    // that cover China, every prefecture appears once.
    let atlas = common::atlas();
    let (mut codes, mut n) = (std::collections::BTreeSet::new(), 0);
    for x in 5..=6 {
        for y in 2..=3 {
            let r = get(&format!("/tiles/prefectures/3/{x}/{y}.mvt")).await;
            if r.status == 204 {
                continue;
            }
            let Some(l) = labels(&r.bytes) else { continue };
            assert_eq!(l.name, "prefectures_label");
            for i in 0..l.features.len() {
                assert_eq!(l.features[i].r#type, Some(1), "label features are points");
                codes.insert(prop(&l, i, "code").unwrap().string_value.clone().unwrap());
                assert!(prop(&l, i, "name_zh").is_some());
                n += 1;
            }
        }
    }
    let prefectures = atlas.admin_units(cluster_atlas::model::AdminLevel::Prefecture).len();
    assert_eq!(n, prefectures);
    assert_eq!(codes.len(), prefectures);
}

/// The properties of feature `i` as (key, value) pairs.
fn props(layer: &Layer, i: usize) -> Vec<(&str, &Value)> {
    layer.features[i]
        .tags
        .chunks(2)
        .map(|kv| (layer.keys[kv[0] as usize].as_str(), &layer.values[kv[1] as usize]))
        .collect()
}

fn prop<'a>(layer: &'a Layer, i: usize, key: &str) -> Option<&'a Value> {
    props(layer, i).into_iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}

fn find_code(layer: &Layer, code: &str) -> Option<usize> {
    (0..layer.features.len()).find(|&i| prop(layer, i, "code").and_then(|v| v.string_value.as_deref()) == Some(code))
}

#[tokio::test]
async fn z6_tile_holds_botou_with_its_properties() {
    let t = TileCoord::containing(6, 116.578, 38.076);
    let r = get(&format!("/tiles/counties/{}/{}/{}.mvt", t.z, t.x, t.y)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "application/vnd.mapbox-vector-tile");
    let layer = decode(&r.bytes);
    assert_eq!(layer.name, "counties");
    assert_eq!(layer.extent, Some(4096));
    let i = find_code(&layer, "130981").expect("county 130981 in the tile");
    assert_eq!(prop(&layer, i, "name_zh").unwrap().string_value.as_deref(), Some("泊头市"));
    assert_eq!(prop(&layer, i, "name_pinyin").unwrap().string_value.as_deref(), Some("Botou"));
    let atlas = common::atlas();
    let unit = atlas
        .admin_by_code(cluster_atlas::model::AdminLevel::County, "130981".parse().unwrap())
        .unwrap();
    assert_eq!(prop(&layer, i, "area_km2").unwrap().double_value, Some(unit.area_km2));
    // Per-industry counts agree with the clusters assigned to the county.
    let clusters = atlas.point_layer("clusters").unwrap();
    let n = clusters.features().iter().filter(|f| f.county_code == Some(unit.code)).count() as u64;
    assert_eq!(prop(&layer, i, "n_total").unwrap().uint_value, Some(n));
    assert!(layer.features.len() > 50, "{} counties", layer.features.len());
}

#[tokio::test]
async fn admin_tile_industry_counts_agree_with_density() {
    // A zone with several industries counts once in each n_<industry>, as in /density.
    let t = TileCoord::containing(6, 116.578, 38.076);
    let layer = decode(&get(&format!("/tiles/counties/{}/{}/{}.mvt", t.z, t.x, t.y)).await.bytes);
    for industry in ["foundry", "equipment-manufacturing", "automotive", "biomedicine"] {
        let d = get(&format!("/density?level=county&industry={industry}&geometry=false")).await;
        let counts: std::collections::HashMap<&str, u64> = d.json["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["properties"]["code"].as_str().unwrap(),
                    f["properties"]["count"].as_u64().unwrap(),
                )
            })
            .collect();
        let mut nonzero = 0;
        for i in 0..layer.features.len() {
            let code = prop(&layer, i, "code").unwrap().string_value.clone().unwrap();
            let n = prop(&layer, i, &format!("n_{industry}")).and_then(|v| v.uint_value).unwrap_or(0);
            assert_eq!(n, counts.get(code.as_str()).copied().unwrap_or(0), "{industry} in {code}");
            nonzero += usize::from(n > 0);
        }
        assert!(nonzero > 0, "{industry}: some county of the tile has one");
    }
}

#[tokio::test]
async fn point_tiles_are_filtered_on_the_server_like_items() {
    // z0 holds every point once (clustered): its points add up to the filtered count.
    let total = |bytes: &[u8]| -> u64 {
        let layer = decode(bytes);
        (0..layer.features.len())
            .map(|i| {
                prop(&layer, i, "point_count")
                    .and_then(|v| v.uint_value.or(v.int_value.map(|n| n as u64)))
                    .unwrap_or(1)
            })
            .sum()
    };
    for filter in [
        "industry=foundry",
        "kind=park&approval_level=national",
        "industry=automotive&datetime=../2005-12-31",
    ] {
        let items = get(&format!("/collections/clusters/items?limit=1&{filter}")).await;
        let r = get(&format!("/tiles/clusters/0/0/0.mvt?{filter}")).await;
        assert_eq!(r.status, 200, "{filter}");
        assert_eq!(total(&r.bytes), items.json["numberMatched"].as_u64().unwrap(), "{filter}");
    }
    let all = get("/tiles/clusters/0/0/0.mvt").await;
    assert_eq!(
        total(&all.bytes),
        common::atlas().point_layer("clusters").unwrap().features().len() as u64
    );
    assert_problem(&get("/tiles/clusters/0/0/0.mvt?datetime=soon").await, 400, Some("datetime"));
}

#[tokio::test]
async fn gdal_reads_the_tile() {
    let t = TileCoord::containing(6, 116.578, 38.076);
    let r = get(&format!("/tiles/counties/{}/{}/{}.mvt", t.z, t.x, t.y)).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tile.mvt");
    std::fs::write(&path, &r.bytes).unwrap();
    let out = std::process::Command::new("ogrinfo")
        .args([
            "-ro",
            "-al",
            "-oo",
            &format!("Z={}", t.z),
            "-oo",
            &format!("X={}", t.x),
            "-oo",
            &format!("Y={}", t.y),
        ])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("code (String) = 130981"), "{text}");
    assert!(text.contains("name_pinyin (String) = Botou"));
    assert!(text.contains("MULTIPOLYGON") || text.contains("POLYGON"));
}

#[tokio::test]
async fn z3_cluster_counts_sum_to_every_cluster() {
    let atlas = common::atlas();
    let clusters = atlas.point_layer("clusters").unwrap();
    let env = clusters.tree().root().envelope();
    let lo = TileCoord::containing(3, env.lower()[0], env.upper()[1]);
    let hi = TileCoord::containing(3, env.upper()[0], env.lower()[1]);
    let (mut sum, mut n_clusters) = (0u64, 0);
    for x in lo.x..=hi.x {
        for y in lo.y..=hi.y {
            let r = get(&format!("/tiles/clusters/3/{x}/{y}.mvt")).await;
            if r.status == 204 {
                continue;
            }
            assert_eq!(r.status, 200);
            let layer = decode(&r.bytes);
            for i in 0..layer.features.len() {
                match prop(&layer, i, "point_count") {
                    Some(v) => {
                        n_clusters += 1;
                        assert!(
                            !prop(&layer, i, "top_industries")
                                .unwrap()
                                .string_value
                                .as_deref()
                                .unwrap()
                                .is_empty()
                        );
                        sum += v.uint_value.unwrap();
                    }
                    None => sum += 1,
                }
            }
        }
    }
    assert_eq!(sum, clusters.features().len() as u64);
    assert!(n_clusters > 0, "z3 must cluster");
}

#[tokio::test]
async fn z10_points_carry_their_properties() {
    let atlas = common::atlas();
    let f = &atlas.point_layer("clusters").unwrap().features()[0];
    let t = TileCoord::containing(10, f.point.x(), f.point.y());
    let r = get(&format!("/tiles/clusters/10/{}/{}.mvt", t.x, t.y)).await;
    let layer = decode(&r.bytes);
    let i = (0..layer.features.len())
        .find(|&i| prop(&layer, i, "id").unwrap().string_value.as_deref() == Some(&f.id))
        .unwrap();
    assert_eq!(
        prop(&layer, i, "name_zh").unwrap().string_value.as_deref(),
        Some(f.name_zh.as_str())
    );
    assert!(prop(&layer, i, "point_count").is_none());
}

#[tokio::test]
async fn empty_tile_is_204_and_etag_gives_304() {
    // Mid-Pacific at z6.
    let r = get("/tiles/counties/6/5/30.mvt").await;
    assert_eq!(r.status, 204);
    assert!(r.bytes.is_empty());
    let r = get("/tiles/provinces/2/3/1.mvt").await;
    assert_eq!(r.status, 200);
    let etag = r.headers["etag"].to_str().unwrap().to_owned();
    assert!(r.headers["cache-control"].to_str().unwrap().contains("max-age"));
    let again = get_with("/tiles/provinces/2/3/1.mvt", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304);
    assert!(again.bytes.is_empty());
}

#[tokio::test]
async fn bad_coordinates_and_layers_are_problems() {
    assert_problem(&get("/tiles/counties/17/0/0.mvt").await, 400, Some("z"));
    assert_problem(&get("/tiles/counties/3/8/0.mvt").await, 400, Some("x"));
    assert_problem(&get("/tiles/counties/3/0/8.mvt").await, 400, Some("y"));
    assert_problem(&get("/tiles/counties/3/a/0.mvt").await, 400, Some("x"));
    assert_problem(&get("/tiles/rivers/3/0/0.mvt").await, 404, None);
    assert_problem(&get("/tiles/rivers.json").await, 404, None);
}

/// A request through a router whose links follow `policy`.
async fn tilejson_under(policy: PublicBase, headers: &[(&str, &str)]) -> serde_json::Value {
    let app = cluster_atlas::api::router(AppState::from_shared(common::atlas()).with_public_base(policy));
    let mut req = Request::get("/tiles/counties.json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    common::send_to(app, req.body(Body::empty()).unwrap()).await.json
}

#[tokio::test]
async fn tilejson_honours_forwarded_headers_only_when_told_to() {
    let forwarded = [
        ("host", "internal:8080"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "maps.example.org"),
    ];
    // Default: a client's headers never reach the links (no socket in-process: localhost).
    let r = get_with("/tiles/counties.json", &forwarded).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["tilejson"], "3.0.0");
    assert_eq!(r.json["tiles"][0], "http://localhost/tiles/counties/{z}/{x}/{y}.mvt");
    assert_eq!(r.json["vector_layers"][0]["fields"]["code"], "String");
    let b = r.json["bounds"].as_array().unwrap();
    assert!(b[0].as_f64().unwrap() > 70.0 && b[2].as_f64().unwrap() < 140.0, "{b:?}");
    let trusted = tilejson_under(PublicBase::TrustForwarded, &forwarded).await;
    assert_eq!(trusted["tiles"][0], "https://maps.example.org/tiles/counties/{z}/{x}/{y}.mvt");
    let fixed = tilejson_under(PublicBase::Fixed("https://cdn.example.net/atlas/".into()), &forwarded).await;
    assert_eq!(fixed["tiles"][0], "https://cdn.example.net/atlas/tiles/counties/{z}/{x}/{y}.mvt");
    let list = get("/tiles").await;
    assert_eq!(
        list.json["tilesets"].as_array().unwrap().len(),
        3 + common::atlas().point_layers().len()
    );
}

#[test]
fn the_real_server_links_to_its_own_address_whatever_the_client_says() {
    let s = common::server::start();
    let mut r = common::server::agent()
        .get(format!("{}/tiles/counties.json", s.base))
        .header("x-forwarded-host", "evil.example")
        .header("host", "evil.example")
        .call()
        .unwrap();
    let tj: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(tj["tiles"][0], format!("{}/tiles/counties/{{z}}/{{x}}/{{y}}.mvt", s.base));
    let mut r = common::server::agent()
        .get(format!("{}/collections", s.base))
        .header("x-forwarded-host", "evil.example")
        .call()
        .unwrap();
    let doc = r.body_mut().read_to_string().unwrap();
    assert!(!doc.contains("evil.example") && doc.contains(&s.base), "{doc}");
}

#[tokio::test]
async fn z3_counties_tile_stays_under_500_kb() {
    // Tile 6/3 at z3 covers most of China's counties.
    let r = get("/tiles/counties/3/6/3.mvt").await;
    assert_eq!(r.status, 200);
    assert!(r.bytes.len() < 500_000, "{} bytes", r.bytes.len());
    let layer = decode(&r.bytes);
    assert!(layer.features.len() > 2000, "{} counties", layer.features.len());
    assert!(find_code(&layer, "130981").is_some());
}

/// `GET uri` on `app` (one shared router, hence one shared tile cache).
async fn get_via(app: &axum::Router, uri: &str) -> common::Reply {
    common::send_to(app.clone(), Request::get(uri).body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn second_request_for_a_tile_is_a_cache_hit() {
    use cluster_atlas::api::{AppState, router};
    let app = router(AppState::from_shared(common::atlas()));
    let t = TileCoord::containing(6, 116.578, 38.076);
    let uri = format!("/tiles/counties/{}/{}/{}.mvt", t.z, t.x, t.y);
    let first = get_via(&app, &uri).await;
    let c = get_via(&app, "/health").await.json["tile_cache"].clone();
    assert_eq!((c["hits"].as_u64(), c["misses"].as_u64()), (Some(0), Some(1)));
    assert_eq!(c["capacity_bytes"].as_u64(), Some(64 << 20));
    assert!(c["bytes"].as_u64().unwrap() > first.bytes.len() as u64);
    let second = get_via(&app, &uri).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.bytes, first.bytes);
    assert_eq!(second.headers["etag"], first.headers["etag"]);
    let c = get_via(&app, "/health").await.json["tile_cache"].clone();
    assert_eq!(
        (c["hits"].as_u64(), c["misses"].as_u64(), c["entries"].as_u64()),
        (Some(1), Some(1), Some(1))
    );
    // An empty tile (mid-Pacific) is cached too and still answers 204.
    for _ in 0..2 {
        assert_eq!(get_via(&app, "/tiles/counties/6/0/32.mvt").await.status, 204);
    }
    let c = get_via(&app, "/health").await.json["tile_cache"].clone();
    assert_eq!(
        (c["hits"].as_u64(), c["misses"].as_u64(), c["entries"].as_u64()),
        (Some(2), Some(2), Some(2))
    );
}

#[tokio::test]
async fn a_tiny_cache_evicts() {
    use cluster_atlas::api::{AppState, router};
    // 1 MB cannot hold the four z3 counties tiles over China, nine z4 ones and thirty z5 ones.
    let app = router(AppState::from_shared(common::atlas()).with_tile_cache_mb(1));
    let mut tiles: Vec<String> = [(6, 3), (5, 3), (6, 2), (5, 2)]
        .iter()
        .map(|(x, y)| format!("/tiles/counties/3/{x}/{y}.mvt"))
        .collect();
    tiles.extend((11..=13).flat_map(|x| (5..=7).map(move |y| format!("/tiles/counties/4/{x}/{y}.mvt"))));
    tiles.extend((22..=27).flat_map(|x| (10..=14).map(move |y| format!("/tiles/counties/5/{x}/{y}.mvt"))));
    let mut total = 0;
    for uri in &tiles {
        let r = get_via(&app, uri).await;
        assert!(r.status == 200 || r.status == 204, "{uri}: {}", r.status); // 204: no county there
        total += r.bytes.len();
    }
    assert!(total > 1 << 20, "the tiles ({total} B) overflow 1 MB");
    let c = get_via(&app, "/health").await.json["tile_cache"].clone();
    assert_eq!(c["misses"].as_u64(), Some(tiles.len() as u64));
    assert!(c["bytes"].as_u64().unwrap() <= 1 << 20);
    assert!(c["entries"].as_u64().unwrap() < tiles.len() as u64, "{c}");
    // The first tile was least recently used, so it was evicted: asking again misses.
    get_via(&app, &tiles[0]).await;
    let c = get_via(&app, "/health").await.json["tile_cache"].clone();
    assert_eq!((c["hits"].as_u64(), c["misses"].as_u64()), (Some(0), Some(tiles.len() as u64 + 1)));
}

#[tokio::test]
async fn expanding_z3_clusters_returns_point_count_members() {
    let atlas = common::atlas();
    let clusters = atlas.point_layer("clusters").unwrap();
    let env = clusters.tree().root().envelope();
    let lo = TileCoord::containing(3, env.lower()[0], env.upper()[1]);
    let hi = TileCoord::containing(3, env.upper()[0], env.lower()[1]);
    let (mut expanded, mut seen) = (0, std::collections::HashSet::new());
    for x in lo.x..=hi.x {
        for y in lo.y..=hi.y {
            let r = get(&format!("/tiles/clusters/3/{x}/{y}.mvt")).await;
            if r.status == 204 {
                continue;
            }
            let layer = decode(&r.bytes);
            for i in 0..layer.features.len() {
                let Some(count) = prop(&layer, i, "point_count").and_then(|v| v.uint_value) else {
                    continue;
                };
                let id = prop(&layer, i, "cluster_id").unwrap().uint_value.unwrap();
                let e = get(&format!("/tiles/clusters/expand?cluster_id={id}")).await;
                assert_eq!(e.status, 200, "{id}: {}", e.json);
                assert_eq!(e.content_type(), "application/geo+json");
                let members = e.json["features"].as_array().unwrap();
                assert_eq!(members.len() as u64, count, "cluster {id}");
                assert_eq!(e.json["point_count"].as_u64(), Some(count));
                assert_eq!(e.json["zoom"].as_u64(), Some(3));
                let ez = e.json["expansion_zoom"].as_u64().unwrap();
                assert!((4..=8).contains(&ez), "expansion_zoom {ez}");
                let [w, s, east, n] = TileCoord::new(3, x, y).unwrap().bbox_lonlat();
                for m in members {
                    let id = m["id"].as_str().unwrap().to_owned();
                    let [lon, lat] = [
                        m["geometry"]["coordinates"][0].as_f64().unwrap(),
                        m["geometry"]["coordinates"][1].as_f64().unwrap(),
                    ];
                    assert!(lon >= w && lon <= east && lat >= s && lat <= n, "{id} outside tile 3/{x}/{y}");
                    assert!(clusters.feature(&id).is_some(), "{id}");
                    assert!(seen.insert(id.clone()), "{id} in two clusters");
                }
                expanded += 1;
            }
        }
    }
    assert!(expanded > 5, "{expanded} clusters expanded");
}

#[tokio::test]
async fn bad_cluster_ids_are_problems() {
    assert_problem(&get("/tiles/clusters/expand?cluster_id=abc").await, 400, Some("cluster_id"));
    assert_problem(&get("/tiles/clusters/expand").await, 400, Some("cluster_id"));
    // Zoom 17 is beyond the deepest tiles; zoom 9 may hold clusters (dense tiles), not here.
    assert_problem(&get("/tiles/clusters/expand?cluster_id=17").await, 400, Some("cluster_id"));
    assert_problem(&get("/tiles/clusters/expand?cluster_id=9").await, 404, None);
    // Cell 0 of zoom 3 is in the Arctic: no cluster there.
    assert_problem(&get("/tiles/clusters/expand?cluster_id=3").await, 404, None);
    assert_problem(&get("/tiles/nope/expand?cluster_id=3").await, 404, None);
    assert_problem(&get("/tiles/counties/expand?cluster_id=3").await, 404, None);
}

/// Feature and point counts of the z3 clusters tiles over the layer's bounds, served by `app`.
#[derive(Debug, Default)]
struct Z3Clusters {
    /// Sum of `point_count` over clusters plus one per single point.
    points: u64,
    /// Features of every tile (clusters and single points).
    features: usize,
    /// `(tile, cluster_id, point_count)` of every cluster feature.
    clusters: Vec<(TileCoord, u64, u64)>,
}

async fn z3_clusters(app: &axum::Router) -> Z3Clusters {
    let atlas = common::atlas();
    let env = atlas.point_layer("clusters").unwrap().tree().root().envelope();
    let lo = TileCoord::containing(3, env.lower()[0], env.upper()[1]);
    let hi = TileCoord::containing(3, env.upper()[0], env.lower()[1]);
    let mut out = Z3Clusters::default();
    for x in lo.x..=hi.x {
        for y in lo.y..=hi.y {
            let r = get_via(app, &format!("/tiles/clusters/3/{x}/{y}.mvt")).await;
            if r.status == 204 {
                continue;
            }
            assert_eq!(r.status, 200);
            let layer = decode(&r.bytes);
            out.features += layer.features.len();
            for i in 0..layer.features.len() {
                match prop(&layer, i, "point_count").and_then(|v| v.uint_value) {
                    Some(n) => {
                        let id = prop(&layer, i, "cluster_id").unwrap().uint_value.unwrap();
                        out.clusters.push((TileCoord::new(3, x, y).unwrap(), id, n));
                        out.points += n;
                    }
                    None => out.points += 1,
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn a_128_px_cluster_radius_counts_every_point_once_and_expands_exactly() {
    use cluster_atlas::api::{AppState, router};
    use cluster_atlas::tiles::ClusterOptions;
    let atlas = common::atlas();
    let clusters = atlas.point_layer("clusters").unwrap();
    let n_points = clusters.features().len() as u64;
    let wide_opts = ClusterOptions::new(128.0).unwrap();
    assert_eq!(wide_opts.cells_per_side(), 4);
    let default = router(AppState::from_shared(atlas.clone()));
    let wide = router(AppState::from_shared(atlas.clone()).with_cluster_options(wide_opts));

    let d = z3_clusters(&default).await;
    let w = z3_clusters(&wide).await;
    assert_eq!(d.points, n_points);
    assert_eq!(w.points, n_points, "every point counted once at 128 px");
    assert!(
        w.features < d.features,
        "128 px: {} features ({} clusters); 64 px: {} features ({} clusters)",
        w.features,
        w.clusters.len(),
        d.features,
        d.clusters.len()
    );
    assert!(w.clusters.len() < d.clusters.len());
    let biggest = |z: &Z3Clusters| z.clusters.iter().map(|c| c.2).max().unwrap_or(0);
    assert!(biggest(&w) >= biggest(&d));

    // Every wide cluster expands, under the same radius, to exactly point_count members, all
    // in one 1024-unit cell (4 per tile side) of the cluster's tile.
    let mut seen = std::collections::HashSet::new();
    for (tile, id, count) in &w.clusters {
        let e = get_via(&wide, &format!("/tiles/clusters/expand?cluster_id={id}")).await;
        assert_eq!(e.status, 200, "{id}: {}", e.json);
        let members = e.json["features"].as_array().unwrap();
        assert_eq!(members.len() as u64, *count, "cluster {id}");
        assert_eq!(e.json["zoom"].as_u64(), Some(3));
        let mut cells = std::collections::HashSet::new();
        for m in members {
            let c = &m["geometry"]["coordinates"];
            let [px, py] = tile.lonlat_to_pixel(c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            assert!((0.0..4096.0).contains(&px) && (0.0..4096.0).contains(&py), "{m} outside {tile:?}");
            cells.insert(((px / 1024.0) as u32, (py / 1024.0) as u32));
            assert!(seen.insert(m["id"].as_str().unwrap().to_owned()), "{m} in two clusters");
        }
        assert_eq!(cells.len(), 1, "cluster {id} spans {cells:?}");
    }

    // The TileJSON of a point layer says which radius its tiles use; admin layers do not.
    let tj = get_via(&wide, "/tiles/clusters.json").await.json;
    assert_eq!(tj["cluster_radius_px"].as_f64(), Some(128.0));
    assert_eq!(tj["cluster_cells_per_tile"].as_u64(), Some(4));
    assert_eq!(tj["cluster_maxzoom"].as_u64(), Some(7));
    assert_eq!(
        get_via(&default, "/tiles/clusters.json").await.json["cluster_radius_px"].as_f64(),
        Some(64.0)
    );
    assert!(get_via(&wide, "/tiles/counties.json").await.json.get("cluster_radius_px").is_none());
    eprintln!(
        "z3 clusters layer: 64 px → {} features, {} clusters; 128 px → {} features, {} clusters; {n_points} points",
        d.features,
        d.clusters.len(),
        w.features,
        w.clusters.len()
    );
}

/// The geometry of feature `i` in tile pixels.
fn polygons(layer: &Layer, i: usize) -> geo::MultiPolygon<f64> {
    use geozero::ToGeo;
    match layer.features[i].to_geo().unwrap() {
        geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
        geo::Geometry::MultiPolygon(mp) => mp,
        other => panic!("not a polygon: {other:?}"),
    }
}

/// Distance in pixels from `p` to the nearest ring of `mp`.
fn distance_to_boundary(mp: &geo::MultiPolygon<f64>, p: geo::Point<f64>) -> f64 {
    use geo::{Distance, Euclidean};
    mp.iter()
        .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
        .map(|ring| Euclidean.distance(&p, ring))
        .fold(f64::INFINITY, f64::min)
}

/// Two same-zoom counties tiles sharing an edge: `a` is west of (or above) `b`. Picks from the
/// Atlas the county with the longest stretch of that edge, then checks that both tiles hold
/// it, that each reaches into its buffer across the edge, and that every point of the edge at
/// least 2 px inside the county (more than the 1 px generalisation plus rounding) lies inside
/// the decoded polygon of both tiles — no gap or sliver along the seam. Returns the county
/// code and the number of edge points checked.
async fn assert_seamless_edge(a: TileCoord, b: TileCoord) -> (String, usize) {
    use geo::{BoundingRect, Contains, MapCoords};
    let vertical = b.x == a.x + 1 && b.y == a.y;
    assert!(vertical || (b.y == a.y + 1 && b.x == a.x), "{a:?} and {b:?} are not neighbours");
    let e = 4096.0;
    // The shared edge in a's pixels, sampled every 4 px; in b's pixels it is shifted by one tile.
    let edge = |s: f64| if vertical { [e, s] } else { [s, e] };
    let to_b = |[x, y]: [f64; 2]| if vertical { [x - e, y] } else { [x, y - e] };
    let samples: Vec<[f64; 2]> = (0..=1024).map(|i| edge(f64::from(i) * 4.0)).collect();

    let atlas = common::atlas();
    let [lon0, lat0] = a.pixel_to_lonlat(edge(0.0)[0], edge(0.0)[1]);
    let [lon1, lat1] = a.pixel_to_lonlat(edge(e)[0], edge(e)[1]);
    let (min, max) = ([lon0.min(lon1), lat0.min(lat1)], [lon0.max(lon1), lat0.max(lat1)]);
    let (unit, inside) = atlas
        .admin_in_envelope(cluster_atlas::model::AdminLevel::County, min, max)
        .map(|u| {
            let px = u.geometry.map_coords(|c| {
                let [x, y] = a.lonlat_to_pixel(c.x, c.y);
                geo::Coord { x, y }
            });
            let inside: Vec<[f64; 2]> = samples
                .iter()
                .copied()
                .filter(|&[x, y]| {
                    let p = geo::Point::new(x, y);
                    px.contains(&p) && distance_to_boundary(&px, p) >= 2.0
                })
                .collect();
            (u, inside)
        })
        .max_by_key(|(_, inside)| inside.len())
        .expect("a county on the edge");
    assert!(inside.len() >= 10, "{}: only {} edge samples", unit.code, inside.len());
    let code = unit.code.to_string();

    let fetch = |t: TileCoord| async move {
        let r = get(&format!("/tiles/counties/{}/{}/{}.mvt", t.z, t.x, t.y)).await;
        assert_eq!(r.status, 200, "{t:?}");
        decode(&r.bytes)
    };
    let (la, lb) = (fetch(a).await, fetch(b).await);
    let ia = find_code(&la, &code).unwrap_or_else(|| panic!("{code} missing from {a:?}"));
    let ib = find_code(&lb, &code).unwrap_or_else(|| panic!("{code} missing from {b:?}"));
    let (pa, pb) = (polygons(&la, ia), polygons(&lb, ib));
    // Each side draws the county past the seam into its 64 px buffer, and no further.
    let (ra, rb) = (pa.bounding_rect().unwrap(), pb.bounding_rect().unwrap());
    let (a_far, b_near) = if vertical {
        (ra.max().x, rb.min().x)
    } else {
        (ra.max().y, rb.min().y)
    };
    assert!(a_far > e && a_far <= e + 64.0, "{code} in {a:?} reaches {a_far}");
    assert!((-64.0..0.0).contains(&b_near), "{code} in {b:?} starts at {b_near}");
    for &p in &inside {
        let q = to_b(p);
        assert!(pa.contains(&geo::Point::new(p[0], p[1])), "{code}: gap at {p:?} of {a:?}");
        assert!(pb.contains(&geo::Point::new(q[0], q[1])), "{code}: gap at {q:?} of {b:?}");
    }
    (code, inside.len())
}

#[tokio::test]
async fn neighbouring_tiles_share_their_edges_without_gaps() {
    // Botou's z6 tile and its east and south neighbours (Hebei, Shandong).
    let t = TileCoord::containing(6, 116.578, 38.076);
    let east = TileCoord::new(6, t.x + 1, t.y).unwrap();
    let south = TileCoord::new(6, t.x, t.y + 1).unwrap();
    let (c1, n1) = assert_seamless_edge(t, east).await;
    let (c2, n2) = assert_seamless_edge(t, south).await;
    // And at z7, where the seam runs through other counties.
    let t7 = TileCoord::containing(7, 113.13, 27.83);
    let (c3, n3) = assert_seamless_edge(t7, TileCoord::new(7, t7.x + 1, t7.y).unwrap()).await;
    eprintln!("seams: {c1} ({n1} points), {c2} ({n2} points), {c3} ({n3} points)");
}

#[tokio::test]
async fn tiles_are_gzipped_when_the_client_accepts_it() {
    use std::io::Read;
    let t = TileCoord::containing(6, 116.578, 38.076);
    let uri = format!("/tiles/counties/{}/{}/{}.mvt", t.z, t.x, t.y);
    let plain = get(&uri).await;
    assert_eq!(plain.status, 200);
    assert!(plain.headers.get("content-encoding").is_none());
    let gz = get_with(&uri, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.status, 200);
    assert_eq!(gz.headers["content-encoding"], "gzip");
    assert_eq!(gz.content_type(), "application/vnd.mapbox-vector-tile");
    assert!(
        gz.headers["vary"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(gz.bytes.as_slice())
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.bytes);
    assert!(
        gz.bytes.len() < plain.bytes.len(),
        "{} B gzipped vs {} B",
        gz.bytes.len(),
        plain.bytes.len()
    );
    eprintln!("z6 counties tile {uri}: {} B, gzip {} B", plain.bytes.len(), gz.bytes.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_misses_for_one_tile_encode_it_once() {
    use cluster_atlas::api::{AppState, router};
    let app = router(AppState::from_shared(common::atlas()));
    // The z3 counties tile over most of China takes long enough to encode that all eight
    // requests arrive while the first one is still encoding.
    let uri = "/tiles/counties/3/6/3.mvt";
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let app = app.clone();
        set.spawn(async move { get_via(&app, uri).await });
    }
    let replies = set.join_all().await;
    assert!(replies.iter().all(|r| r.status == 200 && r.bytes == replies[0].bytes));
    assert!(replies[0].bytes.len() > 100_000);
    let c = get_via(&app, "/health").await.json["tile_cache"].clone();
    assert_eq!(c["misses"].as_u64(), Some(1), "one encode for eight requests: {c}");
    assert_eq!(c["hits"].as_u64().unwrap() + c["coalesced"].as_u64().unwrap(), 7, "{c}");
    assert!(c["coalesced"].as_u64().unwrap() >= 1, "{c}");
    assert_eq!(c["entries"].as_u64(), Some(1));
    // Afterwards the tile is an ordinary cache hit.
    get_via(&app, uri).await;
    let after = get_via(&app, "/health").await.json["tile_cache"].clone();
    assert_eq!(after["hits"].as_u64(), Some(c["hits"].as_u64().unwrap() + 1));
    assert_eq!(after["misses"].as_u64(), Some(1));
    eprintln!("8 concurrent requests: {c}");
}
