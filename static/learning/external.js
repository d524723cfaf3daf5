// The external-learning form: how much of a claim would still count, shown as it is typed.
(function () {
  var form = document.getElementById("record-form");
  var box = document.getElementById("preview");
  if (!form || !window.fetch) return;
  // Hours are typed as whole hours and minutes (hours_h, hours_min), as the server joins them.
  function typedHours() {
    var h = form.elements.hours_h.value, m = form.elements.hours_min.value;
    if (!h && !m) return 0;
    return Number(h || 0) + Number(m || 0) / 60;
  }
  function update() {
    var hours = typedHours(), end = form.elements.end_date.value;
    if (!end || !(hours > 0)) return;
    var url = form.dataset.previewUrl + "?" + new URLSearchParams({kind: form.elements.kind.value, hours: hours, date: end});
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (!data) return;
      var text = form.dataset.message.replace("{counted}", data.counted_hours).replace("{hours}", data.hours).replace("{year}", data.year);
      box.innerHTML = "";
      var p = document.createElement("p");
      p.className = "notice";
      p.textContent = text;
      box.appendChild(p);
    });
  }
  form.elements.hours_h.addEventListener("change", update);
  form.elements.hours_min.addEventListener("change", update);
  form.elements.end_date.addEventListener("change", update);
})();
