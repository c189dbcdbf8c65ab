// The mask of the client's longer hair over the scalp, in the design
// editor: where it starts (proposed from the photo by the server, or a
// saved version's), a brush that adds hair or erases it (soft or hard
// edged) on a layer the size of the screen copy, and the mask tinted over
// the photo. The layer goes to the server as a PNG in `hair_mask_paint`;
// the server puts it over the start at the photo's full size, so every
// strand the proposal found stays exact where nothing was painted.
window.smpMaskBrush = function (options) {
  "use strict";
  var form = options.form, img = options.photo, view = options.view;
  var field = function (name) { return form.elements.namedItem(name); };
  var status = document.getElementById("mask-status");
  var sizeInput = document.getElementById("mask-brush");
  var soft = document.getElementById("mask-soft");
  var show = document.getElementById("mask-show");
  var adding = true;
  var w = 0, h = 0, base = null, paint = null, paintCtx = null, viewCtx = null, painted = false;
  var baseAsked = null;

  function ready() {
    if (w) return true;
    if (!img.naturalWidth) return false;
    w = img.naturalWidth; h = img.naturalHeight;
    view.width = w; view.height = h;
    viewCtx = view.getContext("2d");
    paint = document.createElement("canvas");
    paint.width = w; paint.height = h;
    paintCtx = paint.getContext("2d", { willReadFrequently: true });
    return true;
  }

  // The tint of `x0,y0` to `x1,y1` (screen copy pixels) from the start and
  // the paint: coverage = start under what is not painted, paint over it.
  function redraw(x0, y0, x1, y1) {
    if (!ready()) return;
    x0 = Math.max(0, Math.floor(x0)); y0 = Math.max(0, Math.floor(y0));
    x1 = Math.min(w, Math.ceil(x1)); y1 = Math.min(h, Math.ceil(y1));
    if (x1 <= x0 || y1 <= y0) return;
    var rw = x1 - x0, rh = y1 - y0;
    var layer = paintCtx.getImageData(x0, y0, rw, rh).data;
    var out = viewCtx.createImageData(rw, rh), o = out.data;
    for (var y = 0; y < rh; y++) {
      for (var x = 0; x < rw; x++) {
        var i = (y * rw + x) * 4, b = base ? base[(y0 + y) * w + x0 + x] : 0;
        var a = layer[i + 3] / 255, c = b * (1 - a) + layer[i] * a;
        o[i] = 236; o[i + 1] = 40; o[i + 2] = 160; o[i + 3] = show.checked ? c * 0.55 : 0;
      }
    }
    viewCtx.putImageData(out, x0, y0);
  }
  function redrawAll() { redraw(0, 0, w, h); }

  function say(text) { status.textContent = text; }

  // The start, from the server (a proposal takes a few seconds on a large
  // photo); `then` runs once it is shown.
  // What the start depends on: a proposal on the scale it was made at.
  function baseKey() {
    var asked = field("hair_mask").value;
    return asked !== "proposed" ? asked
      : [asked, field("scale_from").value, field("scale_to").value, field("scale_mm").value].join(" ");
  }
  function loadBase(then) {
    var asked = field("hair_mask").value;
    baseAsked = baseKey();
    if (!asked) { base = null; redrawAll(); if (then) then(true); return; }
    say(asked === "proposed" ? "Looking for hair over the scalp…" : "Loading the mask…");
    var body = new URLSearchParams(new FormData(form));
    body.delete("csrf");
    body.delete("hair_mask_paint");
    fetch(form.dataset.mask, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 422) return response.text().then(function (t) { throw new Error(t); });
        if (!response.ok) throw new Error("The mask could not be loaded.");
        return response.blob();
      })
      .then(function (blob) { return createImageBitmap(blob); })
      .then(function (bitmap) {
        if (!ready()) return;
        var c = document.createElement("canvas");
        c.width = w; c.height = h;
        var ctx = c.getContext("2d");
        ctx.drawImage(bitmap, 0, 0, w, h);
        var rgba = ctx.getImageData(0, 0, w, h).data;
        base = new Uint8ClampedArray(w * h);
        for (var i = 0; i < base.length; i++) base[i] = rgba[i * 4];
        redrawAll();
        say(asked === "proposed"
          ? "Proposed: check it, paint the hair it missed, erase what is not hair."
          : "The saved mask: paint to correct it.");
        if (then) then(true);
      })
      .catch(function (e) { say(e.message); if (then) then(false); });
  }

  function dab(x, y) {
    var r = Number(sizeInput.value) / 2, v = adding ? 255 : 0;
    var colour = "rgba(" + v + "," + v + "," + v + ",";
    if (soft.checked) {
      var g = paintCtx.createRadialGradient(x, y, 0, x, y, r);
      g.addColorStop(0, colour + "1)");
      g.addColorStop(0.45, colour + "1)");
      g.addColorStop(1, colour + "0)");
      paintCtx.fillStyle = g;
    } else {
      paintCtx.fillStyle = colour + "1)";
    }
    paintCtx.beginPath();
    paintCtx.arc(x, y, r, 0, 2 * Math.PI);
    paintCtx.fill();
    redraw(x - r - 1, y - r - 1, x + r + 1, y + r + 1);
  }

  var last = null;
  // `p` in the photo's pixels.
  function toLayer(p) { return [p[0] * w / options.width, p[1] * h / options.height]; }
  function stroke(p) {
    var q = toLayer(p), step = Math.max(1, Number(sizeInput.value) / 6);
    if (last) {
      var dx = q[0] - last[0], dy = q[1] - last[1], n = Math.ceil(Math.hypot(dx, dy) / step);
      for (var i = 1; i <= n; i++) dab(last[0] + dx * i / n, last[1] + dy * i / n);
    } else {
      dab(q[0], q[1]);
    }
    last = q;
  }

  function write() {
    field("hair_mask_paint").value = painted ? paint.toDataURL("image/png") : "";
  }

  document.querySelectorAll("[data-brush]").forEach(function (b) {
    b.addEventListener("click", function () {
      adding = b.dataset.brush === "add";
      document.querySelectorAll("[data-brush]").forEach(function (o) { o.setAttribute("aria-pressed", String(o === b)); });
    });
  });
  show.addEventListener("change", redrawAll);
  document.getElementById("mask-propose").addEventListener("click", function () {
    var before = field("hair_mask").value;
    options.remember();
    field("hair_mask").value = "proposed";
    loadBase(function (ok) {
      if (!ok) field("hair_mask").value = before;
      options.changed();
    });
  });
  document.getElementById("mask-clear").addEventListener("click", function () {
    options.remember();
    field("hair_mask").value = "";
    if (ready()) paintCtx.clearRect(0, 0, w, h);
    painted = false;
    base = null;
    write();
    redrawAll();
    say("");
    options.changed();
  });
  img.addEventListener("load", function () { ready(); restoreLayer(field("hair_mask_paint").value); loadBase(); });

  function restoreLayer(url) {
    if (!ready()) return;
    paintCtx.clearRect(0, 0, w, h);
    painted = !!url;
    if (!url) { redrawAll(); return; }
    var layer = new Image();
    layer.onload = function () { paintCtx.drawImage(layer, 0, 0, w, h); redrawAll(); };
    layer.src = url;
  }
  if (img.complete && img.naturalWidth) { ready(); restoreLayer(field("hair_mask_paint").value); loadBase(); }

  return {
    start: function (p) { last = null; painted = true; stroke(p); },
    move: function (p) { if (last) stroke(p); },
    end: function () { if (!last) return false; last = null; write(); return true; },
    // After undo, redo or any other change: show what the fields say.
    sync: function (layerToo) {
      if (layerToo) restoreLayer(field("hair_mask_paint").value);
      if (baseKey() !== baseAsked) loadBase();
    }
  };
};
