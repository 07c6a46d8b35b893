/* Find a place by name on a form without a map (the Case Review application): the search
 * answers JSON and the chosen place's words go into the form's place box.
 *
 * Progressive enhancement of public/_place_search.html, which works without JavaScript.
 * Everything from the server goes in as text (textContent), never as HTML.
 */
(function () {
  "use strict";

  var searchForm = document.getElementById("place-search");
  var queryField = document.getElementById("place-query");
  var results = document.getElementById("place-results");
  var target = searchForm ? document.getElementById(searchForm.dataset.target || "") : null;
  if (!searchForm || !queryField || !results || !target || !searchForm.dataset.placesUrl) {
    return;
  }

  function para(text) {
    var p = document.createElement("p");
    p.className = "govuk-body";
    p.textContent = text;
    return p;
  }

  function pick(label) {
    target.value = label;
    results.textContent = "";
    results.appendChild(para("Place chosen: " + label + ". You can add to it in the box."));
    target.focus();
  }

  function show(query, places) {
    results.textContent = "";
    if (!places.length) {
      results.appendChild(para("No street, neighbourhood or town called \u2018" + query +
        "\u2019 was found. Check the spelling or try part of the name; you can also just " +
        "describe the place in your own words."));
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
        pick(p.label);
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

  searchForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var query = queryField.value.trim();
    fetch(searchForm.dataset.placesUrl + "?q=" + encodeURIComponent(query),
          { headers: { Accept: "application/json" }, credentials: "same-origin" })
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
        results.appendChild(para("The place search is not working just now. Describe the " +
          "place in your own words."));
      });
  });
  // Links from a search done without JavaScript pick in place, keeping what was typed.
  results.addEventListener("click", function (e) {
    var link = e.target.closest ? e.target.closest("a[data-label]") : null;
    if (link) {
      e.preventDefault();
      pick(link.dataset.label);
    }
  });
})();
