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

// <form data-stream-action="URL">: a file upload sent as the raw body of a
// POST to URL (the other fields in the query string, the CSRF token in the
// X-CSRF-Token header), so it has no size limit and shows its progress in
// the form's <progress>. Without JavaScript the form posts itself (small
// files only).
(function () {
  'use strict';
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var url = form.getAttribute && form.getAttribute('data-stream-action');
    var input = url && form.querySelector('input[type=file]');
    var file = input && input.files && input.files[0];
    if (!file || !window.XMLHttpRequest || event.defaultPrevented) {
      return;
    }
    event.preventDefault();
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === 'file' || el.name === 'csrf_token') {
        return;
      }
      if ((el.type === 'checkbox' || el.type === 'radio') && !el.checked) {
        return;
      }
      params.append(el.name, el.value);
    });
    if (!params.get('name')) {
      params.set('name', file.name);
    }
    if (file.type) {
      params.set('type', file.type);
    }
    var box = form.querySelector('.upload-progress');
    var bar = box && box.querySelector('progress');
    var status = box && box.querySelector('.upload-status');
    var button = form.querySelector('button[type=submit]');
    function show(text, state) {
      if (status) { status.textContent = text; }
      form.setAttribute('data-upload-state', state);
    }
    if (box) { box.hidden = false; }
    if (button) { button.disabled = true; }
    show('0 %', 'sending');
    var xhr = new XMLHttpRequest();
    xhr.open('POST', url + '?' + params.toString());
    xhr.setRequestHeader('X-CSRF-Token', form.elements.csrf_token.value);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.addEventListener('progress', function (e) {
      if (e.lengthComputable && bar) {
        bar.max = e.total;
        bar.value = e.loaded;
        show(Math.floor(100 * e.loaded / Math.max(e.total, 1)) + ' %', 'sending');
      }
    });
    xhr.addEventListener('load', function () {
      var answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (ignore) { answer = {}; }
      if (xhr.status >= 200 && xhr.status < 300) {
        if (bar) { bar.value = bar.max; }
        show('Upload complete.', 'done');
        window.setTimeout(function () {
          window.location.assign(answer.location || window.location.href);
        }, 700);
      } else if (xhr.responseURL && xhr.responseURL.indexOf('/login') !== -1) {
        window.location.assign(xhr.responseURL);
      } else {
        show('Upload failed: ' + (answer.error || ('error ' + xhr.status)), 'failed');
        if (button) { button.disabled = false; }
      }
    });
    xhr.addEventListener('error', function () {
      show('Upload failed: the connection was lost.', 'failed');
      if (button) { button.disabled = false; }
    });
    xhr.send(file);
  });
})();
