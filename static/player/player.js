// A first courseware player: opens a session over Socket.IO and sends heartbeats.
// The server decides all credit by its own clock; this page only reports what it sees.
(function () {
  "use strict";
  const root = document.getElementById("player");
  const text = JSON.parse(root.dataset.messages);
  const coursewareId = Number(root.dataset.coursewareId);
  const kind = root.dataset.kind;
  const media = document.getElementById("media");
  const $ = (id) => document.getElementById(id);
  const IDLE_MS = 5 * 60 * 1000;

  let sessionId = null;
  let seq = 0;
  let intervalMs = 15000;
  let timer = null;
  let stopped = false;
  let lastInteraction = Date.now();

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "∞";
    const minutes = Math.floor(seconds / 60);
    return `${Math.floor(minutes / 60)} ${text.hours} ${minutes % 60} ${text.minutes}`;
  }

  function show(ack) {
    if (!ack || !ack.ok) return;
    $("state").textContent = text[ack.status] || ack.status;
    $("state").dataset.status = ack.status;
    $("item-credited").textContent = duration(ack.item.credited_s);
    $("item-credited").dataset.seconds = ack.item.credited_s;
    $("item-cap").textContent = duration(ack.item.cap_s);
    $("year-effective").textContent = duration(ack.year.online_effective_s);
    $("year-cap").textContent = duration(ack.year.online_cap_s);
  }

  function notice(message) {
    $("notice").textContent = message;
    $("notice").hidden = !message;
  }

  function currentState() {
    if (kind === "video") {
      if (media.ended) return "ended";
      return media.paused ? "paused" : "playing";
    }
    return Date.now() - lastInteraction > IDLE_MS ? "paused" : "playing";
  }

  function beat() {
    if (!sessionId || stopped || !socket.connected) return;
    seq += 1;
    socket.emit("heartbeat", {
      session_id: sessionId,
      seq: seq,
      state: currentState(),
      visible: document.visibilityState === "visible",
      position: kind === "video" ? media.currentTime : 0,
      rate: kind === "video" ? media.playbackRate : 1,
    }, onBeatAck);
  }

  function onBeatAck(ack) {
    if (ack.ok) return show(ack);
    if (ack.error === "session_expired" || ack.error === "session_closed") {
      notice(text.expired);
      return open();
    }
    if (ack.error === "session_superseded") return stop(text.superseded);
    notice(ack.message || text.error);
  }

  function open() {
    socket.emit("open", { courseware_id: coursewareId }, (ack) => {
      if (!ack.ok) return notice(ack.message || text.error);
      sessionId = ack.session_id;
      seq = 0;
      stopped = false;
      intervalMs = ack.heartbeat_interval_s * 1000;
      notice("");
      $("resume").hidden = true;
      show(ack);
      clearInterval(timer);
      timer = setInterval(beat, intervalMs);
      beat();
    });
  }

  function stop(message) {
    stopped = true;
    clearInterval(timer);
    if (kind === "video") media.pause();
    $("state").textContent = text.not_recording;
    $("state").dataset.status = "superseded";
    notice(message);
    $("resume").hidden = false;
  }

  const socket = io("/player", { transports: ["websocket"] });
  socket.on("connect", () => (sessionId && !stopped ? beat() : open()));
  socket.on("disconnect", () => {
    $("state").textContent = text.disconnected;
  });
  socket.on("superseded", (event) => {
    if (event.session_id === sessionId) stop(text.superseded);
  });

  $("resume").addEventListener("click", open);
  for (const name of ["play", "pause", "ended", "ratechange", "seeked"]) {
    if (kind === "video") media.addEventListener(name, beat);
  }
  document.addEventListener("visibilitychange", beat);
  for (const name of ["mousemove", "keydown", "scroll", "pointerdown", "touchstart"]) {
    document.addEventListener(name, () => (lastInteraction = Date.now()), { passive: true });
  }
  window.addEventListener("pagehide", () => {
    if (sessionId && !stopped) socket.emit("close", { session_id: sessionId });
  });
})();
