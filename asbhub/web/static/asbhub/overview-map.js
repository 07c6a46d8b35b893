/* The overview map: the latest month's ASB as circles over the force's LPU outlines.
 *
 * Plain script, no build step. Reads its settings from data- attributes on #asb-map and the
 * outlines from the inline JSON in #lpu-outlines. Tiles are optional (data-tile-url may be
 * empty, or unreachable offline): the outlines and the points carry the map on their own.
 */
(function () {
  "use strict";

  var el = document.getElementById("asb-map");
  var statusEl = document.getElementById("asb-map-status");
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

  // The same scale as the key on the page: area grows with the count, so big stacks stand
  // out without hiding their neighbours.
  function radius(n) {
    return 3 + 1.5 * Math.sqrt(n);
  }

  el.innerHTML = "";
  var map = L.map(el, {
    preferCanvas: true, // thousands of circles draw fast on one canvas
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

  var bounds = null;
  var labels = L.layerGroup();
  var outlineJson = document.getElementById("lpu-outlines");
  var outlines = outlineJson ? JSON.parse(outlineJson.textContent) : null;
  if (outlines && outlines.features && outlines.features.length) {
    var outlineLayer = L.geoJSON(outlines, {
      style: { color: "#1d70b8", weight: 2.5, fill: false },
      interactive: false,
      attribution: el.dataset.outlineAttribution || ""
    }).addTo(map);
    bounds = outlineLayer.getBounds();
    // Big LPUs claim their label space first; a small one's name that would overlap gives way.
    var bySize = outlineLayer.getLayers().map(function (layer) {
      var b = layer.getBounds();
      return { p: layer.feature.properties, size: (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest()) };
    }).sort(function (a, b) { return b.size - a.size; });
    bySize.forEach(function (item) {
      labels.addLayer(L.tooltip({
        permanent: true,
        direction: "center",
        className: "lpu-label",
        interactive: false
      }).setLatLng([item.p.label_lat, item.p.label_lon]).setContent(asText(item.p.lpu)));
    });
    labels.addTo(map);
  }

  // Keep the whole force in view as the window changes size (a phone turned on its side)
  // until the user pans or zooms; after that, leave the view where they put it.
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

  // Small city LPUs sit close together: where two names would overlap, show the first and
  // hide the other until the user zooms in far enough for both to fit.
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
  declutterLabels();

  function popupContent(place) {
    var div = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = place.location || "Unnamed place";
    div.appendChild(strong);
    div.appendChild(document.createElement("br"));
    div.appendChild(document.createTextNode(
      plural(place.count, "ASB incident", "ASB incidents") + ", " + place.month
    ));
    return div;
  }

  function draw(collection) {
    var month = el.dataset.monthLabel || collection.month || "";
    // police.uk snaps incidents to shared anonymised points: draw one circle per point.
    var places = new Map();
    collection.features.forEach(function (f) {
      var c = f.geometry.coordinates;
      var key = c[0] + "," + c[1];
      var place = places.get(key);
      if (!place) {
        place = { lon: c[0], lat: c[1], count: 0, location: f.properties.location, month: month };
        places.set(key, place);
      }
      place.count += 1;
    });
    // Small circles last, so a big one never hides a small one beneath it.
    var ordered = Array.from(places.values()).sort(function (a, b) { return b.count - a.count; });
    var layer = L.featureGroup([], { attribution: el.dataset.pointsAttribution || "" });
    ordered.forEach(function (place) {
      L.circleMarker([place.lat, place.lon], {
        radius: radius(place.count),
        color: "#6f1a0c",
        weight: 1,
        fillColor: "#d4351c",
        fillOpacity: 0.7
      }).bindPopup(popupContent(place))
        .bindTooltip(asText((place.location || "Unnamed place") + ": " + fmt.format(place.count)))
        .addTo(layer);
    });
    layer.addTo(map);
    if (!bounds && ordered.length) {
      bounds = layer.getBounds();
      fit(bounds);
    }
    var text = "Showing " + plural(collection.features.length, "ASB incident", "ASB incidents") +
      " at " + plural(ordered.length, "place", "places") + " in " + month + ".";
    if (collection.without_position) {
      text += " " + plural(collection.without_position, "incident has", "incidents have") +
        " no published place and " + (collection.without_position === 1 ? "is" : "are") +
        " not shown.";
    }
    say(text);
  }

  say("Loading the map points\u2026");
  fetch(el.dataset.pointsUrl, { headers: { Accept: "application/geo+json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(draw)
    .catch(function () {
      say("The map points could not be loaded; reload the page to try again. The table by " +
        "area below gives the same counts.");
    });
})();
