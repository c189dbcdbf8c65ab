// Marks the menu's item for the page shown (the clients' list for a
// client's chart, and so on), for sight and for screen readers.
(() => {
  const path = location.pathname;
  let best = null;
  for (const link of document.querySelectorAll('nav.menu a')) {
    const href = link.getAttribute('href');
    if ((path === href || path.startsWith(href + '/')) && (!best || href.length > best.getAttribute('href').length)) {
      best = link;
    }
  }
  if (best) best.setAttribute('aria-current', 'page');
})();
