// The console reloads itself every 15 s while its box is ticked; unticking sticks in this browser.
(() => {
  const box = document.getElementById("auto-refresh");
  if (!box) return;
  const KEY = "tracker.console.refresh";
  let timer = 0;
  const arm = () => {
    clearTimeout(timer);
    if (box.checked) timer = setTimeout(() => window.location.reload(), 15000);
  };
  box.checked = window.localStorage.getItem(KEY) !== "off";
  box.addEventListener("change", () => {
    window.localStorage.setItem(KEY, box.checked ? "on" : "off");
    arm();
  });
  arm();
})();
