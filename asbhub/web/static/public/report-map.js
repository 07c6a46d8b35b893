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
  var layer = null;
  if (outlines && outlines.features && outlines.features.length) {
    layer = L.geoJSON(outlines, {
      style: { color: "#1d70b8", weight: 2, fill: false },
      interactive: false,
      attribution: el.dataset.outlineAttribution || ""
    }).addTo(map);
  }
  // Open on the force: the extent of its published street points, else its LPU outlines.
  var boundsJson = document.getElementById("force-bounds");
  var bounds = boundsJson ? JSON.parse(boundsJson.textContent) : null;
  if (bounds && bounds.length === 2) {
    map.fitBounds(bounds);
  } else if (layer) {
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

  // -- the place search: results come as JSON and go in as text, never as HTML ------------
  var textField = document.getElementById("id_location_text");
  var searchForm = document.getElementById("place-search");
  var queryField = document.getElementById("place-query");
  var results = document.getElementById("place-results");

  function pick(lat, lon, label) {
    if (isNaN(lat) || isNaN(lon)) {
      return;
    }
    mark(L.latLng(lat, lon), false);
    map.setView([lat, lon], 16);
    if (textField && label) {
      textField.value = label;
    }
    say("Place chosen: " + label + ". Click the map to move the point if you need to.");
  }

  function para(text) {
    var p = document.createElement("p");
    p.className = "govuk-body";
    p.textContent = text;
    return p;
  }

  function show(query, places) {
    results.textContent = "";
    if (!places.length) {
      results.appendChild(para("No street, neighbourhood or town called \u2018" + query +
        "\u2019 was found. Check the spelling, try part of the name, or mark the place on the map."));
      return;
    }
    results.appendChild(para(places.length + (places.length === 1 ? " place" : " places") +
      " found for \u2018" + query + "\u2019. Choose one:"));
    var list = document.createElement("ul");
    list.className = "govuk-list place-results__list";
    places.forEach(function (p) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "place-results__choice govuk-link";
      var name = document.createElement("strong");
      name.textContent = p.name;
      button.appendChild(name);
      button.addEventListener("click", function () {
        pick(p.latitude, p.longitude, p.label);
      });
      var detail = document.createElement("span");
      detail.className = "govuk-hint place-results__detail";
      detail.textContent = " " + p.kind + (p.detail ? ", " + p.detail : "");
      item.appendChild(button);
      item.appendChild(detail);
      list.appendChild(item);
    });
    results.appendChild(list);
  }

  if (searchForm && queryField && results && el.dataset.placesUrl) {
    searchForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var query = queryField.value.trim();
      var url = el.dataset.placesUrl + "?q=" + encodeURIComponent(query);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) {
            throw new Error("HTTP " + r.status);
          }
          return r.json();
        })
        .then(function (data) {
          show(data.query, data.places || []);
        })
        .catch(function () {
          results.textContent = "";
          results.appendChild(para("The place search is not working just now. Mark the place " +
            "on the map or describe it in the box below."));
        });
    });
    // Links from a search done without JavaScript pick in place, keeping what was typed.
    results.addEventListener("click", function (e) {
      var link = e.target.closest ? e.target.closest("a[data-lat]") : null;
      if (link) {
        e.preventDefault();
        pick(parseFloat(link.dataset.lat), parseFloat(link.dataset.lon), link.dataset.label);
      }
    });
  }
})();
