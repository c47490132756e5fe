"""One pure function per check kind: (check, call, context) -> Finding."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.scoring import schema as s
from qa_service.scoring.call import CallFacts
from qa_service.scoring.findings import Evidence, Finding, Status
from qa_service.scoring.matching import Hit, PlacedChars, Stream, find, phrase_for_comparison
from qa_service.scoring.pii import find_pii, find_pii_en
from qa_service.text import canonical_for_comparison
from qa_service.transcript import Utterance


@dataclass
class Context:
    """What checks share while one call is scored: hits of earlier checks anchor windows."""

    call: CallFacts
    low_prob: float
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    streams: dict[tuple[int, ...], Stream] = field(default_factory=dict)
    sentence_model: Path | None = None
    # Each window is its own stream; an utterance's characters are normalised and placed once.
    placed: PlacedChars = field(default_factory=dict)

    def stream(self, utterances: list[tuple[int, Utterance]]) -> Stream:
        """The comparison stream of these utterances, built once per call."""
        key = tuple(i for i, _ in utterances)
        if key not in self.streams:
            self.streams[key] = Stream(utterances, self.call.language, self.placed)
        return self.streams[key]


def _finding(
    check: s._Check,
    status: Status,
    detail: str,
    evidence: list[Evidence] | None = None,
    *,
    code: str,
    params: dict[str, Any] | None = None,
    **extra: Any,
) -> Finding:
    """``detail`` in English; ``code`` (one of DETAIL_CODES) and ``params`` say it for translation."""
    needs_review = bool(extra.pop("needs_review", False))
    return Finding(
        check_id=check.id,
        kind=check.kind,  # type: ignore[attr-defined]
        category=check.category,
        status=status,
        severity=check.severity,
        points=check.points,
        needs_review=needs_review,
        detail=detail,
        evidence=tuple(evidence or ()),
        data=extra,
        detail_code=code,
        detail_params=params or {},
    )


def _evidence(hit: Hit, call: CallFacts) -> Evidence:
    utts = [call.utterances[i] for i in hit.utterances]
    return Evidence(
        role=utts[0].role,
        start=round(hit.start, 3),
        end=round(hit.end, 3),
        text="".join(u.text_normalized for u in utts)
        if call.language == "zh"
        else " ".join(u.text_normalized for u in utts),
        matched=hit.matched,
        similarity=hit.similarity,
        min_word_prob=round(hit.min_word_prob, 3),
    )


def _utterance_evidence(u: Utterance) -> Evidence:
    return Evidence(role=u.role, start=round(u.start, 3), end=round(u.end, 3), text=u.text_normalized)


def _shaky(hit: Hit, ctx: Context) -> bool:
    return hit.min_word_prob < ctx.low_prob or hit.similarity < 1.0


def _windowed(check: s._Check, ctx: Context) -> list[tuple[int, Utterance]] | None:
    """The role's utterances inside the check's utterance window; None when its anchor is missing."""
    utts = ctx.call.trusted(check.role)
    w = check.window
    if w is None:
        return utts
    if w.first_utterances:
        utts = utts[: w.first_utterances]
    if w.last_utterances:
        utts = utts[-w.last_utterances :]
    if w.relative:
        anchor = ctx.hits.get(w.relative.check) or []
        if not anchor:
            return None
        at = anchor[0].utterances[0]
        n = w.relative.utterances
        before = [x for x in utts if x[0] < at][-n:]
        after = [x for x in utts if x[0] > at][:n]
        same = [x for x in utts if x[0] == at]
        utts = {"before": before, "after": after, "within": before + same + after}[w.relative.position]
    return utts


def _in_time_window(hit: Hit, check: s._Check, call: CallFacts) -> bool:
    """Time windows judge the utterances a hit lies in: a greeting starts when its turn starts."""
    w = check.window
    if w is None:
        return True
    if w.first_seconds is not None and _said_from(hit, call) > w.first_seconds:
        return False
    return not (
        w.last_seconds is not None
        and call.utterances[hit.utterances[-1]].end < call.duration_s - w.last_seconds
    )


def _said_from(hit: Hit, call: CallFacts) -> float:
    return call.utterances[hit.utterances[0]].start


_SENTENCE_END = re.compile(r"(?<=[,.?!;，。？！；])\s*")


def _semantic_hits(check: s._Phrases, utts: list[tuple[int, Utterance]], ctx: Context) -> list[Hit]:
    """Sentences whose meaning is close to a phrase (cosine of sentence embeddings)."""
    from qa_service.backends.transformers_text import sentence_encoder

    candidates: list[tuple[int, Utterance, str]] = []
    for index, utt in utts:
        pieces = [p.strip() for p in _SENTENCE_END.split(utt.text_normalized) if p.strip()]
        candidates += [
            (index, utt, text) for text in dict.fromkeys([*pieces, utt.text_normalized.strip()]) if text
        ]
    if not candidates:
        return []
    encoder = sentence_encoder(ctx.sentence_model)
    said = encoder.encode([text for _, _, text in candidates])
    wanted = encoder.encode(list(check.phrases))
    cosine = wanted @ said.T
    hits = []
    for p, phrase in enumerate(check.phrases):
        for c in np.flatnonzero(cosine[p] >= check.semantic_threshold):
            index, utt, text = candidates[int(c)]
            probs = tuple(w.prob for w in utt.words) or (1.0,)
            hits.append(Hit(phrase, text, round(float(cosine[p, c]), 3), (index,), utt.start, utt.end, probs))
    return hits


def _check_phrase_hits(
    check: s._Phrases, utts: list[tuple[int, Utterance]], ctx: Context, all_hits: bool
) -> list[Hit]:
    hits = (
        [] if check.match == "semantic" else _phrase_hits(check.phrases, utts, ctx, check.threshold, all_hits)
    )
    if check.match != "fuzzy":
        hits = sorted(hits + _semantic_hits(check, utts, ctx), key=lambda h: (h.start, -h.similarity))
    return hits


def _phrase_hits(
    phrases: list[str], utts: list[tuple[int, Utterance]], ctx: Context, threshold: float, all_hits: bool
) -> list[Hit]:
    hits: list[Hit] = []
    by_role: dict[str, list[tuple[int, Utterance]]] = {}
    for item in utts:
        by_role.setdefault(item[1].role, []).append(item)
    for role_utts in by_role.values():
        stream = ctx.stream(role_utts)
        for phrase in phrases:
            hits += find(stream, phrase, threshold, all_hits=all_hits)
    return sorted(hits, key=lambda h: (h.start, -h.similarity))


def _unanchored(check: s._Check) -> Finding:
    """A check windowed relative to another check's hit, when that check found nothing."""
    return _finding(
        check, "not_applicable", "the check it is anchored to found nothing", code="window.no_anchor"
    )


