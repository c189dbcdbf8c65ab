// The signature pad of the consent form: draws with a finger, pen or mouse
// (pointer events), and hands the drawing to the form as a PNG data URL.
(function () {
  "use strict";
  document.querySelectorAll("canvas[data-signature-for]").forEach(function (canvas) {
    var input = document.getElementById(canvas.dataset.signatureFor);
    var clear = document.querySelector("[data-signature-clear='" + canvas.id + "']");
    var ctx = canvas.getContext("2d");
    var drawn = false;
    var last = null;

    // Backing store at the screen's pixel density, so strokes stay sharp.
    function fit() {
      var ratio = Math.min(window.devicePixelRatio || 1, 2);
      var box = canvas.getBoundingClientRect();
      canvas.width = Math.round(box.width * ratio);
      canvas.height = Math.round(box.height * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.2;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#111";
      drawn = false;
      input.value = "";
    }

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      last = point(event);
      ctx.beginPath();
      ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fill();
      drawn = true;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!last) return;
      event.preventDefault();
      var next = point(event);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(next.x, next.y);
      ctx.stroke();
      last = next;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () {
        if (last && drawn) input.value = canvas.toDataURL("image/png");
        last = null;
      });
    });
    if (clear) clear.addEventListener("click", fit);
    canvas.closest("form").addEventListener("submit", function () {
      if (drawn) input.value = canvas.toDataURL("image/png");
    });
    fit();
  });
})();
