// An exam attempt: saves each answer as it is given, counts down the server's deadline and
// hands in when it is reached. The server decides everything; this only keeps the page honest
// about the time and keeps answers from being lost on a reload.
(() => {
  "use strict";
  const form = document.getElementById("attempt");
  if (!form) return;
  const messages = JSON.parse(form.dataset.messages);
  const state = document.getElementById("save-state");
  const timer = document.getElementById("timer");
  const remaining = form.dataset.remaining === "" ? null : Number(form.dataset.remaining);
  const loadedAt = performance.now();
  let handingIn = false;

  const chosen = (name) =>
    [...form.querySelectorAll("input[name]")]
      .filter((input) => input.name === name && input.checked)
      .map((input) => Number(input.value));

  async function save(name) {
    state.textContent = messages.saving;
    try {
      const response = await fetch(form.dataset.saveUrl, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ answers: { [name.slice(1)]: chosen(name) } }),
      });
      if (response.ok) {
        state.textContent = messages.saved;
        return;
      }
      const body = await response.json().catch(() => ({}));
      if (body.error === "attempt_expired" || body.error === "attempt_closed") {
        handingIn = true;
        window.location.reload(); // the server handed it in: show the result
        return;
      }
      state.textContent = body.message || messages.save_failed;
    } catch {
      state.textContent = messages.save_failed;
    }
  }

  form.addEventListener("change", (event) => {
    if (event.target.name && !handingIn) save(event.target.name);
  });
  form.addEventListener("submit", () => {
    handingIn = true;
  });

  if (remaining === null || !timer) return;
  const show = (seconds) => {
    // Live progress: with seconds, labelled (static/duration.js); never 0 while time is left.
    timer.textContent = window.formatDuration(Math.ceil(seconds) * 1000, true);
    timer.parentElement.classList.toggle("urgent", seconds <= 60);
  };
  const tick = () => {
    // Counted from the page's load, which came after the server measured `remaining`:
    // the page never hands in before the server's deadline.
    const left = Math.max(0, remaining - (performance.now() - loadedAt) / 1000);
    show(left);
    if (left > 0 || handingIn) return;
    handingIn = true;
    clearInterval(clock);
    state.textContent = messages.time_up;
    form.submit();
  };
  const clock = setInterval(tick, 250);
  tick();
})();
