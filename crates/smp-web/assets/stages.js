// The simulation's controls, shared by both design editors: the stage
// slider (before, each session, healed, the years after) with a label
// under each tick, and the before | after split. `smpStages(onStage)`
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
