// The external-learning form: how much of a claim would still count, shown as it is typed.
(function () {
  var form = document.getElementById("record-form");
  var box = document.getElementById("preview");
  if (!form || !window.fetch) return;
  function update() {
    var hours = form.elements.hours.value, end = form.elements.end_date.value;
    if (!hours || !end || Number(hours) <= 0) return;
    var url = form.dataset.previewUrl + "?" + new URLSearchParams({kind: form.elements.kind.value, hours: hours, date: end});
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (!data) return;
      var text = form.dataset.message.replace("{counted}", window.formatDuration(data.counted_s * 1000)).replace("{hours}", window.formatDuration(Math.round(data.hours * 3600) * 1000)).replace("{year}", data.year);
      box.innerHTML = "";
      var p = document.createElement("p");
      p.className = "notice";
      p.textContent = text;
      box.appendChild(p);
    });
  }
  form.elements.hours.addEventListener("change", update);
  form.elements.end_date.addEventListener("change", update);
})();
