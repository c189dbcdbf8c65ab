// Photo uploads with progress: 5-10 MB from a tablet over Wi-Fi takes a
// while, and a page that looks frozen gets tapped again. The form is sent
// by XMLHttpRequest (the only browser API with upload progress); the answer
// replaces the page as a normal submission would. Without this script the
// form still works as a plain form.
document.querySelectorAll('form[data-upload]').forEach((form) => {
  const bar = form.querySelector('.upload-progress');
  const status = form.querySelector('.upload-status');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    const request = new XMLHttpRequest();
    request.open('POST', form.action);
    request.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.round((e.loaded / e.total) * 100);
      bar.hidden = false;
      bar.value = percent;
      status.textContent = percent < 100 ? `Uploading… ${percent}%` : 'Checking and storing the photo…';
    });
    request.addEventListener('load', () => {
      if (request.responseURL && request.responseURL !== form.action) {
        // Where the plain form would have landed, anchor included; on the
        // same page, a reload (a change of anchor alone would not load it).
        const target = new URL(request.responseURL);
        target.hash = form.dataset.upload || '';
        if (target.pathname === location.pathname && target.search === location.search) {
          history.replaceState(null, '', target);
          location.reload();
        } else {
          location.assign(target);
        }
      } else {
        document.open();
        document.write(request.responseText);
        document.close();
      }
    });
    request.addEventListener('error', () => {
      button.disabled = false;
      bar.hidden = true;
      status.textContent = 'The upload did not get through. Check the Wi-Fi and try again: nothing was stored.';
    });
    button.disabled = true;
    request.send(new FormData(form));
  });
});
