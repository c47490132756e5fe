// The review form: decisions, a manual finding and the human score, sent to the JSON API
// (POST /v1/calls/{id}/reviews) with the session's CSRF token in X-CSRF-Token.
(() => {
  "use strict";
  const form = document.getElementById("review-form");
  if (!form || form.dataset.readonly) return;
  const error = document.getElementById("review-error");
  const t = window.qaStrings || {};

  // The message in the page's language; an API error's English detail on a line below it.
  function fail(message, detail) {
    error.textContent = message;
    if (detail) {
      const line = document.createElement("span");
      line.className = "muted error-detail";
      line.lang = "en";
      line.textContent = detail;
      error.append(document.createElement("br"), line);
    }
    error.hidden = false;
    error.focus?.();
  }

  function body() {
    const decisions = [];
    form.querySelectorAll(".finding").forEach((li) => {
      const check = li.dataset.check;
      const chosen = li.querySelector(`input[name="decision-${CSS.escape(check)}"]:checked`);
      if (!chosen || !chosen.value) return;
      const reason = (li.querySelector(".reason")?.value || "").trim();
      if (chosen.value === "overturn" && !reason) throw new Error((t["js.overturn_needs_reason"] || "") + " " + check);
      decisions.push({ check_id: check, decision: chosen.value, reason: reason || null });
    });
    const manual = [];
    const description = form.elements["m-description"].value.trim();
    if (description) {
      const deduction = parseFloat(form.elements["m-deduction"].value);
      if (!Number.isFinite(deduction)) throw new Error(t["js.deduction_needed"] || "");
      const start = parseFloat(form.elements["m-start"].value);
      manual.push({
        category: form.elements["m-category"].value.trim() || "业务知识",
        description, deduction, start: Number.isFinite(start) ? start : null,
      });
    }
    const score = form.elements.human_score.value.trim();
    return {
      decisions, manual_findings: manual,
      human_score: score === "" ? null : parseFloat(score),
      comment: form.elements.comment.value.trim() || null,
    };
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    let payload;
    try { payload = body(); } catch (err) { fail(err.message); return; }
    const button = document.getElementById("submit-review");
    button.disabled = true;
    try {
      const response = await fetch(`/v1/calls/${encodeURIComponent(form.dataset.call)}/reviews`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf },
        body: JSON.stringify(payload),
      });
      if (response.ok) {
        sessionStorage.setItem("qa-flash", t["js.review_saved"] || "OK");
        window.location.reload();
        return;
      }
      const problem = await response.json().catch(() => ({}));
      const said = problem.error && t[`errcode.${problem.error}`];
      if (said) fail(`${t["js.review_failed"] || ""} ${said}`, problem.detail);
      else fail(`${t["js.review_failed"] || ""} ${problem.detail || response.status}`);
    } catch (err) {
      fail(`${t["js.review_failed"] || ""} ${err.message}`);
    } finally {
      button.disabled = false;
    }
  });
})();
