// The editors' page works without this script; with it, an edit box counts as its network counts while the
// editor types. The count comes from the server (POST /api/count): the same code that refuses a too-long edit,
// so the page and the server can never disagree (one implementation, not a copy of twitter-text in JS).
"use strict";
(function () {
  const meta = document.querySelector('meta[name="csrf"]');
  const csrf = meta ? meta.content : "";

  async function count(platform, texts) {
    const answer = await fetch("/api/count", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ platform: platform, texts: texts }),
    });
    const body = await answer.json();
    if (!answer.ok) throw new Error(body.error);
    return body.counts;
  }
  window.botCount = count;  // the browser test compares it with twitter-text's conformance vectors

  function show(out, box, c) {
    let said = c.length + "/" + c.limit;
    if (c.max_bytes !== null && c.bytes > c.max_bytes) said += " (" + c.bytes + "/" + c.max_bytes + " bytes)";
    out.textContent = said;
    out.classList.toggle("over", c.over);
    box.setAttribute("aria-invalid", c.over ? "true" : "false");
  }

  document.querySelectorAll("textarea[data-platform]").forEach(function (box) {
    const out = document.getElementById(box.dataset.counter);
    let timer = null;
    let asked = 0;
    async function update() {
      const mine = ++asked;  // answers can cross: only the latest one is shown
      try {
        const counted = await count(box.dataset.platform, [box.value]);
        if (mine === asked) show(out, box, counted[0]);
      } catch (e) {
        if (mine === asked) out.textContent = "not counted: " + e.message;
      }
    }
    box.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(update, 120); });
  });
})();
