"""What the networks did inside, in plain words and one figure: each family's reviewed retraining (first seed
of its tuned configuration) probed through depth at initialisation, after the first epoch and after training
(see ``trainers._diagnostics``). Pure functions of the report dict, plus the plot."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from search.verdict.plots import figure_bytes, pyplot

VANISHING, EXPLODING = 0.1, 10.0  # first hidden layer's gradient norm relative to the last hidden layer's


def profiles(report: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{family: {phase: {stat: [per layer]}}}`` of the families that were probed, best first."""
    return {r["family"]: r["diagnostics"] for r in report["families"] if r.get("diagnostics")}


def summary(phases: Mapping[str, Any]) -> dict[str, Any]:
    """One family's figures: depth, variance range at initialisation and after training, the most dead units
    after training (and where), and the gradient ratio first / last hidden layer at initialisation."""
    initial, trained = phases.get("initial") or {}, phases.get("trained") or {}
    out: dict[str, Any] = {"layers": len(initial.get("std", trained.get("std", [])))}
    for phase, stats in (("initial", initial), ("trained", trained)):
        variance = [s * s for s in stats.get("std", []) if math.isfinite(s)]
        if variance:
            out[f"{phase}_variance"] = (min(variance), max(variance))
            out[f"{phase}_mean"] = (min(stats["mean"]), max(stats["mean"]))
    dead = trained.get("dead") or []
    if dead:
        worst = max(range(len(dead)), key=lambda i: dead[i])
        out["dead_max"], out["dead_layer"] = dead[worst], worst + 1
    grads = initial.get("grad_norm") or []
    hidden = grads[:-1]  # the output layer's kernel last
    if len(hidden) >= 2 and hidden[-1] > 0 and all(map(math.isfinite, hidden)):
        out["grad_ratio"] = hidden[0] / hidden[-1]
    return out


def sentence(family: str, s: Mapping[str, Any]) -> str:
    """``selu kept activations within 0.70–0.84 variance through 8 layers at initialisation (0.75–5.68 after
    training); no unit died; first-layer gradients 0.95× the last hidden layer's.``"""
    parts = []
    if "initial_variance" in s:
        low, high = s["initial_variance"]
        parts.append(f"{family} kept activations within {low:.2f}–{high:.2f} variance through {s['layers']} "
                     "layers at initialisation")
        if "trained_variance" in s:
            parts[-1] += " ({:.2f}–{:.2f} after training)".format(*s["trained_variance"])
    if s.get("dead_max", 0.0) > 0:
        parts.append(f"it lost {s['dead_max']:.0%} of its units in layer {s['dead_layer']} (constant on every "
                     "probe example after training)")
    elif "dead_max" in s:
        parts.append("no unit died")
    if "grad_ratio" in s:
        ratio = s["grad_ratio"]
        word = " — vanishing" if ratio < VANISHING else " — exploding" if ratio > EXPLODING else ""
        parts.append(f"at initialisation its first layer's gradient was {ratio:.3g}× the last hidden layer's{word}")
    return ("; ".join(parts) + ".") if parts else f"{family}: not probed."


def markdown(report: Mapping[str, Any]) -> list[str]:
    """The report's section on the networks' insides (none when no family was probed)."""
    found = profiles(report)
    if not found:
        return []
    lines = ["## Inside the networks", "",
             "Each family's tuned network (first evaluation seed) on a fixed probe batch of validation rows: the "
             "variance of each hidden layer's activations, the fraction of its units that are dead (constant over "
             "the probe batch), and the gradient norm of each layer's kernel (Klambauer et al. 2017: SELU keeps "
             "mean 0 and variance 1 through depth; ReLU units can die; sigmoid and tanh gradients can vanish).", "",
             "| family | layers | variance at init | variance trained | most dead units | grad first/last hidden |",
             "|---|---:|---|---|---|---:|"]
    for family, phases in found.items():
        s = summary(phases)
        dead = "—" if "dead_max" not in s else f"{s['dead_max']:.0%} (layer {s['dead_layer']})"
        ratio = "—" if "grad_ratio" not in s else f"{s['grad_ratio']:.3g}"
        lines.append(f"| {family} | {s['layers']} | {_range(s.get('initial_variance'))} | "
                     f"{_range(s.get('trained_variance'))} | {dead} | {ratio} |")
    lines += [""] + [f"- {sentence(family, summary(phases))}" for family, phases in found.items()] + [""]
    return lines


def _range(pair: tuple[float, float] | None) -> str:
    return "—" if pair is None else f"{pair[0]:.2f}–{pair[1]:.2f}"


def depth_metrics(report: Mapping[str, Any]) -> dict[str, float]:
    """Per-family figures for the parent run: the most dead units after training, the gradient ratio."""
    out = {}
    for family, phases in profiles(report).items():
        s = summary(phases)
        if "dead_max" in s:
            out[f"depth.dead_max.{family}"] = float(s["dead_max"])
        if "grad_ratio" in s:
            out[f"depth.grad_ratio.{family}"] = float(s["grad_ratio"])
    return out


def depth_png(report: Mapping[str, Any]) -> bytes:
    """Three panels through depth, one line per family: activation variance (solid: initialisation, dashed:
    trained), dead units after training, and gradient norms at initialisation (log scale)."""
    plt = pyplot()
    fig, (var_ax, dead_ax, grad_ax) = plt.subplots(1, 3, figsize=(15, 4.2))
    for family, phases in profiles(report).items():
        initial, trained = phases.get("initial") or {}, phases.get("trained") or {}
        line = None
        if initial.get("std"):
            (line,) = var_ax.plot(range(1, len(initial["std"]) + 1), [s * s for s in initial["std"]], marker="o",
                                  label=family)
        if trained.get("std"):
            var_ax.plot(range(1, len(trained["std"]) + 1), [s * s for s in trained["std"]], linestyle="--",
                        color=line.get_color() if line else None)
        if trained.get("dead"):
            dead_ax.plot(range(1, len(trained["dead"]) + 1), trained["dead"], marker="o", label=family)
        if initial.get("grad_norm"):
            grad_ax.semilogy(range(1, len(initial["grad_norm"]) + 1), initial["grad_norm"], marker="o", label=family)
    var_ax.axhline(1.0, color="grey", linewidth=0.8)
    var_ax.set(title="activation variance (solid: init, dashed: trained)", xlabel="hidden layer", ylabel="variance")
    dead_ax.set(title="dead units after training", xlabel="hidden layer", ylabel="fraction", ylim=(-0.02, 1.02))
    grad_ax.set(title="gradient norm at initialisation", xlabel="weight layer (output last)", ylabel="‖∂loss/∂W‖")
    for ax in (var_ax, dead_ax, grad_ax):
        ax.grid(alpha=0.3)
    var_ax.legend(fontsize=8)
    return figure_bytes(fig)