def required_phrase(check: s.RequiredPhrase, ctx: Context) -> Finding:
    utts = _windowed(check, ctx)
    if utts is None:
        return _unanchored(check)
    hits = _check_phrase_hits(check, utts, ctx, all_hits=False)
    inside = [h for h in hits if _in_time_window(h, check, ctx.call)]
    if inside:
        best = max(inside, key=lambda h: (h.similarity, -h.start))
        first = min(inside, key=lambda h: h.start)
        ctx.hits[check.id] = [first]
        return _finding(
            check,
            "passed",
            f"found {best.phrase!r}",
            [_evidence(best, ctx.call)],
            code="phrase.found",
            params={"phrase": best.phrase},
            needs_review=_shaky(best, ctx),
        )
    if hits:
        late = hits[0]
        ctx.hits[check.id] = [late]
        return _finding(
            check,
            "failed",
            f"{late.phrase!r} said from {_said_from(late, ctx.call):.1f} s, outside the window",
            [_evidence(late, ctx.call)],
            code="phrase.outside_window",
            params={"phrase": late.phrase, "seconds": round(_said_from(late, ctx.call), 3)},
            needs_review=_shaky(late, ctx),
        )
    return _finding(check, "failed", "none of the phrases was said", code="phrase.missing")


def forbidden_phrase(check: s.ForbiddenPhrase, ctx: Context) -> Finding:
    utts = _windowed(check, ctx)
    if utts is None:
        return _unanchored(check)
    hits = [
        h for h in _check_phrase_hits(check, utts, ctx, all_hits=True) if _in_time_window(h, check, ctx.call)
    ]
    hits = _merge_adjacent(_dedupe(hits))
    ctx.hits[check.id] = hits
    if not hits:
        return _finding(check, "passed", "no forbidden expression", code="forbidden.none")
    return _finding(
        check,
        "failed",
        f"{len(hits)} forbidden expression(s)",
        [_evidence(h, ctx.call) for h in hits],
        code="forbidden.found",
        params={"count": len(hits)},
        needs_review=all(_shaky(h, ctx) for h in hits),
    )


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """Overlapping hits of different phrases are one occurrence: keep the most similar."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: -h.similarity):
        if all(hit.end <= k.start or hit.start >= k.end for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


_ADJACENT_S = 1.0


def _merge_adjacent(hits: list[Hit]) -> list[Hit]:
    """Hits a breath apart in one role's speech are one expression (这不是我们的问题，我们不负责)."""
    merged: list[Hit] = []
    for hit in hits:
        last = merged[-1] if merged else None
        if (
            last is not None
            and hit.start - last.end <= _ADJACENT_S
            and set(hit.utterances) & set(last.utterances)
        ):
            merged[-1] = Hit(
                phrase=f"{last.phrase} / {hit.phrase}",
                matched=f"{last.matched}，{hit.matched}",
                similarity=min(last.similarity, hit.similarity),
                utterances=tuple(sorted(set(last.utterances) | set(hit.utterances))),
                start=last.start,
                end=max(last.end, hit.end),
                word_probs=last.word_probs + hit.word_probs,
            )
        else:
            merged.append(hit)
    return merged


