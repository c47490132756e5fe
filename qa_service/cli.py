"""The ``qa-service`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qa_service.config import Settings
from qa_service.errors import QAError

EXIT_BAD_INPUT = 2


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    updates: dict[str, Any] = {}
    if getattr(args, "model", None):
        updates["model"] = args.model
    if getattr(args, "device", None):
        updates["device"] = args.device
    if getattr(args, "beam_size", None):
        updates["beam_size"] = args.beam_size
    if updates:
        settings = settings.model_copy(update={"asr": settings.asr.model_copy(update=updates)})
    return settings


def _cmd_analyze(args: argparse.Namespace) -> int:
    from qa_service.evaluation.bench import audio_files
    from qa_service.pipeline import run_pipeline
    from qa_service.report import analysis_to_dict, render_report
    from qa_service.scoring.engine import has_default_rubric, score_analysis, unscored_output
    from qa_service.scoring.schema import load_rubric

    settings = _settings(args)
    rubric = load_rubric(args.rubric) if args.rubric else None
    files = audio_files([Path(p) for p in args.files])
    if not files:
        raise QAError(f"no recordings found in {' '.join(args.files)}")
    failures = 0
    for index, path in enumerate(files):
        try:
            analysis = run_pipeline(
                path,
                settings,
                agent_channel=args.agent_channel,
                language=args.language,
                rubric=rubric,
                agent_speaker=args.agent_speaker,
            )
        except QAError as exc:
            if len(files) == 1:
                raise
            failures += 1
            print(f"error: {path}: {exc.code}: {exc.message}", file=sys.stderr)
            continue
        data = analysis_to_dict(analysis)
        if rubric is None and not has_default_rubric(data["language"], settings.rubric_dir):
            print(
                f"note: {path}: no default rubric for language {data['language']!r}; not scored",
                file=sys.stderr,
            )
            output, scored = unscored_output(data, settings), None
        else:
            output = scored = score_analysis(data, settings, rubric)
        if args.json:
            print(json.dumps(output, ensure_ascii=False))
        else:
            if index:
                print("\n" + "=" * 72 + "\n")
            print(render_report(analysis, scored, output["utterances"]))
    return EXIT_BAD_INPUT if failures else 0


def _cmd_score(args: argparse.Namespace) -> int:
    from qa_service.report import render_score
    from qa_service.scoring.engine import score_analysis
    from qa_service.scoring.schema import load_rubric

    path = Path(args.analysis)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise QAError(f"{path}: cannot read the analysis JSON ({exc})") from exc
    scored = score_analysis(data, Settings(), load_rubric(args.rubric) if args.rubric else None)
    print(json.dumps(scored, ensure_ascii=False) if args.json else render_score(scored))
    return 0


def _cmd_rubric_validate(args: argparse.Namespace) -> int:
    from qa_service.scoring.schema import load_rubric

    loaded = load_rubric(args.path)
    r = loaded.rubric
    print(
        f"{args.path}: valid rubric {r.id} v{r.version} ({r.language}), {len(r.checks)} checks, sha256 {loaded.sha256}"
    )
    return 0


def _cmd_rubric_test(args: argparse.Namespace) -> int:
    from qa_service.report import render_score
    from qa_service.scoring.dialogue import DialogueError, load_dialogue
    from qa_service.scoring.engine import score_analysis
    from qa_service.scoring.schema import load_rubric

    loaded = load_rubric(args.path)
    settings = Settings()
    try:
        data = load_dialogue(Path(args.dialogue), loaded.rubric.language, settings.pacing)
    except (OSError, DialogueError) as exc:
        raise QAError(f"{args.dialogue}: {exc}") from exc
    scored = score_analysis(data, settings, loaded)
    print(json.dumps(scored, ensure_ascii=False) if args.json else render_score(scored))
    return 0


def _cmd_models_install(args: argparse.Namespace) -> int:
    from qa_service.model_assets import install_all

    for result in install_all(Settings().models_dir, force=args.force):
        state = "already present" if result.already_present else "installed"
        print(f"{result.name}: {state} at {result.path} ({result.size} bytes, sha256 {result.sha256})")
    return 0


def _cmd_eval_transcripts(args: argparse.Namespace) -> int:
    from qa_service.evaluation.transcripts import eval_transcripts

    summary = eval_transcripts(Path(args.directory), _settings(args), lambda line: print(line, flush=True))
    if args.out:
        Path(args.out).write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
    return 0


def _cmd_eval_facts(args: argparse.Namespace) -> int:
    from qa_service.evaluation.facts import eval_facts

    summary = eval_facts(Path(args.directory), _settings(args), lambda line: print(line, flush=True))
    if args.out:
        Path(args.out).write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
    return 0


def _cmd_eval_diarization(args: argparse.Namespace) -> int:
    from qa_service.evaluation.diarization import eval_diarization

    settings = _settings(args)
    counts = {k: getattr(args, k) for k in ("num_speakers", "min_speakers", "max_speakers")}
    if any(v is not None for v in counts.values()):
        settings = settings.model_copy(
            update={
                "diarization": settings.diarization.model_copy(update={k: v for k, v in counts.items() if v})
            }
        )
    summary = eval_diarization(Path(args.directory), settings, lambda line: print(line, flush=True))
    if args.out:
        Path(args.out).write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from qa_service.evaluation.bench import bench

    paths = [Path(p) for p in args.files] or [Settings().samples_dir]
    bench(paths, _settings(args), lambda line: print(line, flush=True), repeat=args.repeat)
    return 0


def _cmd_bench_api(argv: list[str]) -> int:
    from qa_service.evaluation.bench_api import bench_api

    parser = argparse.ArgumentParser(prog="qa-service bench api", description=bench_api.__doc__)
    parser.add_argument("--uploads", type=int, default=500, help="1 MB uploads to send in each phase")
    parser.add_argument("--concurrency", type=int, default=16, help="parallel clients, back to back")
    parser.add_argument("--rate", type=float, default=50.0, help="uploads per second, fixed schedule")
    parser.add_argument("--processes", type=int, help="HTTP processes (default: settings)")
    parser.add_argument("--calls", type=int, default=8, help="real calls processed end to end (0: skip)")
    parser.add_argument("--out", help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    result = bench_api(
        Settings().samples_dir,
        lambda line: print(line, flush=True),
        uploads=args.uploads,
        concurrency=args.concurrency,
        rate=args.rate,
        calls=args.calls,
        processes=args.processes,
    )
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


def _asr_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="ASR model directory or name (default: settings)")
    parser.add_argument("--device", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--beam-size", type=int)


def build_parser(extra: Callable[[Any], None] | None = None) -> argparse.ArgumentParser:
    """The parser; ``extra`` adds commands of other layers (the web layer adds ``serve``)."""
    from qa_service.service_cli import add_commands

    parser = argparse.ArgumentParser(prog="qa-service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    add_commands(sub)
    if extra is not None:
        extra(sub)

    analyze = sub.add_parser("analyze", help="analyse recordings and print a report or JSON")
    analyze.add_argument("files", nargs="+", metavar="FILE", help="recordings or directories of them")
    analyze.add_argument("--agent-channel", type=int, choices=[0, 1])
    analyze.add_argument(
        "--agent-speaker", metavar="LABEL", help="mono: the diarizer's label of the agent (e.g. SPEAKER_00)"
    )
    analyze.add_argument("--language", choices=["zh", "en", "auto"])
    analyze.add_argument("--json", action="store_true", help="one JSON object per recording")
    analyze.add_argument("--rubric", help="rubric YAML (default: the default rubric for the call's language)")
    _asr_options(analyze)
    analyze.set_defaults(func=_cmd_analyze)

    score = sub.add_parser(
        "score", help="score a stored analysis (analyze --json output) without re-transcribing"
    )
    score.add_argument("analysis", metavar="ANALYSIS.json")
    score.add_argument("--rubric", help="rubric YAML (default: the default rubric for the call's language)")
    score.add_argument("--json", action="store_true")
    score.set_defaults(func=_cmd_score)

    rubric = sub.add_parser("rubric", help="rubric files").add_subparsers(
        dest="rubric_command", required=True
    )
    validate = rubric.add_parser("validate", help="check a rubric file and report every mistake")
    validate.add_argument("path")
    validate.set_defaults(func=_cmd_rubric_validate)
    trial = rubric.add_parser("test", help="score a typed dialogue (agent: … / customer: … lines)")
    trial.add_argument("path")
    trial.add_argument("--dialogue", required=True)
    trial.add_argument("--json", action="store_true")
    trial.set_defaults(func=_cmd_rubric_test)

    models = sub.add_parser("models", help="model assets").add_subparsers(
        dest="models_command", required=True
    )
    install = models.add_parser("install", help="assemble and verify bundled models")
    install.add_argument("--force", action="store_true", help="rebuild and re-hash")
    install.set_defaults(func=_cmd_models_install)

    evaluate = sub.add_parser("eval", help="accuracy against ground truth").add_subparsers(
        dest="eval_command", required=True
    )
    transcripts = evaluate.add_parser("transcripts", help="ASR error rate and pacing metrics")
    transcripts.add_argument("directory", help="a corpus with <id>.truth.json, or a manifest.jsonl folder")
    transcripts.add_argument("--out", help="also write the summary as JSON to this file")
    _asr_options(transcripts)
    transcripts.set_defaults(func=_cmd_eval_transcripts)

    facts = evaluate.add_parser("facts", help="default-rubric findings against the truth facts")
    facts.add_argument("directory", help="a corpus with <id>.truth.json files")
    facts.add_argument("--out", help="also write the summary as JSON to this file")
    _asr_options(facts)
    facts.set_defaults(func=_cmd_eval_facts)

    diar = evaluate.add_parser(
        "diarization", help="DER (full; collar 0.25 s without overlap), JER, role accuracy, RTF"
    )
    diar.add_argument("directory", help="<id>.truth.json (mono calls) and/or RTTM references with audio")
    diar.add_argument("--out", help="also write the summary as JSON to this file")
    diar.add_argument("--num-speakers", type=int)
    diar.add_argument("--min-speakers", type=int)
    diar.add_argument("--max-speakers", type=int)
    _asr_options(diar)
    diar.set_defaults(func=_cmd_eval_diarization)

    bench = sub.add_parser(
        "bench", help="model load time, RTF per stage, peak memory; `bench api [--help]`: the HTTP service"
    )
    bench.add_argument(
        "files", nargs="*", metavar="FILE", help="recordings (default: samples/), or `api` and its options"
    )
    bench.add_argument("--repeat", type=int, default=1)
    _asr_options(bench)
    bench.set_defaults(func=_cmd_bench)
    return parser


def main(argv: list[str] | None = None, extra: Callable[[Any], None] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["bench", "api"]:  # its own options: see _cmd_bench_api
        return _cmd_bench_api(argv[2:])
    args = build_parser(extra).parse_args(argv)
    try:
        code: int = args.func(args)
    except QAError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return code


if __name__ == "__main__":
    sys.exit(main())
