/* The serial console page: xterm.js over the console proxy's websocket
   (binary frames both ways; the URL's one-time token is in data-console-url). */
(function () {
  'use strict';
  function start() {
    var el = document.getElementById('terminal');
    var status = document.getElementById('console-status');
    if (!el || !window.Terminal) { return; }
    var say = function (text) { if (status) { status.textContent = text; } };
    var term = new window.Terminal({ cursorBlink: true, scrollback: 5000, fontSize: 14 });
    term.open(el);
    var ws = new WebSocket(el.getAttribute('data-console-url'), ['binary']);
    ws.binaryType = 'arraybuffer';
    var encoder = new TextEncoder();
    ws.onopen = function () { say('Connected.'); term.focus(); };
    ws.onmessage = function (ev) {
      term.write(typeof ev.data === 'string' ? ev.data : new Uint8Array(ev.data));
    };
    ws.onclose = function (ev) {
      say('Disconnected' + (ev.code ? ' (' + ev.code + ')' : '') +
          '. Reconnect for a new console.');
    };
    ws.onerror = function () { say('The console could not be reached.'); };
    term.onData(function (data) {
      if (ws.readyState === WebSocket.OPEN) { ws.send(encoder.encode(data)); }
    });
    term.onBinary(function (data) {
      if (ws.readyState !== WebSocket.OPEN) { return; }
      var bytes = new Uint8Array(data.length);
      for (var i = 0; i < data.length; i++) { bytes[i] = data.charCodeAt(i) & 0xff; }
      ws.send(bytes);
    });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