def regex(check: s.RegexCheck, ctx: Context) -> Finding:
    utts = _windowed(check, ctx)
    if utts is None:
        return _unanchored(check)
    pattern, exclude = re.compile(check.pattern), re.compile(check.exclude) if check.exclude else None
    matched = [
        (u, m.group(0))
        for _, u in utts
        for m in pattern.finditer(u.text_normalized)
        if not (exclude and exclude.search(u.text_normalized))
    ]
    evidence = [
        Evidence(u.role, round(u.start, 3), round(u.end, 3), u.text_normalized, text, 1.0)
        for u, text in matched
    ]
    if check.must_match:
        return _finding(
            check,
            "passed" if matched else "failed",
            "pattern found" if matched else "pattern not found",
            evidence[:1],
            code="regex.found" if matched else "regex.not_found",
        )
    return _finding(
        check,
        "failed" if matched else "passed",
        f"{len(matched)} match(es)",
        evidence,
        code="regex.matches",
        params={"count": len(matched)},
    )


def courtesy(check: s.Courtesy, ctx: Context) -> Finding:
    utts = _windowed(check, ctx)
    if not utts:
        return _finding(check, "not_applicable", "no speech of the role", code="courtesy.no_speech")
    language = ctx.call.language
    markers = [phrase_for_comparison(m, language) for m in check.markers]
    texts = [canonical_for_comparison(u.text_normalized, language) for _, u in utts]
    count = sum(text.count(m) for text in texts for m in markers if m)
    if check.min_per_utterance is not None:
        rate, need, unit = count / len(utts), check.min_per_utterance, "per utterance"
    else:
        minutes = sum(u.end - u.start for _, u in utts) / 60
        rate, need, unit = (count / minutes if minutes else 0.0), check.min_per_minute or 0.0, "per minute"
    status: Status = "passed" if rate >= need else "failed"
    return _finding(
        check,
        status,
        f"{count} polite markers, {rate:.2f} {unit} (needs {need})",
        code="courtesy.per_utterance" if check.min_per_utterance is not None else "courtesy.per_minute",
        params={"count": count, "rate": round(rate, 3), "needed": need},
        count=count,
        rate=round(rate, 3),
    )


