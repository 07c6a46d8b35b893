/* The plan's incident picker: the query's incidents as markers; click a marker to choose (or
 * un-choose) the incidents at that point. Chosen incidents appear as ticked boxes under the
 * map, inside the same form as the list, so the one "Link" button sends both.
 *
 * Plain script, no build step. Without JavaScript the map stays hidden and the list below
 * does the whole job.
 */
(function () {
  "use strict";

  var el = document.getElementById("pmp-map");
  var statusEl = document.getElementById("pmp-map-status");
  var selection = document.getElementById("map-selection");
  var list = document.getElementById("map-selection-list");
  if (!el || !window.L || !window.fetch || !list) {
    return;
  }

  function say(text) {
    if (statusEl) { statusEl.textContent = text; }
  }

  var chosen = {};           // incident id -> checkbox element

  // Data from the server (a resident's words, a police.uk street name, an area file's LPU
  // name) goes into Leaflet as a DOM node holding text, never as a string: Leaflet inserts a
  // string tooltip, popup or label as HTML.
  function asText(text) {
    var span = document.createElement("span");
    span.textContent = String(text);
    return span;
  }

  function addBox(inc) {
    var item = document.createElement("div");
    item.className = "govuk-checkboxes__item";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.className = "govuk-checkboxes__input";
    box.name = "incident";
    box.value = String(inc.id);
    box.id = "map-incident-" + inc.id;
    box.checked = true;
    var label = document.createElement("label");
    label.className = "govuk-label govuk-checkboxes__label";
    label.htmlFor = box.id;
    label.textContent = inc.reference + ": " + inc.crime_type + ", " + inc.month;
    item.appendChild(box);
    item.appendChild(label);
    list.appendChild(item);
    // Unticking the box removes it, as clicking the marker again would.
    box.addEventListener("change", function () {
      if (!box.checked) { drop(inc.id); }
    });
    chosen[inc.id] = item;
    var tableBox = document.getElementById("link-" + inc.id);
    if (tableBox) { tableBox.checked = false; }   // sent once, from here
  }

  function drop(id) {
    if (chosen[id]) {
      list.removeChild(chosen[id]);
      delete chosen[id];
    }
  }

  var styleFree = { radius: 7, color: "#0b0c0c", weight: 2, fillColor: "#1d70b8", fillOpacity: 0.8 };
  var styleChosen = { radius: 9, color: "#0b0c0c", weight: 3, fillColor: "#ffdd00", fillOpacity: 1 };
  var styleLinked = { radius: 7, color: "#0b0c0c", weight: 2, fillColor: "#00703c", fillOpacity: 0.8 };

  el.hidden = false;
  var map = L.map(el, { scrollWheelZoom: false });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  map.setView([53.0, -1.5], 9);
  say("Loading the incidents for the map…");

  fetch(el.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) {
      if (!r.ok) { throw new Error("the server answered " + r.status); }
      return r.json();
    })
    .then(function (data) {
      var bounds = [];
      data.features.forEach(function (f, index) {
        var incs = f.properties.incidents;
        var free = incs.filter(function (i) { return !i.linked; });
        var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
        bounds.push(ll);
        var marker = L.circleMarker(ll, Object.assign({
          className: "pmp-marker pmp-marker-" + index + (free.length ? "" : " pmp-marker--linked")
        }, free.length ? styleFree : styleLinked)).addTo(map);
        var label = incs.length + " incident" + (incs.length === 1 ? "" : "s") + " " +
          (f.properties.place || "at this point");
        marker.bindTooltip(asText(label));
        marker.on("click", function () {
          if (!free.length) {
            say("The incidents " + (f.properties.place || "at this point") + " are already linked.");
            return;
          }
          var on = !chosen[free[0].id];
          free.forEach(function (inc) { if (on) { if (!chosen[inc.id]) { addBox(inc); } } else { drop(inc.id); } });
          marker.setStyle(on ? styleChosen : styleFree);
          selection.hidden = Object.keys(chosen).length === 0;
          say((on ? "Chosen: " : "No longer chosen: ") + label + ". " +
              Object.keys(chosen).length + " chosen in all.");
        });
      });
      if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 }); }
      var text = data.features.length + " places on the map, " + data.matched + " incidents.";
      if (data.truncated) { text += " Only the first incidents are drawn: narrow the query to see all."; }
      if (data.without_position) { text += " " + data.without_position + " have no position and are in the list only."; }
      say(text + " Click a marker to choose its incidents.");
      el.setAttribute("data-loaded", String(data.features.length));
    })
    .catch(function (err) {
      say("The map could not be drawn (" + err.message + "); use the list below instead.");
    });
})();
