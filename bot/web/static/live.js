// Townhall dashboard: keeps the overview's counts and latest ideas fresh (every second), and the round's countdown.
"use strict";
(function () {
  const source = document.body.dataset.live;
  const countdown = document.querySelector("[data-countdown]");

  function clock(seconds) {
    seconds = Math.max(0, seconds);
    const d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600);
    const m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    const hms = [h, m, s].map(function (n) { return String(n).padStart(2, "0"); }).join(":");
    return d > 0 ? d + " d " + hms : hms;
  }

  if (countdown) {
    const end = Date.now() + Number(countdown.dataset.countdown) * 1000;
    const tick = function () { countdown.textContent = clock(Math.round((end - Date.now()) / 1000)); };
    tick();
    setInterval(tick, 1000);
  }

  function idea(line) {
    const item = document.createElement("li");
    for (const [name, text, after] of [["ref", line.ref, " "], ["author", line.author, ": "], ["text", line.text, ""]]) {
      const span = document.createElement("span");
      span.className = name;
      span.textContent = text;
      item.append(span, after);
    }
    return item;
  }

  async function refresh() {
    try {
      const answer = await fetch(source, { credentials: "same-origin", cache: "no-store" });
      if (!answer.ok) return;
      const data = await answer.json();
      for (const [name, value] of Object.entries(data.counts)) {
        const shown = document.querySelector('[data-count="' + name + '"]');
        if (shown && shown.textContent !== String(value)) shown.textContent = value;
      }
      const list = document.getElementById("latest");
      if (list && data.latest.length && list.dataset.first !== data.latest[0].ref) {
        list.replaceChildren.apply(list, data.latest.map(idea));
        list.dataset.first = data.latest[0].ref;
      }
    } catch (error) {
      // the server is restarting: the next round tries again
    }
  }

  if (source) setInterval(refresh, 1000);
})();
