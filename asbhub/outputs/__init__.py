"""Files and maps made from analysis results, for QGIS, Power BI, reports and the web map.

Pure: no Django and no database, so the CLI, the web app and a notebook write the same files.

- :func:`make_stamp`: what a file was made from (version, time, command, method, parameters,
  seed, data), carried by every output.
- :func:`write_geojson`, :func:`write_csv`, :func:`write_png`, or :func:`write_outputs` for
  several at once by file ending (:data:`OUTPUT_FORMATS`).
- :func:`hotspot_geojson` and :func:`legend_for`: the same cells and classes as data, for the
  web map.

Examples
--------
>>> from asbhub.analysis import hotspot_gistar
>>> r = hotspot_gistar([[430100.0, 330100.0], [430120, 330130], [432900, 331700]],
...                    cell_size=500)
>>> stamp = make_stamp(r, data={"kind": "example"}, command="doctest")
>>> fc = hotspot_geojson(r, stamp)
>>> fc["type"], fc["asbhub"]["method"], sum(f["properties"]["count"] for f in fc["features"])
('FeatureCollection', 'gistar', 3)
"""

from asbhub.outputs.hotspot_files import (
    ATTRIBUTION,
    OUTPUT_FORMATS,
    PNG_SIZE,
    cell_table,
    csv_rows,
    describe_data,
    hotspot_geojson,
    legend_for,
    lpu_outlines_bng,
    make_stamp,
    method_of,
    output_format,
    write_csv,
    write_geojson,
    write_outputs,
    write_png,
)

__all__ = [
    "ATTRIBUTION",
    "OUTPUT_FORMATS",
    "PNG_SIZE",
    "cell_table",
    "csv_rows",
    "describe_data",
    "hotspot_geojson",
    "legend_for",
    "lpu_outlines_bng",
    "make_stamp",
    "method_of",
    "output_format",
    "write_csv",
    "write_geojson",
    "write_outputs",
    "write_png",
]
