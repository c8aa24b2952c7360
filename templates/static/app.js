// Behaviour every dashboard page shares. Pages work without it; it adds
// confirmations, copy buttons and the mark on the current menu entry.

// Forms with data-confirm ask before they are sent.
document.addEventListener('submit', event => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A button with data-copy puts its text on the clipboard and says so; where
// the clipboard is closed (plain http), it selects the text beside it.
document.addEventListener('click', event => {
  const button = event.target.closest && event.target.closest('button[data-copy]');
  if (!button) return;
  const label = button.dataset.label || (button.dataset.label = button.textContent);
  const say = words => {
    button.textContent = words;
    setTimeout(() => { button.textContent = label; }, 2000);
  };
  const select = () => {
    const text = button.previousElementSibling;
    if (text) {
      const range = document.createRange();
      range.selectNodeContents(text);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }
    say(document.body.dataset.pressCopy || 'Selected: press Ctrl+C');
  };
  if (navigator.clipboard) {
    navigator.clipboard.writeText(button.dataset.copy).then(() => say(document.body.dataset.copied || 'Copied'), select);
  } else {
    select();
  }
});

document.addEventListener('DOMContentLoaded', () => {
  // Login and setup send the browser's time zone: times are shown in it.
  for (const zone of document.querySelectorAll('input[type=hidden][name=zone]')) {
    try { zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { /* none known */ }
  }

  // Copy buttons need this script: they show only with it.
  for (const button of document.querySelectorAll('button[data-copy][hidden]')) button.hidden = false;

  // The menu entry of the page shown (or of the section it belongs to).
  const here = location.pathname;
  let best = null;
  for (const link of document.querySelectorAll('nav a[href^="/"]')) {
    const path = link.getAttribute('href');
    const matches = link.hasAttribute('data-exact') ? here === path : here === path || here.startsWith(path + '/');
    if (matches && (!best || path.length > best.getAttribute('href').length)) best = link;
  }
  if (best) best.setAttribute('aria-current', 'page');
});
