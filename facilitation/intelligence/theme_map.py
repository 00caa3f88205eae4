"""The theme map: a picture of the ideas in two dimensions, coloured by theme, as a PNG.

The projection is the plane that best separates the themes found (linear discriminant analysis on the
embeddings, with the themes as classes), so that themes appear as distinct regions and ideas near the
border of two themes sit between them. It is closed-form: quick and the same every time, unlike t-SNE,
which took minutes for a few hundred ideas on a busy two-core machine. Above `MAP_MAX_POINTS` ideas a
fixed random sample is drawn.

Each theme's label is written on the plot, where its ideas are; a theme keeps its colour from one
computation to the next (the colour follows its id); the view is framed on the ideas, leaving out the
few farthest ones rather than shrinking every theme to a corner. `draw_points` draws any such map (the
opinion groups' too), and `saved_picture` keeps a map as a file named after what it shows.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

MAP_MIN_IDEAS = 10
"""Below this many ideas no map is drawn: a few dots say nothing the digest does not."""
MAP_MAX_POINTS = 2000
"""Ideas drawn at most; above this, a fixed random sample is drawn."""
MAP_LABELLED_THEMES = 15
"""Themes named on the plot, largest first; the smaller ones are drawn but not named."""
FRAMED_SHARE = 0.98
"""The view holds this share of the ideas on each axis (the farthest 1 % on each side may fall out)."""
MAP_SIZE_INCHES = (9.0, 7.0)
MAP_DPI = 110
PALETTE = [
    colour for index, colour in enumerate(matplotlib.colormaps["tab20"].colors) if index not in (14, 15)
]
"""tab20 without its two greys: grey is for "other"."""
GREY = (0.75, 0.75, 0.75)


def project_2d(embeddings: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Two coordinates per row: the plane separating `classes` best, or the main axes if too few."""
    n = len(embeddings)
    if n < 3:
        return np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    if len(np.unique(classes)) >= 3:
        lda = LinearDiscriminantAnalysis(n_components=2, solver="eigen", shrinkage="auto")
        return lda.fit(embeddings, classes).transform(embeddings)
    return PCA(n_components=2, random_state=0).fit_transform(embeddings)


def theme_colour(theme_id: int) -> tuple[float, ...]:
    """The colour of a theme, the same at every computation: chosen by its id (grey is left for "other")."""
    return PALETTE[theme_id % len(PALETTE)]


def drawn_rows(count: int) -> np.ndarray:
    """The rows a map draws: all of them, or above `MAP_MAX_POINTS` a fixed random sample, in order."""
    rows = np.arange(count)
    if count > MAP_MAX_POINTS:
        rows = np.sort(np.random.default_rng(0).choice(rows, MAP_MAX_POINTS, replace=False))
    return rows


def draw_theme_map(
    embeddings: np.ndarray,
    theme_of: np.ndarray,
    themes: Sequence[tuple[int, str]],
    other_label: str,
    title: str,
) -> bytes:
    """The ideas drawn coloured by theme, with each theme's name next to its ideas, as a PNG.

    `themes` holds (theme id, name), largest first; `theme_of[i]` is the index in `themes` of idea i's
    theme, or -1 for "other".
    """
    rows = drawn_rows(len(embeddings))
    placed = theme_of[rows]
    return draw_points(project_2d(embeddings[rows], placed), placed, themes, other_label, title)


def draw_points(
    points: np.ndarray,
    classes: np.ndarray,
    named: Sequence[tuple[int, str]],
    other_label: str,
    title: str,
) -> bytes:
    """Points already placed in two dimensions, coloured by class and named on the plot, as a PNG (the
    theme map's look).

    `named` holds (stable id, name) per class, largest first: the id chooses the colour; `classes[i]` is
    the index in `named` of point i's class, or -1 for "other" (grey)."""
    # The Agg canvas and no pyplot: no display is needed and no global state is shared between threads.
    figure = Figure(figsize=MAP_SIZE_INCHES, dpi=MAP_DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    outside = classes < 0
    axes.scatter(points[outside, 0], points[outside, 1], s=10, color=GREY)
    for index, (class_id, _name) in enumerate(named):
        chosen = classes == index
        axes.scatter(points[chosen, 0], points[chosen, 1], s=14, color=theme_colour(class_id))
    _frame(axes, points)
    for index, (class_id, name) in enumerate(named[:MAP_LABELLED_THEMES]):
        chosen = classes == index
        if chosen.any():
            x, y = np.median(points[chosen], axis=0)
            axes.annotate(
                name,
                (x, y),
                ha="center",
                va="center",
                fontsize=8,
                bbox={
                    "boxstyle": "round",
                    "facecolor": "white",
                    "edgecolor": theme_colour(class_id),
                    "alpha": 0.85,
                },
            )
    if outside.any():
        axes.annotate(other_label, (0.01, 0.01), xycoords="axes fraction", fontsize=8, color="grey")
    axes.set_title(title)
    axes.set_xticks([])
    axes.set_yticks([])
    figure.tight_layout()
    picture = io.BytesIO()
    figure.savefig(picture, format="png")
    return picture.getvalue()


def saved_picture(
    path_for: Callable[[str], Path], shown: object, draw: Callable[[], bytes | None]
) -> Path | None:
    """A picture kept as a file named after what it shows (`shown`, plain JSON data): drawn and written
    the first time, the same file reused while `shown` is the same; None when `draw` has nothing to draw.
    `path_for(name)` places the file, given the short name made from `shown`."""
    path = path_for(hashlib.sha256(json.dumps(shown).encode()).hexdigest()[:16])
    if path.exists():
        return path
    picture = draw()
    if picture is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(picture)
    return path


def _frame(axes: object, points: np.ndarray) -> None:
    """Limits holding `FRAMED_SHARE` of the points on each axis, with a margin."""
    edge = (1 - FRAMED_SHARE) / 2 * 100
    low, high = np.percentile(points, [edge, 100 - edge], axis=0)
    margin = (high - low) * 0.08 + 1e-9
    axes.set_xlim(low[0] - margin[0], high[0] + margin[0])
    axes.set_ylim(low[1] - margin[1], high[1] + margin[1])