def speech_rate(check: s.SpeechRate, ctx: Context) -> Finding:
    roles = ["agent", "customer"] if check.role == "any" else [check.role]
    evidence, measured = [], False
    failed_rates: list[tuple[str, float]] = []
    for role in roles:
        rate = ctx.call.speech_rate.get(role)
        if rate is None:
            continue
        measured = True
        if (check.min_per_minute and rate < check.min_per_minute) or (
            check.max_per_minute and rate > check.max_per_minute
        ):
            failed_rates.append((role, rate))
        utts = ctx.call.trusted(role)
        if utts:
            evidence.append(
                Evidence(
                    role, round(utts[0][1].start, 3), round(utts[-1][1].end, 3), f"{rate:.0f} per minute"
                )
            )
    if not measured:
        return _finding(check, "not_applicable", "no speech to measure", code="speech_rate.no_speech")
    limits = f"allowed {check.min_per_minute or 0:.0f}-{check.max_per_minute or float('inf'):.0f}"
    bounds = {"min": check.min_per_minute or 0, "max": check.max_per_minute}
    if failed_rates:
        rates = [{"role": role, "rate": round(rate, 1)} for role, rate in failed_rates]
        said = ", ".join(f"{role} {rate:.0f}/min" for role, rate in failed_rates)
        return _finding(
            check,
            "failed",
            f"{said} ({limits})",
            evidence,
            code="speech_rate.out_of_range",
            params={"rates": rates, **bounds},
        )
    return _finding(check, "passed", limits, evidence, code="speech_rate.within_range", params=bounds)


def dead_air(check: s.DeadAir, ctx: Context) -> Finding:
    call = ctx.call
    holds = (
        _phrase_hits(check.hold_phrases, call.trusted("agent"), ctx, 0.85, all_hits=True)
        if check.hold_phrases
        else []
    )
    unexcused, excused = [], []
    for gap in call.dead_air:
        announced = [h for h in holds if gap.start - check.hold_announce_within_s <= h.end <= gap.start + 0.5]
        if announced and gap.duration <= check.max_hold_s:
            excused.append((gap, announced[-1]))
        else:
            unexcused.append(gap)
    longest = max((g.duration for g in unexcused), default=0.0)
    total = sum(g.duration for g in unexcused)
    evidence = [
        Evidence("none", round(g.start, 3), round(g.end, 3), f"{g.duration:.1f} s of silence")
        for g in unexcused
    ]
    evidence += [
        Evidence(
            "agent",
            round(h.start, 3),
            round(g.end, 3),
            f"announced hold, {g.duration:.1f} s",
            h.matched,
            h.similarity,
        )
        for g, h in excused
    ]
    failed = longest > check.max_single_s or (check.max_total_s is not None and total > check.max_total_s)
    detail = (
        f"longest unannounced silence {longest:.1f} s, total {total:.1f} s; {len(excused)} announced hold(s)"
    )
    return _finding(
        check,
        "failed" if failed else "passed",
        detail,
        evidence,
        code="dead_air.summary",
        params={"longest_s": round(longest, 3), "total_s": round(total, 3), "holds": len(excused)},
        longest_s=round(longest, 3),
        total_s=round(total, 3),
    )


