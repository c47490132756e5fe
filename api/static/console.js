// Shared by every console page: the translated strings for scripts, and a message carried over a
// reload (e.g. after a review was saved).
(() => {
  "use strict";
  const node = document.getElementById("ui-strings");
  window.qaStrings = node ? JSON.parse(node.textContent) : {};
  const message = sessionStorage.getItem("qa-flash");
  if (message) {
    sessionStorage.removeItem("qa-flash");
    const p = document.createElement("p");
    p.className = "flash flash-success";
    p.setAttribute("role", "status");
    p.textContent = message;
    document.getElementById("flash")?.appendChild(p);
  }
})();
