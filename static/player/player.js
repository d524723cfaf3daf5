// The courseware player: shows a video or a document, tells the server over Socket.IO what
// the viewer is doing, and shows what the server credits. The server decides all credit by
// its own clock; this page only reports. Behaviour and rules: docs/player.md.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const root = $("player");
  const text = JSON.parse(root.dataset.messages);
  const coursewareId = Number(root.dataset.coursewareId);
  const isVideo = root.dataset.kind === "video";
  const idleMs = Number(root.dataset.idleMinutes) * 60 * 1000;
  const duration = window.formatDuration; // static/duration.js: the server's one format

  // What the viewer is doing, as this page sees it.
  const view = {
    focused: document.hasFocus(), // window blur counts as not watching (visible: false)
    idle: false, // documents: no interaction for idleMs, "still studying?" not yet answered
    lastActivity: Date.now(),
    page: 1, // documents: the page shown
    ready: isVideo, // documents: rendered at least once
  };
  // The session with the server. `phase` is the connection's side of the state shown.
  const session = { id: null, seq: 0, intervalMs: 15000, status: null, nextBeatAt: 0 };
  let phase = "connecting"; // connecting | open | offline | superseded | failed
  let generation = 0; // bumped on every disconnect, so late acks of a dead socket are ignored
  let timer = null;
  let inFlight = false;
  let again = false;
  let debounce = null;
  let supersededBy = null;

  const media = isVideo ? $("media") : null;
  const storageKey = `tracker.place.${coursewareId}`;

  // ---- what is shown ----

  function fill(id, share) {
    $(id).style.width = `${Math.min(100, Math.max(0, share * 100))}%`;
  }

  // The meters move between heartbeats. The server credits the time between two of them when
  // the second arrives (tracker/core/crediting.py), so while it says "recording" and the
  // viewer is watching, the page runs the figures on from the last ack by its own clock: never
  // more than one interval past what the server has credited, and never past a cap. Each ack
  // sets them to the server's figures again (lower ones too: a pause reported late, a stalled
  // video). Anything else stops them where they are until the next ack.
  const meter = {
    itemMs: 0, // as the last ack said
    itemCapMs: 0,
    yearMs: 0,
    yearCapMs: null,
    known: false, // an ack has brought figures
    since: null, // performance.now() of the ack they run on from, or null: standing still
    confirmed: false, // the server has credited this live stretch at least once
    ticker: null,
  };

  function counting() {
    return (
      phase === "open" &&
      session.status === "recording" &&
      playState() === "playing" &&
      visible() &&
      !view.idle &&
      meter.itemMs < meter.itemCapMs
    );
  }

  function yearAfter(ran) {
    const year = meter.yearMs + ran;
    return meter.yearCapMs === null ? year : Math.min(meter.yearCapMs, year);
  }

  function runMs() {
    if (meter.since === null) return 0;
    const room = meter.itemCapMs - meter.itemMs;
    return Math.max(0, Math.min(performance.now() - meter.since, session.intervalMs, room));
  }

  function showMeters() {
    $("why").textContent = reason();
    if (!meter.known) return;
    const run = runMs();
    const item = meter.itemMs + run;
    const year = yearAfter(run);
    $("item-credited").textContent = duration(item, true);
    $("item-credited").dataset.shownMs = Math.floor(item);
    fill("item-bar", meter.itemCapMs ? item / meter.itemCapMs : 1);
    $("year-effective").textContent = duration(year, true);
    $("year-effective").dataset.shownMs = Math.floor(year);
    fill("year-bar", meter.yearCapMs ? year / meter.yearCapMs : 0);
  }

  // Start or stop running the meters on; stopping keeps what is shown until the next ack.
  function steer() {
    const run = counting();
    if (run && meter.since === null) {
      meter.since = performance.now();
    } else if (!run && meter.since !== null) {
      const ran = runMs();
      meter.itemMs += ran;
      meter.yearMs = yearAfter(ran);
      meter.since = null;
    }
    if (run && !meter.ticker) meter.ticker = setInterval(showMeters, 250);
    if (!run && meter.ticker) {
      clearInterval(meter.ticker);
      meter.ticker = null;
    }
    showMeters();
  }

  function visible() {
    return document.visibilityState === "visible" && view.focused;
  }

  function playState() {
    if (isVideo) {
      if (media.ended) return "ended";
      return media.paused ? "paused" : "playing";
    }
    return view.ready && !view.idle ? "playing" : "paused";
  }

  function reason() {
    if (phase === "offline") return text.why_offline;
    if (phase !== "open") return "";
    if (session.status === "item_cap_reached") return text.why_item_cap;
    if (session.status === "year_cap_reached") return text.why_year_cap;
    if (view.idle) return text.why_idle;
    if (document.visibilityState !== "visible") return text.why_hidden;
    if (!view.focused) return text.why_blurred;
    if (!isVideo && !view.ready) return text.why_loading;
    if (isVideo && media.ended) return text.why_ended;
    if (isVideo && media.paused) return media.currentTime > 0 ? text.why_paused : text.why_start;
    if (meter.since !== null && !meter.confirmed) {
      // The first interval of a stretch: the server credits it when the next beat arrives.
      const left = Math.max(1, Math.ceil((session.nextBeatAt - performance.now()) / 1000));
      return text.why_confirming.replace("{seconds}", left);
    }
    return "";
  }

  function render() {
    let status = session.status || "connecting";
    if (phase !== "open") status = phase === "failed" ? "error" : phase;
    else if (view.idle && status !== "item_cap_reached") status = "idle";
    const labels = {
      connecting: text.connecting,
      offline: text.offline,
      superseded: text.superseded_state,
      idle: text.idle,
      error: text.error,
    };
    $("state").dataset.status = status;
    $("state-text").textContent = labels[status] || text[status] || status;
    steer();
  }

  function showStanding(ack) {
    const was = session.status;
    session.status = ack.status;
    const item = ack.item;
    const year = ack.year;
    meter.itemMs = item.credited_s * 1000;
    meter.itemCapMs = item.cap_s * 1000;
    meter.yearMs = year.online_effective_s * 1000;
    meter.yearCapMs = year.online_cap_s === null ? null : year.online_cap_s * 1000;
    meter.known = true;
    meter.since = null; // runs on from this ack, if still counting (`steer`)
    if (was !== "recording" || ack.status !== "recording") meter.confirmed = false;
    if (ack.raw_delta_s > 0) meter.confirmed = true;
    $("item-credited").dataset.seconds = item.credited_s;
    $("item-cap").textContent = duration(meter.itemCapMs);
    $("item-cap").dataset.seconds = item.cap_s;
    $("year-effective").dataset.seconds = year.online_effective_s;
    const yearCap = meter.yearCapMs;
    $("year-cap").textContent = yearCap === null ? text.no_limit : duration(yearCap);
  }

  function notice(message, offerResume) {
    $("notice-text").textContent = message || "";
    $("notice").hidden = !message;
    $("resume").hidden = !offerResume;
  }

  // ---- talking to the server ----

  function send(event, payload, onAck) {
    const current = generation;
    const wait = Math.max(10000, 3 * session.intervalMs);
    socket.timeout(wait).emit(event, payload, (err, ack) => {
      if (current === generation) onAck(err ? null : ack);
    });
  }

  function sample() {
    return {
      state: playState(),
      visible: visible(),
      position: isVideo ? media.currentTime || 0 : view.page,
      rate: isVideo ? Math.min(16, Math.max(0.0625, media.playbackRate || 1)) : 1,
    };
  }

  // One heartbeat at a time; the next is due one interval after the last was sent.
  function beat() {
    clearTimeout(timer);
    if (!session.id || phase !== "open" || !socket.connected) return;
    if (inFlight) {
      again = true;
      return;
    }
    timer = setTimeout(beat, session.intervalMs);
    session.nextBeatAt = performance.now() + session.intervalMs;
    inFlight = true;
    again = false;
    session.seq += 1; // never reset: strictly increasing across reconnects and sessions
    send("heartbeat", { session_id: session.id, seq: session.seq, ...sample() }, (ack) => {
      inFlight = false;
      if (ack) onBeatAck(ack);
      if (again) beat();
    });
  }

  // Something the server should know at once (play, pause, hidden, idle…).
  function changed() {
    render();
    clearTimeout(debounce);
    debounce = setTimeout(beat, 50);
  }

  function onBeatAck(ack) {
    if (ack.ok) {
      // A busy server asks for fewer heartbeats (and later for the usual number again).
      const asked = ack.heartbeat_interval_s * 1000;
      if (asked && asked !== session.intervalMs) {
        session.intervalMs = asked;
        clearTimeout(timer);
        timer = setTimeout(beat, asked);
        session.nextBeatAt = performance.now() + asked;
      }
      showStanding(ack);
      render();
      return;
    }
    if (ack.error === "session_superseded") return supersede(null);
    if (["session_expired", "session_closed", "session_not_found"].includes(ack.error)) {
      session.id = null; // lapsed (e.g. a long network drop): a fresh session continues
      return open();
    }
    if (ack.error === "account_disabled") return fail(ack.message);
    if (ack.error === "rate_limited") return; // the next beat on schedule will pass
    notice(ack.message || text.error, false); // a passing problem: keep going
  }

  // A random id this browser keeps: the server flags several accounts watching at once from
  // one device for a reviewer (docs/heuristics.md). Without storage, none is sent.
  function deviceId() {
    try {
      let id = localStorage.getItem("tracker.device");
      if (!id) {
        const bytes = crypto.getRandomValues(new Uint8Array(16));
        id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
        localStorage.setItem("tracker.device", id);
      }
      return id;
    } catch (error) {
      return undefined;
    }
  }

  function open() {
    clearTimeout(timer);
    if (!socket.connected) return; // "connect" opens
    // Forget the old session first: the server tells this socket it was superseded by the
    // very open we are sending, and that notice must not stop this page.
    session.id = null;
    phase = "connecting";
    render();
    send("open", { courseware_id: coursewareId, device_id: deviceId() }, (ack) => {
      if (!ack) return open();
      if (["server_busy", "rate_limited", "database_unavailable"].includes(ack.error)) {
        // The server sheds new sessions before live ones suffer, or its database is
        // restarting: try again when it says.
        notice(ack.message, false);
        timer = setTimeout(open, (ack.retry_after_s || 5) * 1000);
        return;
      }
      if (!ack.ok) return fail(ack.message);
      session.id = ack.session_id;
      session.intervalMs = ack.heartbeat_interval_s * 1000;
      phase = "open";
      notice("");
      showStanding(ack);
      render();
      beat();
    });
  }

  function stopMedia() {
    clearTimeout(timer);
    session.id = null;
    if (isVideo) {
      media.pause();
      if (player && player.fullscreen.active) player.fullscreen.exit();
    } else if (document.fullscreenElement) {
      document.exitFullscreen();
    }
  }

  function supersede(byCoursewareId) {
    phase = "superseded";
    supersededBy = byCoursewareId;
    stopMedia();
    const same = supersededBy === coursewareId;
    notice(same ? text.superseded_same : text.superseded, true);
    render();
  }

  function fail(message) {
    phase = "failed";
    stopMedia();
    notice(message || text.error, false);
    render();
  }

  if (typeof io !== "function") {
    notice(text.missing, false);
    phase = "failed";
    render();
    return;
  }
  const socket = io("/player", { transports: ["websocket"] });

  socket.on("connect", () => {
    if (phase === "superseded" || phase === "failed") return;
    if (!session.id) return open();
    phase = "open"; // same session: the server restarts its interval for the new socket
    render();
    beat();
  });
  socket.on("disconnect", (why) => {
    generation += 1;
    inFlight = false;
    clearTimeout(timer);
    if (phase === "open" || phase === "connecting") phase = "offline";
    render();
    if (why === "io server disconnect") socket.connect();
  });
  socket.on("connect_error", (err) => {
    if (!socket.active) return fail(err.data && err.data.message); // refused: not logged in
    if (phase === "open" || phase === "connecting") phase = "offline";
    render();
  });
  socket.on("superseded", (event) => {
    if (event.session_id === session.id) supersede(event.by_courseware_id);
  });
  socket.on("session_ended", (event) => {
    // A null session: the whole sign-in ended (password or account changed, logged out).
    if (event.session_id === session.id || event.session_id === null) fail(text.ended);
  });

  $("resume").addEventListener("click", () => {
    notice("");
    open();
    if (isVideo) media.play().catch(() => {});
  });

  // A closing tab ends its session where the browser lets it; otherwise it lapses.
  window.addEventListener("pagehide", () => {
    if (!session.id || phase !== "open" || !socket.connected) return;
    session.seq += 1;
    socket.emit("close", { session_id: session.id, seq: session.seq, ...sample() });
    session.id = null;
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && phase === "open") open(); // back from the back/forward cache
  });

  // ---- visibility, focus and activity ----

  function activity() {
    view.lastActivity = Date.now();
    if (!view.focused && document.hasFocus()) {
      view.focused = true;
      changed();
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") activity();
    else if (isVideo && !media.paused) media.pause(); // nothing counts while away
    changed();
  });
  window.addEventListener("blur", (event) => {
    if (event.target !== window) return;
    view.focused = false;
    changed();
  });
  window.addEventListener("focus", (event) => {
    if (event.target !== window) return;
    view.focused = true;
    activity();
    changed();
  });
  for (const name of ["pointerdown", "pointermove", "keydown", "wheel", "touchstart", "scroll"]) {
    document.addEventListener(name, activity, { passive: true, capture: true });
  }

  // ---- video ----

  let player = null;
  if (isVideo) {
    if (typeof Plyr === "function") {
      player = new Plyr(media, {
        iconUrl: root.dataset.plyrIcons,
        blankVideo: "",
        i18n: text.plyr,
        controls: [
          "play-large",
          "play",
          "progress",
          "current-time",
          "duration",
          "mute",
          "volume",
          "settings",
          "fullscreen",
        ],
        settings: ["speed"],
        speed: { selected: 1, options: [0.75, 1, 1.25, 1.5, 2] },
        invertTime: false,
        keyboard: { focused: true, global: false },
        tooltips: { controls: true, seek: true },
      });
    }
    for (const name of ["play", "pause", "ended", "ratechange", "seeked"]) {
      media.addEventListener(name, changed);
    }
    // Continue where the viewer left off last time (this browser only).
    media.addEventListener("loadedmetadata", () => {
      const at = Number(localStorage.getItem(storageKey));
      if (at > 3 && at < media.duration - 3) media.currentTime = at;
    });
    let saved = 0;
    media.addEventListener("timeupdate", () => {
      if (Math.abs(media.currentTime - saved) < 5) return;
      saved = media.currentTime;
      localStorage.setItem(storageKey, String(Math.floor(saved)));
    });
  }

  // ---- document ----

  if (!isVideo) {
    setupDocument();
  }

  function setupDocument() {
    const dialog = $("idle-dialog");
    const canvas = $("doc-canvas");
    const input = $("doc-page");
    let pdf = null;
    let task = null;
    let drawing = Promise.resolve();

    function goIdle() {
      view.idle = true;
      if (!dialog.open) dialog.showModal();
      changed();
    }
    $("idle-continue").addEventListener("click", () => {
      view.idle = false;
      activity();
      dialog.close();
      changed();
    });
    dialog.addEventListener("cancel", (event) => event.preventDefault()); // answer, not Esc
    setInterval(() => {
      const quiet = Date.now() - view.lastActivity >= idleMs;
      if (!view.idle && phase === "open" && view.ready && quiet) goIdle();
    }, 1000);

    async function draw() {
      const page = await pdf.getPage(view.page);
      const box = $("doc-view");
      const base = page.getViewport({ scale: 1 });
      const tall = document.fullscreenElement ? box.clientHeight : window.innerHeight * 0.72;
      const scale = Math.min((box.clientWidth - 2) / base.width, tall / base.height);
      const ratio = window.devicePixelRatio || 1;
      const viewport = page.getViewport({ scale: scale * ratio });
      if (task) task.cancel();
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      canvas.style.width = `${Math.floor(viewport.width / ratio)}px`;
      canvas.style.height = `${Math.floor(viewport.height / ratio)}px`;
      task = page.render({ canvas, viewport });
      try {
        await task.promise;
      } catch (err) {
        if (!err || err.name !== "RenderingCancelledException") throw err;
      }
    }

    function redraw() {
      drawing = drawing.then(draw).catch(broken);
      return drawing;
    }

    function show(number) {
      if (!pdf) return;
      const page = Math.min(pdf.numPages, Math.max(1, Math.round(number) || 1));
      input.value = page;
      $("doc-prev").disabled = page <= 1;
      $("doc-next").disabled = page >= pdf.numPages;
      if (page === view.page && view.ready) return;
      view.page = page;
      localStorage.setItem(storageKey, String(page));
      redraw().then(() => {
        const first = !view.ready;
        view.ready = true;
        $("doc-loading").hidden = true;
        if (first) activity();
        changed();
      });
    }

    function broken(err) {
      console.error(err);
      $("doc-loading").textContent = text.document_error;
      $("doc-loading").hidden = false;
    }

    $("doc-prev").addEventListener("click", () => show(view.page - 1));
    $("doc-next").addEventListener("click", () => show(view.page + 1));
    input.addEventListener("change", () => show(Number(input.value)));
    document.addEventListener("keydown", (event) => {
      if (event.target === input || dialog.open || event.altKey || event.ctrlKey) return;
      const step = { ArrowLeft: -1, PageUp: -1, ArrowRight: 1, PageDown: 1 }[event.key];
      if (step) {
        event.preventDefault();
        show(view.page + step);
      } else if (event.key === "Home" || event.key === "End") {
        show(event.key === "Home" ? 1 : Infinity);
      }
    });
    let touchX = null;
    $("doc-view").addEventListener("touchstart", (e) => (touchX = e.touches[0].clientX), {
      passive: true,
    });
    $("doc-view").addEventListener("touchend", (event) => {
      const dx = event.changedTouches[0].clientX - touchX;
      if (touchX !== null && Math.abs(dx) > 60) show(view.page + (dx < 0 ? 1 : -1));
      touchX = null;
    });
    const full = $("doc-full");
    full.hidden = !document.fullscreenEnabled;
    full.addEventListener("click", () => {
      if (document.fullscreenElement) document.exitFullscreen();
      else $("doc").requestFullscreen();
    });
    let resizing = null;
    const refit = () => {
      clearTimeout(resizing);
      resizing = setTimeout(() => pdf && redraw(), 150);
    };
    window.addEventListener("resize", refit);
    document.addEventListener("fullscreenchange", refit);

    const config = JSON.parse(root.dataset.pdfjs);
    import(config.module)
      .then((pdfjs) => {
        pdfjs.GlobalWorkerOptions.workerSrc = config.worker;
        return pdfjs.getDocument({
          url: $("doc").dataset.src,
          cMapUrl: config.cMapUrl,
          cMapPacked: true,
          standardFontDataUrl: config.standardFontDataUrl,
          wasmUrl: config.wasmUrl,
          iccUrl: config.iccUrl,
          isEvalSupported: false, // the CSP allows no eval; PDF.js would try it and be refused
        }).promise;
      })
      .then((loaded) => {
        pdf = loaded;
        $("doc-pages").textContent = pdf.numPages;
        input.max = pdf.numPages;
        show(Number(localStorage.getItem(storageKey)) || 1);
      })
      .catch(broken);
  }

  render();
})();
