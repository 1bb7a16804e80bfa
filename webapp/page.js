// Run once per browser tab by webapp/ui.py (prepare_page): what Streamlit offers no setting for.
(() => {
  // The page language, for screen readers and translation tools.
  document.documentElement.lang = 'fr';
  if (window.__observatoirePage) return;
  window.__observatoirePage = true;

  // Streamlit's own labels that no argument sets (screen-reader labels, tooltips, menu
  // entries), in French. Whole values only, so that no page text is ever touched.
  const WORDS = __WORDS__;
  const PREFIXES = __PREFIXES__;
  const ATTRIBUTES = ['aria-label', 'title', 'data-title', 'placeholder', 'aria-valuetext'];
  const french = text => {
    if (Object.prototype.hasOwnProperty.call(WORDS, text)) return WORDS[text];
    for (const [english, translated] of PREFIXES) {
      if (text.startsWith(english)) return translated + text.slice(english.length);
    }
    return null;
  };
  const translateElement = element => {
    for (const name of ATTRIBUTES) {
      const value = element.getAttribute(name);
      const translated = value && french(value);
      if (translated && translated !== value) element.setAttribute(name, translated);
    }
    const only = element.childNodes.length === 1 ? element.firstChild : null;
    if (only && only.nodeType === Node.TEXT_NODE) {
      const text = only.nodeValue.trim();
      if (Object.prototype.hasOwnProperty.call(WORDS, text)) only.nodeValue = WORDS[text];
    }
  };
  const translateTree = root => {
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    translateElement(root);
    root.querySelectorAll('*').forEach(translateElement);
  };
  translateTree(document.body);
  new MutationObserver(mutations => {
    for (const mutation of mutations) {
      if (mutation.type === 'attributes') translateElement(mutation.target);
      else mutation.addedNodes.forEach(translateTree);
    }
  }).observe(document.body, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ATTRIBUTES,
  });

  // Enter in a date field applies the date: Streamlit applies a typed date only when the
  // focus moves to another element (a bare blur() is not enough), so the focus goes to the
  // widget itself, from where Tab carries on.
  document.addEventListener(
    'keydown',
    event => {
      const field = event.key === 'Enter' && event.target.closest
        && event.target.closest('[data-testid="stDateInputField"]');
      const widget = field && field.closest('[data-testid="stDateInput"]');
      if (!widget) return;
      widget.tabIndex = -1;
      widget.focus();
    },
    true,
  );

  // On a narrow screen the sidebar covers the page: close it once a page is chosen.
  // (Streamlit does it only for browsers that call themselves mobile.)
  const NARROW = __NARROW__;
  document.addEventListener('click', event => {
    const link = event.target.closest && event.target.closest('[data-testid="stSidebarNav"] a');
    if (!link || window.innerWidth >= NARROW) return;
    const close = () => {
      const sidebar = document.querySelector('[data-testid="stSidebar"]');
      const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (sidebar && button && sidebar.getAttribute('data-collapsed') === 'false') button.click();
    };
    requestAnimationFrame(() => requestAnimationFrame(close));
  });
})();
