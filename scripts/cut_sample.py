"""Cut a clip from a corpus WAV call with its truth, byte-exact (codec and metadata kept).

    python scripts/cut_sample.py SRC.wav START END OUT.wav

Writes OUT.wav and OUT.truth.json: turns inside [START, END) and facts shifted to the clip.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], 12
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        out.append((cid, data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)
    return out


def cut_wav(src: Path, start: float, end: float, out: Path) -> None:
    data = src.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", "not a RIFF/WAVE file"
    chunks = _chunks(data)
    fmt = dict(chunks)[b"fmt "]
    rate, _, block_align = struct.unpack("<IIH", fmt[4:14])
    body = b""
    for cid, payload in chunks:
        if cid == b"data":
            lo, hi = int(start * rate) * block_align, int(end * rate) * block_align
            payload = payload[lo:hi]
        elif cid == b"fact":  # sample count of non-PCM formats
            payload = struct.pack("<I", int((end - start) * rate))
        body += cid + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) & 1 else b"")
    out.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body)


def _shift(value: float | None, start: float) -> float | None:
    return None if value is None else round(value - start, 3)


def cut_truth(truth: dict, start: float, end: float, audio_name: str) -> dict:
    def inside(a: float, b: float) -> bool:
        return a >= start and b <= end

    facts = truth["facts"]
    turns = [
        {**t, "start": _shift(t["start"], start), "end": _shift(t["end"], start)}
        for t in truth["turns"]
        if inside(t["start"], t["end"])
    ]

    def point(fact: dict) -> dict:
        s = fact.get("start")
        if not fact.get("present") or s is None or not start <= s < end:
            return {**fact, "present": False, "start": None} | ({"text": None} if "text" in fact else {})
        return {**fact, "start": _shift(s, start)}

    def spans(items: list[dict], end_key: str = "end") -> list[dict]:
        return [
            {**x, "start": _shift(x["start"], start), end_key: _shift(x[end_key], start)}
            for x in items
            if inside(x["start"], x[end_key])
        ]

    agent = [t for t in turns if t["speaker"] == "agent"]
    customer = [t for t in turns if t["speaker"] == "customer"]
    new_facts = {
        "greeting": point(facts["greeting"]),
        "closing": point(facts["closing"]),
        "confirm_other_questions": point(facts["confirm_other_questions"]),
        "customer_complaint": facts["customer_complaint"],
        "apology": point(facts["apology"]),
        "forbidden": spans(facts["forbidden"]),
        "interruptions": [
            {**i, "start": _shift(i["start"], start)}
            for i in facts["interruptions"]
            if inside(i["start"], i["start"] + i["overlap_s"])
        ],
        "dead_air": spans(facts["dead_air"]),
        "follow_up_promise": point(facts["follow_up_promise"]),
        "pii": spans(facts["pii"]),
        "agent_speech_rate_cpm": _rate(agent),
        "customer_speech_rate_cpm": _rate(customer),
    }
    return {
        **truth,
        "call_id": Path(audio_name).stem,
        "audio": audio_name,
        "duration_s": round(end - start, 3),
        "turns": turns,
        "facts": new_facts,
        "cut_from": {"call_id": truth["call_id"], "start": start, "end": end},
    }


def _rate(turns: list[dict]) -> float | None:
    import unicodedata

    chars = sum(1 for t in turns for ch in t["text"] if unicodedata.category(ch)[0] not in "PZS")
    minutes = sum(t["end"] - t["start"] for t in turns) / 60
    return round(chars / minutes, 1) if minutes else None


def main() -> None:
    src, start, end, out = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4])
    cut_wav(src, start, end, out)
    truth = json.loads(src.with_suffix(".truth.json").read_text(encoding="utf-8"))
    cut = cut_truth(truth, start, end, out.name)
    out.with_suffix(".truth.json").write_text(
        json.dumps(cut, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
