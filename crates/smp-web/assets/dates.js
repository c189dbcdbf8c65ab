// Date fields in the app's one format, "1 Dec 2026", whatever the device's
// language. A browser's own date input shows its locale's order (12/01/2026
// on an American tablet), which beside the app's dates reads as a different
// day. So each <input type=date> gets a text field in the app's format and a
// button that opens the device's own calendar; the original input stays in
// the form, hidden, and is what is sent, so the server sees ISO dates as
// before and a page without this script keeps the browser's input.
(() => {
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const icon = document.getElementById('calendar-icon');

  // "2026-12-01" -> "1 Dec 2026"; "" for anything else.
  const shown = (iso) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
    return m ? `${Number(m[3])} ${MONTHS[Number(m[2]) - 1]} ${m[1]}` : '';
  };

  // What a person types -> "YYYY-MM-DD", or null: "1 Dec 2026",
  // "1 December 2026", "01/12/2026" (day first, as the app writes dates),
  // "1.12.2026", "2026-12-01". A day that does not exist is null.
  const parsed = (text) => {
    const t = text.trim();
    let y, mo, d, m;
    if ((m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t))) [y, mo, d] = [m[1], m[2], m[3]];
    else if ((m = /^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$/.exec(t))) [d, mo, y] = [m[1], m[2], m[3]];
    else if ((m = /^(\d{1,2})\s+([A-Za-z]{3,})\.?\s+(\d{4})$/.exec(t))) {
      const index = MONTHS.findIndex((name) => m[2].toLowerCase().startsWith(name.toLowerCase()));
      if (index < 0) return null;
      [d, mo, y] = [m[1], String(index + 1), m[3]];
    } else return null;
    const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
    if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d)) return null;
    return date.toISOString().slice(0, 10);
  };

  for (const native of document.querySelectorAll('input[type=date]')) {
    const text = document.createElement('input');
    text.type = 'text';
    text.autocomplete = 'off';
    text.placeholder = 'e.g. 1 Dec 2026';
    text.className = 'date-text';
    // The label, the description and the error now belong to the text field.
    for (const attribute of ['aria-label', 'aria-describedby', 'aria-invalid', 'required']) {
      if (native.hasAttribute(attribute)) text.setAttribute(attribute, native.getAttribute(attribute));
    }
    if (native.id) {
      text.id = native.id;
      native.id = `${native.id}-picker`;
    }
    native.removeAttribute('required');
    native.tabIndex = -1;
    native.setAttribute('aria-hidden', 'true');
    native.classList.add('date-native');
    text.value = shown(native.value);

    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary date-button';
    if (icon) button.append(icon.content.cloneNode(true));

    const box = document.createElement('span');
    box.className = 'date-field';
    native.replaceWith(box);
    box.append(text, button, native);
    const label = text.labels && text.labels[0] ? text.labels[0].textContent.trim() : '';
    button.setAttribute('aria-label', `Choose ${native.getAttribute('aria-label') || label || 'the date'} on a calendar`);

    const check = () => {
      const typed = text.value.trim();
      const iso = typed === '' ? '' : parsed(typed);
      if (iso === null) {
        text.setCustomValidity('Write the date like 1 Dec 2026 or 01/12/2026.');
        return;
      }
      text.setCustomValidity('');
      native.value = iso;
      native.dispatchEvent(new Event('change', { bubbles: true }));
    };
    text.addEventListener('input', check);
    text.addEventListener('blur', () => {
      check();
      if (text.validity.valid && native.value) text.value = shown(native.value);
    });
    native.addEventListener('change', (event) => {
      // From the calendar (not an echo of the text field's own change).
      if (event.isTrusted) {
        text.value = shown(native.value);
        text.setCustomValidity('');
      }
    });
    button.addEventListener('click', () => {
      try {
        native.showPicker();
      } catch {
        text.focus();
      }
    });
  }
})();
