import type { Route } from '../http/router.js';

/**
 * The only script of the UI, served as a file so that pages allow no inline script: it keeps
 * a running pipeline's page current from its event stream (its tag's data-events and
 * data-cursor). Lines arrive already escaped (ansi-to-html with escapeXML); everything else
 * is set as text. Without it the page is complete as of when it was loaded.
 */
const LIVE_SCRIPT = `
(function () {
  var live = document.currentScript.dataset;
  var source = new EventSource(live.events + '?cursor=' + encodeURIComponent(live.cursor));
  var sections = {};
  var WAITING = { manual: true, scheduled: true, created: true };
  function setBadge(id, status) {
    var holder = document.getElementById(id);
    if (!holder) return false;
    var badge = holder.querySelector('.badge');
    // A job that stops or starts waiting changes its buttons and times: the page is drawn again.
    if (badge.textContent !== status && (WAITING[badge.textContent] || WAITING[status])) return false;
    badge.className = 'badge ' + status;
    badge.textContent = status;
    return true;
  }
  // A delayed job's countdown, from the time the server gave.
  function tick() {
    document.querySelectorAll('[data-countdown]').forEach(function (element) {
      var left = Math.round((Date.parse(element.dataset.countdown) - Date.now()) / 1000);
      var parts = [[86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']].filter(function (unit) { return left >= unit[0]; }).map(function (unit) {
        var amount = Math.floor(left / unit[0]); left -= amount * unit[0]; return amount + unit[1];
      });
      element.textContent = parts.length ? '(in ' + parts.join(' ') + ')' : '(any moment now)';
    });
  }
  tick();
  setInterval(tick, 1000);
  source.addEventListener('log', function (event) {
    var data = JSON.parse(event.data);
    var pre = document.getElementById('log-' + data.job);
    if (!pre) return;
    var stack = sections[data.job] || (sections[data.job] = [pre]);
    var anchors = pre.getAttribute('data-anchors') || '';
    var numbered = function (element) {
      var number = pre.querySelectorAll('.l').length + 1;
      element.id = anchors + 'L' + number;
      var link = document.createElement('a');
      link.className = 'n';
      link.href = '#' + anchors + 'L' + number;
      link.setAttribute('data-n', String(number));
      element.insertBefore(link, element.firstChild);
    };
    data.lines.forEach(function (line) {
      var parent = stack[stack.length - 1];
      if (line.kind === 'start') {
        var details = document.createElement('details');
        if (!line.collapsed) details.open = true;
        var summary = document.createElement('summary');
        summary.className = 'l';
        summary.innerHTML = line.html;
        numbered(summary);
        details.appendChild(summary);
        details.dataset.section = line.name;
        parent.appendChild(details);
        stack.push(details);
      } else if (line.kind === 'end') {
        for (var i = stack.length - 1; i > 0; i--) if (stack[i].dataset.section === line.name) { stack.length = i; break; }
      } else {
        var span = document.createElement('span');
        span.className = 'l';
        span.innerHTML = line.html;
        numbered(span);
        parent.appendChild(span);
      }
    });
  });
  source.addEventListener('state', function (event) {
    var data = JSON.parse(event.data);
    setBadge('pipeline-status', data.status);
    var missing = false;
    data.jobs.forEach(function (job) {
      // A job's own page follows that job only.
      if (live.job && String(job.id) !== live.job) return;
      setBadge('badge-' + job.id, job.status);
      if (!setBadge('status-' + job.id, job.status)) missing = true;
    });
    if (missing) location.reload();
  });
  source.addEventListener('end', function () {
    source.close();
    location.reload();
  });
})();
`;

export const LIVE_SCRIPT_PATH = '/assets/live.js';

/** `GET /assets/live.js`: the same for everyone, and no data in it, so it needs no login. */
export function liveScriptRoute(): Route {
  return {
    method: 'GET',
    path: LIVE_SCRIPT_PATH,
    handle(_request, response) {
      response.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'content-length': Buffer.byteLength(LIVE_SCRIPT),
        'cache-control': 'public, max-age=300',
        'x-content-type-options': 'nosniff',
      });
      response.end(LIVE_SCRIPT);
    },
  };
}
