"""The theme map: a picture of the ideas in two dimensions, coloured by theme, as a PNG.

The projection is the plane that best separates the themes found (linear discriminant analysis on the
embeddings, with the themes as classes), so that themes appear as distinct regions and ideas near the
border of two themes sit between them. It is closed-form: quick and the same every time, unlike t-SNE,
which took minutes for a few hundred ideas on a busy two-core machine. Above `MAP_MAX_POINTS` ideas a
fixed random sample is drawn. `draw_points` draws any such map (the opinion groups' too), and
`saved_picture` keeps a map as a file named after what it shows.
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

MAP_MAX_POINTS = 2000
"""Ideas drawn at most; above this, a fixed random sample is drawn."""
MAP_LEGEND_THEMES = 12
"""Themes named in the legend; the smaller ones share one grey colour."""
MAP_SIZE_INCHES = (9.0, 7.0)
MAP_DPI = 110


def project_2d(embeddings: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Two coordinates per row: the plane separating `classes` best, or the main axes if too few."""
    n = len(embeddings)
    if n < 3:
        return np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    if len(np.unique(classes)) >= 3:
        lda = LinearDiscriminantAnalysis(n_components=2, solver="eigen", shrinkage="auto")
        return lda.fit(embeddings, classes).transform(embeddings)
    return PCA(n_components=2, random_state=0).fit_transform(embeddings)


def draw_theme_map(
    embeddings: np.ndarray, theme_of: np.ndarray, legend: Sequence[str], other_label: str, title: str
) -> bytes:
    """The ideas drawn coloured by theme, as a PNG.

    `theme_of[i]` is the index in `legend` of idea i's theme, or -1 for "other".
    """
    rows = np.arange(len(embeddings))
    if len(rows) > MAP_MAX_POINTS:
        rows = np.sort(np.random.default_rng(0).choice(rows, MAP_MAX_POINTS, replace=False))
    themes = theme_of[rows]
    return draw_points(project_2d(embeddings[rows], themes), themes, legend, other_label, title)


def draw_points(
    points: np.ndarray, classes: np.ndarray, legend: Sequence[str], other_label: str, title: str
) -> bytes:
    """Points already placed in two dimensions, coloured by class, as a PNG (the theme map's look).

    `classes[i]` is the index in `legend` of point i's class, or -1 for "other" (grey, as are classes
    past `MAP_LEGEND_THEMES`)."""
    # The Agg canvas and no pyplot: no display is needed and no global state is shared between threads.
    figure = Figure(figsize=MAP_SIZE_INCHES, dpi=MAP_DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    grey = (0.75, 0.75, 0.75)
    small = (classes < 0) | (classes >= MAP_LEGEND_THEMES)
    if small.any():
        axes.scatter(points[small, 0], points[small, 1], s=10, color=grey, label=other_label)
    colours = matplotlib.colormaps["tab20" if len(legend) > 10 else "tab10"]
    for index, name in enumerate(legend[:MAP_LEGEND_THEMES]):
        chosen = classes == index
        axes.scatter(points[chosen, 0], points[chosen, 1], s=14, color=colours(index % 20), label=name)
    axes.set_title(title)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False)
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
