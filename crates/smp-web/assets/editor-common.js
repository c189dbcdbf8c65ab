// What both design editors (on one photo, and on the head) share: the
// simulation's controls, its requests, and the guard against leaving with
// an unsaved drawing.

// The stage slider (before, each session, healed, the years after) with a
// label under each tick, and the before | after split. `smpStages(onStage)`
// wires them and calls `onStage()` whenever the stage changes.
window.smpStages = function (onStage) {
  "use strict";
  var slider = document.getElementById("stage-slider");
  var stageInput = document.getElementById("stage");
  var stageLabel = document.getElementById("stage-label");
  var previewImg = document.getElementById("preview");
  var stageValues = slider.dataset.stages.split(" ");
  var stageLabels = slider.dataset.labels.split("|");
  slider.addEventListener("input", function () {
    stageInput.value = stageValues[Number(slider.value)];
    stageLabel.textContent = stageLabels[Number(slider.value)];
    slider.setAttribute("aria-valuetext", stageLabels[Number(slider.value)]);
    onStage();
  });
  // Each label sits under its tick: positions set from here, as the page
  // carries no style attributes (the Content-Security-Policy allows none).
  document.querySelectorAll(".ticks[data-last]").forEach(function (ticks) {
    ticks.style.setProperty("--last", ticks.dataset.last);
  });
  // A tap on a tick's label goes to that stage.
  document.querySelectorAll(".ticks [data-index]").forEach(function (tick) {
    tick.style.setProperty("--at", tick.dataset.index);
    tick.addEventListener("click", function () {
      slider.value = tick.dataset.index;
      slider.dispatchEvent(new Event("input"));
    });
  });
  var split = document.getElementById("split-at");
  split.addEventListener("input", function () {
    previewImg.style.clipPath = "inset(0 " + (100 - Number(split.value)) + "% 0 0)";
  });
};

// The simulation's requests: one in flight at most, each answer shown only
// when it answers the latest request. `request(url, body)` asks and returns
// the request's number; `latest()` the latest number, for answers that go
// with it (the advice).
window.smpPreviewer = function () {
  "use strict";
  var previewImg = document.getElementById("preview");
  var previewState = document.getElementById("preview-state");
  var latest = 0, controller = null, previewUrl = null;
  function request(url, body) {
    var seq = ++latest;
    if (controller) controller.abort();
    controller = new AbortController();
    var started = performance.now();
    previewState.textContent = "updating…";
    fetch(url, { method: "POST", body: body, signal: controller.signal, credentials: "same-origin" })
      .then(function (response) {
        if (response.ok) return response.blob().then(function (blob) { return { blob: blob }; });
        // A design that cannot be drawn is explained in plain text; any other
        // refusal is a page meant for the whole window: its title says enough.
        if ((response.headers.get("Content-Type") || "").indexOf("text/plain") === 0) {
          return response.text().then(function (text) { return { error: text }; });
        }
        return { error: "The preview could not be drawn (" + (response.statusText || response.status) + ")." };
      })
      .then(function (answer) {
        if (seq !== latest) return;
        if (answer.error) { previewState.textContent = answer.error; return; }
        if (previewUrl) URL.revokeObjectURL(previewUrl);
        previewUrl = URL.createObjectURL(answer.blob);
        previewImg.src = previewUrl;
        previewImg.dataset.seq = String(seq);
        previewImg.dataset.url = url;
        previewState.textContent = "updated in " + Math.round(performance.now() - started) + " ms";
      })
      .catch(function (error) {
        if (error.name !== "AbortError" && seq === latest) previewState.textContent = "The preview did not arrive.";
      });
    return seq;
  }
  return { request: request, latest: function () { return latest; } };
};

// Leaving with an unsaved drawing asks first, with the browser's own
// prompt; saving navigates on purpose (and an export only downloads).
// `drawing()` gives the drawing as text, compared with the one at load.
window.smpLeaveGuard = function (drawing) {
  "use strict";
  var saved = drawing(), submitted = false;
  document.addEventListener("submit", function () {
    submitted = true;
    setTimeout(function () { submitted = false; }, 1000);
  });
  window.addEventListener("beforeunload", function (event) {
    if (submitted || drawing() === saved) return;
    event.preventDefault();
    event.returnValue = "";
  });
};

// Undo and redo of the drawing: the buttons and Ctrl+Z / Ctrl+Shift+Z
// (not while typing in a text field, which has its own). `snapshot()` and
// `restore(text)` save and put back the state; `changed()` follows a step.
// Returns `remember()`, to call before each change.
window.smpHistory = function (snapshot, restore, changed) {
  "use strict";
  var undo = [], redo = [];
  function step(from, to) {
    if (!from.length) return;
    to.push(snapshot());
    restore(from.pop());
    changed();
  }
  document.querySelector("[data-action=undo]").addEventListener("click", function () { step(undo, redo); });
  document.querySelector("[data-action=redo]").addEventListener("click", function () { step(redo, undo); });
  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== "z") return;
    if (document.activeElement && document.activeElement.tagName === "INPUT" && document.activeElement.type === "text") return;
    event.preventDefault();
    if (event.shiftKey) step(redo, undo); else step(undo, redo);
  });
  return function remember() { undo.push(snapshot()); if (undo.length > 200) undo.shift(); redo = []; };
};
