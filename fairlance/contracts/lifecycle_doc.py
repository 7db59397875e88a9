"""Render ``docs/lifecycle.md`` from the transition table (never edit that file by hand)."""

from __future__ import annotations

from pathlib import Path

from fairlance.contracts import process

DOC_PATH = Path(__file__).resolve().parent.parent.parent / "docs" / "lifecycle.md"


def _guard_text(t: process.Transition) -> str:
    return "; ".join((g.__doc__ or g.__name__).strip() for g in t.guards) or "—"


def _timer_text(t: process.Transition) -> str:
    if t.timer is None:
        return "—"
    anchor = t.timer.anchor.replace("_", " ")
    if t.timer.subject:
        anchor = f"armed for each {t.timer.subject}"
    text = f"`{t.timer.clock}` ({anchor})"
    if t.timer.reminder is not None:
        hours = int(t.timer.reminder.before.total_seconds() // 3600)
        text += f"; reminds the {t.timer.reminder.to} {hours} h before"
    return text


def render_lifecycle() -> str:
    lines = [
        "# Contract lifecycle",
        "",
        "<!-- Generated from fairlance/contracts/process.py by `fairlance lifecycle_doc`;",
        "     do not edit by hand. A test fails when this file and the table disagree. -->",
        "",
        f"Process version {process.PROCESS_VERSION}, what new contracts run. A contract keeps",
        "the version it was created under (`Contract.process_version`); the *since* column",
        "says which version added a transition, and older contracts never offer it.",
        "",
        "States: " + ", ".join(f"`{s}`" for s in process.STATES) + ".",
        "Final states: " + ", ".join(f"`{s}`" for s in sorted(process.FINAL_STATES)) + ".",
        "",
        "Timer anchors: *first entered* clocks run from the first entry into the state and",
        "never restart; *last entered* clocks restart on every entry (the review window after",
        "each delivery). Time spent in `disputed` does not count on any clock. *Subject*",
        "timers are armed by a transition for the subject it opens (a proposal), survive state",
        "changes, and are stale once their subject is closed.",
        "",
        "Clocks that start with the work (`contracts/deadlines.py::work_deadlines`, also used",
        "for the date shown before paying): the grace window of an instant purchase is always",
        "the policy's full window of the freelancer's working days after work starts; the",
        "delivery is due after the contract's delivery days, counted in the freelancer's",
        "working days unless the project says calendar days, and never before the grace window",
        "ends.",
        "",
        "| transition | actor | from | to | guards | timer | actions | effect | since |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for t in process.TRANSITIONS:
        from_states = ", ".join("—" if s == process.INITIAL else f"`{s}`" for s in t.from_states)
        to_states = ", ".join(
            "same state"
            if s == process.SAME
            else "previous state"
            if s == process.PREVIOUS
            else f"`{s}`"
            for s in t.to_states
        )
        acts = ", ".join(a.__name__ for a in t.actions) or "—"
        lines.append(
            f"| `{t.name}` | {' or '.join(t.actors)} | {from_states} | {to_states} | "
            f"{_guard_text(t)} | {_timer_text(t)} | {acts} | {t.summary} | {t.since} |"
        )
    lines += ["", "## State diagram", "", "```mermaid", "stateDiagram-v2"]
    for t in process.TRANSITIONS:
        for source in t.from_states:
            src = "[*]" if source == process.INITIAL else source
            targets = (source,) if process.SAME in t.to_states else process.target_states(t)
            for target in targets:
                lines.append(f"    {src} --> {target}: {t.name}")
    for s in sorted(process.FINAL_STATES):
        lines.append(f"    {s} --> [*]")
    lines += ["```", ""]
    return "\n".join(lines)
