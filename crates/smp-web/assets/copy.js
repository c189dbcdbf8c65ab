// "Copy the link" buttons: the text in data-copy goes to the clipboard, and
// the button says so for a moment (or selects the link where the clipboard
// is not available, as over plain HTTP on another device).
document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-copy]');
  if (!button) return;
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(button.dataset.copy);
    button.textContent = 'Copied';
  } catch {
    const link = button.closest('.link-text')?.querySelector('a');
    if (link) window.getSelection().selectAllChildren(link);
    button.textContent = 'Selected: copy it';
  }
  setTimeout(() => { button.textContent = label; }, 2000);
});
