/* The hotspot map: grid cells coloured by class over the force's LPU outlines.
 *
 * Plain script, no build step, the same conventions as overview-map.js. Reads its settings
 * from data- attributes on #hotspot-map, the outlines from the inline JSON in #lpu-outlines,
 * and the cells from data-geojson-url: the GeoJSON the CLI also writes, whose "asbhub" member
 * carries the legend (class -> label and colour), so the map and the key on the page cannot
 * disagree. Tiles are optional: the cells and outlines carry the map on their own.
 */
(function () {
  "use strict";

  var el = document.getElementById("hotspot-map");
  var statusEl = document.getElementById("hotspot-map-status");
  if (!el || !window.L) {
    return;
  }
  var fmt = new Intl.NumberFormat("en-GB");

  function say(text) {
    if (statusEl) {
      statusEl.textContent = text;
    }
  }

  function plural(n, one, many) {
    return fmt.format(n) + " " + (n === 1 ? one : many);
  }

  // Data from the server (a resident's words, a police.uk street name, an area file's LPU
  // name) goes into Leaflet as a DOM node holding text, never as a string: Leaflet inserts a
  // string tooltip, popup or label as HTML.
  function asText(text) {
    var span = document.createElement("span");
    span.textContent = String(text);
    return span;
  }

  el.innerHTML = "";
  var map = L.map(el, {
    preferCanvas: true, // thousands of cells draw fast on one canvas
    scrollWheelZoom: false, // so scrolling the page past the map does not zoom it
    zoomSnap: 0.5
  });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');

  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, {
      maxZoom: 19,
      attribution: el.dataset.tileAttribution || ""
    }).addTo(map);
  }

  var labels = L.layerGroup();
  var outlineJson = document.getElementById("lpu-outlines");
  var outlines = outlineJson ? JSON.parse(outlineJson.textContent) : null;
  var outlineBounds = null;
  if (outlines && outlines.features && outlines.features.length) {
    var outlineLayer = L.geoJSON(outlines, {
      style: { color: "#0b0c0c", weight: 1.5, fill: false },
      interactive: false,
      attribution: el.dataset.outlineAttribution || ""
    }).addTo(map);
    outlineBounds = outlineLayer.getBounds();
    outlineLayer.getLayers().map(function (layer) {
      var b = layer.getBounds();
      var size = (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest());
      return { p: layer.feature.properties, size: size };
    }).sort(function (a, b) { return b.size - a.size; }).forEach(function (item) {
      labels.addLayer(L.tooltip({
        permanent: true, direction: "center", className: "lpu-label", interactive: false
      }).setLatLng([item.p.label_lat, item.p.label_lon]).setContent(asText(item.p.lpu)));
    });
    labels.addTo(map);
  }

  // Where two LPU names would overlap, show the bigger LPU's and hide the other until the
  // user zooms in far enough for both.
  function declutterLabels() {
    var placed = [];
    labels.eachLayer(function (tip) {
      var node = tip.getElement();
      if (!node) {
        return;
      }
      node.classList.remove("lpu-label--hidden");
      var box = node.getBoundingClientRect();
      var clash = placed.some(function (b) {
        return box.left < b.right && box.right > b.left && box.top < b.bottom && box.bottom > b.top;
      });
      if (clash) {
        node.classList.add("lpu-label--hidden");
      } else {
        placed.push(box);
      }
    });
  }
  map.on("zoomend moveend resize", declutterLabels);

  var bounds = outlineBounds;
  var autoFit = true;
  var fitting = false;
  function fit(b) {
    fitting = true;
    map.fitBounds(b, { padding: [10, 10], animate: false });
    fitting = false;
  }
  map.on("dragstart zoomstart keydown", function () {
    if (!fitting) {
      autoFit = false;
    }
  });
  map.on("resize", function () {
    if (autoFit && bounds) {
      fit(bounds);
    }
  });
  if (bounds) {
    fit(bounds);
  } else {
    map.setView([53.0, -1.5], 9);
  }

  function describe(p) {
    var parts = [p.class_label];
    if (p.note) {
      parts.push(p.note);
    }
    if (p.count !== undefined) {
      parts.push(plural(p.count, "record", "records"));
    }
    if (p.z !== undefined) {
      parts.push("Gi* z " + p.z.toFixed(2));
    }
    if (p.density !== undefined) {
      parts.push(p.density.toPrecision(3) + " per km\u00b2");
    }
    if (p.lpu) {
      parts.push(p.lpu + " LPU");
    }
    return parts.join("; ");
  }

  function draw(collection) {
    var meta = collection.asbhub || {};
    var colours = {};
    ((meta.legend || {}).entries || []).forEach(function (e) {
      colours[e["class"]] = e.colour;
    });
    var layer = L.geoJSON(collection, {
      attribution: el.dataset.cellsAttribution || "",
      style: function (f) {
        var c = f.properties["class"];
        return {
          stroke: false,
          fillColor: colours[c] || "#b1b4b6",
          // Cells with records but no significant pattern recede behind the hot spots.
          fillOpacity: c === 0 && meta.method === "gistar" ? 0.45 : 0.8
        };
      },
      onEachFeature: function (f, cell) {
        cell.bindTooltip(asText(describe(f.properties)), { sticky: true });
      }
    }).addTo(map);
    labels.eachLayer(function (tip) { tip.bringToFront && tip.bringToFront(); });
    if (layer.getLayers().length) {
      // Frame the cells: the chosen LPU, or the whole force.
      bounds = layer.getBounds();
      fit(bounds);
    }
    declutterLabels();
    var text = "Showing " + plural(collection.features.length, "cell", "cells");
    if (meta.method === "gistar") {
      var hot = 0;
      var cold = 0;
      collection.features.forEach(function (f) {
        hot += f.properties["class"] > 0 ? 1 : 0;
        cold += f.properties["class"] < 0 ? 1 : 0;
      });
      text += ": " + plural(hot, "hot spot", "hot spots") + " and " +
        plural(cold, "cold spot", "cold spots");
    }
    say(text + ". Hover over a cell for its figures; the tables below list the strongest.");
  }

  // The download link: fetched here so that a refusal (the server busy, the map's own
  // computation not yet done and the wait for it run out) is said on the page, with the
  // server's reason, rather than failing silently in the browser's downloads (issue #12).
  // Without JavaScript the link is an ordinary download.
  var download = document.getElementById("hotspot-download");
  var downloadStatus = document.getElementById("hotspot-download-status");
  function sayDownload(text, problem) {
    if (downloadStatus) {
      downloadStatus.textContent = text;
      downloadStatus.classList.toggle("app-download-problem", !!problem);
    }
  }
  if (download && window.fetch && window.URL && URL.createObjectURL) {
    download.addEventListener("click", function (event) {
      event.preventDefault();
      sayDownload("Preparing the GeoJSON download\u2026", false);
      fetch(download.href, { headers: { Accept: "application/geo+json" } })
        .then(function (response) {
          if (response.ok) {
            return response.blob();
          }
          return response.json().catch(function () { return {}; }).then(function (body) {
            throw new Error(body && body.error ? body.error : "the server answered " +
              response.status + "; try again in a minute");
          });
        })
        .then(function (blob) {
          var url = URL.createObjectURL(blob);
          var a = document.createElement("a");
          a.href = url;
          a.download = download.getAttribute("download") || "asbhub-hotspots.geojson";
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
          sayDownload("The GeoJSON file has been downloaded.", false);
        })
        .catch(function (error) {
          sayDownload("The GeoJSON could not be downloaded: " + error.message + ".", true);
        });
    });
  }

  say("Loading the hot spot cells\u2026");
  fetch(el.dataset.geojsonUrl, { headers: { Accept: "application/geo+json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(draw)
    .catch(function () {
      say("The map cells could not be loaded; reload the page to try again. The tables below " +
        "give the same results.");
    });
})();
