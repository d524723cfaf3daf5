// Durations as people read them, for figures that change in the browser: the server's one
// format (tracker/formatting.py `duration`: whole minutes, cut, minutes padded; seconds only
// for live figures) with the translated patterns each page carries in <meta name="durations">.
// A browser test checks that this and the server agree on a table of values.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="durations"]');
  const patterns = JSON.parse(meta.content);
  const pad = (n) => String(n).padStart(2, "0");

  window.formatDuration = function (ms, withSeconds) {
    if (ms === null || ms === undefined) return "∞";
    const wholeS = Math.floor(Math.abs(ms) / 1000);
    const shown = withSeconds ? wholeS : Math.floor(wholeS / 60);
    const text = patterns[withSeconds ? "hms" : "hm"]
      .replace("{hours}", String(Math.floor(wholeS / 3600)))
      .replace("{minutes}", pad(Math.floor(wholeS / 60) % 60))
      .replace("{seconds}", pad(wholeS % 60));
    return (ms < 0 && shown ? patterns.minus : "") + text;
  };
})();
