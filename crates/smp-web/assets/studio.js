// Choosing a colour in the picker means the studio's own colour, not the
// app's: the tick for the app's blue goes, so the two never disagree.
(() => {
  const picker = document.getElementById('accent');
  const own = document.querySelector('input[name=default_accent]');
  if (picker && own) picker.addEventListener('input', () => { own.checked = false; });
})();
