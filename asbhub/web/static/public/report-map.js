/* The report form's map: click or tap to mark where the anti-social behaviour happened.
 *
 * Plain script, no build step, as overview-map.js. Sets the hidden latitude and longitude
 * fields; the typed description stays the way to give a place without a map (or without
 * JavaScript). Tiles are optional: offline, the LPU outlines alone show where you are.
 */
(function () {
  "use strict";

  var el = document.getElementById("report-map");
  var statusEl = document.getElementById("report-map-status");
  var latField = document.getElementById("id_latitude");
  var lonField = document.getElementById("id_longitude");
  if (!el || !window.L || !latField || !lonField) {
    return;
  }

  function say(text) {
    if (statusEl) {
      statusEl.textContent = text;
    }
  }

  el.innerHTML = "";
  var map = L.map(el, { scrollWheelZoom: false, zoomSnap: 0.5 });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, {
      maxZoom: 19,
      attribution: el.dataset.tileAttribution || ""
    }).addTo(map);
  }

  var outlineJson = document.getElementById("lpu-outlines");
  var outlines = outlineJson ? JSON.parse(outlineJson.textContent) : null;
  if (outlines && outlines.features && outlines.features.length) {
    var layer = L.geoJSON(outlines, {
      style: { color: "#1d70b8", weight: 2, fill: false },
      interactive: false,
      attribution: el.dataset.outlineAttribution || ""
    }).addTo(map);
    map.fitBounds(layer.getBounds());
  } else {
    map.setView([53.0, -1.5], 9);
  }

  var marker = null;
  function mark(latlng, announce) {
    // Six decimal places is about 10 cm: as precise as a click can mean.
    latField.value = latlng.lat.toFixed(6);
    lonField.value = latlng.lng.toFixed(6);
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = L.circleMarker(latlng, { radius: 9, color: "#0b0c0c", weight: 3,
                                        fillColor: "#ffdd00", fillOpacity: 1 }).addTo(map);
    }
    if (announce) {
      say("Place marked on the map. Click elsewhere to move it.");
    }
  }

  // A point kept from a form that came back with errors.
  var lat = parseFloat(latField.value);
  var lon = parseFloat(lonField.value);
  if (!isNaN(lat) && !isNaN(lon)) {
    mark(L.latLng(lat, lon), false);
    map.setView([lat, lon], 15);
  }

  map.on("click", function (e) {
    mark(e.latlng, true);
  });
})();
