// iaas dashboard: small enhancements only; every page works without them.
// (No inline scripts: the Content-Security-Policy forbids them.)
(function () {
  'use strict';

  // <form data-confirm="…">: ask before sending (delete buttons).
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // <select data-autosubmit>: the project switcher sends its form on change,
  // so its "Switch" button (class js-hide) is only needed without JavaScript.
  document.addEventListener('change', function (event) {
    var el = event.target;
    if (el.hasAttribute && el.hasAttribute('data-autosubmit') && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });
  document.documentElement.classList.add('js');

  // A fragment answer that needs a new login comes as 401 with HX-Redirect,
  // which htmx follows; other errors keep the last good rows on the page.
  document.addEventListener('htmx:responseError', function (event) {
    var rows = event.detail && event.detail.elt;
    if (rows && rows.id === 'instance-rows') {
      rows.setAttribute('aria-busy', 'false');
    }
  });
})();
