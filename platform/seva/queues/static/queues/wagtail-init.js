/* Lets Wagtail's admin run under Seva's Content-Security-Policy (seva/queues/wagtail_csp.py).
 *
 * 1. Starts Wagtail's widgets and panels from the markers Seva renders in place of their
 *    inline <script>, which the policy would block: those on the page once it is read, and
 *    those added later (an inline panel's new row, a modal's form). Each marker starts once,
 *    and only the calls below can be made.
 * 2. Gives the response's nonce (which this script's own tag carries) to the <style>
 *    elements that scripts insert: Draftail, Wagtail's rich text editor, draws its
 *    placeholders and list numbering with React-rendered <style> elements. Only elements
 *    made and inserted by a script that is already allowed to run get it; <style> in markup
 *    (and every <script>) still needs the nonce from the server. */
(() => {
  "use strict";

  const nonce = document.currentScript ? document.currentScript.nonce : "";
  if (nonce) {
    for (const method of ["appendChild", "insertBefore"]) {
      const insert = Node.prototype[method];
      Node.prototype[method] = function insertStyleWithNonce(node, ...rest) {
        if (node instanceof HTMLStyleElement && !node.nonce) node.nonce = nonce;
        return insert.call(this, node, ...rest);
      };
    }
  }

  const CALLS = {
    initDateChooser: (id, options) => window.initDateChooser(id, options),
    initTimeChooser: (id, options) => window.initTimeChooser(id, options),
    initDateTimeChooser: (id, options) => window.initDateTimeChooser(id, options),
    createTaskChooser: (id) => window.createTaskChooser(id),
    Chooser: (id, options) => new window.Chooser(id, options),
    PageChooser: (id, options) => new window.PageChooser(id, options),
    SnippetChooser: (id, options) => new window.SnippetChooser(id, options),
    ImageChooser: (id, options) => new window.ImageChooser(id, options),
    DocumentChooser: (id, options) => new window.DocumentChooser(id, options),
    InlinePanel: (_id, options) => new window.InlinePanel(options),
    MultipleChooserPanel: (_id, options) => new window.MultipleChooserPanel(options),
  };
  const started = new WeakSet();

  function start(marker) {
    if (started.has(marker)) return;
    started.add(marker);
    const call = CALLS[marker.dataset.sevaInit];
    if (!call) {
      console.error("Seva: no start for", marker.dataset.sevaInit);
      return;
    }
    call(marker.dataset.sevaFor, JSON.parse(marker.dataset.sevaOptions || "{}"));
  }

  function startWithin(node) {
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    if (node.matches("[data-seva-init]")) start(node);
    node.querySelectorAll("[data-seva-init]").forEach(start);
  }

  function startPage() {
    startWithin(document.documentElement);
    new MutationObserver((changes) => {
      changes.forEach((change) => change.addedNodes.forEach(startWithin));
    }).observe(document.documentElement, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startPage);
  } else {
    startPage();
  }
})();