def interruption(check: s.Interruption, ctx: Context) -> Finding:
    found = [
        i
        for i in ctx.call.interruptions
        if (check.role == "any" or i.by == check.role) and i.overlap_s >= check.min_overlap_s
    ]
    evidence = []
    for i in found:
        utt = next((u for u in ctx.call.utterances if u.role == i.by and abs(u.start - i.start) < 0.5), None)
        evidence.append(
            Evidence(
                i.by,
                round(i.start, 3),
                round(i.start + i.overlap_s, 3),
                utt.text_normalized if utt else "",
                None,
                None,
            )
        )
    status: Status = "failed" if len(found) > check.max_count else "passed"
    return _finding(
        check,
        status,
        f"{len(found)} interruption(s) (allowed {check.max_count})",
        evidence,
        code="interruption.count",
        params={"count": len(found), "allowed": check.max_count},
        count=len(found),
    )


def response_latency(check: s.ResponseLatency, ctx: Context) -> Finding:
    mean, worst = ctx.call.latency_mean_s, ctx.call.latency_max_s
    if mean is None or worst is None:
        return _finding(
            check, "not_applicable", "no customer turn answered by the agent", code="latency.no_turns"
        )
    failed = (check.max_mean_s is not None and mean > check.max_mean_s) or (
        check.max_s is not None and worst > check.max_s
    )
    return _finding(
        check,
        "failed" if failed else "passed",
        f"mean {mean:.1f} s, longest {worst:.1f} s",
        code="latency.summary",
        params={"mean_s": mean, "max_s": worst},
        mean_s=mean,
        max_s=worst,
    )


def loudness(check: s.Loudness, ctx: Context) -> Finding:
    roles = ["agent", "customer"] if check.role == "any" else [check.role]
    levels = {r: ctx.call.loudness_p95.get(r) for r in roles}
    measured = {r: v for r, v in levels.items() if v is not None}
    if not measured:
        return _finding(check, "not_applicable", "no level measured", code="loudness.not_measured")
    loud = {r: v for r, v in measured.items() if v > check.max_dbfs}
    detail = ", ".join(f"{r} {v:.1f} dBFS" for r, v in measured.items()) + f" (limit {check.max_dbfs} dBFS)"
    return _finding(
        check,
        "failed" if loud else "passed",
        detail,
        code="loudness.levels",
        params={"levels": [{"role": r, "dbfs": v} for r, v in measured.items()], "limit": check.max_dbfs},
        p95_dbfs=measured,
    )


def _classified(spec: s.ClassifierSpec, utts: list[tuple[int, Utterance]]) -> list[Hit]:
    """Utterances the configured classifier gives ``spec.label`` at or above its threshold."""
    from qa_service.backends.transformers_text import text_classifier

    classifier = text_classifier(spec.model)
    if spec.label not in classifier.labels.values():
        raise s.RubricError(
            f"classifier {spec.model} has no label {spec.label!r} (it has {sorted(classifier.labels.values())})"
        )
    probs = classifier.probabilities([u.text_normalized for _, u in utts])
    return [
        Hit(
            f"classifier:{spec.label}",
            u.text_normalized,
            round(p[spec.label], 3),
            (i,),
            u.start,
            u.end,
            tuple(w.prob for w in u.words) or (1.0,),
        )
        for (i, u), p in zip(utts, probs, strict=True)
        if p[spec.label] >= spec.threshold
    ]


