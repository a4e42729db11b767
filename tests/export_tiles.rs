//! `export-tiles` writes a PMTiles v3 archive that pmtiles' own reader reads back.
#![allow(clippy::unwrap_used)]

mod common;
use cluster_atlas::cli::export_tiles::{ExportStats, export};
use cluster_atlas::tiles::{ClusterOptions, TileCoord};
use geozero::mvt::{Message, Tile};
use pmtiles::{AsyncPmTilesReader, Compression, MmapBackend, TileType};

#[tokio::test]
async fn provinces_archive_reads_back() {
    let atlas = common::atlas();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("provinces.pmtiles");
    let stats = export(&atlas, "provinces", (0, 3), ClusterOptions::default(), &out, false).unwrap();
    // China's bounds cover 1 + 1 + 4 + 4 tiles at z0–z3; one of them (open sea) is empty.
    assert_eq!(
        stats,
        ExportStats {
            candidates: 10,
            written: 9
        }
    );

    let reader = AsyncPmTilesReader::try_from_source(MmapBackend::try_from(&out).await.unwrap())
        .await
        .unwrap();
    let h = reader.get_header();
    assert_eq!((h.min_zoom, h.max_zoom), (0, 3));
    assert_eq!(h.tile_type, TileType::Mvt);
    assert_eq!(h.tile_compression, Compression::Gzip);
    let ext = atlas.admin_extent(cluster_atlas::model::AdminLevel::Province).unwrap();
    assert!((f64::from(h.min_longitude) - ext.lower()[0]).abs() < 1e-3);
    assert!((f64::from(h.max_latitude) - ext.upper()[1]).abs() < 1e-3);

    // The directory finds the z3 tile over Beijing; it decodes and holds province 110000.
    let t = TileCoord::containing(3, 116.40, 39.90);
    let bytes = reader
        .get_tile_decompressed(pmtiles::TileCoord::new(t.z, t.x, t.y).unwrap())
        .await
        .unwrap()
        .expect("the Beijing tile is in the archive");
    let tile = Tile::decode(bytes).unwrap();
    let layer = &tile.layers[0];
    assert_eq!(layer.name, "provinces");
    let code_key = layer.keys.iter().position(|k| k == "code").unwrap() as u32;
    let has_beijing = layer.features.iter().any(|f| {
        f.tags
            .chunks(2)
            .any(|kv| kv[0] == code_key && layer.values[kv[1] as usize].string_value.as_deref() == Some("110000"))
    });
    assert!(has_beijing, "province 110000 in tile {t:?}");
    // A tile outside China's bounds was never written.
    assert!(reader.get_tile(pmtiles::TileCoord::new(3, 0, 0).unwrap()).await.unwrap().is_none());
}

#[test]
fn bad_export_arguments_are_errors() {
    let atlas = common::atlas();
    let out = std::env::temp_dir().join("cluster-atlas-never-written.pmtiles");
    let e = export(&atlas, "nope", (0, 3), ClusterOptions::default(), &out, false).unwrap_err();
    assert!(format!("{e:#}").contains("no tile layer named \"nope\""), "{e:#}");
    let e = export(&atlas, "provinces", (4, 3), ClusterOptions::default(), &out, false).unwrap_err();
    assert!(format!("{e:#}").contains("--maxzoom 3"), "{e:#}");
    assert!(!out.exists());
}
