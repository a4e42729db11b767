"""GDAL's OGCAPI driver reads cluster-atlas's OGC API – Tiles vector tiles.

Usage: ogcapi_tiles.py BASE_URL COLLECTION ZOOM LON LAT

Opens `OGCAPI:BASE_URL/collections/COLLECTION` with the GDAL that pyogrio's wheel bundles
(3.7.1 or later: Debian 12's GDAL 3.6 was built without the driver's vector-tile code), reads
the layer `Zoom level ZOOM` over the one tile holding (LON, LAT) and prints, as JSON, the
layers GDAL lists, the fields of that layer, the `code` of each feature and the count. The
tile range is given in Web Mercator metres (MINX…MAXY): GDAL reads the collection's CRS84
bounding box as if it were in the tile matrix set's metres.
"""

import json
import math
import sys

import pyogrio
from pyogrio.raw import read

base, collection, zoom, lon, lat = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
# GDAL clips each tile's polygons to the tile with GEOS by default; our tiles are already
# clipped (to the tile plus its buffer), and snapping to the tile grid can leave a ring that
# touches itself, which GEOS refuses: read them as they are.
pyogrio.set_gdal_config_options({"OGR_MVT_CLIP": "NO"})
url = f"OGCAPI:{base}/collections/{collection}"
layers = [name for name, _ in pyogrio.list_layers(url)]
r = 6378137.0
x = math.radians(lon) * r
y = r * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
box = {"MINX": str(x - 1), "MINY": str(y - 1), "MAXX": str(x + 1), "MAXY": str(y + 1)}
meta, fids, geometry, fields = read(url, layer=f"Zoom level {zoom}", return_fids=True, **box)
names = [str(n) for n in meta["fields"]]
codes = [str(c) for c in fields[names.index("code")]] if "code" in names else []
print(json.dumps({
    "gdal": pyogrio.__gdal_version_string__,
    "layers": layers,
    "fields": names,
    "codes": codes,
    "features": len(fids),
    "geometries": sum(1 for g in geometry if g is not None),
}))