def apology_after_complaint(check: s.ApologyAfterComplaint, ctx: Context) -> Finding:
    call = ctx.call
    complaints = _dedupe(
        _phrase_hits(check.complaint_phrases, call.trusted("customer"), ctx, check.threshold, all_hits=True)
    )
    if check.complaint_classifier is not None:
        complaints = sorted(
            complaints + _classified(check.complaint_classifier, call.trusted("customer")),
            key=lambda h: h.start,
        )
    if not complaints:
        return _finding(check, "not_applicable", "the customer did not complain", code="apology.no_complaint")
    first = complaints[0]
    agent_after = [
        x for x in call.trusted("agent") if x[1].start >= call.utterances[first.utterances[0]].start
    ][: check.within_utterances]
    apologies = _phrase_hits(check.apology_phrases, agent_after, ctx, check.threshold, all_hits=False)
    evidence = [_evidence(first, call)]
    if apologies:
        ctx.hits[check.id] = apologies[:1]
        return _finding(
            check,
            "passed",
            f"apology after the complaint: {apologies[0].phrase!r}",
            [*evidence, _evidence(apologies[0], call)],
            code="apology.found",
            params={"phrase": apologies[0].phrase},
            needs_review=_shaky(apologies[0], ctx),
        )
    return _finding(
        check,
        "failed",
        f"no apology within {check.within_utterances} agent utterances of the complaint",
        evidence,
        code="apology.missing",
        params={"within": check.within_utterances},
        needs_review=_shaky(first, ctx),
    )


_ZH_NUM = "[0-9一二三四五六七八九十两百半]+"
_EN_DAY = "today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_DEADLINE = re.compile(
    rf"(?:{_ZH_NUM}个?(?:小时|工作日|个工作日|天|日|分钟|周|星期)(?:之内|以内|内)?)"
    rf"|(?:(?:今天|明天|后天|本周|下周|周[一二三四五六日天]|星期[一二三四五六日天])(?:上午|下午|晚上|中午)?(?:{_ZH_NUM}点(?:半|{_ZH_NUM}分)?)?(?:之前|以前|前|内)?)"
    r"|(?:(?:within|in) (?:[\w-]+ ){0,3}(?:hours?|days?|business days?|working days?|minutes?|weeks?)\b)"
    rf"|(?:\b(?:by|before|until) (?:{_EN_DAY}|the end of (?:the )?(?:day|week)|end of (?:the )?(?:day|week)|noon|midnight)\b)"
    rf"|(?:\b(?:by|before|at) (?:[\w-]+ ){{0,2}}?(?:\d{{1,2}}(?::\d{{2}})? ?)?(?:o'?\s?clock|[ap]\.?m\b|noon)(?: (?:{_EN_DAY}))?)"
    rf"|(?:\b(?:later today|this (?:morning|afternoon|evening|week)|(?:{_EN_DAY})(?: (?:morning|afternoon|evening|night))?)\b)"
)


def extract_deadline(text: str) -> str | None:
    match = _DEADLINE.search(text)
    return match.group(0) if match else None


def resolution(check: s.Resolution, ctx: Context) -> Finding:
    call = ctx.call
    utts = _windowed(check, ctx) or []
    promises = _phrase_hits(check.follow_up_phrases, utts, ctx, check.threshold, all_hits=True)
    if check.commitment_markers:
        commitment = re.compile(
            r"(?<!\w)(?:" + "|".join(re.escape(m.lower()) for m in check.commitment_markers) + r")(?!\w)"
        )
        promises = [
            h
            for h in promises
            if any(commitment.search(call.utterances[i].text_normalized) for i in h.utterances)
        ]
    for hit in promises:
        utt = call.utterances[hit.utterances[-1]]
        deadline = extract_deadline(utt.text_normalized)
        if deadline:
            ctx.hits[check.id] = [hit]
            return _finding(
                check,
                "passed",
                f"follow-up promised: {deadline}",
                [_evidence(hit, call)],
                code="resolution.follow_up",
                params={"deadline": deadline},
                outcome="follow_up_promised",
                deadline=deadline,
                needs_review=_shaky(hit, ctx),
            )
    resolved = _phrase_hits(check.resolved_phrases, utts, ctx, check.threshold, all_hits=False)
    if not resolved and check.resolved_classifier is not None:
        resolved = _classified(check.resolved_classifier, utts)
    if resolved:
        ctx.hits[check.id] = resolved[:1]
        return _finding(
            check,
            "passed",
            f"resolved: {resolved[0].phrase!r}",
            [_evidence(resolved[0], call)],
            code="resolution.resolved",
            params={"phrase": resolved[0].phrase},
            outcome="resolved",
            needs_review=_shaky(resolved[0], ctx),
        )
    evidence = [_evidence(h, call) for h in promises[:1]]
    detail = (
        "a follow-up was mentioned without a deadline"
        if promises
        else "neither resolved nor a follow-up with a deadline"
    )
    code = "resolution.no_deadline" if promises else "resolution.unresolved"
    return _finding(check, "failed", detail, evidence, code=code, outcome="unresolved")


