// Townhall dashboard: the theme map tells a dot's idea on hover or focus, and a click lists its theme alone.
"use strict";
(function () {
  const map = document.getElementById("map");
  if (!map) return;
  const detail = document.getElementById("map-detail");
  const showAll = document.getElementById("show-all");
  const themes = document.querySelectorAll("#theme-list > li");

  function tell(dot) { detail.textContent = dot.dataset.ref + " · " + dot.dataset.text; }

  function only(theme) {
    for (const item of themes) item.hidden = theme !== null && item.dataset.theme !== theme;
    showAll.hidden = theme === null;
  }

  for (const dot of map.querySelectorAll(".dot")) {
    dot.addEventListener("mouseenter", function () { tell(dot); });
    dot.addEventListener("focus", function () { tell(dot); });
    dot.addEventListener("click", function () { only(dot.dataset.theme); });
    dot.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); only(dot.dataset.theme); }
    });
  }
  showAll.addEventListener("click", function () { only(null); });
})();
