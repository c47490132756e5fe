// The call page's audio player: play/seek from the keyboard, jump to an utterance, a finding or a
// timeline segment, and highlight the word being spoken.
(() => {
  "use strict";
  const audio = document.getElementById("audio");
  const player = document.getElementById("player");
  if (!audio || !player) return;
  const playButton = document.getElementById("play");
  const seek = document.getElementById("seek");
  const clock = document.getElementById("clock");
  const speed = document.getElementById("speed");
  const heads = Array.from(document.querySelectorAll(".tl-head"));
  const words = Array.from(document.querySelectorAll(".w"));
  const starts = words.map((w) => parseFloat(w.dataset.start));
  const ends = words.map((w) => parseFloat(w.dataset.end));
  const transcript = document.getElementById("utterances");
  const STEP = 5;
  let current = -1;

  const duration = () => (Number.isFinite(audio.duration) && audio.duration > 0 ? audio.duration : parseFloat(player.dataset.duration) || 1);
  const fmt = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

  function setTime(t) {
    audio.currentTime = Math.max(0, Math.min(duration(), t));
    render();
  }

  function toggle() {
    if (audio.paused) audio.play().catch(() => {});
    else audio.pause();
  }

  function jump(t) {
    setTime(t);
    if (audio.paused) audio.play().catch(() => {});
  }
  window.qaJump = jump;

  function wordAt(t) {
    let lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= t) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found >= 0 && t <= ends[found] + 0.15 ? found : -1;
  }

  function render() {
    const t = audio.currentTime;
    seek.value = String(t);
    clock.textContent = `${fmt(t)} / ${fmt(duration())}`;
    const left = `${(100 * t) / duration()}%`;
    heads.forEach((h) => { h.style.left = left; });
    const index = wordAt(t);
    if (index === current) return;
    if (current >= 0) {
      words[current].classList.remove("current");
      words[current].closest(".utt")?.classList.remove("speaking");
    }
    current = index;
    if (index >= 0) {
      const word = words[index];
      word.classList.add("current");
      const utt = word.closest(".utt");
      utt?.classList.add("speaking");
      if (utt && transcript) {
        const box = transcript.getBoundingClientRect(), r = utt.getBoundingClientRect();
        if (r.top < box.top || r.bottom > box.bottom) utt.scrollIntoView({ block: "nearest" });
      }
    }
  }

  let frame = 0;
  function loop() {
    render();
    frame = audio.paused ? 0 : requestAnimationFrame(loop);
  }

  audio.addEventListener("play", () => {
    playButton.textContent = "❚❚";
    playButton.setAttribute("aria-label", playButton.dataset.labelPause);
    if (!frame) frame = requestAnimationFrame(loop);
  });
  audio.addEventListener("pause", () => {
    playButton.textContent = "▶";
    playButton.setAttribute("aria-label", playButton.dataset.labelPlay);
  });
  ["timeupdate", "seeked", "loadedmetadata"].forEach((e) => audio.addEventListener(e, render));
  audio.addEventListener("loadedmetadata", () => { seek.max = String(duration()); });

  playButton.addEventListener("click", toggle);
  document.getElementById("back").addEventListener("click", () => setTime(audio.currentTime - STEP));
  document.getElementById("forward").addEventListener("click", () => setTime(audio.currentTime + STEP));
  seek.addEventListener("input", () => setTime(parseFloat(seek.value)));
  speed.addEventListener("change", () => { audio.playbackRate = parseFloat(speed.value); });

  // Keyboard: on the player region or the position slider, space/k plays or pauses, the arrows
  // move 5 s, Home/End go to the ends. Buttons keep their own space/enter.
  player.addEventListener("keydown", (e) => {
    const target = e.target;
    const onRegion = target === player || target === seek;
    if (!onRegion) return;
    const keys = {
      " ": toggle, k: toggle,
      ArrowLeft: () => setTime(audio.currentTime - STEP), ArrowRight: () => setTime(audio.currentTime + STEP),
      Home: () => setTime(0), End: () => setTime(duration()),
    };
    const action = keys[e.key];
    if (action) { e.preventDefault(); action(); }
  });

  document.addEventListener("click", (e) => {
    const button = e.target.closest(".jump");
    if (!button) return;
    e.preventDefault();
    jump(parseFloat(button.dataset.start));
  });
})();