def pii_disclosure(check: s.PiiDisclosure, ctx: Context) -> Finding:
    spans: list[tuple[Utterance, str]] = []
    for _, u in ctx.call.trusted(check.role):
        found = [p.type for p in pii_in(u, ctx.call.language) if p.type in check.types]
        # A stored analysis has its numbers masked: what was found before still counts.
        found = found or [
            kind
            for kind, role, start, end in ctx.call.recorded_pii
            if kind in check.types and role == u.role and start < u.end and end > u.start
        ]
        spans += [(u, kind) for kind in found]
    if not spans:
        return _finding(check, "passed", "no full personal number read out", code="pii.none")
    evidence = [
        Evidence(u.role, round(u.start, 3), round(u.end, 3), u.text_normalized, kind, 1.0)
        for u, kind in spans
    ]
    return _finding(
        check,
        "failed",
        f"{len(spans)} full number(s) read out: {', '.join(kind for _, kind in spans)}",
        evidence,
        code="pii.read_out",
        params={"count": len(spans), "kinds": [kind for _, kind in spans]},
    )


def pii_in(utt: Utterance, language: str) -> list[Any]:
    if language == "en":
        return find_pii_en(utt.text_normalized)
    return find_pii(canonical_for_comparison(utt.text_normalized, language))


def language(check: s.LanguageCheck, ctx: Context) -> Finding:
    """Utterances identified, with confidence, as another language than the expected one."""
    judged = [u for _, u in ctx.call.trusted(check.role) if u.language_id is not None]
    if not judged:
        return _finding(
            check,
            "not_applicable",
            "no utterance whose language was identified",
            code="language.not_identified",
        )
    off = [
        u
        for u in judged
        if u.language_id and u.language_id[0] != check.expected and u.language_id[1] >= check.min_evidence
    ]
    if off:
        evidence = [
            Evidence(
                u.role,
                round(u.start, 3),
                round(u.end, 3),
                u.text_normalized,
                u.language_id[0] if u.language_id else None,
                u.language_id[1] if u.language_id else None,
            )
            for u in off
        ]
        return _finding(
            check,
            "failed",
            f"{len(off)} of {len(judged)} utterances identified as another language",
            evidence,
            code="language.other",
            params={"count": len(off), "judged": len(judged)},
        )
    unsure = [u for u in judged if u.language_id and u.language_id[0] != check.expected]
    if unsure and len(unsure) == len(judged):
        return _finding(
            check,
            "not_applicable",
            "weak evidence: the language identification is unsure",
            code="language.unsure",
        )
    return _finding(
        check,
        "passed",
        f"{len(judged) - len(unsure)} of {len(judged)} utterances identified as {check.expected}",
        code="language.expected",
        params={"count": len(judged) - len(unsure), "judged": len(judged), "language": check.expected},
    )


CHECKS: dict[str, Callable[[Any, Context], Finding]] = {
    "required_phrase": required_phrase,
    "forbidden_phrase": forbidden_phrase,
    "regex": regex,
    "courtesy": courtesy,
    "speech_rate": speech_rate,
    "dead_air": dead_air,
    "interruption": interruption,
    "response_latency": response_latency,
    "loudness": loudness,
    "apology_after_complaint": apology_after_complaint,
    "resolution": resolution,
    "pii_disclosure": pii_disclosure,
    "language": language,
}
